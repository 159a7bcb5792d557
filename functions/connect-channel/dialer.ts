/**
 * Lambda handler: places the queued calls of #13 (SQS standard queue, batch ≤ 10,
 * ReportBatchItemFailures, bounded maximum concurrency on the mapping).
 *
 * Event plumbing only: each record's body is parsed as a DialRequest (functions/shared/voice) and
 * placed by dialQueuedCall (dial.ts), at most `DIAL_CONCURRENCY` at once in an invocation, all of
 * them under the shared adaptive limiter (functions/shared/rate) whose ceiling is CALLS_PER_SECOND
 * and whose share per invocation is CALLS_PER_SECOND / LIMITER_SHARES (the mapping's maximum
 * concurrency), so the invocations together stay under the account's API rate.
 *
 * Per record:
 * - a malformed body fails the record (logged, counted) and reaches the DLQ by redrive;
 * - DEFERRED (capacity, or no permit before the deadline): the body goes back on the queue with a
 *   delay and the record succeeds, so waiting never counts towards maxReceiveCount; if that
 *   SendMessage fails the record fails instead (nothing is lost);
 * - RetryDialError (throttled, busy, configuration, unknown at-least-once) fails the record;
 * - every other result is final and recorded in the outcome table.
 * `throwOnFullBatchFailure: false`: an all-throttled batch is reported as item failures.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { ConnectClient } from "@aws-sdk/client-connect";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse, SQSRecord } from "aws-lambda";
import * as z from "zod";
import { AdaptiveLimiter, DynamoDbRateStore } from "../shared/rate";
import { limiterClientConfig } from "../shared/rate/sdk";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { sendStepsFromEnv } from "../shared/sending/registry";
import { withSteps } from "../shared/sending/steps";
import { realSleep } from "../shared/sms/token-bucket";
import { parseDialRequest, type DialRequest } from "../shared/voice/dial-request";
import { ConnectVoiceSender } from "../shared/voice/voice-send";
import { SqsDeferralQueue, type DeferralQueue } from "./adapters";
import { loadDialerConfig, type DialerConfig } from "./config";
import { DIALER_METRICS } from "./contract";
import { DEFAULT_DIAL_SETTINGS, dialQueuedCall, Semaphore, type DialDeps, type DialSettings } from "./dial";
import { DynamoDbDialOutcomeStore } from "./outcome-store";

/** Added to the invocation's deadline to form a claim's lease (clock skew between containers). */
export const LEASE_MARGIN_MS = 5_000;
/** Permits are not awaited past the deadline minus this: time left for the call and the writes. */
export const DEADLINE_MARGIN_MS = 10_000;

const SqsEventSchema = z.object({
  Records: z.array(z.looseObject({ messageId: z.string(), body: z.string() })).min(1),
});

export type DialerPorts = Omit<DialDeps, "logger" | "metrics" | "limiterKey"> & { deferrals: DeferralQueue };

/** SDK clients, the limiter and the adapters, once per container. */
export function createDialerPorts(config: DialerConfig): DialerPorts {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...sdkClientConfig() }));
  const connect = new ConnectClient({ ...limiterClientConfig() });
  return {
    outcomes: new DynamoDbDialOutcomeStore(documents, config.outcomeTableName),
    voice: withSteps(
      new ConnectVoiceSender(connect, {
        instanceId: config.instanceId,
        contactFlowId: config.contactFlowId,
        queueId: config.queueId,
        sourcePhoneNumber: config.sourcePhoneNumber,
        ringTimeoutSeconds: config.ringTimeoutSeconds,
      }),
      sendStepsFromEnv(process.env, "voice"),
    ),
    limiter: new AdaptiveLimiter({
      namespace: "connect",
      ceilings: new Map([[config.instanceId, config.callsPerSecond]]),
      store: new DynamoDbRateStore(documents, config.rateTableName),
      sharesPerKey: config.limiterShares,
    }),
    deferrals: new SqsDeferralQueue(new SQSClient({ ...sdkClientConfig() }), config.dialerQueueUrl),
    clock: Date.now,
    sleep: realSleep,
  };
}

export function dialSettingsFor(config: DialerConfig): DialSettings {
  return {
    ...DEFAULT_DIAL_SETTINGS,
    sendGuarantee: config.sendGuarantee,
    capacityWaitMs: config.capacityWaitMs,
    capacityRetryDelaySeconds: config.capacityRetryDelaySeconds,
  };
}

export function createDialerHandler(
  config: DialerConfig,
  ports: DialerPorts,
  observability: Observability,
): (event: unknown, context: Context) => Promise<SQSBatchResponse> {
  const { logger, metrics } = observability;
  const processor = new BatchProcessor(EventType.SQS);
  const settings = dialSettingsFor(config);
  return async (event, context) => {
    logger.addContext(context);
    try {
      const sqsEvent = SqsEventSchema.parse(event);
      const started = ports.clock();
      const remaining = context.getRemainingTimeInMillis();
      const timing = { deadline: started + remaining - DEADLINE_MARGIN_MS, leaseUntil: started + remaining + LEASE_MARGIN_MS };
      const slots = new Semaphore(config.dialConcurrency);
      const recordHandler = async (record: SQSRecord): Promise<string> => {
        let request: DialRequest;
        try {
          request = parseDialRequest(record.body);
        } catch (error) {
          metrics.addMetric(DIALER_METRICS.MalformedRequest, MetricUnit.Count, 1);
          logger.error("Malformed dial request; failing it so it reaches the DLQ", { messageId: record.messageId, errorMessage: (error as Error).message });
          throw error;
        }
        const result = await slots.run(() => dialQueuedCall(request, timing, settings, { ...ports, limiterKey: config.instanceId, logger, metrics }));
        if (result.status === "DEFERRED") await ports.deferrals.defer(record.body, result.delaySeconds, result.reason);
        return result.status;
      };
      const response = await processPartialResponse(sqsEvent as unknown as { Records: SQSRecord[] }, recordHandler, processor, {
        context,
        throwOnFullBatchFailure: false,
      });
      const failures = response.batchItemFailures.length;
      if (failures > 0) metrics.addMetric(DIALER_METRICS.BatchItemFailures, MetricUnit.Count, failures);
      return response;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadDialerConfig(process.env);
export const handler = createDialerHandler(config, createDialerPorts(config), createObservability("connect-channel-dialer"));
