/**
 * Sends one queued SMS at most once per row (or at least once, when configured). SDK-free: the
 * outcome table, preference table, SMS API and rate limiter are injected.
 *
 * 1. claim      conditional write on the outcome table (rowId). A row in a final status (SENT,
 *               FAILED, SKIPPED_OPTED_OUT, REJECTED, UNKNOWN) is not sent again (a redelivered
 *               message, or the splitter re-sending rows around a resume after SQS's 5-minute
 *               de-duplication window). A row SENDING under a live lease belongs to another
 *               delivery: retry later. A row SENDING under an expired lease was left by a delivery
 *               that died, possibly after sending: at-most-once records it UNKNOWN, at-least-once
 *               sends it.
 * 2. allow-list the origination identity must be configured here too (defence in depth: the
 *               queue could be written by something else, or the allow-list shrunk): else REJECTED.
 * 3. opt-out    PROMOTIONAL rows to a number whose preference item is OPTED_OUT are
 *               SKIPPED_OPTED_OUT (the preference-table-only mode of the opt-out architecture).
 *               With SKIP_PERMANENT_FAILURES, any row to a number whose item records a permanent
 *               delivery failure (TEXT_INVALID, TEXT_BLOCKED; delivery-events.ts) is
 *               SKIPPED_PERMANENT_FAILURE. A TRANSACTIONAL row the splitter checked recently
 *               (permanentFailureCheckedAt, message.ts) needs no read: the splitter found none.
 * 4. rate       the identity's adaptive limiter (functions/shared/rate), charged with the
 *               message's part count (MPS counts parts). A wait that would pass the invocation's
 *               send deadline is not started: the row goes back to SQS (RETRYING).
 * 5. send       SendTextMessage (or Pinpoint SendMessages), using THIS record's own identity. The
 *               client retries only errors that prove nothing was sent, and surfaces throttles at
 *               once (limiterClientConfig). A throttle lowers the identity's rate (onThrottle) and
 *               the same message is sent again inside this invocation after a bounded wait at the
 *               new rate (at most MAX_THROTTLE_RETRIES times, never past the deadline), instead of
 *               waiting out a visibility timeout on the queue.
 * 6. outcome    SENT (message id) · SKIPPED_OPTED_OUT (the opt-out list refused it) · FAILED
 *               (non-retryable: recorded, not retried) · UNKNOWN (timed out / reset / 5xx: the SMS
 *               may have gone out; at-most-once records it and never sends it again, metric
 *               SendOutcomeUnknown; at-least-once retries it like a throttle) · RETRYING (throttled
 *               / transient: the claim is released and RetryableSendError thrown, so SQS redelivers)
 *               · REJECTED (errorName SendStepSkipped: a send step withheld it; see shared/sending).
 *
 * The outcome write after a send that went out (or may have) is retried a few times with backoff
 * and never thrown: throwing would make SQS redeliver a message that was already sent. If it is
 * still lost, OutcomeWriteLost is counted (alarmed) and the row stays SENDING; a later delivery
 * of it then finds an expired lease and, at-most-once, records UNKNOWN instead of sending again.
 *
 * Attempts: every claim counts one attempt of the row. A retryable failure on attempt
 * `maxAttempts` throws RetryableSendError with `exhausted`, so the handler moves the message to
 * the DLQ itself (see sender.ts) and resets the count for a later redrive.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import { maskPhone } from "../shared/runtime/pii";
import { analyzeSmsBody } from "../shared/sms/sms-encoding";
import type { PreferenceRecord, PreferenceStore } from "../shared/sms/sms-preferences";
import type { SmsSender, SmsSendOutcome } from "../shared/sms/sms-send";
import type { KeyedRateLimiter } from "../shared/rate/adaptive-limiter";
import { realSleep, type Sleep } from "../shared/sms/token-bucket";
import type { FinishRequest, OutcomeStore } from "./adapters";
import type { SenderConfig } from "./config";
import { SENDER_METRICS } from "./contract";
import { checkedBySplitter, sendContextFor, type QueuedSms } from "./message";

/** Throttled sends of one message retried inside the invocation before it goes back to SQS. */
export const MAX_THROTTLE_RETRIES = 20;
/** Attempts at an outcome write (on top of the SDK's own retries), with backoff 100, 200, 400 ms. */
export const OUTCOME_WRITE_ATTEMPTS = 4;
export const OUTCOME_WRITE_BACKOFF_MS = 100;

