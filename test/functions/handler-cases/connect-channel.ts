import { loadChannelConfig, loadDialerConfig } from "../../../functions/connect-channel/config";
import { CHANNEL, DIALER } from "../../../functions/connect-channel/contract";
import type { HandlerCase } from "./types";

export const CASES: HandlerCase[] = [
  {
    contract: DIALER,
    load: loadDialerConfig,
    sample: {
      INSTANCE_ID: "11111111-2222-4333-8444-555555555555",
      CONTACT_FLOW_ID: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
      QUEUE_ID: "99999999-8888-4777-8666-555555555555",
      SOURCE_PHONE_NUMBER: "",
      RING_TIMEOUT_SECONDS: "30",
      OUTCOME_TABLE_NAME: "dial-outcomes",
      RATE_TABLE_NAME: "rates",
      DIALER_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/calls",
      CALLS_PER_SECOND: "2",
      LIMITER_SHARES: "2",
      DIAL_CONCURRENCY: "2",
      CAPACITY_WAIT_SECONDS: "20",
      CAPACITY_RETRY_DELAY_SECONDS: "60",
    },
  },
  {
    contract: CHANNEL,
    load: loadChannelConfig,
    sample: { DIALER_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/calls", CHANNEL_TYPES: "SMS,VOICE" },
  },
];
