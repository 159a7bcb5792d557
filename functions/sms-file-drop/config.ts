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
 * | REPORT_PREFIX           | Key prefix of the error reports (`<REPORT_PREFIX><key>.errors.csv`); must not overlap the trigger prefix | reports/ |
 * | PREFERENCE_TABLE_NAME   | Check TRANSACTIONAL rows' numbers for recorded permanent failures here (one BatchGetItem per 100 numbers) and mark the checked rows, so the sender needs no read for them | none (the sender reads) |
 *
 * Sender (sender.ts):
 * | Variable                | Meaning                                                         | Default |
 * |-------------------------|-----------------------------------------------------------------|---------|
 * | TARGET                  | "end-user-messaging" or "pinpoint" (legacy)                     | end-user-messaging |
 * | PINPOINT_APPLICATION_ID | Pinpoint project id; required when TARGET=pinpoint              | — |
 * | ORIGINATION_IDENTITIES  | JSON array of {identity, mps}: allow-list and send rates        | required |
 * | OUTCOME_TABLE_NAME      | DynamoDB table, partition key rowId (S), TTL attribute expiration | required |
 * | DEAD_LETTER_QUEUE_URL   | The queue's FIFO DLQ; the sender moves malformed messages (at once) and messages out of attempts there (see sender.ts) | none (the message fails instead) |
 * | PREFERENCE_TABLE_NAME   | Preference table of the self-managed opt-outs; PROMOTIONAL rows to OPTED_OUT numbers are skipped | none (no check) |
 * | CONFIGURATION_SET_NAME  | SMS configuration set (end-user-messaging only)                 | none |
 * | SEND_GUARANTEE          | at-most-once or at-least-once, for sends whose outcome is unknown (send-guarantee.ts) | at-most-once |
 * | MAX_ATTEMPTS            | Attempts of one message before the sender moves it to the DLQ itself (1–100; see sender.ts) | 5 |
 * | RATE_TABLE_NAME         | DynamoDB table of the shared adaptive limiter (functions/shared/rate): the learned rate per identity | none (each container learns alone) |
 * | SKIP_PERMANENT_FAILURES | "true": skip rows to numbers the preference table records as permanently failing (delivery events) | true |
 *
 * The names are the contract's (contract.ts); a blank variable counts as unset.
 */
import * as z from "zod";
import { DEFAULT_SEND_GUARANTEE, SEND_GUARANTEES, type SendGuarantee } from "../shared/runtime/send-guarantee";
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
} from "../shared/sms/sms-config";
import {
  CSV_COLUMNS,
  DEFAULT_REPORT_PREFIX,
  DELIVERY_ENV as DELIVERY,
  MAX_ATTEMPTS_LIMIT,
  MIN_REPORT_DEADLINE_HOURS,
  REPORTER_ENV as REPORTER,
  SENDER_ENV as SENDER,
  SPLITTER_ENV as SPLITTER,
} from "./contract";
import { CHECKPOINT_EVERY_BATCHES, CHECKPOINT_INTERVAL_MS } from "./enqueue";
import type { ColumnMap } from "./rows";

/** Unknown keys are rejected: a typo ("sms_numbr") must not silently fall back to the default. */
const ColumnMapSchema = z.strictObject(
  Object.fromEntries(
    CSV_COLUMNS.map((column) => [column, z.string().trim().min(1, "header names must not be empty").optional()]),
  ) as Record<(typeof CSV_COLUMNS)[number], z.ZodOptional<z.ZodString>>,
);

// Handler constants, not settings.
/** Attempts per failed batch entry before the file fails. */
const ENQUEUE_MAX_ATTEMPTS = 5;
/** Error-report lines kept; the rest are counted. */
const MAX_ERROR_REPORT_LINES = 10_000;
/** Days a checkpoint item and an outcome item are kept. */
const CHECKPOINT_TTL_DAYS = 30;
const OUTCOME_TTL_DAYS = 90;

