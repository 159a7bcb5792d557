import { loadAutoReplyConfig } from "../../../functions/ses-auto-reply/config";
import { RESPONDER } from "../../../functions/ses-auto-reply/contract";
import type { HandlerCase } from "./types";

export const CASES: HandlerCase[] = [
  {
    contract: RESPONDER,
    load: loadAutoReplyConfig,
    sample: {
      STATE_TABLE_NAME: "reply-state",
      TEMPLATE_SOURCE: "ses",
      TEMPLATE_NAME: "no-reply",
      TEMPLATE_CACHE_TTL_SECONDS: "300",
      REPLY_FROM: "noreply@example.com",
      ALLOWED_REPLY_FROM: "@example.com",
      OWN_ADDRESSES: "support@example.com",
      SKIP_ON_DMARC_FAIL: "true",
      REPLY_WINDOW_SECONDS: "86400",
      MAX_REPLIES_PER_HOUR: "100",
      ALLOW_EXTERNAL_REPLY_TO: "false",
      CONFIGURATION_SET_NAME: "",
    },
  },
];
