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
 * Dead-lettering is decided here, by attempts of the message itself, not by SQS receives. SQS
 * counts a receive for every record in a batch, and with skipGroupOnError the records behind a
 * failing head are received (and counted) without being attempted: with SQS's maxReceiveCount
 * they reached the DLQ together with the head, never tried. So, when DEAD_LETTER_QUEUE_URL is set:
 * - a record whose send failed retryably on its MAX_ATTEMPTS-th attempt (claims counted in the
 *   outcome table) is moved to the DLQ by the handler and acknowledged, and the rest of its group
 *   carries on in the same invocation, in order;
 * - a malformed body can never succeed: it is moved at once;
 * - SQS's redrive stays as a backstop for what the handler cannot count (the outcome table
 *   unreachable, invocations dying before the claim), with maxReceiveCount = MAX_ATTEMPTS ×
 *   batch size (redriveMaxReceiveCount), which no message reaches before its own MAX_ATTEMPTS.
 * Moves use the record's group and its message id as the deduplication id; if a move fails, the
 * record fails as before (nothing is lost).
 * Rejected alternatives: re-enqueueing skipped records resets their receive count but puts them
 * behind the rest of their group (FIFO order lost); changing their visibility does not reset it.
 *
 * Idempotency: DynamoDB conditional writes on the outcome table (rowId), not Powertools
 * idempotency, because the record's outcome IS the idempotency record and other systems read it.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from "@aws-lambda-powertools/batch";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PinpointClient } from "@aws-sdk/client-pinpoint";
import { PinpointSMSVoiceV2Client } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse, SQSRecord } from "aws-lambda";
import * as z from "zod";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { DynamoDbPreferenceStore, type PreferenceRecord } from "../shared/sms/sms-preferences";
import { sendStepsFromEnv } from "../shared/sending/registry";
import { withSteps } from "../shared/sending/steps";
import { EndUserMessagingSmsSender, PinpointSmsSender } from "../shared/sms/sms-send";
import { AdaptiveLimiter } from "../shared/rate/adaptive-limiter";
import { DynamoDbRateStore } from "../shared/rate/rate-store";
import { limiterClientConfig } from "../shared/rate/sdk";
import { DynamoDbOutcomeStore, SqsDeadLetterSink, type DeadLetterSink } from "./adapters";
import { loadSenderConfig, type SenderConfig } from "./config";
import { SENDER_METRICS } from "./contract";
import { checkedBySplitter, parseQueuedMessage, type QueuedSms } from "./message";
import { RetryableSendError, sendQueuedMessage, type SendDeps } from "./send-record";

/** Added to the invocation's deadline to form a claim's lease (clock skew between containers). */
export const LEASE_MARGIN_MS = 5_000;
/**
 * No rate wait may end later than this before the invocation's deadline (at most a quarter of the
 * time left): the send call (its SDK timeout and no-connection retries) and the outcome write must
 * still fit.
 */
export const SEND_DEADLINE_MARGIN_MS = 10_000;

/**
 * The sender's limiter: one per container, the learned rate shared per identity through the rate
 * table. sharesPerKey 1: the FIFO message group is the identity, so one invocation at a time sends
 * for an identity, whatever the event source's maximum concurrency (the component keeps that
 * concurrency to the number of identities, so no invocation waits for a group it cannot get).
 */
export function createSenderLimiter(config: Pick<SenderConfig, "identityRates" | "rateTableName">, documents?: DynamoDBDocumentClient): AdaptiveLimiter {
  return new AdaptiveLimiter({
    namespace: "sms",
    ceilings: config.identityRates,
    store: config.rateTableName !== undefined && documents !== undefined ? new DynamoDbRateStore(documents, config.rateTableName) : undefined,
    sharesPerKey: 1,
  });
}

const SqsEventSchema = z.object({
  Records: z.array(z.looseObject({ messageId: z.string(), body: z.string(), attributes: z.looseObject({}) })).min(1),
});

export type SenderPorts = Omit<SendDeps, "logger" | "metrics"> & { deadLetters?: DeadLetterSink };

/** Builds the SDK-backed ports and the per-identity adaptive limiter. Called once per container. */
export function createSenderPorts(config: SenderConfig): SenderPorts {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...sdkClientConfig() }));
  return {
    outcomes: new DynamoDbOutcomeStore(documents, config.outcomeTableName, config.outcomeTtlSeconds),
    preferences: config.preferenceTableName ? new DynamoDbPreferenceStore(documents, config.preferenceTableName) : undefined,
    sms: withSteps(
      config.target === "pinpoint"
        ? new PinpointSmsSender(new PinpointClient({ ...limiterClientConfig() }), config.pinpointApplicationId!)
        : // Throttles surface at once, for the limiter to learn from (functions/shared/rate/sdk.ts).
          new EndUserMessagingSmsSender(new PinpointSMSVoiceV2Client({ ...limiterClientConfig() })),
      sendStepsFromEnv(process.env, "sms"),
    ),
    buckets: createSenderLimiter(config, documents),
    deadLetters: config.deadLetterQueueUrl ? new SqsDeadLetterSink(new SQSClient({ ...sdkClientConfig() }), config.deadLetterQueueUrl) : undefined,
  };
}

