/**
 * Environment of the SMS file-drop handlers, validated once at cold start.
 *
 * Splitter (splitter.ts):
 * | Variable                | Meaning                                                         | Default |
 * |-------------------------|-----------------------------------------------------------------|---------|
 * | QUEUE_URL               | The FIFO queue's URL (must end in .fifo)                        | required |
 * | CHECKPOINT_TABLE_NAME   | DynamoDB table, partition key fileId (S), TTL attribute expiration | required |
 * | EVENTS_TOPIC_ARN        | SNS topic for the sms.file.processed summary                   | required |
 * | ORIGINATION_IDENTITIES  | JSON array of {identity, mps}: the allow-list                  | required |
 * | COLUMN_MAP              | JSON object canonical column → header name, e.g. {"sms_number":"phone"} | seed header |
 * | MAX_SEGMENTS            | Maximum message parts per row (1–30)                           | 10 |
 * | ENQUEUE_CONCURRENCY     | SendMessageBatch calls in flight (1–50; 1 = strict file order)  | 8 |
 * | ENQUEUE_MAX_ATTEMPTS    | Attempts per failed batch entry before the file fails (1–10)   | 5 |
 * | MAX_ERROR_REPORT_LINES  | Error-report lines kept; the rest are counted (100–1000000)    | 10000 |
 * | CHECKPOINT_TTL_DAYS     | Days a checkpoint item is kept (1–3650)                        | 30 |
 *
 * Sender (sender.ts):
 * | Variable                | Meaning                                                         | Default |
 * |-------------------------|-----------------------------------------------------------------|---------|
 * | TARGET                  | "end-user-messaging" or "pinpoint" (legacy)                     | end-user-messaging |
 * | PINPOINT_APPLICATION_ID | Pinpoint project id; required when TARGET=pinpoint              | — |
 * | ORIGINATION_IDENTITIES  | JSON array of {identity, mps}: allow-list and send rates        | required |
 * | OUTCOME_TABLE_NAME      | DynamoDB table, partition key rowId (S), TTL attribute expiration | required |
 * | DEAD_LETTER_QUEUE_URL   | The queue's FIFO DLQ; a malformed message is moved there at once (see sender.ts) | none (the message fails instead) |
 * | PREFERENCE_TABLE_NAME   | Preference table of the self-managed opt-outs; PROMOTIONAL rows to OPTED_OUT numbers are skipped | none (no check) |
 * | CONFIGURATION_SET_NAME  | SMS configuration set (end-user-messaging only)                 | none |
 * | OUTCOME_TTL_DAYS        | Days an outcome item is kept (1–3650)                           | 90 |
 */
import * as z from "zod";
import {
  identityRates,
  intEnv,
  jsonEnv,
  OriginationIdentitiesSchema,
  parseEnv,
  requiredString,
  SMS_TARGETS,
  type OriginationIdentityConfig,
  type SmsTarget,
} from "../shared/sms-config";
import { CANONICAL_COLUMNS, type ColumnMap } from "./rows";

/** Unknown keys are rejected: a typo ("sms_numbr") must not silently fall back to the default. */
const ColumnMapSchema = z.strictObject(
  Object.fromEntries(
    CANONICAL_COLUMNS.map((column) => [column, z.string().trim().min(1, "header names must not be empty").optional()]),
  ) as Record<(typeof CANONICAL_COLUMNS)[number], z.ZodOptional<z.ZodString>>,
);

const SplitterEnvSchema = z.object({
  QUEUE_URL: z.string().trim().regex(/^https:\/\/\S+\.fifo$/, "must be the https URL of a FIFO queue (ending in .fifo)"),
  CHECKPOINT_TABLE_NAME: requiredString,
  EVENTS_TOPIC_ARN: z.string().trim().regex(/^arn:aws[a-z-]*:sns:/, "must be an SNS topic ARN"),
  ORIGINATION_IDENTITIES: jsonEnv(OriginationIdentitiesSchema),
  COLUMN_MAP: jsonEnv(ColumnMapSchema).optional(),
  MAX_SEGMENTS: intEnv(1, 30).default(10),
  ENQUEUE_CONCURRENCY: intEnv(1, 50).default(8),
  ENQUEUE_MAX_ATTEMPTS: intEnv(1, 10).default(5),
  MAX_ERROR_REPORT_LINES: intEnv(100, 1_000_000).default(10_000),
  CHECKPOINT_TTL_DAYS: intEnv(1, 3650).default(30),
});

