/**
 * Architecture #3, the validation stage (a Step Functions Task): streams the dropped file,
 * validates phone numbers (PhoneNumberValidate, each distinct number once, bounded concurrency,
 * throttling retried), and writes the target's import file, the follow-up send file and the error
 * report to the work bucket. The logic is in validate-file.ts; this file is the plumbing.
 *
 * Its result is the Task's output: counts, the files written, the first invalid rows (row,
 * column, reason; never a phone number or address) and, for Customer Profiles, the upload job's
 * field mapping and unique key. A file that changed since its event fails with ObjectChanged.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { PinpointClient } from "@aws-sdk/client-pinpoint";
import { S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import * as z from "zod";
import { DEFAULT_THROTTLE_RETRY, type ThrottleRetry } from "../shared/profiles/concurrency";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { openObject, PinpointPhoneValidator, workBucketWriter } from "./adapters";
import { loadValidatorConfig, type ValidatorConfig } from "./config";
import { VALIDATOR_METRICS } from "./contract";
import { PhoneValidationCache, type PhoneNumberValidatePort } from "./phone-validation";
import { validateFile, type ValidateDeps, type ValidationSummary } from "./validate-file";

export const ValidateEventSchema = z.strictObject({
  bucket: z.string().min(1),
  key: z.string().min(1),
  etag: z.string().nullable(),
  versionId: z.string().nullable(),
  executionName: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, "must be a Step Functions execution name"),
});
export type ValidateEvent = z.infer<typeof ValidateEventSchema>;

export interface ValidatorPorts {
  open(event: ValidateEvent): ReturnType<ValidateDeps["open"]>;
  writer: ValidateDeps["writer"];
  phoneValidator: PhoneNumberValidatePort;
  retry: ThrottleRetry;
}

export function createValidatorPorts(config: ValidatorConfig): ValidatorPorts {
  const s3 = new S3Client({ ...sdkClientConfig() });
  const pinpoint = new PinpointClient({ ...sdkClientConfig() });
  return {
    open: (event) => openObject(s3, event),
    writer: workBucketWriter(s3, config.workBucket),
    phoneValidator: new PinpointPhoneValidator(pinpoint),
    retry: { ...DEFAULT_THROTTLE_RETRY, retries: 6 },
  };
}

export function createValidatorHandler(config: ValidatorConfig, ports: ValidatorPorts, { logger, metrics }: Observability) {
  return async (event: unknown, context?: Context): Promise<ValidationSummary> => {
    if (context) logger.addContext(context);
    const parsed = ValidateEventSchema.safeParse(event);
    if (!parsed.success) throw new Error(`Invalid validation input: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const input = parsed.data;
    const phones = new PhoneValidationCache(ports.phoneValidator, config.concurrency, ports.retry);
    try {
      const summary = await validateFile(
        { bucket: input.bucket, key: input.key, executionName: input.executionName },
        { open: () => ports.open(input), writer: ports.writer, phones },
        { target: config.target, workBucket: config.workBucket, validatePhoneNumbers: config.validatePhoneNumbers, assumeUs: config.assumeUs, followUpSms: config.followUpSms },
      );
      metrics.addMetric(VALIDATOR_METRICS.RowsRead, MetricUnit.Count, summary.rows.read);
      metrics.addMetric(VALIDATOR_METRICS.RowsImported, MetricUnit.Count, summary.rows.imported);
      metrics.addMetric(VALIDATOR_METRICS.RowsInvalid, MetricUnit.Count, summary.rows.invalid);
      metrics.addMetric(VALIDATOR_METRICS.PhoneNumbersInvalid, MetricUnit.Count, summary.rows.invalidNumbers);
      if (summary.fileErrors.length > 0) metrics.addMetric(VALIDATOR_METRICS.FileRejected, MetricUnit.Count, 1);
      logger.info("File validated", {
        executionName: input.executionName,
        format: summary.format,
        rows: summary.rows,
        phoneValidation: summary.phoneValidation,
        fileErrors: summary.fileErrors,
      });
      return summary;
    } finally {
      metrics.addMetric(VALIDATOR_METRICS.PhoneValidateCalls, MetricUnit.Count, phones.calls);
      metrics.addMetric(VALIDATOR_METRICS.PhoneValidateThrottled, MetricUnit.Count, phones.throttled);
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadValidatorConfig(process.env);
export const handler = createValidatorHandler(config, createValidatorPorts(config), createObservability("s3-triggered-import-validator"));
