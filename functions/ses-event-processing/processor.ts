/**
 * Architecture #1, SES Event Processing: SQS-triggered handler for SES feedback events delivered by
 * SNS (raw or enveloped) or forwarded from EventBridge. Event plumbing only; the decisions live in
 * feedback-policy.ts and the side effects in feedback-service.ts / adapters.ts.
 *
 * - A record whose body does not parse fails (MalformedRecord metric): it is redriven and ends in
 *   the DLQ, never acknowledged silently.
 * - Each recipient's work is idempotent across redeliveries (Powertools idempotency, DynamoDB,
 *   keyed on sesMessageId + eventType + feedbackId + recipient), and deduplicated within the batch.
 * - Any error that survives the SDK's adaptive retries fails the record (batchItemFailures); only
 *   error names are logged.
 * - A recipient address SES cannot take is not suppressed: it is counted (InvalidAddress metric),
 *   logged masked with the problem code, and acknowledged, since no retry can fix it.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { isRetryableError, isThrottlingError } from "../shared/runtime/errors";
import { addDimensionedCount, createObservability, type Observability } from "../shared/runtime/observability";
import { maskEmail } from "../shared/runtime/pii";
import { safeParseSesFeedback } from "../shared/email/ses-events";
import { loadProcessorConfig, type ProcessorConfig } from "./config";
import { PROCESSOR_METRICS } from "./contract";
import {
  RecipientFailuresError,
  createBatchDeduplicator,
  errorName,
  type BatchDeduplicator,
  type RecipientOutcome,
} from "../shared/email/feedback/feedback-service";
import { createIdempotentFeedbackService } from "../shared/email/feedback/idempotent-feedback";

export { IDEMPOTENCY_KEY_PREFIX } from "../shared/email/feedback/idempotent-feedback";

/** The feedback service under Powertools idempotency, and the idempotency config to give each invocation's context. */
export type ProcessorPorts = ReturnType<typeof createIdempotentFeedbackService>;

/** Builds the SDK-backed ports. Called once per container, at module scope. */
export function createProcessorPorts(config: ProcessorConfig): ProcessorPorts {
  return createIdempotentFeedbackService(config, {
    ses: new SESv2Client({ ...sdkClientConfig() }),
    dynamo: new DynamoDBClient({ ...sdkClientConfig() }),
  });
}

interface Tally {
  suppressed: Record<string, number>;
  transient: number;
  ignored: number;
  invalidAddress: number;
  duplicate: number;
  malformed: number;
  failedRecords: number;
  throttled: number;
}

