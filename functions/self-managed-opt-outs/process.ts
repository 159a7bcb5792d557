/**
 * Processes one inbound SMS end to end by running the plan from plan.ts against injected ports.
 * SDK-free: the adapters are passed in, so tests can use fakes or SDK mocks.
 *
 * Retry safety, step by step (the handler wraps this in Powertools idempotency keyed on
 * inboundMessageId, which deletes its record when this throws, so a retry re-runs everything):
 * - enforce: PutOptedOutNumber is an upsert; DeleteOptedOutNumber of an absent number is treated as
 *   done; UpdateEndpoint is an upsert.
 * - record: a conditional UpdateItem keyed on the message's publish time; repeating it is a no-op.
 * - publish, reply: the step journal (adapters.ts) is written before the side effect (ATTEMPTING)
 *   and after it. A retry skips settled steps, and a step left ATTEMPTING (the write after the side
 *   effect failed, or the function died) has an unknown outcome: under the send guarantee
 *   "at-most-once" (default) it is recorded UNKNOWN and not repeated; under "at-least-once" it is
 *   repeated. The same policy applies to a reply or publish that timed out (SendOutcomeUnknown).
 *
 * The STOP confirmation (before-opt-out-list order) is retried with bounded backoff before the
 * number is listed, because the list would refuse it afterwards. If it still cannot be sent, the
 * opt-out comes first: the number is listed anyway and the confirmation is recorded as owed on the
 * preference item (ConfirmationOwed metric, alarmed; result reply "owed").
 *
 * Ordering: inbound SMS ordering is not guaranteed, and a failed message is retried minutes
 * later. A message older than the one that set the current preference is "stale": it changes
 * nothing and gets no reply (the newer message already did both). If a newer message wins the race
 * between our read and our write, the enforcement is re-aligned to the stored status.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import { isOutcomeUnknown } from "../shared/runtime/errors";
import { classifyKeyword, type InboundSms, type KeywordClass } from "../shared/sms/inbound-sms";
import { maskPhone } from "../shared/runtime/pii";
import type { EventPublisher } from "../shared/sms/sms-domain-events";
import type { ConfirmationOwedStore, PreferenceStore } from "../shared/sms/sms-preferences";
import type { SmsSender } from "../shared/sms/sms-send";
import type { OptOutEnforcer, StepJournal, StepState } from "./adapters";
import type { InboundConfig } from "./config";
import { INBOUND_METRICS } from "./contract";
import {
  buildNeedsReviewEvent,
  buildPreferenceEvent,
  enforcementActionFor,
  enforcementFor,
  JOURNALED_STEPS,
  planInbound,
  type InboundStep,
} from "./plan";

export interface InboundDeps {
  preferences: PreferenceStore & ConfirmationOwedStore;
  /** Absent in preference-table-only mode. */
  enforcer?: OptOutEnforcer;
  events: EventPublisher;
  sms: SmsSender;
  journal: StepJournal;
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
  /** Waits between reply attempts; tests inject one that does not. */
  sleep?: (ms: number) => Promise<void>;
}

export interface InboundInput {
  message: InboundSms;
  /** Epoch ms at which the message was published to SNS. */
  eventAt: number;
}

/**
 * - sent / already-sent: confirmed (now, or by an earlier attempt)
 * - blocked-by-opt-out-list: refused because the number is on the list linked to our number
 * - unknown: the send's outcome is unknown and, at-most-once, was not repeated (SendOutcomeUnknown)
 * - owed: the STOP confirmation could not be sent; the number was listed and the debt recorded
 * - not-sent: it could not be sent, and a newer message has since superseded this one
 * - withheld: a send step (SEND_STEPS) withheld it; final, like a sent reply
 */
export type ReplyState = "sent" | "already-sent" | "blocked-by-opt-out-list" | "unknown" | "owed" | "not-sent" | "withheld" | "none";

export interface InboundResult {
  inboundMessageId: string;
  keywordClass: KeywordClass;
  outcome: "processed" | "ignored" | "flagged" | "stale";
  reply: ReplyState;
}

