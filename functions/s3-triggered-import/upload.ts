/**
 * Architecture #3, the Customer Profiles upload (a Step Functions Task): GetUploadJobPath, then a
 * streaming PUT of the validated file to the pre-signed URL with the SSE-C headers its
 * ClientToken requires. The ClientToken is a plaintext data key: it stays inside this function
 * (never in the execution history, never logged). Repeating the PUT replaces the same upload.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { CustomerProfilesClient } from "@aws-sdk/client-customer-profiles";
import { S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import * as z from "zod";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { httpsPut, sourcePort, uploadHeaders, uploadPathPort, type UploadPorts } from "./adapters";
import { loadUploaderConfig, type UploaderConfig } from "./config";
import { UPLOADER_METRICS, WORK_PREFIXES } from "./contract";

export const UploadEventSchema = z.strictObject({
  jobId: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be an upload job id"),
  bucket: z.string().min(1),
  key: z.string().startsWith(WORK_PREFIXES.validated, `must be under ${WORK_PREFIXES.validated}`),
});

export function createUploaderPorts(): UploadPorts {
  return {
    uploadPath: uploadPathPort(new CustomerProfilesClient({ ...sdkClientConfig() })),
    source: sourcePort(new S3Client({ ...sdkClientConfig() })),
    put: httpsPut,
  };
}

export function createUploaderHandler(config: UploaderConfig, ports: UploadPorts, { logger, metrics }: Observability) {
  return async (event: unknown, context?: Context): Promise<{ jobId: string; bytes: number }> => {
    if (context) logger.addContext(context);
    const parsed = UploadEventSchema.safeParse(event);
    if (!parsed.success) throw new Error(`Invalid upload input: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const { jobId, bucket, key } = parsed.data;
    if (bucket !== config.workBucket) throw new Error("the validated file must be in the work bucket");
    const { url, clientToken } = await ports.uploadPath(config.domainName, jobId);
    const { body, length } = await ports.source(bucket, key);
    await ports.put(url, body, length, uploadHeaders(clientToken));
    metrics.addMetric(UPLOADER_METRICS.FileUploaded, MetricUnit.Count, 1);
    metrics.addMetric(UPLOADER_METRICS.BytesUploaded, MetricUnit.Bytes, length);
    metrics.publishStoredMetrics();
    logger.info("Validated file uploaded to the upload job", { jobId, bytes: length });
    return { jobId, bytes: length };
  };
}

const config = loadUploaderConfig(process.env);
export const handler = createUploaderHandler(config, createUploaderPorts(), createObservability("s3-triggered-import-uploader"));