const SplitterEnvSchema = z.object({
  [SPLITTER.QUEUE_URL]: z.string().trim().regex(/^https:\/\/\S+\.fifo$/, "must be the https URL of a FIFO queue (ending in .fifo)"),
  [SPLITTER.CHECKPOINT_TABLE_NAME]: requiredString,
  [SPLITTER.EVENTS_TOPIC_ARN]: z.string().trim().regex(/^arn:aws[a-z-]*:sns:/, "must be an SNS topic ARN"),
  [SPLITTER.ORIGINATION_IDENTITIES]: jsonEnv(OriginationIdentitiesSchema),
  [SPLITTER.COLUMN_MAP]: jsonEnv(ColumnMapSchema).optional(),
  [SPLITTER.MAX_SEGMENTS]: intEnv(1, 30).default(10),
  [SPLITTER.ENQUEUE_CONCURRENCY]: intEnv(1, 50).default(8),
  [SPLITTER.REPORT_PREFIX]: z
    .string()
    .trim()
    .regex(/^([A-Za-z0-9!_.'()-]+\/)+$/, 'must be a key prefix ending in "/" (e.g. reports/)')
    .default(DEFAULT_REPORT_PREFIX),
  // #13's dialer queue; "" when #13 is not composed (VOICE rows are then rejected).
  [SPLITTER.VOICE_DIALER_QUEUE_URL]: z.string().trim().regex(/^https:\/\/\S+$/, "must be the https URL of the dialer queue").optional(),
  [SPLITTER.PREFERENCE_TABLE_NAME]: z.string().trim().min(3).max(255).optional(),
});

export interface SplitterConfig {
  /** #13's dialer queue, for VOICE rows. */
  voiceQueueUrl?: string;
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
  reportPrefix: string;
  /** Checkpoint by time and progress (enqueue.ts): whichever comes first. */
  checkpointIntervalMs: number;
  checkpointEveryBatches: number;
  /** Where the splitter checks TRANSACTIONAL rows' numbers for permanent failures; undefined = no check. */
  preferenceTableName?: string;
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
    enqueueMaxAttempts: ENQUEUE_MAX_ATTEMPTS,
    maxErrorReportLines: MAX_ERROR_REPORT_LINES,
    checkpointTtlSeconds: CHECKPOINT_TTL_DAYS * 86_400,
    reportPrefix: e.REPORT_PREFIX,
    voiceQueueUrl: e.VOICE_DIALER_QUEUE_URL,
    checkpointIntervalMs: CHECKPOINT_INTERVAL_MS,
    checkpointEveryBatches: CHECKPOINT_EVERY_BATCHES,
    preferenceTableName: e.PREFERENCE_TABLE_NAME,
  };
}

const SenderEnvSchema = z
  .object({
    [SENDER.TARGET]: z.enum(SMS_TARGETS).default("end-user-messaging"),
    [SENDER.PINPOINT_APPLICATION_ID]: z.string().trim().regex(/^[A-Za-z0-9]+$/, "must be a Pinpoint project id (letters and digits)").optional(),
    [SENDER.ORIGINATION_IDENTITIES]: jsonEnv(OriginationIdentitiesSchema),
    [SENDER.OUTCOME_TABLE_NAME]: requiredString,
    [SENDER.DEAD_LETTER_QUEUE_URL]: z.string().trim().regex(/^https:\/\/\S+\.fifo$/, "must be the URL of a FIFO queue").optional(),
    [SENDER.PREFERENCE_TABLE_NAME]: z.string().trim().min(1).optional(),
    [SENDER.CONFIGURATION_SET_NAME]: z.string().trim().regex(/^[A-Za-z0-9_:/-]{1,256}$/, "must be a configuration set name or ARN").optional(),
    [SENDER.MAX_ATTEMPTS]: intEnv(1, MAX_ATTEMPTS_LIMIT).default(5),
    [SENDER.RATE_TABLE_NAME]: z.string().trim().min(3).max(255).optional(),
    [SENDER.SKIP_PERMANENT_FAILURES]: z.enum(["true", "false"]).default("true"),
    // In the schema (not sendGuaranteeFromEnv) so a bad value is reported with every other error.
    SEND_GUARANTEE: z.enum(SEND_GUARANTEES).default(DEFAULT_SEND_GUARANTEE),
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
  /** What an ambiguous send becomes: UNKNOWN (at-most-once) or a retry (at-least-once). */
  sendGuarantee: SendGuarantee;
  /** Attempts of one message (outcome-table claims) before it is moved to the DLQ. */
  maxAttempts: number;
  /** The shared adaptive limiter's table; undefined = the learned rate stays in the container. */
  rateTableName?: string;
  /** Skip numbers recorded as permanently failing in the preference table. */
  skipPermanentFailures: boolean;
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
    outcomeTtlSeconds: OUTCOME_TTL_DAYS * 86_400,
    sendGuarantee: e.SEND_GUARANTEE,
    maxAttempts: e.MAX_ATTEMPTS,
    rateTableName: e.RATE_TABLE_NAME,
    skipPermanentFailures: e.SKIP_PERMANENT_FAILURES === "true",
  };
}

/**
 * Delivery-event consumer (delivery-events.ts):
 * | Variable                  | Meaning                                                        | Default |
 * |---------------------------|----------------------------------------------------------------|---------|
 * | OUTCOME_TABLE_NAME        | The sender's outcome table (delivery outcomes go on each row)  | required |
 * | PREFERENCE_TABLE_NAME     | Where numbers that fail permanently are recorded               | none (not recorded) |
 * | RECORD_PERMANENT_FAILURES | "true": record TEXT_INVALID / TEXT_BLOCKED numbers there        | true |
 */
const DeliveryEnvSchema = z.object({
  [DELIVERY.OUTCOME_TABLE_NAME]: requiredString,
  [DELIVERY.PREFERENCE_TABLE_NAME]: z.string().trim().min(3).max(255).optional(),
  [DELIVERY.RECORD_PERMANENT_FAILURES]: z.enum(["true", "false"]).default("true"),
});

export interface DeliveryConfig {
  outcomeTableName: string;
  /** Undefined: permanent failures are not recorded. */
  preferenceTableName?: string;
  recordPermanentFailures: boolean;
}

export function loadDeliveryConfig(env: NodeJS.ProcessEnv): DeliveryConfig {
  const e = parseEnv(DeliveryEnvSchema, env, "sms-file-drop delivery events");
  return {
    outcomeTableName: e.OUTCOME_TABLE_NAME,
    preferenceTableName: e.PREFERENCE_TABLE_NAME,
    recordPermanentFailures: e.RECORD_PERMANENT_FAILURES === "true",
  };
}

/**
 * Delivery reporter (report-sweeper.ts):
 * | Variable              | Meaning                                                          | Default |
 * |-----------------------|------------------------------------------------------------------|---------|
 * | CHECKPOINT_TABLE_NAME | The splitter's checkpoint table (completed files, report state)  | required |
 * | OUTCOME_TABLE_NAME    | The outcome table (each row's status and delivery outcome)       | required |
 * | EVENTS_TOPIC_ARN      | Where sms.file.delivery-report is published                      | required |
 * | REPORT_PREFIX         | Key prefix of the reports (`<REPORT_PREFIX><key>.delivery.json`) | reports/ |
 * | REPORT_DEADLINE_HOURS | Hours after a file completes when its report is published even with rows still open (≥ 72) | 72 |
 */
const ReporterEnvSchema = z.object({
  [REPORTER.CHECKPOINT_TABLE_NAME]: requiredString,
  [REPORTER.OUTCOME_TABLE_NAME]: requiredString,
  [REPORTER.EVENTS_TOPIC_ARN]: z.string().trim().regex(/^arn:aws[a-z-]*:sns:/, "must be an SNS topic ARN"),
  [REPORTER.REPORT_PREFIX]: z
    .string()
    .trim()
    .regex(/^([A-Za-z0-9!_.'()-]+\/)+$/, 'must be a key prefix ending in "/" (e.g. reports/)')
    .default(DEFAULT_REPORT_PREFIX),
  [REPORTER.REPORT_DEADLINE_HOURS]: intEnv(MIN_REPORT_DEADLINE_HOURS, 720).default(MIN_REPORT_DEADLINE_HOURS),
});

export interface ReporterConfig {
  checkpointTableName: string;
  outcomeTableName: string;
  eventsTopicArn: string;
  reportPrefix: string;
  deadlineMs: number;
}

export function loadReporterConfig(env: NodeJS.ProcessEnv): ReporterConfig {
  const e = parseEnv(ReporterEnvSchema, env, "sms-file-drop delivery reporter");
  return {
    checkpointTableName: e.CHECKPOINT_TABLE_NAME,
    outcomeTableName: e.OUTCOME_TABLE_NAME,
    eventsTopicArn: e.EVENTS_TOPIC_ARN,
    reportPrefix: e.REPORT_PREFIX,
    deadlineMs: e.REPORT_DEADLINE_HOURS * 3_600_000,
  };
}