/** The confirmation could not be sent; thrown so the async retry and on-failure destination apply. */
export class ReplyFailedError extends Error {
  /** The service's own message, for debugging only; never logged at INFO or above. */
  readonly serviceMessage: string;

  constructor(
    readonly errorName: string,
    readonly retryable: boolean,
    message: string,
  ) {
    // The service's message stays out of the error text: it can echo the phone number, and the
    // runtime logs a thrown error in full.
    super(`Reply failed with ${errorName}${retryable ? " (retryable)" : ""}`);
    this.serviceMessage = message;
    this.name = "ReplyFailedError";
  }
}

/**
 * Waits before the 2nd and 3rd reply attempt. 3 s in all: well inside the function timeout (at
 * least 10 s, default 30 s), and long enough to ride out a throttling burst or a brief outage.
 */
export const REPLY_RETRY_DELAYS_MS: readonly number[] = Object.freeze([1_000, 2_000]);

const KEYWORD_METRIC: Record<KeywordClass, string> = {
  OPT_OUT: INBOUND_METRICS.OptOutReceived,
  OPT_IN: INBOUND_METRICS.OptInReceived,
  HELP: INBOUND_METRICS.HelpReceived,
  NONE: INBOUND_METRICS.InboundIgnored,
};

/** How a journaled side effect ended in this invocation. */
type Attempt<T> = { outcome: "done"; value: T } | { outcome: "unknown" } | { outcome: "not-done"; error: Error };
/** ...or why it was not attempted: an earlier attempt settled it. */
type StepResult<T> = Attempt<T> | { outcome: "already-done" } | { outcome: "already-unknown" };

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function processInbound(input: InboundInput, config: InboundConfig, deps: InboundDeps): Promise<InboundResult> {
  const { message, eventAt } = input;
  const { logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const id = message.inboundMessageId;
  const phone = message.originationNumber;
  const atMostOnce = config.sendGuarantee === "at-most-once";
  const { keywordClass, keyword } = classifyKeyword(message.messageBody, config.keywords);
  const log = { inboundMessageId: id, keywordClass, from: maskPhone(phone), to: message.destinationNumber };

  const steps = planInbound(keywordClass, config);
  if (keywordClass === "NONE" && steps.length > 0) {
    metrics.addMetric(INBOUND_METRICS.InboundFlaggedForReview, MetricUnit.Count, 1);
  } else {
    metrics.addMetric(KEYWORD_METRIC[keywordClass], MetricUnit.Count, 1);
  }
  if (steps.length === 0) {
    logger.info("Inbound SMS is not a keyword; ignored", log);
    return { inboundMessageId: id, keywordClass, outcome: "ignored", reply: "none" };
  }

  if (keywordClass === "OPT_OUT" || keywordClass === "OPT_IN") {
    const current = await deps.preferences.get(phone);
    if (current?.lastEventAt !== undefined && current.lastEventAt > eventAt && current.lastInboundMessageId !== id) {
      metrics.addMetric(INBOUND_METRICS.InboundStale, MetricUnit.Count, 1);
      logger.info("Inbound SMS is older than the recorded preference; no change", { ...log, currentStatus: current.status });
      return { inboundMessageId: id, keywordClass, outcome: "stale", reply: "none" };
    }
  }

  const journal = steps.some((s) => JOURNALED_STEPS.has(s.kind)) ? await deps.journal.read(id) : new Map<string, StepState>();

  const settle = async (step: string, state: Exclude<StepState, "ATTEMPTING">): Promise<void> => {
    try {
      await deps.journal.finish(id, step, state);
    } catch (error) {
      // The step stays ATTEMPTING, which a retry reads as "outcome unknown": never repeated
      // at-most-once. Throwing instead would not undo the side effect.
      metrics.addMetric(INBOUND_METRICS.JournalWriteFailed, MetricUnit.Count, 1);
      logger.error("Could not journal how a step ended; a retry will treat its outcome as unknown", { ...log, step, state, errorName: (error as Error).name });
    }
  };

  const unknownOutcome = (step: string, why: string): void => {
    metrics.addMetric(INBOUND_METRICS.SendOutcomeUnknown, MetricUnit.Count, 1);
    logger.warn(`The ${step} step's outcome is unknown (${why}); ${atMostOnce ? "not repeated (at-most-once)" : "repeating it (at-least-once)"}`, log);
  };

  /** Runs a journaled side effect at most once (at-most-once) or until known to be done. */
  const journaled = async <T>(step: string, effect: () => Promise<Attempt<T>>): Promise<StepResult<T>> => {
    const prior = journal.get(step);
    if (prior === "DONE") return { outcome: "already-done" };
    if (prior === "UNKNOWN") return { outcome: "already-unknown" };
    if (prior === "ATTEMPTING") {
      unknownOutcome(step, "an earlier attempt did not record how it ended");
      if (atMostOnce) {
        await settle(step, "UNKNOWN");
        return { outcome: "already-unknown" };
      }
    }
    if (!(await deps.journal.begin(id, step, prior))) {
      // Another attempt changed the step since we read it (Powertools normally prevents that).
      unknownOutcome(step, "another attempt holds it");
      return { outcome: "already-unknown" };
    }
    const attempt = await effect();
    if (attempt.outcome === "done") await settle(step, "DONE");
    else if (attempt.outcome === "unknown") await settle(step, "UNKNOWN");
    else await settle(step, "NOT_SENT");
    return attempt;
  };

  const sendReply = async (text: string): Promise<Attempt<"sent" | "blocked" | "withheld">> => {
    for (let attempt = 0; ; attempt++) {
      const outcome = await deps.sms.send(
        {
          destination: phone,
          originationIdentity: message.destinationNumber,
          body: text,
          messageType: "TRANSACTIONAL",
          configurationSetName: config.configurationSetName,
          context: { inboundMessageId: id, keywordClass },
        },
        { idempotencyKey: id },
      );
      let failure: ReplyFailedError;
      switch (outcome.status) {
        case "SENT":
          return { outcome: "done", value: "sent" };
        case "OPTED_OUT":
          // The number is on the list linked to our number; no retry can succeed.
          return { outcome: "done", value: "blocked" };
        case "SKIPPED":
          logger.info("Reply withheld by a send step", { ...log, step: outcome.step, reason: outcome.reason });
          return { outcome: "done", value: "withheld" };
        case "UNKNOWN":
          unknownOutcome("reply", `the send failed with ${outcome.errorName} after it may have been accepted`);
          if (atMostOnce) return { outcome: "unknown" };
          failure = new ReplyFailedError(outcome.errorName, true, outcome.errorMessage);
          break;
        case "FAILED":
          metrics.addMetric(outcome.throttled ? INBOUND_METRICS.ReplyThrottled : INBOUND_METRICS.ReplyFailed, MetricUnit.Count, 1);
          failure = new ReplyFailedError(outcome.errorName, outcome.retryable, outcome.errorMessage);
          break;
      }
      if (!failure.retryable || attempt >= REPLY_RETRY_DELAYS_MS.length) return { outcome: "not-done", error: failure };
      await sleep(REPLY_RETRY_DELAYS_MS[attempt]!);
    }
  };

  const publish = async (step: Extract<InboundStep, { kind: "publish" }>): Promise<Attempt<void>> => {
    const event =
      step.event === "needs-review"
        ? buildNeedsReviewEvent(message, eventAt)
        : buildPreferenceEvent(message, keywordClass as "OPT_OUT" | "OPT_IN", eventAt, enforcementFor(config));
    try {
      await deps.events.publish(event);
      return { outcome: "done", value: undefined };
    } catch (error) {
      if (isOutcomeUnknown(error)) {
        unknownOutcome("publish", `the publish failed with ${(error as Error).name} after it may have been accepted`);
        if (atMostOnce) return { outcome: "unknown" };
      }
      return { outcome: "not-done", error: error as Error };
    }
  };

  let reply: ReplyState = "none";
  let recorded = false;
  let confirmationOwed = false;
  for (const [index, step] of steps.entries()) {
    switch (step.kind) {
      case "enforce": {
        if (deps.enforcer === undefined) throw new Error("No opt-out enforcer is configured for this mode");
        let action = step.action;
        if (recorded) {
          // Enforcing after recording (STOP confirmed first): a newer message may have changed the
          // preference since, so the list follows what the table holds now.
          const current = await deps.preferences.get(phone);
          if (current?.status !== undefined) action = enforcementActionFor(current.status);
        }
        await (action === "opt-out" ? deps.enforcer.optOut(phone) : deps.enforcer.optIn(phone));
        break;
      }
      case "record": {
        const result = await deps.preferences.record({
          phoneNumber: phone,
          status: step.status,
          source: keywordClass as "OPT_OUT" | "OPT_IN",
          keyword: keyword ?? "",
          inboundMessageId: id,
          eventAt,
          updatedAt: new Date(now()).toISOString(),
        });
        if (result.outcome === "stale") {
          // A newer message was recorded between our read and our write. Re-align the sending
          // side with the stored (newer) status in case our enforce step just overwrote it.
          // (An item holding only #9's permanent-failure record has no status and never makes a write stale.)
          if (deps.enforcer !== undefined && result.current?.status !== undefined) {
            const action = enforcementActionFor(result.current.status);
            await (action === "opt-out" ? deps.enforcer.optOut(phone) : deps.enforcer.optIn(phone));
          }
          metrics.addMetric(INBOUND_METRICS.InboundStale, MetricUnit.Count, 1);
          logger.info("A newer inbound SMS was recorded concurrently; no change", log);
          return { inboundMessageId: id, keywordClass, outcome: "stale", reply: "none" };
        }
        recorded = true;
        break;
      }
      case "publish": {
        const result = await journaled("publish", () => publish(step));
        if (result.outcome === "not-done") throw result.error;
        break;
      }
      case "reply": {
        // A STOP confirmed before listing: once listed, the list would refuse the confirmation.
        const listedAfter = steps.slice(index + 1).some((s) => s.kind === "enforce");
        const result = await journaled("reply", () => sendReply(step.text));
        if (result.outcome === "already-done") {
          reply = "already-sent";
        } else if (result.outcome === "unknown" || result.outcome === "already-unknown") {
          reply = "unknown";
        } else if (result.outcome === "done" && result.value === "sent") {
          reply = "sent";
          metrics.addMetric(INBOUND_METRICS.ReplySent, MetricUnit.Count, 1);
        } else if (result.outcome === "done" && result.value === "withheld") {
          reply = "withheld";
        } else if (result.outcome === "done") {
          reply = "blocked-by-opt-out-list";
          metrics.addMetric(INBOUND_METRICS.ReplyBlockedByOptOutList, MetricUnit.Count, 1);
          logger.warn("Reply refused: the customer is on the opt-out list linked to our number", log);
          confirmationOwed = listedAfter;
        } else if (listedAfter) {
          // The opt-out comes first: list the number now, and owe the confirmation.
          logger.warn("STOP confirmation failed after retries; listing the number anyway", { ...log, errorName: result.error.name });
          confirmationOwed = true;
        } else {
          throw result.error;
        }
        break;
      }
    }
  }

  if (confirmationOwed) {
    // After the enforce step: if listing failed, the throw above made the retry try the
    // confirmation again first (its journal entry is NOT_SENT).
    const marked = await deps.preferences.markConfirmationOwed({ phoneNumber: phone, inboundMessageId: id, since: new Date(now()).toISOString() });
    if (marked) {
      reply = "owed";
      metrics.addMetric(INBOUND_METRICS.ConfirmationOwed, MetricUnit.Count, 1);
      logger.error("STOP confirmation owed: the number is on the opt-out list but was not told", log);
    } else {
      reply = "not-sent";
      logger.info("STOP confirmation not sent, and a newer message has superseded this STOP; nothing owed", log);
    }
  }
  logger.info("Inbound SMS processed", { ...log, reply });
  return { inboundMessageId: id, keywordClass, outcome: keywordClass === "NONE" ? "flagged" : "processed", reply };
}
