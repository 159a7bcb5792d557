/**
 * #9's contract between the SmsFileDrop component and its two handlers (pure: no SDK), and the
 * constants both sides use.
 */
import { defineFunctionContract, envOf, metricsOf } from "../shared/runtime/function-contract";
import { SEND_OUTCOME_UNKNOWN_METRIC } from "../shared/runtime/send-guarantee";

/** The canonical CSV columns: the 2020 sample file's header. A column map renames any of them. */
export const CSV_COLUMNS = ["sms_number", "message", "external_campaign_id", "short_code", "message_type", "id_1", "id_2", "channel"] as const;

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
  // PREFERENCE_TABLE_NAME is "" unless the sender skips permanent failures (the splitter checks them).
  env: [
    "QUEUE_URL",
    "CHECKPOINT_TABLE_NAME",
    "EVENTS_TOPIC_ARN",
    "ORIGINATION_IDENTITIES",
    "COLUMN_MAP",
    "MAX_SEGMENTS",
    "ENQUEUE_CONCURRENCY",
    "REPORT_PREFIX",
    "VOICE_DIALER_QUEUE_URL",
    "PREFERENCE_TABLE_NAME",
  ],
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
    "RATE_TABLE_NAME",
    "SKIP_PERMANENT_FAILURES",
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
    // A rate wait would have passed the invocation's send deadline: the message went back to SQS.
    "RateWaitExceeded",
    // Skipped because the preference table records a permanent delivery failure of the number.
    "SkippedPermanentFailure",
    "SmsRetryableFailure",
    "SmsFailed",
  ],
});
export const SENDER_ENV = envOf(SENDER);
export const SENDER_METRICS = metricsOf(SENDER);

/** The delivery-event consumer (delivery-events.ts): SNS → SQS → this, one event per record. */
export const DELIVERY = defineFunctionContract({
  entry: "functions/sms-file-drop/delivery-events.ts",
  // PREFERENCE_TABLE_NAME is "" without a preference table (nothing is recorded then).
  env: ["OUTCOME_TABLE_NAME", "PREFERENCE_TABLE_NAME", "RECORD_PERMANENT_FAILURES"],
  namespace: NAMESPACE,
  metrics: [
    "DeliveryEventRecorded",
    // A duplicate, out-of-order or superseded event (not recorded).
    "DeliveryEventIgnored",
    // An event without our rowId in its context (another sender using the configuration set).
    "DeliveryEventUnmatched",
    "MalformedDeliveryEvent",
    "MessageDelivered",
    "MessageFailed",
    "PermanentFailureRecorded",
  ],
});
export const DELIVERY_ENV = envOf(DELIVERY);
export const DELIVERY_METRICS = metricsOf(DELIVERY);

/** The delivery reporter (report-sweeper.ts), run on a schedule. */
export const REPORTER = defineFunctionContract({
  entry: "functions/sms-file-drop/report-sweeper.ts",
  env: ["CHECKPOINT_TABLE_NAME", "OUTCOME_TABLE_NAME", "EVENTS_TOPIC_ARN", "REPORT_PREFIX", "REPORT_DEADLINE_HOURS"],
  namespace: NAMESPACE,
  metrics: ["DeliveryReportFinal", "DeliveryReportDeadlinePassed", "DeliveryReportFailed"],
});
export const REPORTER_ENV = envOf(REPORTER);
export const REPORTER_METRICS = metricsOf(REPORTER);

/** Default and lowest report deadline: AWS may take up to 72 hours to report a final event. */
export const MIN_REPORT_DEADLINE_HOURS = 72;