export function createProcessorHandler(
  _config: ProcessorConfig,
  ports: ProcessorPorts,
  observability: Observability,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const { logger, metrics } = observability;
  const { service, idempotencyConfig } = ports;
  const processor = new BatchProcessor(EventType.SQS);

  async function processRecord(record: SQSRecord, batch: BatchDeduplicator, tally: Tally): Promise<void> {
    const parsed = safeParseSesFeedback(record.body);
    if (!parsed.ok) {
      tally.malformed++;
      logger.warn("Malformed SES feedback record", { messageId: record.messageId, form: parsed.form, error: parsed.error });
      throw new Error(`Malformed SES feedback record: ${parsed.error}`);
    }
    const { event, form } = parsed;
    const summary = {
      messageId: record.messageId,
      form,
      sesMessageId: event.sesMessageId,
      eventType: event.eventType,
      bounceType: event.bounceType,
      complaintFeedbackType: event.complaintFeedbackType,
    };
    let outcomes: readonly RecipientOutcome[];
    try {
      outcomes = await service.processEvent(event, { batch });
    } catch (error) {
      tally.failedRecords++;
      const failures = error instanceof RecipientFailuresError ? error.failures : [];
      const errors = failures.length > 0 ? failures.map((f) => f.error) : [error];
      if (errors.some((e) => isThrottlingError(e) || isThrottlingError(causeOf(e)))) tally.throttled++;
      if (error instanceof RecipientFailuresError) {
        count(error.outcomes, tally);
        warnInvalidAddresses(error.outcomes, summary);
      }
      logger.error("SES feedback record failed", {
        ...summary,
        errors: [...new Set(errors.map(errorName))],
        retryable: errors.every(isRetryLikelyToSucceed),
        failedRecipients: failures.map((f) => maskEmail(f.address)),
        outcomes: error instanceof RecipientFailuresError ? error.outcomes.map(logOutcome) : [],
      });
      throw error;
    }
    count(outcomes, tally);
    warnInvalidAddresses(outcomes, summary);
    logger.info("SES feedback processed", { ...summary, outcomes: outcomes.map(logOutcome) });
  }

  function warnInvalidAddresses(outcomes: readonly RecipientOutcome[], summary: Record<string, unknown>): void {
    const invalid = outcomes.filter((o) => o.action === "invalid-address");
    if (invalid.length === 0) return;
    logger.warn("Recipient address not accepted by SES; not suppressed", {
      ...summary,
      recipients: invalid.map((o) => ({ recipient: maskEmail(o.address), problem: o.problem })),
    });
  }

  function publishTally(tally: Tally): void {
    for (const [reason, value] of Object.entries(tally.suppressed)) addDimensionedCount(metrics, PROCESSOR_METRICS.Suppressed, { Reason: reason }, value);
    // A suppression that came from the transient threshold is also a transient bounce; it is
    // counted under Suppressed only, so the two metrics add up to the recipients processed.
    const counters: [keyof typeof PROCESSOR_METRICS, number][] = [
      [PROCESSOR_METRICS.TransientBounce, tally.transient],
      [PROCESSOR_METRICS.Ignored, tally.ignored],
      [PROCESSOR_METRICS.InvalidAddress, tally.invalidAddress],
      [PROCESSOR_METRICS.Duplicate, tally.duplicate],
      [PROCESSOR_METRICS.MalformedRecord, tally.malformed],
      [PROCESSOR_METRICS.FailedRecord, tally.failedRecords],
      [PROCESSOR_METRICS.Throttled, tally.throttled],
    ];
    for (const [name, value] of counters) metrics.addMetric(name, MetricUnit.Count, value);
    metrics.publishStoredMetrics();
  }

  return async (event, context) => {
    logger.addContext(context);
    idempotencyConfig.registerLambdaContext(context);
    const batch = createBatchDeduplicator();
    const tally: Tally = { suppressed: {}, transient: 0, ignored: 0, invalidAddress: 0, duplicate: 0, malformed: 0, failedRecords: 0, throttled: 0 };
    try {
      return await processPartialResponse(event, (record: SQSRecord) => processRecord(record, batch, tally), processor, {
        context,
        // Report every failed record as a batch item failure, also when all of them failed.
        throwOnFullBatchFailure: false,
      });
    } finally {
      publishTally(tally);
    }
  };
}

/** Powertools idempotency wraps persistence-layer failures; the SDK error is the cause. */
function causeOf(error: unknown): unknown {
  return error instanceof Error ? error.cause : undefined;
}

/**
 * For the log only (every failed record is redriven either way): throttling and faults, also when
 * wrapped by the idempotency layer, and another invocation still holding the same work.
 */
function isRetryLikelyToSucceed(error: unknown): boolean {
  if (error instanceof Error && error.name === "IdempotencyAlreadyInProgressError") return true;
  return isRetryableError(error) || isRetryableError(causeOf(error));
}

/** An outcome as logged: the address masked, nothing else personal. */
function logOutcome(o: RecipientOutcome) {
  return {
    recipient: maskEmail(o.address),
    action: o.action,
    reason: o.reason,
    transientBounceCount: o.transientBounceCount,
    duplicate: o.duplicate,
    problem: o.problem,
    detail: o.detail,
  };
}

function count(outcomes: readonly RecipientOutcome[], tally: Tally): void {
  for (const outcome of outcomes) {
    if (outcome.duplicate) {
      tally.duplicate++;
      continue;
    }
    if (outcome.action === "suppressed" && outcome.reason) {
      tally.suppressed[outcome.reason] = (tally.suppressed[outcome.reason] ?? 0) + 1;
    } else if (outcome.action === "transient-recorded") {
      tally.transient++;
    } else if (outcome.action === "ignored") {
      tally.ignored++;
    } else if (outcome.action === "invalid-address") {
      tally.invalidAddress++;
    }
  }
}

const config = loadProcessorConfig(process.env);
export const handler = createProcessorHandler(config, createProcessorPorts(config), createObservability("ses-event-processing"));
