import { loadDeliveryConfig, loadReporterConfig, loadSenderConfig, loadSplitterConfig } from "../../../functions/sms-file-drop/config";
import { DELIVERY, REPORTER, SENDER, SPLITTER } from "../../../functions/sms-file-drop/contract";
import type { HandlerCase } from "./types";

const IDENTITIES = JSON.stringify([{ identity: "pool-0123456789abcdef0123456789abcdef", mps: 20 }]);

export const CASES: HandlerCase[] = [
  {
    contract: SPLITTER,
    load: loadSplitterConfig,
    sample: {
      QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/sms-file-drop.fifo",
      CHECKPOINT_TABLE_NAME: "checkpoints",
      EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:sms-events",
      ORIGINATION_IDENTITIES: IDENTITIES,
      COLUMN_MAP: '{"sms_number":"phone"}',
      MAX_SEGMENTS: "10",
      ENQUEUE_CONCURRENCY: "8",
      REPORT_PREFIX: "reports/",
      VOICE_DIALER_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/connect-channel-calls-queue",
      PREFERENCE_TABLE_NAME: "preferences",
    },
  },
  {
    contract: SENDER,
    load: loadSenderConfig,
    sample: {
      TARGET: "pinpoint",
      PINPOINT_APPLICATION_ID: "abc123",
      CONFIGURATION_SET_NAME: "file-drop",
      ORIGINATION_IDENTITIES: IDENTITIES,
      OUTCOME_TABLE_NAME: "outcomes",
      DEAD_LETTER_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/sms-file-drop-dlq.fifo",
      PREFERENCE_TABLE_NAME: "preferences",
      MAX_ATTEMPTS: "5",
      RATE_TABLE_NAME: "rates",
      SKIP_PERMANENT_FAILURES: "false",
    },
  },
  {
    contract: DELIVERY,
    load: loadDeliveryConfig,
    sample: {
      OUTCOME_TABLE_NAME: "outcomes",
      PREFERENCE_TABLE_NAME: "preferences",
      RECORD_PERMANENT_FAILURES: "true",
    },
  },
  {
    contract: REPORTER,
    load: loadReporterConfig,
    sample: {
      CHECKPOINT_TABLE_NAME: "checkpoints",
      OUTCOME_TABLE_NAME: "outcomes",
      EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:sms-events",
      REPORT_PREFIX: "reports/",
      REPORT_DEADLINE_HOURS: "96",
    },
  },
];
