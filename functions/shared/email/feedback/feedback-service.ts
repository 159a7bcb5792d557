/**
 * Processes one FeedbackEvent end to end: policy decision, account-level suppression, contact-status
 * update. Source-neutral and SDK-free: the SES and DynamoDB adapters are injected, so architecture
 * #4 (and the tests) can reuse it with other deliveries or fakes.
 *
 * Order of side effects per recipient, chosen so a failure at any step is safe to retry:
 * - suppress: PutSuppressedDestination (an upsert) first, then the contact record. A failure
 *   before the contact write leaves nothing half-recorded that a retry would double.
 * - transient bounce: the contact store counts it atomically (guarded by an event key, so a retry
 *   of the same bounce is not counted twice); if that reaches the threshold, suppress and mark
 *   the contact SUPPRESSED without counting the event again.
 * - the contact store also guards the suppression's event count by event key, so a re-sent update
 *   or a redelivery after a failed idempotency save counts the event once.
 *
 * An address SES cannot take (bad syntax, see `sesAddressProblem`) has no side effect at all: it
 * is neither put on the suppression list nor written to the contact table, and its outcome is
 * "invalid-address", which the handlers count and log (masked). It is acknowledged, not failed:
 * no retry can make the address valid, so failing it would only cycle it into the DLQ.
 */
import { sesAddressProblem, type FeedbackEvent, type SesAddressProblem } from "../ses-events";
import {
  classifyFeedback,
  decideRecipientAction,
  transientWindowStartCutoff,
  type FeedbackIntent,
  type FeedbackPolicySettings,
  type SuppressionReason,
  type TransientBounceHistory,
} from "./feedback-policy";

/** The account-level SES suppression list (SES v2 PutSuppressedDestination). */
export interface SuppressionList {
  suppress(address: string, reason: SuppressionReason): Promise<void>;
}

export interface SuppressionRecord {
  address: string;
  reason: SuppressionReason;
  /** ISO-8601 time of the feedback event. */
  at: string;
  /** False when the same event was already counted (a transient bounce that reached the threshold). */
  countEvent: boolean;
  /** Identifies the event, so counting it twice (a re-sent update, a redelivery) counts it once. */
  eventKey: string;
}

export interface TransientBounceRecord {
  address: string;
  /** ISO-8601 time of the bounce. */
  at: string;
  /** Windows that started before this are stale: the bounce opens a new window instead. */
  windowStartCutoff: string;
  /** Identifies the bounce, so recording it twice (a retry) counts it once. */
  eventKey: string;
}

/** The per-address contact-status table (DynamoDB, partition key `emailAddress`). */
export interface ContactStore {
  /** Marks the address SUPPRESSED with the reason; counts the event once per event key. */
  recordSuppression(record: SuppressionRecord): Promise<void>;
  /** Counts a transient bounce in the rolling window; returns the counter including this bounce. */
  recordTransientBounce(record: TransientBounceRecord): Promise<TransientBounceHistory>;
}

/** What happened to one recipient. JSON-serialisable and free of the address (it is persisted by idempotency). */
export interface RecipientResult {
  action: "suppressed" | "transient-recorded" | "ignored" | "invalid-address";
  reason?: SuppressionReason;
  /** Set with action "invalid-address". */
  problem?: SesAddressProblem;
  transientBounceCount?: number;
  detail: string;
}

/** Identifies one recipient's unit of work across redeliveries. */
export interface RecipientKey {
  sesMessageId: string;
  eventType: string;
  /** "" when the event has no feedbackId. */
  feedbackId: string;
  recipient: string;
}

export interface RecipientWork {
  key: RecipientKey;
  event: FeedbackEvent;
}

export type RecipientRunner = (work: RecipientWork) => Promise<RecipientResult>;

/**
 * Wraps the unit of work for one recipient, for example with Powertools idempotency keyed on
 * `work.key`. Return `duplicate: true` when the work was not run because it already completed.
 */
