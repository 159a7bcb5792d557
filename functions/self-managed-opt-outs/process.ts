/**
 * Processes one inbound SMS end to end by running the plan from plan.ts against injected ports.
 * SDK-free: the adapters are passed in, so tests can use fakes or SDK mocks.
 *
 * Retry safety, step by step (the handler wraps this in Powertools idempotency keyed on
 * inboundMessageId, which deletes its record when this throws, so a retry re-runs everything):
 * - enforce: PutOptedOutNumber is an upsert; DeleteOptedOutNumber of an absent number is treated as
 *   done; UpdateEndpoint is an upsert.
 * - record: a conditional UpdateItem keyed on the message's publish time; repeating it is a no-op.
 * - publish, reply: journaled after success (StepJournal); a retry skips journaled steps. The
 *   window for a duplicate is a crash between the API call returning and the journal write.
 *
 * Ordering: inbound SMS ordering is not guaranteed, and a failed message is retried minutes
 * later. A message older than the one that set the current preference is "stale": it changes
 * nothing and gets no reply (the newer message already did both). If a newer message wins the race
 * between our read and our write, the enforcement is re-aligned to the stored status.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import { classifyKeyword, type InboundSms, type KeywordClass } from "../shared/inbound-sms";
import { maskPhone } from "../shared/pii";
import type { EventPublisher } from "../shared/sms-domain-events";
import type { PreferenceStore } from "../shared/sms-preferences";
import type { SmsSender } from "../shared/sms-send";
import type { OptOutEnforcer, StepJournal } from "./adapters";
import type { InboundConfig } from "./config";
import { buildPreferenceEvent, enforcementActionFor, enforcementFor, JOURNALED_STEPS, planInbound } from "./plan";

export interface InboundDeps {
  preferences: PreferenceStore;
  /** Absent in preference-table-only mode. */
  enforcer?: OptOutEnforcer;
  events: EventPublisher;
  sms: SmsSender;
  journal: StepJournal;
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
}

export interface InboundInput {
  message: InboundSms;
  /** Epoch ms at which the message was published to SNS. */
  eventAt: number;
}

export type ReplyState = "sent" | "already-sent" | "blocked-by-opt-out-list" | "none";

export interface InboundResult {
  inboundMessageId: string;
  keywordClass: KeywordClass;
  outcome: "processed" | "ignored" | "stale";
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

const KEYWORD_METRIC: Record<KeywordClass, string> = {
  OPT_OUT: "OptOutReceived",
  OPT_IN: "OptInReceived",
  HELP: "HelpReceived",
  NONE: "InboundIgnored",
};

export async function processInbound(input: InboundInput, config: InboundConfig, deps: InboundDeps): Promise<InboundResult> {
  const { message, eventAt } = input;
  const { logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const id = message.inboundMessageId;
  const phone = message.originationNumber;
  const { keywordClass, keyword } = classifyKeyword(message.messageBody, config.keywords);
  metrics.addMetric(KEYWORD_METRIC[keywordClass], MetricUnit.Count, 1);
  const log = { inboundMessageId: id, keywordClass, from: maskPhone(phone), to: message.destinationNumber };

  const steps = planInbound(keywordClass, config);
  if (steps.length === 0) {
    logger.info("Inbound SMS is not a keyword; ignored", log);
    return { inboundMessageId: id, keywordClass, outcome: "ignored", reply: "none" };
  }

  if (keywordClass === "OPT_OUT" || keywordClass === "OPT_IN") {
    const current = await deps.preferences.get(phone);
    if (current?.lastEventAt !== undefined && current.lastEventAt > eventAt && current.lastInboundMessageId !== id) {
      metrics.addMetric("InboundStale", MetricUnit.Count, 1);
      logger.info("Inbound SMS is older than the recorded preference; no change", { ...log, currentStatus: current.status });
      return { inboundMessageId: id, keywordClass, outcome: "stale", reply: "none" };
    }
  }

  const done = steps.some((s) => JOURNALED_STEPS.has(s.kind)) ? await deps.journal.completedSteps(id) : new Set<string>();
  const journal = async (step: string): Promise<void> => {
    try {
      await deps.journal.markCompleted(id, step);
    } catch (error) {
      // The side effect already happened: throwing now would make the retry repeat it.
      metrics.addMetric("JournalWriteFailed", MetricUnit.Count, 1);
      logger.error("Could not journal a completed step; a later retry may repeat it", { ...log, step, errorName: (error as Error).name });
    }
  };

  let reply: ReplyState = "none";
  let recorded = false;
  let replyFailure: ReplyFailedError | undefined;
  for (const step of steps) {
    // A failed confirmation must not keep an opt-out off the list: later enforce steps still run,
    // and the failure is thrown afterwards so the retry sends the confirmation.
    if (replyFailure !== undefined && step.kind !== "enforce") continue;
    switch (step.kind) {
      case "enforce": {
        if (deps.enforcer === undefined) throw new Error("No opt-out enforcer is configured for this mode");
        let action = step.action;
        if (recorded) {
          // Enforcing after recording (STOP confirmed first): a newer message may have changed the
          // preference since, so the list follows what the table holds now.
          const current = await deps.preferences.get(phone);
          if (current !== undefined) action = enforcementActionFor(current.status);
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
          if (deps.enforcer !== undefined && result.current !== undefined) {
            const action = enforcementActionFor(result.current.status);
            await (action === "opt-out" ? deps.enforcer.optOut(phone) : deps.enforcer.optIn(phone));
          }
          metrics.addMetric("InboundStale", MetricUnit.Count, 1);
          logger.info("A newer inbound SMS was recorded concurrently; no change", log);
          return { inboundMessageId: id, keywordClass, outcome: "stale", reply: "none" };
        }
        recorded = true;
        break;
      }
      case "publish": {
        if (done.has("publish")) break;
        await deps.events.publish(buildPreferenceEvent(message, keywordClass as "OPT_OUT" | "OPT_IN", eventAt, enforcementFor(config)));
        await journal("publish");
        break;
      }
      case "reply": {
        if (done.has("reply")) {
          reply = "already-sent";
          break;
        }
        const outcome = await deps.sms.send({
          destination: phone,
          originationIdentity: message.destinationNumber,
          body: step.text,
          messageType: "TRANSACTIONAL",
          configurationSetName: config.configurationSetName,
          context: { inboundMessageId: id, keywordClass },
        });
        if (outcome.status === "SENT") {
          reply = "sent";
          metrics.addMetric("ReplySent", MetricUnit.Count, 1);
        } else if (outcome.status === "OPTED_OUT") {
          // The number is on the list linked to our number; a retry cannot succeed.
          reply = "blocked-by-opt-out-list";
          metrics.addMetric("ReplyBlockedByOptOutList", MetricUnit.Count, 1);
          logger.warn("Reply refused: the customer is on the opt-out list linked to our number", { ...log, errorName: outcome.errorName });
        } else {
          metrics.addMetric(outcome.throttled ? "ReplyThrottled" : "ReplyFailed", MetricUnit.Count, 1);
          replyFailure = new ReplyFailedError(outcome.errorName, outcome.retryable, outcome.errorMessage);
          break;
        }
        await journal("reply");
        break;
      }
    }
  }
  if (replyFailure !== undefined) throw replyFailure;
  logger.info("Inbound SMS processed", { ...log, reply });
  return { inboundMessageId: id, keywordClass, outcome: "processed", reply };
}
