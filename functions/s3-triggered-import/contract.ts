/**
 * #3's contract between the S3TriggeredImport component and its handlers (pure: no SDK), and the
 * constants the state machine, the handlers and the component share.
 */
import { defineFunctionContract, envOf, metricsOf } from "../shared/runtime/function-contract";

/** Where the contacts go: Customer Profiles (default), an SES v2 contact list, or Pinpoint (legacy). */
export const IMPORT_TARGETS = ["customer-profiles", "ses-contact-list", "pinpoint"] as const;
export type ImportTarget = (typeof IMPORT_TARGETS)[number];

/**
 * The seed's notices (variant A), kept so existing subscribers keep working: the subjects, the
 * `notification_type` message attribute and the body keys `Message`, `Input` and `ImportResult`.
 */
export const NOTICES = {
  started: { subject: "Amazon Pinpoint Import Started", message: "Import Started" },
  success: { subject: "Amazon Pinpoint Import Successful", message: "Import Successful" },
  failure: { subject: "Amazon Pinpoint Import Failed", message: "Import Failed" },
} as const;
export type NoticeType = keyof typeof NOTICES;

/** The work bucket's prefixes: validated files, error reports and follow-up send files. */
export const WORK_PREFIXES = { validated: "validated/", reports: "reports/", followUp: "follow-up/" } as const;

/** The #9 send-file header (its canonical CSV columns), in order. */
export const SMS_SEND_FILE_COLUMNS = ["sms_number", "message", "external_campaign_id", "short_code", "message_type", "id_1", "id_2", "channel"] as const;

const NAMESPACE = "DigitalUserEngagement/S3TriggeredImport";

/** EventBridge "Object Created" → one StartExecution named after bucket, key and ETag. */
export const STARTER = defineFunctionContract({
  entry: "functions/s3-triggered-import/starter.ts",
  env: ["STATE_MACHINE_ARN", "KEY_PREFIX"],
  namespace: NAMESPACE,
  metrics: ["ExecutionStarted", "DuplicateEvent", "ObjectMissing", "KeyDecoded"],
});
export const STARTER_ENV = envOf(STARTER);
export const STARTER_METRICS = metricsOf(STARTER);

/** Streams the dropped file, validates phone numbers, writes the target's file and the error report. */
export const VALIDATOR = defineFunctionContract({
  entry: "functions/s3-triggered-import/validate.ts",
  env: ["TARGET", "WORK_BUCKET", "VALIDATE_PHONE_NUMBERS", "ASSUME_US", "VALIDATION_CONCURRENCY", "FOLLOW_UP_SMS"],
  namespace: NAMESPACE,
  metrics: ["RowsRead", "RowsImported", "RowsInvalid", "PhoneNumbersInvalid", "PhoneValidateCalls", "PhoneValidateThrottled", "FileRejected"],
});
export const VALIDATOR_ENV = envOf(VALIDATOR);
export const VALIDATOR_METRICS = metricsOf(VALIDATOR);

/**
 * Customer Profiles only: GetUploadJobPath and the PUT of the validated file to its pre-signed URL.
 * A Lambda, not a direct integration, because the response's ClientToken is the plaintext SSE-C key
 * of the upload: kept out of the execution history.
 */
export const UPLOADER = defineFunctionContract({
  entry: "functions/s3-triggered-import/upload.ts",
  env: ["DOMAIN_NAME", "WORK_BUCKET"],
  namespace: NAMESPACE,
  metrics: ["FileUploaded", "BytesUploaded"],
});
export const UPLOADER_ENV = envOf(UPLOADER);
export const UPLOADER_METRICS = metricsOf(UPLOADER);