export type RecordOutcome = "SENT" | "DUPLICATE" | "SKIPPED_OPTED_OUT" | "SKIPPED_PERMANENT_FAILURE" | "FAILED" | "REJECTED" | "UNKNOWN";

export interface SendDeps {
  outcomes: OutcomeStore;
  preferences?: PreferenceStore;
  sms: SmsSender;
  /** The per-identity rate limiter (the adaptive one in production; any KeyedRateLimiter). */
  buckets: KeyedRateLimiter;
  logger: Logger;
  metrics: Metrics;
  newClaimToken?: () => string;
  /** Backoff between outcome-write attempts. Default: real time. */
  sleep?: Sleep;
  /**
   * Preference items read for the whole batch at once (null: the number has none), used for the
   * permanent-failure check of TRANSACTIONAL rows. PROMOTIONAL rows always read afresh: an opt-out
   * recorded a moment ago must stop the next promotional send.
   */
  prefetchedPreferences?: ReadonlyMap<string, PreferenceRecord | null>;
}

/** The record must be retried later: thrown so the batch reports it (and its group's later records) as failed. */
export class RetryableSendError extends Error {
  constructor(
    message: string,
    readonly throttled: boolean,
    /** This was the row's last allowed attempt: move the message to the DLQ. */
    readonly exhausted = false,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "RetryableSendError";
  }
}

