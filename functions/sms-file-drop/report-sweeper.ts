/**
 * Lambda handler: the file drop's delivery reporter, invoked on a schedule (EventBridge). Publishes
 * each completed file's delivery report once every queued row is final or its deadline passes
 * (report.ts). A run whose files all failed throws, so the invocation counts as an error (alarmed).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { SnsEventPublisher } from "../shared/sms/sms-domain-events";
import { DynamoDbDeliveryStore, DynamoDbReportStateStore } from "./adapters";
import { loadReporterConfig, type ReporterConfig } from "./config";
import { reportOpenFiles, type FileReportResult, type ReportDeps } from "./report";

export type ReporterPorts = Omit<ReportDeps, "logger" | "metrics">;

export function createReporterPorts(config: ReporterConfig): ReporterPorts {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...sdkClientConfig() }));
  const s3 = new S3Client({ ...sdkClientConfig() });
  return {
    files: new DynamoDbReportStateStore(documents, config.checkpointTableName),
    rows: new DynamoDbDeliveryStore(documents, config.outcomeTableName),
    putReport: async (bucket, key, json) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: json, ContentType: "application/json" }));
    },
    events: new SnsEventPublisher(new SNSClient({ ...sdkClientConfig() }), config.eventsTopicArn),
    now: () => Date.now(),
  };
}

export function createReporterHandler(config: ReporterConfig, ports: ReporterPorts, observability: Observability): (event: unknown, context: Context) => Promise<{ results: FileReportResult[]; failed: number }> {
  const { logger, metrics } = observability;
  return async (_event, context) => {
    logger.addContext(context);
    try {
      const outcome = await reportOpenFiles(config, { ...ports, logger, metrics });
      if (outcome.failed > 0 && outcome.results.length === 0) throw new Error(`Every delivery report of this run failed (${outcome.failed})`);
      return outcome;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadReporterConfig(process.env);
export const handler = createReporterHandler(config, createReporterPorts(config), createObservability("sms-file-drop-delivery-reporter"));
