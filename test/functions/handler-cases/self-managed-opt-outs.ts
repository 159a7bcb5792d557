import { loadInboundConfig } from "../../../functions/self-managed-opt-outs/config";
import { INBOUND } from "../../../functions/self-managed-opt-outs/contract";
import type { HandlerCase } from "./types";

export const CASES: HandlerCase[] = [
  {
    contract: INBOUND,
    load: loadInboundConfig,
    sample: {
      TARGET: "end-user-messaging",
      PINPOINT_APPLICATION_ID: "",
      OPT_OUT_MODE: "opt-out-list",
      OPT_OUT_LIST_NAME: "opt-outs",
      OPT_OUT_REPLY_ORDER: "before-opt-out-list",
      PREFERENCE_TABLE_NAME: "preferences",
      IDEMPOTENCY_TABLE_NAME: "idempotency",
      EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:events",
      OPT_OUT_REPLY: "Unsubscribed.",
      OPT_IN_REPLY: "Resubscribed.",
      HELP_REPLY: "Reply STOP to unsubscribe.",
      CONFIGURATION_SET_NAME: "replies",
      OPT_OUT_KEYWORDS: '["STOP"]',
      OPT_IN_KEYWORDS: '["START"]',
      HELP_KEYWORDS: '["HELP"]',
      FREE_TEXT_OPT_OUT: "flag",
    },
  },
];