export type RecipientGuard = (
  work: RecipientWork,
  run: RecipientRunner,
) => Promise<RecipientResult & { duplicate?: boolean }>;

export interface RecipientOutcome extends RecipientResult {
  address: string;
  /** "batch": same address and action already handled successfully in this batch; "redelivery": idempotency hit. */
  duplicate?: "batch" | "redelivery";
}

/**
 * Deduplicates work within one batch (create one per invocation). Records of a batch may run
 * concurrently (Powertools processes SQS records in parallel), so a duplicate waits for its twin:
 * it is acknowledged only once the twin SUCCEEDED. If the twin failed, the duplicate runs its own
 * work instead, so a failure is never acknowledged on the strength of a record that was not done.
 */
export interface BatchDeduplicator {
  run<T>(key: string, work: () => Promise<T>): Promise<{ duplicate: true } | { duplicate: false; value: T }>;
}

export function createBatchDeduplicator(): BatchDeduplicator {
  /** Per key, whether the latest run of it succeeded (never rejects). */
  const runs = new Map<string, Promise<boolean>>();
  return {
    async run(key, work) {
      for (let twin = runs.get(key); twin !== undefined; twin = runs.get(key)) {
        if (await twin) return { duplicate: true };
        // The twin failed. If another duplicate already took over, wait for that one instead.
        if (runs.get(key) === twin) break;
      }
      const pending = work();
      runs.set(
        key,
        pending.then(
          () => true,
          () => false,
        ),
      );
      return { duplicate: false, value: await pending };
    },
  };
}

/** One or more recipients failed; the others were processed. Message lists error names only. */
export class RecipientFailuresError extends Error {
  override readonly name = "RecipientFailuresError";
  constructor(
    readonly failures: readonly { address: string; error: unknown }[],
    readonly outcomes: readonly RecipientOutcome[],
    total: number,
  ) {
    const names = [...new Set(failures.map((f) => errorName(f.error)))].join(", ");
    super(`${failures.length} of ${total} recipients failed: ${names}`);
  }
}

export interface FeedbackServiceDeps {
  suppressionList: SuppressionList;
  contactStore: ContactStore;
  settings: FeedbackPolicySettings;
  /** Default: run the work directly (no cross-invocation idempotency). */
  recipientGuard?: RecipientGuard;
}

export interface ProcessEventOptions {
  /** Acknowledges a recipient whose (address, action) this batch already handled successfully. */
  batch?: BatchDeduplicator;
}

export interface FeedbackService {
  /**
   * Processes every recipient of the event. All recipients are attempted; if any failed, throws
   * {@link RecipientFailuresError} carrying the failures and the successful outcomes.
   */
  processEvent(event: FeedbackEvent, options?: ProcessEventOptions): Promise<RecipientOutcome[]>;
  /** The unguarded unit of work for one recipient (what the guard wraps). */
  processRecipient(work: RecipientWork): Promise<RecipientResult>;
}