export async function sendQueuedMessage(
  message: QueuedSms,
  /**
   * leaseUntil: the claim's lease. sendDeadline (epoch ms): no rate wait may end after it, so the
   * send and the outcome write still fit in the invocation; undefined = no deadline.
   */
  options: { leaseUntil: number; sendDeadline?: number },
  config: Pick<SenderConfig, "identityRates" | "configurationSetName" | "sendGuarantee" | "maxAttempts"> & Partial<Pick<SenderConfig, "skipPermanentFailures">>,
  deps: SendDeps,
): Promise<RecordOutcome> {
  const { logger, metrics } = deps;
  const sleep = deps.sleep ?? realSleep;
  const log = {
    rowId: message.rowId,
    to: maskPhone(message.destination),
    originationIdentity: message.originationIdentity,
    messageType: message.messageType,
    sourceKey: message.context.sourceKey,
    row: message.context.row,
  };
  const claimToken = (deps.newClaimToken ?? randomUUID)();
  const claim = await deps.outcomes.claim({ rowId: message.rowId, claimToken, leaseUntil: options.leaseUntil, message });
  if (!claim.claimed) {
    if (claim.status === "SENDING" || claim.status === undefined) {
      throw new RetryableSendError(`Row ${message.rowId} is being sent by another delivery`, false);
    }
    metrics.addMetric(SENDER_METRICS.DuplicateSkipped, MetricUnit.Count, 1);
    logger.info("Row already processed; not sent again", { ...log, status: claim.status });
    return "DUPLICATE";
  }
  const exhausted = claim.attempts >= config.maxAttempts;

  /**
   * Writes the row's outcome, retrying with backoff. After a send that went out or may have (SENT,
   * UNKNOWN) a final failure is counted and swallowed, never thrown (a redelivery would send
   * again); otherwise it is thrown and the message retried.
   */
  const record = async (request: Omit<FinishRequest, "rowId" | "claimToken">): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const kept = await deps.outcomes.finish({ ...request, rowId: message.rowId, claimToken });
        if (!kept) logger.warn("Outcome not recorded: the claim's lease had expired and was taken over", { ...log, status: request.status });
        return;
      } catch (error) {
        if (attempt < OUTCOME_WRITE_ATTEMPTS) {
          await sleep(OUTCOME_WRITE_BACKOFF_MS * 2 ** (attempt - 1));
          continue;
        }
        metrics.addMetric(SENDER_METRICS.OutcomeWriteLost, MetricUnit.Count, 1);
        logger.error("Could not record the row's outcome", { ...log, status: request.status, attempts: attempt, errorName: (error as Error).name });
        if (request.status !== "SENT" && request.status !== "UNKNOWN") throw error;
        return;
      }
    }
  };

  const retryLater = async (errorName: string, errorMessage: string, throttled: boolean, cause?: unknown): Promise<never> => {
    await record({ status: "RETRYING", errorName, errorMessage, resetAttempts: exhausted });
    throw new RetryableSendError(errorName, throttled, exhausted, cause === undefined ? undefined : { cause });
  };

  const recordUnknown = async (errorName: string, errorMessage: string): Promise<RecordOutcome> => {
    await record({ status: "UNKNOWN", errorName, errorMessage });
    metrics.addMetric(SENDER_METRICS.SendOutcomeUnknown, MetricUnit.Count, 1);
    logger.warn("SMS outcome unknown; recorded UNKNOWN and not sent again (at-most-once)", { ...log, errorName });
    return "UNKNOWN";
  };

  if (claim.takenOver) {
    // The delivery that held the expired lease died between its claim and its outcome write, so
    // it may have sent the SMS.
    if (config.sendGuarantee === "at-most-once") {
      return recordUnknown("PreviousDeliveryUnfinished", "an earlier delivery claimed this row and did not record an outcome; it may have sent it");
    }
    metrics.addMetric(SENDER_METRICS.ClaimTakenOver, MetricUnit.Count, 1);
    logger.warn("Taking over an expired claim; the row may be sent twice (at-least-once)", log);
  }

  if (!config.identityRates.has(message.originationIdentity)) {
    await record({ status: "REJECTED", errorName: "IdentityNotAllowed", errorMessage: "origination identity is not in ORIGINATION_IDENTITIES" });
    metrics.addMetric(SENDER_METRICS.RowRejected, MetricUnit.Count, 1);
    logger.warn("Row rejected: origination identity is not allowed", log);
    return "REJECTED";
  }
  const segments = analyzeSmsBody(message.body).segments;
  let optedOut = false;
  let permanentFailure: string | undefined;
  let sent: SmsSendOutcome | undefined;
  let rateWaitExceeded = false;
  try {
    const checked = checkedBySplitter(message, Date.now());
    if (deps.preferences !== undefined && (message.messageType === "PROMOTIONAL" || (config.skipPermanentFailures === true && !checked))) {
      const prefetched = message.messageType === "PROMOTIONAL" ? undefined : deps.prefetchedPreferences?.get(message.destination);
      const preference = prefetched === undefined ? await deps.preferences.get(message.destination) : (prefetched ?? undefined);
      optedOut = message.messageType === "PROMOTIONAL" && preference?.status === "OPTED_OUT";
      if (config.skipPermanentFailures === true && preference?.permanentFailureAt !== undefined) permanentFailure = preference.permanentFailureType ?? "recorded";
    }
    if (permanentFailure !== undefined) optedOut = true;
    for (let throttles = 0; !optedOut; ) {
      const permit = await deps.buckets.acquire(message.originationIdentity, Math.max(1, segments), { deadline: options.sendDeadline });
      if (!permit.granted) {
        rateWaitExceeded = true;
        break;
      }
      sent = await deps.sms.send(
        {
          destination: message.destination,
          originationIdentity: message.originationIdentity,
          body: message.body,
          messageType: message.messageType,
          configurationSetName: config.configurationSetName,
          context: sendContextFor(message),
        },
        { idempotencyKey: message.rowId },
      );
      if (!(sent.status === "FAILED" && sent.retryable && sent.throttled)) break;
      // Throttled: nothing was sent. Lower the identity's rate and try again here, after the wait.
      await deps.buckets.onThrottle(message.originationIdentity);
      metrics.addMetric(SENDER_METRICS.SmsThrottled, MetricUnit.Count, 1);
      if (++throttles > MAX_THROTTLE_RETRIES) break;
    }
  } catch (error) {
    // Nothing was sent (send() turns every AWS error into an outcome): release the claim so the
    // redelivery can take it at once.
    return retryLater((error as Error).name, (error as Error).message, false, error);
  }
  if (rateWaitExceeded) {
    // The identity's rate leaves no room before the deadline: nothing was sent, hand it back.
    metrics.addMetric(SENDER_METRICS.RateWaitExceeded, MetricUnit.Count, 1);
    logger.info("Rate wait would pass the send deadline; the message goes back to the queue", log);
    return retryLater("RateWaitExceeded", "the identity's rate leaves no room before the invocation's send deadline", true);
  }
  if (sent === undefined && permanentFailure !== undefined) {
    await record({ status: "SKIPPED_PERMANENT_FAILURE", errorName: "PermanentDeliveryFailure", errorMessage: `the preference table records a permanent delivery failure (${permanentFailure})` });
    metrics.addMetric(SENDER_METRICS.SkippedPermanentFailure, MetricUnit.Count, 1);
    logger.info("Row skipped: the number failed permanently before", { ...log, eventType: permanentFailure });
    return "SKIPPED_PERMANENT_FAILURE";
  }
  if (sent === undefined) {
    await record({ status: "SKIPPED_OPTED_OUT", errorName: "PreferenceOptedOut", errorMessage: "the preference table records an opt-out" });
    metrics.addMetric(SENDER_METRICS.SkippedOptedOut, MetricUnit.Count, 1);
    logger.info("Promotional row skipped: recipient opted out", log);
    return "SKIPPED_OPTED_OUT";
  }

  switch (sent.status) {
    case "SENT":
      await record({ status: "SENT", messageId: sent.messageId, segments });
      metrics.addMetric(SENDER_METRICS.SmsSent, MetricUnit.Count, 1);
      metrics.addMetric(SENDER_METRICS.SmsPartsSent, MetricUnit.Count, segments);
      logger.info("SMS sent", { ...log, messageId: sent.messageId, segments });
      return "SENT";
    case "OPTED_OUT":
      await record({ status: "SKIPPED_OPTED_OUT", errorName: sent.errorName, errorMessage: sent.errorMessage });
      metrics.addMetric(SENDER_METRICS.SkippedOptedOut, MetricUnit.Count, 1);
      logger.info("SMS refused: recipient is on the opt-out list", log);
      return "SKIPPED_OPTED_OUT";
    case "SKIPPED":
      // Withheld by a send step (SEND_STEPS): final, nothing was sent.
      await record({ status: "REJECTED", errorName: "SendStepSkipped", errorMessage: `${sent.step}: ${sent.reason}` });
      logger.info("Row withheld by a send step; recorded REJECTED", { ...log, step: sent.step, reason: sent.reason });
      return "REJECTED";
    case "UNKNOWN":
      if (config.sendGuarantee === "at-most-once") return recordUnknown(sent.errorName, sent.errorMessage);
      metrics.addMetric(SENDER_METRICS.SendOutcomeUnknown, MetricUnit.Count, 1);
      logger.warn("SMS outcome unknown; will be sent again (at-least-once)", { ...log, errorName: sent.errorName });
      return retryLater(sent.errorName, sent.errorMessage, false);
    case "FAILED":
      if (sent.retryable) {
        // Throttles were counted (and retried) above; here only after MAX_THROTTLE_RETRIES.
        if (!sent.throttled) metrics.addMetric(SENDER_METRICS.SmsRetryableFailure, MetricUnit.Count, 1);
        logger.warn("SMS not sent; will be retried", { ...log, errorName: sent.errorName, attempts: claim.attempts });
        return retryLater(sent.errorName, sent.errorMessage, sent.throttled);
      }
      await record({ status: "FAILED", errorName: sent.errorName, errorMessage: sent.errorMessage });
      metrics.addMetric(SENDER_METRICS.SmsFailed, MetricUnit.Count, 1);
      logger.error("SMS failed permanently; recorded, not retried", { ...log, errorName: sent.errorName });
      return "FAILED";
  }
}
