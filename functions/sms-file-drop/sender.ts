/**
 * Lambda handler: sends the queued SMS messages (architecture #9), SQS FIFO event source
 * (batch ≤ 10, ReportBatchItemFailures).
 *
 * Event plumbing only: each record's body is parsed with the QueuedSmsSchema (zod) and sent by
 * sendQueuedMessage (send-record.ts) with its OWN origination identity and message type (the 2020
 * original used the first record's for the whole batch).
 *
 * FIFO semantics: Powertools SqsFifoPartialProcessorAsync with `skipGroupOnError: true`. Records
 * are processed in order; when one fails (throttled, transient error, malformed body), it and every
 * LATER record of the same message group (= origination identity) are reported as batch item
 * failures without being attempted, while other groups in the batch carry on. That is exactly the
 * ordering FIFO requires: nothing in a group overtakes a message that will be redelivered.
 * Non-retryable send errors do not fail the record: they are recorded in the outcome table.
 * `throwOnFullBatchFailure: false` so an all-throttled batch is reported as item failures rather
 * than as a function error.
 *
 * A malformed body fails its record, so it reaches the queue's DLQ after maxReceiveCount receives
 * instead of being deleted.
 *
 * Idempotency: DynamoDB conditional writes on the outcome table (rowId), not Powertools
 * idempotency, because the record's outcome IS the idempotency record and other systems read it.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PinpointClient } from "@aws-sdk/client-pinpoint";
import { PinpointSMSVoiceV2Client } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse, SQSRecord } from "aws-lambda";
import * as z from "zod";
import { sdkClientConfig } from "../shared/aws-clients";
import { createObservability } from "../shared/observability";
import { DynamoDbPreferenceStore } from "../shared/sms-preferences";
import { EndUserMessagingSmsSender, PinpointSmsSender } from "../shared/sms-send";
import { TokenBucketRegistry } from "../shared/token-bucket";
import { DynamoDbOutcomeStore } from "./adapters";
import { loadSenderConfig, type SenderConfig } from "./config";
import { QueuedSmsSchema, type QueuedSms } from "./message";
import { sendQueuedMessage, type SendDeps } from "./send-record";

/** Added to the invocation's deadline to form a claim's lease (clock skew between containers). */
export const LEASE_MARGIN_MS = 5_000;

const SqsEventSchema = z.object({
  Records: z.array(z.looseObject({ messageId: z.string(), body: z.string(), attributes: z.looseObject({}) })).min(1),
});

export class MalformedMessageError extends Error {
  constructor(detail: string) {
    super(`Queued message is malformed: ${detail}`);
    this.name = "MalformedMessageError";
  }
}

export function parseQueuedMessage(body: string): QueuedSms {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedMessageError("body is not JSON");
  }
  const result = QueuedSmsSchema.safeParse(json);
  if (!result.success) {
    throw new MalformedMessageError(result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "));
  }
  return result.data;
}

export type SenderPorts = Omit<SendDeps, "logger" | "metrics">;

/** Builds the SDK-backed ports and the per-identity token buckets. Called once per container. */
export function createSenderPorts(config: SenderConfig): SenderPorts {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...sdkClientConfig() }));
  return {
    outcomes: new DynamoDbOutcomeStore(documents, config.outcomeTableName, config.outcomeTtlSeconds),
    preferences: config.preferenceTableName ? new DynamoDbPreferenceStore(documents, config.preferenceTableName) : undefined,
    sms:
      config.target === "pinpoint"
        ? new PinpointSmsSender(new PinpointClient({ ...sdkClientConfig() }), config.pinpointApplicationId!)
        : new EndUserMessagingSmsSender(new PinpointSMSVoiceV2Client({ ...sdkClientConfig() })),
    buckets: new TokenBucketRegistry(config.identityRates),
  };
}

export function createSenderHandler(
  config: SenderConfig,
  ports: SenderPorts,
  observability: { logger: Logger; metrics: Metrics },
): (event: unknown, context: Context) => Promise<SQSBatchResponse> {
  const { logger, metrics } = observability;
  const processor = new SqsFifoPartialProcessorAsync();
  return async (event, context) => {
    logger.addContext(context);
    try {
      const sqsEvent = SqsEventSchema.parse(event);
      const leaseUntil = Date.now() + context.getRemainingTimeInMillis() + LEASE_MARGIN_MS;
      const recordHandler = async (record: SQSRecord): Promise<string> => {
        let message: QueuedSms;
        try {
          message = parseQueuedMessage(record.body);
        } catch (error) {
          metrics.addMetric("MalformedMessage", MetricUnit.Count, 1);
          logger.error("Malformed queued message; failing it so it reaches the DLQ", { messageId: record.messageId, error });
          throw error;
        }
        return sendQueuedMessage(message, { leaseUntil }, config, { ...ports, logger, metrics });
      };
      const response = await processPartialResponse(sqsEvent as unknown as { Records: SQSRecord[] }, recordHandler, processor, {
        context,
        skipGroupOnError: true,
        throwOnFullBatchFailure: false,
      });
      const failures = response.batchItemFailures.length;
      if (failures > 0) metrics.addMetric("BatchItemFailures", MetricUnit.Count, failures);
      return response;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadSenderConfig(process.env);
const observability = createObservability("sms-file-drop-sender");

export const handler = createSenderHandler(config, createSenderPorts(config), observability);