export interface SplitterConfig {
  queueUrl: string;
  checkpointTableName: string;
  eventsTopicArn: string;
  identities: readonly OriginationIdentityConfig[];
  identityRates: ReadonlyMap<string, number>;
  columnMap: ColumnMap;
  maxSegments: number;
  enqueueConcurrency: number;
  enqueueMaxAttempts: number;
  maxErrorReportLines: number;
  checkpointTtlSeconds: number;
}

export function loadSplitterConfig(env: NodeJS.ProcessEnv): SplitterConfig {
  const e = parseEnv(SplitterEnvSchema, env, "sms-file-drop splitter");
  return {
    queueUrl: e.QUEUE_URL,
    checkpointTableName: e.CHECKPOINT_TABLE_NAME,
    eventsTopicArn: e.EVENTS_TOPIC_ARN,
    identities: e.ORIGINATION_IDENTITIES,
    identityRates: identityRates(e.ORIGINATION_IDENTITIES),
    columnMap: (e.COLUMN_MAP ?? {}) as ColumnMap,
    maxSegments: e.MAX_SEGMENTS,
    enqueueConcurrency: e.ENQUEUE_CONCURRENCY,
    enqueueMaxAttempts: e.ENQUEUE_MAX_ATTEMPTS,
    maxErrorReportLines: e.MAX_ERROR_REPORT_LINES,
    checkpointTtlSeconds: e.CHECKPOINT_TTL_DAYS * 86_400,
  };
}

const SenderEnvSchema = z
  .object({
    TARGET: z.enum(SMS_TARGETS).default("end-user-messaging"),
    PINPOINT_APPLICATION_ID: z.string().trim().regex(/^[A-Za-z0-9]+$/, "must be a Pinpoint project id (letters and digits)").optional(),
    ORIGINATION_IDENTITIES: jsonEnv(OriginationIdentitiesSchema),
    OUTCOME_TABLE_NAME: requiredString,
    DEAD_LETTER_QUEUE_URL: z.string().trim().regex(/^https:\/\/\S+\.fifo$/, "must be the URL of a FIFO queue").optional(),
    PREFERENCE_TABLE_NAME: z.string().trim().min(1).optional(),
    CONFIGURATION_SET_NAME: z.string().trim().regex(/^[A-Za-z0-9_:/-]{1,256}$/, "must be a configuration set name or ARN").optional(),
    OUTCOME_TTL_DAYS: intEnv(1, 3650).default(90),
  })
  .superRefine((env, ctx) => {
    if (env.TARGET === "pinpoint" && env.PINPOINT_APPLICATION_ID === undefined) {
      ctx.addIssue({ code: "custom", path: ["PINPOINT_APPLICATION_ID"], message: "is required when TARGET is pinpoint" });
    }
  }, { when: () => true }); // cross-field checks run even when another variable failed: report every error at once

export interface SenderConfig {
  target: SmsTarget;
  pinpointApplicationId?: string;
  identities: readonly OriginationIdentityConfig[];
  identityRates: ReadonlyMap<string, number>;
  outcomeTableName: string;
  /** Where a malformed message is moved at once, so it does not hold back its group. */
  deadLetterQueueUrl?: string;
  preferenceTableName?: string;
  configurationSetName?: string;
  outcomeTtlSeconds: number;
}

export function loadSenderConfig(env: NodeJS.ProcessEnv): SenderConfig {
  const e = parseEnv(SenderEnvSchema, env, "sms-file-drop sender");
  return {
    target: e.TARGET,
    pinpointApplicationId: e.PINPOINT_APPLICATION_ID,
    identities: e.ORIGINATION_IDENTITIES,
    identityRates: identityRates(e.ORIGINATION_IDENTITIES),
    outcomeTableName: e.OUTCOME_TABLE_NAME,
    deadLetterQueueUrl: e.DEAD_LETTER_QUEUE_URL,
    preferenceTableName: e.PREFERENCE_TABLE_NAME,
    configurationSetName: e.CONFIGURATION_SET_NAME,
    outcomeTtlSeconds: e.OUTCOME_TTL_DAYS * 86_400,
  };
}
