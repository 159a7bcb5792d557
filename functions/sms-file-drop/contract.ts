/**
 * #9's contract between the SmsFileDrop component and its two handlers (pure: no SDK), and the
 * constants both sides use.
 */
import { defineFunctionContract, envOf, metricsOf } from "../shared/runtime/function-contract";
import { SEND_OUTCOME_UNKNOWN_METRIC } from "../shared/runtime/send-guarantee";

/** The canonical CSV columns: the 2020 sample file's header. A column map renames any of them. */
export const CSV_COLUMNS = ["sms_number", "message", "external_campaign_id", "short_code", "message_type", "id_1", "id_2"] as const;

/** Where error reports go unless configured: outside the default trigger prefix ("files/"). */
export const DEFAULT_REPORT_PREFIX = "reports/";

/**
 * The sender moves a message to the DLQ itself after MAX_ATTEMPTS attempts of that message. SQS's
 * own redrive stays as a backstop, set high enough never to fire first: a message is received with
 * at most `batchSize` heads of its group (itself included), each of which the sender retires after
 * MAX_ATTEMPTS attempts, so it is received at most MAX_ATTEMPTS × batchSize times before it has had
 * its own MAX_ATTEMPTS. SQS allows at most 1000, hence MAX_ATTEMPTS ≤ 100 (batches of up to 10).
 */
export function redriveMaxReceiveCount(maxAttempts: number, batchSize: number): number {
  return maxAttempts * batchSize;
}
export const MAX_ATTEMPTS_LIMIT = 100;

const NAMESPACE = "DigitalUserEngagement/SmsFileDrop";

export const SPLITTER = defineFunctionContract({
  entry: "functions/sms-file-drop/splitter.ts",
  env: ["QUEUE_URL", "CHECKPOINT_TABLE_NAME", "EVENTS_TOPIC_ARN", "ORIGINATION_IDENTITIES", "COLUMN_MAP", "MAX_SEGMENTS", "ENQUEUE_CONCURRENCY", "REPORT_PREFIX"],
  namespace: NAMESPACE,
  metrics: ["FileFailed", "FileSkipped", "FileNotUtf8", "SplitterTimeBudgetExceeded", "RowsEnqueued", "RowsInvalid", "FileRejected", "FileCompleted"],
});
export const SPLITTER_ENV = envOf(SPLITTER);
export const SPLITTER_METRICS = metricsOf(SPLITTER);

export const SENDER = defineFunctionContract({
  entry: "functions/sms-file-drop/sender.ts",
  // PINPOINT_APPLICATION_ID, CONFIGURATION_SET_NAME and PREFERENCE_TABLE_NAME are "" when unused.
  env: [
    "TARGET",
    "PINPOINT_APPLICATION_ID",
    "CONFIGURATION_SET_NAME",
    "ORIGINATION_IDENTITIES",
    "OUTCOME_TABLE_NAME",
    "DEAD_LETTER_QUEUE_URL",
    "PREFERENCE_TABLE_NAME",
    "MAX_ATTEMPTS",
  ],
  namespace: NAMESPACE,
  metrics: [
    "MalformedMessage",
    "MovedToDeadLetterQueue",
    "BatchItemFailures",
    "DuplicateSkipped",
    // Counted when an outcome write is still failing after its retries (send-record.ts); alarmed.
    "OutcomeWriteLost",
    SEND_OUTCOME_UNKNOWN_METRIC,
    "ClaimTakenOver",
    "RowRejected",
    "SkippedOptedOut",
    "SmsSent",
    "SmsPartsSent",
    "SmsThrottled",
    "SmsRetryableFailure",
    "SmsFailed",
  ],
});
export const SENDER_ENV = envOf(SENDER);
export const SENDER_METRICS = metricsOf(SENDER);
