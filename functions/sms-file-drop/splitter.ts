/**
 * Lambda handler: splits a CSV dropped in the bucket into SQS FIFO messages (architecture #9).
 *
 * Trigger: an async invoke from either an S3 bucket notification (ObjectCreated, prefix + ".csv"
 * suffix filter) or an EventBridge rule on "Object Created" (for a bucket we do not own, so its
 * other notifications are left alone). Both shapes are accepted (s3-event.ts).
 *
 * Event plumbing only: parse the event, run splitFile (split-file.ts) for each object, publish
 * metrics. A file that fails (enqueue failure after bounded retries, S3 or DynamoDB errors after
 * the SDK's retries, the time budget) makes the invocation throw, so Lambda's async retries resume
 * it from its checkpoint and the on-failure destination receives it if they run out.
 *
 * Idempotency: DynamoDB conditional writes on the checkpoint item (fileId = bucket/key/etag) rather
 * than Powertools idempotency: the work is resumable, not all-or-nothing, so a retry must see how
 * far the last attempt got instead of replaying or skipping the whole file. The FIFO
 * de-duplication id (sha256 of bucket, key, etag, row) covers rows re-sent around a resume.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { SqsDialQueue } from "../shared/voice/dial-queue";
import { routeVoiceEntries } from "../shared/voice/router";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { SnsEventPublisher } from "../shared/sms/sms-domain-events";
import { DynamoDbPreferenceStore } from "../shared/sms/sms-preferences";
import { DynamoDbCheckpointStore, S3ObjectStore, SqsFifoQueue } from "./adapters";
import { loadSplitterConfig, type SplitterConfig } from "./config";
import { SPLITTER_METRICS } from "./contract";
import { parseObjectCreatedEvent } from "./s3-event";
import { splitFile, type SplitDeps, type SplitResult } from "./split-file";

export type SplitterPorts = Omit<SplitDeps, "logger" | "metrics" | "remainingMs">;

/** Builds the SDK-backed ports. Called once per container, at module scope. */
export function createSplitterPorts(config: SplitterConfig): SplitterPorts {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...sdkClientConfig() }));
  return {
    objects: new S3ObjectStore(new S3Client({ ...sdkClientConfig() })),
    queue: routeVoiceEntries(
      new SqsFifoQueue(new SQSClient({ ...sdkClientConfig() }), config.queueUrl),
      config.voiceQueueUrl === undefined ? undefined : new SqsDialQueue(new SQSClient({ ...sdkClientConfig() }), config.voiceQueueUrl),
    ),
    checkpoints: new DynamoDbCheckpointStore(documents, config.checkpointTableName, config.checkpointTtlSeconds),
    events: new SnsEventPublisher(new SNSClient({ ...sdkClientConfig() }), config.eventsTopicArn),
    // The permanent-failure check (split-file.ts): one BatchGetItem per 100 TRANSACTIONAL numbers.
    preferences: config.preferenceTableName === undefined ? undefined : new DynamoDbPreferenceStore(documents, config.preferenceTableName),
  };
}

export function createSplitterHandler(
  config: SplitterConfig,
  ports: SplitterPorts,
  observability: Observability,
): (event: unknown, context: Context) => Promise<SplitResult[]> {
  const { logger, metrics } = observability;
  return async (event, context) => {
    logger.addContext(context);
    try {
      const objects = parseObjectCreatedEvent(event);
      const results: SplitResult[] = [];
      let firstError: unknown;
      for (const ref of objects) {
        try {
          results.push(await splitFile(ref, config, { ...ports, logger, metrics, remainingMs: () => context.getRemainingTimeInMillis() }));
        } catch (error) {
          metrics.addMetric(SPLITTER_METRICS.FileFailed, MetricUnit.Count, 1);
          logger.error("File failed; the invocation will be retried", { bucket: ref.bucket, key: ref.key, error });
          firstError ??= error;
        }
      }
      if (firstError !== undefined) throw firstError;
      return results;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadSplitterConfig(process.env);
export const handler = createSplitterHandler(config, createSplitterPorts(config), createObservability("sms-file-drop-splitter"));