export function createFeedbackService(deps: FeedbackServiceDeps): FeedbackService {
  const { suppressionList, contactStore, settings } = deps;
  const guard: RecipientGuard = deps.recipientGuard ?? ((work, run) => run(work));

  async function suppress(event: FeedbackEvent, address: string, reason: SuppressionReason, countEvent: boolean) {
    await suppressionList.suppress(address, reason);
    await contactStore.recordSuppression({ address, reason, at: event.timestamp, countEvent, eventKey: suppressionEventKey(event) });
  }

  async function processRecipient(work: RecipientWork): Promise<RecipientResult> {
    const { event, key } = work;
    const address = key.recipient;
    const intent = classifyFeedback(event, settings);
    switch (intent.type) {
      case "ignore":
        return { action: "ignored", detail: intent.detail };
      case "suppress":
        await suppress(event, address, intent.reason, true);
        return { action: "suppressed", reason: intent.reason, detail: intent.detail };
      case "count-transient": {
        const history = await contactStore.recordTransientBounce({
          address,
          at: event.timestamp,
          windowStartCutoff: transientWindowStartCutoff(event.timestamp, settings.transientBounceWindowHours),
          eventKey: transientEventKey(event),
        });
        const action = decideRecipientAction(event, address, history, settings);
        if (action.type === "suppress") {
          await suppress(event, address, action.reason, false);
          return {
            action: "suppressed",
            reason: action.reason,
            transientBounceCount: action.transientBounceCount,
            detail: action.detail,
          };
        }
        if (action.type === "record-transient") {
          return { action: "transient-recorded", transientBounceCount: action.count, detail: action.detail };
        }
        return { action: "ignored", detail: action.detail };
      }
    }
  }

  async function processEvent(event: FeedbackEvent, options: ProcessEventOptions = {}): Promise<RecipientOutcome[]> {
    const intent = classifyFeedback(event, settings);
    const outcomes: RecipientOutcome[] = [];
    const failures: { address: string; error: unknown }[] = [];
    for (const address of event.recipients) {
      if (intent.type === "ignore") {
        // No side effects, so neither idempotency nor batch deduplication is needed.
        outcomes.push({ address, action: "ignored", detail: intent.detail });
        continue;
      }
      const problem = sesAddressProblem(address);
      if (problem !== undefined) {
        outcomes.push({ address, action: "invalid-address", problem, detail: `${intent.detail}: address not accepted by SES (${problem})` });
        continue;
      }
      const work: RecipientWork = { key: recipientKey(event, address), event };
      const guarded = () => guard(work, processRecipient);
      try {
        const ran = options.batch ? await options.batch.run(batchKey(intent, event, address), guarded) : { duplicate: false as const, value: await guarded() };
        if (ran.duplicate) {
          outcomes.push({ address, ...plannedResult(intent), duplicate: "batch" });
          continue;
        }
        const { duplicate, ...result } = ran.value;
        outcomes.push(duplicate ? { address, ...result, duplicate: "redelivery" } : { address, ...result });
      } catch (error) {
        failures.push({ address, error });
      }
    }
    if (failures.length > 0) throw new RecipientFailuresError(failures, outcomes, event.recipients.length);
    return outcomes;
  }

  return { processEvent, processRecipient };
}

/** The idempotency key of one recipient of one event. */
export function recipientKey(event: FeedbackEvent, recipient: string): RecipientKey {
  return { sesMessageId: event.sesMessageId, eventType: event.eventType, feedbackId: event.feedbackId ?? "", recipient };
}

/**
 * Batch-deduplication key. Suppressions deduplicate on (action, reason, address): suppressing the
 * same address twice is pointless. Distinct transient bounces are distinct events and are each
 * counted, so their key includes the event identity.
 */
function batchKey(intent: Exclude<FeedbackIntent, { type: "ignore" }>, event: FeedbackEvent, address: string): string {
  if (intent.type === "suppress") return `suppress:${intent.reason}:${address}`;
  return `transient:${transientEventKey(event)}:${address}`;
}

function transientEventKey(event: FeedbackEvent): string {
  return `${event.sesMessageId}#${event.feedbackId ?? ""}`;
}

/**
 * The key a suppression's event count is guarded by. Unlike the transient key it names the event
 * type, so a bounce and a complaint about the same message (when a source omits feedbackId) are
 * two events. #1 and #4 build the same key for the same SES event.
 */
function suppressionEventKey(event: FeedbackEvent): string {
  return `${event.eventType}#${event.sesMessageId}#${event.feedbackId ?? ""}`;
}

function plannedResult(intent: Exclude<FeedbackIntent, { type: "ignore" }>): RecipientResult {
  return intent.type === "suppress"
    ? { action: "suppressed", reason: intent.reason, detail: `${intent.detail} (already handled in this batch)` }
    : { action: "transient-recorded", detail: `${intent.detail} (already handled in this batch)` };
}

/** The error's name (or that of its cause, for wrapper errors), never its message. */
export function errorName(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error && cause.name !== error.name ? `${error.name}(${cause.name})` : error.name;
  }
  return typeof error;
}
