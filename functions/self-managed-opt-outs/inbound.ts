/**
 * Lambda handler: two-way SMS keywords for self-managed opt-outs (architecture #8).
 *
 * Trigger: the number's two-way SNS topic, subscribed with protocol "lambda" (an async invoke).
 * Event plumbing only: parse the SNS event (shared/runtime/envelopes.ts) and the inbound payload with zod schemas, run each
 * record through processInbound (process.ts) under Powertools idempotency keyed on
 * inboundMessageId, and publish metrics. A record that fails (including a retryable error that
 * outlived the SDK's retries) makes the invocation throw, so Lambda's async retries and the
 * function's on-failure destination apply; nothing is swallowed. SNS delivers one record per
 * invocation; with several, every record is attempted and the first failure is rethrown.
 *
 * Idempotency: Powertools makeIdempotent + DynamoDBPersistenceLayer (key attribute `id`, TTL
 * attribute `expiration`), payload key `message.inboundMessageId`, 24 h. A redelivered message
 * that already completed returns the stored result without side effects. Powertools deletes its
 * record when processing throws, so each step is also safe to repeat (see process.ts).
 */
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PinpointClient } from "@aws-sdk/client-pinpoint";
import { PinpointSMSVoiceV2Client } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { sdkClientConfig, sendClientConfig } from "../shared/runtime/aws-clients";
import { SnsEventSchema } from "../shared/runtime/envelopes";
import { parseInboundSms } from "../shared/sms/inbound-sms";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { SnsEventPublisher } from "../shared/sms/sms-domain-events";
import { DynamoDbPreferenceStore } from "../shared/sms/sms-preferences";
import { sendStepsFromEnv } from "../shared/sending/registry";
import { withSteps } from "../shared/sending/steps";
import { EndUserMessagingSmsSender, PinpointSmsSender } from "../shared/sms/sms-send";
import { DynamoDbStepJournal, OptOutListEnforcer, PinpointEndpointEnforcer } from "./adapters";
import { loadInboundConfig, type InboundConfig } from "./config";
import { INBOUND_METRICS } from "./contract";
import { processInbound, type InboundDeps, type InboundInput, type InboundResult } from "./process";

/** How long a processed inboundMessageId is remembered (covers SNS and Lambda async retries). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export interface InboundPorts extends Omit<InboundDeps, "logger" | "metrics"> {
  persistenceStore: DynamoDBPersistenceLayer;
}

/** Builds the SDK-backed ports. Called once per container, at module scope. */
export function createInboundPorts(config: InboundConfig): InboundPorts {
  const dynamo = new DynamoDBClient({ ...sdkClientConfig() });
  const documents = DynamoDBDocumentClient.from(dynamo);
  // Sends (SendTextMessage, SendMessages, SNS Publish to a standard topic) carry no idempotency
  // token: their clients retry only errors that prove nothing was executed (sendClientConfig).
  // The opt-out list and endpoint calls are upserts and keep the full retry policy.
  const pinpoint = config.target === "pinpoint";
  let enforcer: InboundDeps["enforcer"];
  if (config.mode === "opt-out-list") {
    enforcer = pinpoint
      ? new PinpointEndpointEnforcer(new PinpointClient({ ...sdkClientConfig() }), config.pinpointApplicationId!)
      : new OptOutListEnforcer(new PinpointSMSVoiceV2Client({ ...sdkClientConfig() }), config.optOutListName!);
  }
  return {
    preferences: new DynamoDbPreferenceStore(documents, config.preferenceTableName),
    enforcer,
    events: new SnsEventPublisher(new SNSClient({ ...sendClientConfig() }), config.eventsTopicArn),
    sms: withSteps(
      pinpoint
        ? new PinpointSmsSender(new PinpointClient({ ...sendClientConfig() }), config.pinpointApplicationId!)
        : new EndUserMessagingSmsSender(new PinpointSMSVoiceV2Client({ ...sendClientConfig() })),
      sendStepsFromEnv(process.env, "sms"),
    ),
    journal: new DynamoDbStepJournal(documents, config.idempotencyTableName, IDEMPOTENCY_TTL_SECONDS),
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: config.idempotencyTableName,
      keyAttr: "id",
      expiryAttr: "expiration",
      awsSdkV3Client: dynamo,
    }),
  };
}

export function createInboundHandler(
  config: InboundConfig,
  ports: InboundPorts,
  observability: Observability,
): (event: unknown, context: Context) => Promise<InboundResult[]> {
  const { logger, metrics } = observability;
  const idempotencyConfig = new IdempotencyConfig({
    eventKeyJmesPath: "message.inboundMessageId",
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
    responseHook: (response) => {
      metrics.addMetric(INBOUND_METRICS.DuplicateInboundSkipped, MetricUnit.Count, 1);
      return response;
    },
  });
  const processOnce = makeIdempotent(
    (input: InboundInput): Promise<InboundResult> => processInbound(input, config, { ...ports, logger, metrics }),
    { persistenceStore: ports.persistenceStore, config: idempotencyConfig, keyPrefix: "self-managed-opt-outs" },
  );

  return async (event, context) => {
    logger.addContext(context);
    idempotencyConfig.registerLambdaContext(context);
    try {
      const sns = SnsEventSchema.parse(event);
      const results: InboundResult[] = [];
      let firstError: unknown;
      for (const record of sns.Records) {
        try {
          const message = parseInboundSms(record.Sns.Message);
          results.push(await processOnce({ message, eventAt: Date.parse(record.Sns.Timestamp) }));
        } catch (error) {
          metrics.addMetric(INBOUND_METRICS.InboundFailed, MetricUnit.Count, 1);
          // The error's name only: service messages can echo the phone number.
          logger.error("Inbound SMS failed; the invocation will be retried", { snsMessageId: record.Sns.MessageId, errorName: (error as Error).name });
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

const config = loadInboundConfig(process.env);
export const handler = createInboundHandler(config, createInboundPorts(config), createObservability("self-managed-opt-outs"));
