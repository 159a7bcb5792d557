/**
 * Sends one queued SMS exactly once per row. SDK-free: the outcome table, preference table, SMS
 * API and rate limiter are injected.
 *
 * 1. claim      conditional write on the outcome table (rowId). A row already SENT, FAILED,
 *               SKIPPED_OPTED_OUT or REJECTED is not sent again (a redelivered message, or the
 *               splitter re-sending rows around a resume after SQS's 5-minute de-duplication
 *               window). A row SENDING under a live lease belongs to another delivery: retry later.
 * 2. allow-list the origination identity must be configured here too (defence in depth: the
 *               queue could be written by something else, or the allow-list shrunk): else REJECTED.
 * 3. opt-out    PROMOTIONAL rows to a number whose preference item is OPTED_OUT are
 *               SKIPPED_OPTED_OUT (the preference-table-only mode of the opt-out architecture).
 * 4. rate       the identity's token bucket, charged with the message's part count (MPS).
 * 5. send       SendTextMessage (or Pinpoint SendMessages), using THIS record's own identity.
 * 6. outcome    SENT (message id) · SKIPPED_OPTED_OUT (the opt-out list refused it) · FAILED
 *               (non-retryable: recorded, not retried) · RETRYING (throttled / transient: the claim
 *               is released and RetryableSendError thrown, so SQS redelivers it).
 *
 * If the outcome write after a successful send fails, the row stays SENDING until its lease ends;
 * the error is logged and counted but not thrown, because throwing would make SQS redeliver a
 * message that was already sent.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import { maskPhone } from "../shared/pii";
import { analyzeSmsBody } from "../shared/sms-encoding";
import type { PreferenceStore } from "../shared/sms-preferences";
import type { SmsSender } from "../shared/sms-send";
import type { TokenBucketRegistry } from "../shared/token-bucket";
import type { FinishRequest, OutcomeStore } from "./adapters";
import type { SenderConfig } from "./config";
import { sendContextFor, type QueuedSms } from "./message";

/** Pause an identity's bucket this long after the API throttled it anyway (one MPS window). */
export const THROTTLE_PENALTY_MS = 1000;

export type RecordOutcome = "SENT" | "DUPLICATE" | "SKIPPED_OPTED_OUT" | "FAILED" | "REJECTED";

export interface SendDeps {
  outcomes: OutcomeStore;
  preferences?: PreferenceStore;
  sms: SmsSender;
  buckets: TokenBucketRegistry;
  logger: Logger;
  metrics: Metrics;
  newClaimToken?: () => string;
}

/** The record must be retried later: thrown so the batch reports it (and its group's later records) as failed. */
export class RetryableSendError extends Error {
  constructor(
    message: string,
    readonly throttled: boolean,
  ) {
    super(message);
    this.name = "RetryableSendError";
  }
}

export async function sendQueuedMessage(
  message: QueuedSms,
  options: { leaseUntil: number },
  config: Pick<SenderConfig, "identityRates" | "configurationSetName">,
  deps: SendDeps,
): Promise<RecordOutcome> {
  const { logger, metrics } = deps;
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
    if (claim.status === "SENDING") {
      throw new RetryableSendError(`Row ${message.rowId} is being sent by another delivery`, false);
    }
    metrics.addMetric("DuplicateSkipped", MetricUnit.Count, 1);
    logger.info("Row already processed; not sent again", { ...log, status: claim.status });
    return "DUPLICATE";
  }

  const finish = async (request: Omit<FinishRequest, "rowId" | "claimToken">): Promise<void> => {
    try {
      const kept = await deps.outcomes.finish({ ...request, rowId: message.rowId, claimToken });
      if (!kept) logger.warn("Outcome not recorded: the claim's lease had expired and was taken over", { ...log, status: request.status });
    } catch (error) {
      metrics.addMetric("OutcomeWriteFailed", MetricUnit.Count, 1);
      logger.error("Could not record the row's outcome", { ...log, status: request.status, errorName: (error as Error).name });
      // Only after a delivered SMS is the failure swallowed: throwing then would send it again.
      // Otherwise the message is retried and the outcome written on the next delivery.
      if (request.status !== "SENT") throw error;
    }
  };

  let sent: Awaited<ReturnType<SmsSender["send"]>>;
  const segments = analyzeSmsBody(message.body).segments;
  try {
    if (!config.identityRates.has(message.originationIdentity)) {
      await finish({ status: "REJECTED", errorName: "IdentityNotAllowed", errorMessage: "origination identity is not in ORIGINATION_IDENTITIES" });
      metrics.addMetric("RowRejected", MetricUnit.Count, 1);
      logger.warn("Row rejected: origination identity is not allowed", log);
      return "REJECTED";
    }
    if (message.messageType === "PROMOTIONAL" && deps.preferences !== undefined) {
      const preference = await deps.preferences.get(message.destination);
      if (preference?.status === "OPTED_OUT") {
        await finish({ status: "SKIPPED_OPTED_OUT", errorName: "PreferenceOptedOut", errorMessage: "the preference table records an opt-out" });
        metrics.addMetric("SkippedOptedOut", MetricUnit.Count, 1);
        logger.info("Promotional row skipped: recipient opted out", log);
        return "SKIPPED_OPTED_OUT";
      }
    }
    await deps.buckets.forKey(message.originationIdentity).take(Math.max(1, segments));
    sent = await deps.sms.send({
      destination: message.destination,
      originationIdentity: message.originationIdentity,
      body: message.body,
      messageType: message.messageType,
      configurationSetName: config.configurationSetName,
      context: sendContextFor(message),
    });
  } catch (error) {
    // Nothing was sent: release the claim so the redelivery can take it at once.
    await finish({ status: "RETRYING", errorName: (error as Error).name, errorMessage: (error as Error).message }).catch(() => undefined);
    throw error;
  }

  switch (sent.status) {
    case "SENT":
      await finish({ status: "SENT", messageId: sent.messageId, segments });
      metrics.addMetric("SmsSent", MetricUnit.Count, 1);
      metrics.addMetric("SmsPartsSent", MetricUnit.Count, segments);
      logger.info("SMS sent", { ...log, messageId: sent.messageId, segments });
      return "SENT";
    case "OPTED_OUT":
      await finish({ status: "SKIPPED_OPTED_OUT", errorName: sent.errorName, errorMessage: sent.errorMessage });
      metrics.addMetric("SkippedOptedOut", MetricUnit.Count, 1);
      logger.info("SMS refused: recipient is on the opt-out list", log);
      return "SKIPPED_OPTED_OUT";
    case "FAILED":
      if (sent.retryable) {
        if (sent.throttled) deps.buckets.forKey(message.originationIdentity).penalize(THROTTLE_PENALTY_MS);
        await finish({ status: "RETRYING", errorName: sent.errorName, errorMessage: sent.errorMessage });
        metrics.addMetric(sent.throttled ? "SmsThrottled" : "SmsRetryableFailure", MetricUnit.Count, 1);
        logger.warn("SMS not sent; will be retried", { ...log, errorName: sent.errorName });
        throw new RetryableSendError(sent.errorName, sent.throttled);
      }
      await finish({ status: "FAILED", errorName: sent.errorName, errorMessage: sent.errorMessage });
      metrics.addMetric("SmsFailed", MetricUnit.Count, 1);
      logger.error("SMS failed permanently; recorded, not retried", { ...log, errorName: sent.errorName });
      return "FAILED";
  }
}
