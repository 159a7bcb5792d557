/**
 * Architecture #3, the starter: an EventBridge "Object Created" event → one StartExecution,
 * named after bucket, key and ETag (execution-name.ts), so a duplicate event is a no-op
 * (ExecutionAlreadyExists counts as success).
 *
 * Whether EventBridge URL-encodes the key is not documented: the key is tried as delivered, then
 * decoded (HeadObject), and the one that exists is imported. An object gone or overwritten since
 * its event is skipped (its newer version has an event of its own). Any other error is thrown:
 * the async invoke is retried, then lands in the on-failure queue (alarmed), never dropped.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { S3Client } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import type { Context } from "aws-lambda";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { keyCandidates, ObjectCreatedEventSchema, stripEtagQuotes } from "../shared/runtime/s3-object-event";
import { objectExists, startExecution, type StartResult } from "./adapters";
import { loadStarterConfig, type StarterConfig } from "./config";
import { STARTER_METRICS } from "./contract";
import { executionName } from "./execution-name";

export interface StarterPorts {
  exists(bucket: string, key: string): ReturnType<typeof objectExists>;
  start(name: string, input: unknown): Promise<StartResult>;
}

export function createStarterPorts(config: StarterConfig): StarterPorts {
  const s3 = new S3Client({ ...sdkClientConfig() });
  const sfn = new SFNClient({ ...sdkClientConfig() });
  return {
    exists: (bucket, key) => objectExists(s3, bucket, key),
    start: (name, input) => startExecution(sfn, config.stateMachineArn, name, input),
  };
}

/** The execution's input: the object version to import. */
export interface ImportInput {
  bucket: string;
  key: string;
  etag: string;
  versionId: string | null;
  size: number | null;
}

export type StarterOutcome = { status: "started" | "already-exists"; executionName: string } | { status: "skipped"; reason: "missing" | "superseded" };

export function createStarterHandler(config: StarterConfig, ports: StarterPorts, { logger, metrics }: Observability) {
  return async (event: unknown, context?: Context): Promise<StarterOutcome> => {
    if (context) logger.addContext(context);
    const parsed = ObjectCreatedEventSchema.safeParse(event);
    if (!parsed.success) {
      logger.error("Not an S3 Object Created event", { issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`) });
      throw new Error("Not an S3 Object Created event");
    }
    const { bucket, object } = parsed.data.detail;
    try {
      for (const [i, key] of keyCandidates(object.key).entries()) {
        const head = await ports.exists(bucket.name, key);
        if (!head.exists) continue;
        if (i > 0) metrics.addMetric(STARTER_METRICS.KeyDecoded, MetricUnit.Count, 1);
        const eventEtag = object.etag === undefined ? undefined : stripEtagQuotes(object.etag);
        if (eventEtag !== undefined && head.etag !== undefined && head.etag !== eventEtag) {
          metrics.addMetric(STARTER_METRICS.ObjectMissing, MetricUnit.Count, 1);
          logger.info("Object overwritten since its event; its new version has its own event", { bucket: bucket.name, keyDecoded: i > 0 });
          return { status: "skipped", reason: "superseded" };
        }
        const etag = eventEtag ?? head.etag ?? "";
        const name = executionName(bucket.name, key, etag);
        const input: ImportInput = { bucket: bucket.name, key, etag, versionId: object["version-id"] ?? head.versionId ?? null, size: object.size ?? null };
        const status = await ports.start(name, input);
        metrics.addMetric(status === "started" ? STARTER_METRICS.ExecutionStarted : STARTER_METRICS.DuplicateEvent, MetricUnit.Count, 1);
        logger.info("Import execution", { status, executionName: name, keyDecoded: i > 0, underPrefix: key.startsWith(config.keyPrefix) });
        return { status, executionName: name };
      }
      metrics.addMetric(STARTER_METRICS.ObjectMissing, MetricUnit.Count, 1);
      logger.info("Object not found under its key, as delivered or decoded; nothing to import", { bucket: bucket.name });
      return { status: "skipped", reason: "missing" };
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadStarterConfig(process.env);
export const handler = createStarterHandler(config, createStarterPorts(config), createObservability("s3-triggered-import-starter"));