/**
 * One BatchGetItem for the TRANSACTIONAL rows' numbers of the batch that the splitter has not
 * checked recently (checkedBySplitter), for the permanent-failure check (instead of a GetItem per
 * row). None when every such row was checked. A failure falls back to per-row reads.
 */
async function prefetchPreferences(
  records: ReadonlyArray<{ body: string }>,
  config: SenderConfig,
  ports: SenderPorts,
  logger: Observability["logger"],
): Promise<Map<string, PreferenceRecord | null> | undefined> {
  if (!config.skipPermanentFailures || ports.preferences?.getMany === undefined) return undefined;
  const numbers = new Set<string>();
  for (const record of records) {
    try {
      const message = parseQueuedMessage(record.body);
      if (message.messageType === "TRANSACTIONAL" && !checkedBySplitter(message, Date.now())) numbers.add(message.destination);
    } catch {
      // Malformed: the record handler moves it to the DLQ.
    }
  }
  if (numbers.size === 0) return undefined;
  try {
    const found = await ports.preferences.getMany([...numbers]);
    return new Map([...numbers].map((n) => [n, found.get(n) ?? null]));
  } catch (error) {
    logger.warn("Preference prefetch failed; reading per row", { errorName: (error as Error).name });
    return undefined;
  }
}

export function createSenderHandler(
  config: SenderConfig,
  ports: SenderPorts,
  observability: Observability,
): (event: unknown, context: Context) => Promise<SQSBatchResponse> {
  const { logger, metrics } = observability;
  const processor = new SqsFifoPartialProcessorAsync();
  return async (event, context) => {
    logger.addContext(context);
    try {
      const sqsEvent = SqsEventSchema.parse(event);
      const remaining = context.getRemainingTimeInMillis();
      const deadline = Date.now() + remaining;
      const leaseUntil = deadline + LEASE_MARGIN_MS;
      const sendDeadline = deadline - Math.min(SEND_DEADLINE_MARGIN_MS, remaining / 4);
      const prefetchedPreferences = await prefetchPreferences(sqsEvent.Records, config, ports, logger);
      const recordHandler = async (record: SQSRecord): Promise<string> => {
        let message: QueuedSms;
        try {
          message = parseQueuedMessage(record.body);
        } catch (error) {
          metrics.addMetric(SENDER_METRICS.MalformedMessage, MetricUnit.Count, 1);
          if (ports.deadLetters === undefined) {
            logger.error("Malformed queued message; failing it so it reaches the DLQ", { messageId: record.messageId, errorName: (error as Error).name });
            throw error;
          }
          await ports.deadLetters.send(record, "MalformedMessage");
          logger.error("Malformed queued message moved to the DLQ", { messageId: record.messageId, errorName: (error as Error).name });
          return "MOVED_TO_DLQ";
        }
        try {
          return await sendQueuedMessage(message, { leaseUntil, sendDeadline }, config, { ...ports, prefetchedPreferences, logger, metrics });
        } catch (error) {
          if (!(error instanceof RetryableSendError && error.exhausted && ports.deadLetters !== undefined)) throw error;
          await ports.deadLetters.send(record, "MaxAttemptsExceeded");
          metrics.addMetric(SENDER_METRICS.MovedToDeadLetterQueue, MetricUnit.Count, 1);
          logger.error("Message failed on its last attempt; moved to the DLQ", { messageId: record.messageId, rowId: message.rowId, maxAttempts: config.maxAttempts, errorName: error.message });
          return "MOVED_TO_DLQ";
        }
      };
      const response = await processPartialResponse(sqsEvent as unknown as { Records: SQSRecord[] }, recordHandler, processor, {
        context,
        skipGroupOnError: true,
        throwOnFullBatchFailure: false,
      });
      const failures = response.batchItemFailures.length;
      if (failures > 0) metrics.addMetric(SENDER_METRICS.BatchItemFailures, MetricUnit.Count, failures);
      return response;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadSenderConfig(process.env);
export const handler = createSenderHandler(config, createSenderPorts(config), createObservability("sms-file-drop-sender"));
