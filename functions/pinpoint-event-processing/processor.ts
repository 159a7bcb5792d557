/**
 * Architecture #4, legacy target ("pinpoint"): S3 ObjectCreated → this Lambda (async invocation
 * with an on-failure destination). Each object is a Firehose delivery of Pinpoint event-stream
 * records; `_email.hardbounce` and `_email.complaint` records are mapped to the shared
 * FeedbackEvent and handled by the feedback service #1 also uses (same policy, same suppression
 * list and contact-table shape; its own idempotency table). Event plumbing only: the splitter,
 * the mapping and the per-object loop are in json-stream.ts, pinpoint-records.ts and
 * object-processor.ts.
 *
 * Failure handling:
 * - a bad record (truncated, not JSON, wrong shape) is counted (MalformedRecord), logged by line
 *   number without content, and the rest of the object is processed;
 * - a recipient whose address SES cannot take is not suppressed, counted (InvalidAddress) and
 *   logged masked; it does not fail the invocation;
 * - a record whose suppression failed with a retryable or unexpected error fails the invocation
 *   after the whole object was processed, so Lambda's async retry and then the on-failure
 *   destination apply. Reprocessing is safe: PutSuppressedDestination is an upsert and each
 *   recipient's contact update runs under Powertools idempotency;
 * - an object that cannot be read (GetObject error, corrupt gzip) fails the invocation.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import type { Context } from "aws-lambda";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { addDimensionedCount, createObservability, type Observability } from "../shared/runtime/observability";
import { errorName } from "../shared/email/feedback/feedback-service";
import { createIdempotentFeedbackService } from "../shared/email/feedback/idempotent-feedback";
import { loadProcessorConfig, type ProcessorConfig } from "./config";
import { PROCESSOR_METRICS } from "./contract";
import { processEventObject, type ObjectReport } from "./object-processor";
import { decodeS3Key, S3NotificationEventSchema } from "./s3-event";
import { createS3ObjectSource, type ObjectSource } from "./s3-object";

/** The feedback service under Powertools idempotency (with its config) and S3 GetObject. */
export type ProcessorPorts = ReturnType<typeof createIdempotentFeedbackService> & { objects: ObjectSource };

/** Thrown at the end of an invocation in which some work must be retried. Message has no PII. */
export class EventObjectFailedError extends Error {
  override readonly name = "EventObjectFailedError";
}

/** Builds the SDK-backed ports. Called once per container, at module scope. */
export function createProcessorPorts(config: ProcessorConfig): ProcessorPorts {
  return {
    ...createIdempotentFeedbackService(config, { ses: new SESv2Client({ ...sdkClientConfig() }), dynamo: new DynamoDBClient({ ...sdkClientConfig() }) }),
    objects: createS3ObjectSource(new S3Client({ ...sdkClientConfig() })),
  };
}

export function createProcessorHandler(
  _config: ProcessorConfig,
  ports: ProcessorPorts,
  observability: Observability,
): (event: unknown, context: Context) => Promise<void> {
  const { logger, metrics } = observability;
  const { service: feedback, idempotencyConfig, objects } = ports;
  const count = (name: string, value = 1) => metrics.addMetric(name, MetricUnit.Count, value);

  function publish(report: ObjectReport): void {
    for (const [reason, value] of Object.entries(report.suppressed)) addDimensionedCount(metrics, PROCESSOR_METRICS.Suppressed, { Reason: reason }, value);
    count(PROCESSOR_METRICS.RecordsRead, report.records);
    count(PROCESSOR_METRICS.FeedbackRecords, report.feedbackEvents);
    count(PROCESSOR_METRICS.IgnoredRecords, report.ignoredRecords);
    count(PROCESSOR_METRICS.Duplicate, report.duplicates);
    count(PROCESSOR_METRICS.InvalidAddress, report.invalidAddressCount);
    count(PROCESSOR_METRICS.MalformedRecord, report.badRecordCount);
    count(PROCESSOR_METRICS.FailedRecord, report.failures.length);
  }

  return async function handler(event: unknown, context: Context): Promise<void> {
    logger.addContext(context);
    idempotencyConfig.registerLambdaContext(context);
    try {
      const parsed = S3NotificationEventSchema.safeParse(event);
      if (!parsed.success) {
        count(PROCESSOR_METRICS.InvalidEvent);
        logger.error("Event is not an S3 event notification", {
          issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.code}`),
        });
        throw new EventObjectFailedError("Invalid S3 event notification");
      }

      const mustRetry: string[] = [];
      for (const record of parsed.data.Records) {
        const bucket = record.s3.bucket.name;
        const key = decodeS3Key(record.s3.object.key);
        let report: ObjectReport;
        try {
          report = await processEventObject(await objects.open(bucket, key, record.s3.object.versionId), feedback);
        } catch (error) {
          count(PROCESSOR_METRICS.ObjectReadFailed);
          logger.error("Event object could not be read", { bucket, key, errorName: errorName(error) });
          mustRetry.push(key);
          continue;
        }
        publish(report);
        if (report.badRecordCount > 0) {
          logger.error("Malformed records skipped in event object", {
            bucket,
            key,
            malformedRecords: report.badRecordCount,
            firstMalformed: report.badRecords,
          });
        }
        if (report.invalidAddressCount > 0) {
          // Acknowledged, not retried: no retry can make the address one SES accepts.
          logger.warn("Recipient addresses not accepted by SES; not suppressed", {
            bucket,
            key,
            invalidAddresses: report.invalidAddressCount,
            firstInvalid: report.invalidAddresses,
          });
        }
        if (report.failures.length > 0) {
          logger.error("Suppression failed for some records", { bucket, key, failures: report.failures });
          if (report.failures.some((f) => f.retry)) mustRetry.push(key);
        }
        logger.info("Event object processed", {
          bucket,
          key,
          records: report.records,
          feedbackRecords: report.feedbackEvents,
          ignoredRecords: report.ignoredRecords,
          suppressed: report.suppressed,
          duplicates: report.duplicates,
          ignoredRecipients: report.ignoredRecipients,
          invalidAddresses: report.invalidAddressCount,
          malformedRecords: report.badRecordCount,
          failedRecords: report.failures.length,
        });
      }
      if (mustRetry.length > 0) {
        // After every object and record was attempted: Lambda retries the whole event, which is
        // safe (upserts + idempotency), then sends it to the on-failure destination.
        throw new EventObjectFailedError(`${mustRetry.length} event object(s) need a retry`);
      }
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadProcessorConfig(process.env);
export const handler = createProcessorHandler(config, createProcessorPorts(config), createObservability("pinpoint-event-processing"));
