/**
 * Lambda handler, #6 (both targets): erases one person's archive. Invoked directly (synchronously)
 * by an operator or a data-subject-request workflow:
 *
 *   aws lambda invoke --function-name <eraseFunctionName> \
 *     --cli-binary-format raw-in-base64-out \
 *     --payload '{"emails":["jane@example.com"],"phones":["+14155550123"],"dryRun":true}' report.json
 *
 * The payload names the person (emails, phones, endpointIds, recipientIds; see erasure.ts); the
 * result is the report (status ERASED, NOTHING_FOUND, DRY_RUN, REFUSED or INCOMPLETE, what was
 * deleted, what is locked). A REFUSED or INCOMPLETE erasure is returned, not thrown, so the caller
 * gets the report; both are counted (ErasureRefused, ErasureIncomplete) and alarmed. Logs carry the
 * recipient prefixes (pseudonymous), never the addresses.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import * as z from "zod";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { S3ErasureStore } from "./adapters";
import { loadEraserConfig, type ArchiveBucketConfig } from "./config";
import { ERASER_METRICS } from "./contract";
import { eraseRecipient, type ErasureReport, type ErasureStore } from "./erasure";

export const ErasureRequestSchema = z.strictObject({
  emails: z.array(z.string().min(3)).optional(),
  phones: z.array(z.string().min(3)).optional(),
  endpointIds: z.array(z.string().min(1)).optional(),
  recipientIds: z.array(z.string()).optional(),
  dryRun: z.boolean().optional(),
});

export interface EraserPorts {
  store: ErasureStore;
  clock?: () => Date;
}

export function createEraserPorts(_config: ArchiveBucketConfig): EraserPorts {
  return { store: new S3ErasureStore(new S3Client({ ...sdkClientConfig() })) };
}

export function createEraserHandler(config: ArchiveBucketConfig, ports: EraserPorts, observability: Observability): (event: unknown, context: Context) => Promise<ErasureReport> {
  const { logger, metrics } = observability;
  return async (event, context) => {
    logger.addContext(context);
    try {
      const parsed = ErasureRequestSchema.safeParse(event);
      if (!parsed.success) throw new Error(`invalid erasure request: ${parsed.error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`).join("; ")}`);
      const request = parsed.data;
      const report = await eraseRecipient(ports.store, config.bucketName, config.prefix, request, (ports.clock ?? (() => new Date()))());
      metrics.addMetric(ERASER_METRICS.VersionsDeleted, MetricUnit.Count, report.status === "DRY_RUN" ? 0 : report.deleted.filter((d) => !d.deleteMarker).length);
      metrics.addMetric(ERASER_METRICS.DeleteMarkersDeleted, MetricUnit.Count, report.status === "DRY_RUN" ? 0 : report.deleted.filter((d) => d.deleteMarker).length);
      metrics.addMetric(ERASER_METRICS.ErasureRefused, MetricUnit.Count, report.status === "REFUSED" ? 1 : 0);
      metrics.addMetric(ERASER_METRICS.ErasureIncomplete, MetricUnit.Count, report.status === "INCOMPLETE" ? 1 : 0);
      const log = report.status === "ERASED" || report.status === "NOTHING_FOUND" || report.status === "DRY_RUN" ? logger.info.bind(logger) : logger.error.bind(logger);
      log("Erasure request handled", { status: report.status, prefixes: report.prefixes, deleted: report.deleted.length, locked: report.locked.length, errors: report.errors.length, remaining: report.remaining });
      return report;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadEraserConfig(process.env);
export const handler = createEraserHandler(config, createEraserPorts(config), createObservability("message-archiver-eraser"));
