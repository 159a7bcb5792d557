/**
 * Lambda handler: End User Messaging SMS delivery events for the file drop's configuration set
 * (event destination → encrypted SNS topic → SQS → this). Standard SQS batch with partial batch
 * failures; a record that fails (a malformed body, a DynamoDB error) is retried and, after the
 * queue's maxReceiveCount, dead-lettered. The logic is in delivery.ts.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse, SQSRecord } from "aws-lambda";
import * as z from "zod";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { deliveryEventFromBody, type SmsDeliveryEvent } from "../shared/sms/sms-delivery-events";
import { DynamoDbPreferenceStore } from "../shared/sms/sms-preferences";
import { DynamoDbDeliveryStore } from "./adapters";
import { loadDeliveryConfig, type DeliveryConfig } from "./config";
import { DELIVERY_METRICS } from "./contract";
import { applyDeliveryEvent, type DeliveryDeps } from "./delivery";

const SqsEventSchema = z.object({
  Records: z.array(z.looseObject({ messageId: z.string(), body: z.string() })).min(1),
});

export type DeliveryPorts = Omit<DeliveryDeps, "logger" | "metrics">;

export function createDeliveryPorts(config: DeliveryConfig): DeliveryPorts {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...sdkClientConfig() }));
  return {
    deliveries: new DynamoDbDeliveryStore(documents, config.outcomeTableName),
    failures: config.preferenceTableName !== undefined ? new DynamoDbPreferenceStore(documents, config.preferenceTableName) : undefined,
  };
}

export function createDeliveryHandler(config: DeliveryConfig, ports: DeliveryPorts, observability: Observability): (event: unknown, context: Context) => Promise<SQSBatchResponse> {
  const { logger, metrics } = observability;
  const processor = new BatchProcessor(EventType.SQS);
  return async (event, context) => {
    logger.addContext(context);
    try {
      const sqsEvent = SqsEventSchema.parse(event);
      const recordHandler = async (record: SQSRecord): Promise<string> => {
        let delivery: SmsDeliveryEvent;
        try {
          delivery = deliveryEventFromBody(record.body);
        } catch (error) {
          metrics.addMetric(DELIVERY_METRICS.MalformedDeliveryEvent, MetricUnit.Count, 1);
          logger.error("Malformed delivery event; it will reach the DLQ", { messageId: record.messageId, errorName: (error as Error).name });
          throw error;
        }
        const result = await applyDeliveryEvent(delivery, config, { ...ports, logger, metrics });
        return result.row;
      };
      return await processPartialResponse(sqsEvent as unknown as { Records: SQSRecord[] }, recordHandler, processor, { context, throwOnFullBatchFailure: false });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadDeliveryConfig(process.env);
export const handler = createDeliveryHandler(config, createDeliveryPorts(config), createObservability("sms-file-drop-delivery-events"));
