/**
 * #2's contract between the SesAutoReply component and its responder (pure: no SDK imports, safe to
 * import from a Pulumi program).
 */
import { defineFunctionContract, envOf, metricsOf } from "../shared/runtime/function-contract";
import { SEND_OUTCOME_UNKNOWN_METRIC } from "../shared/runtime/send-guarantee";

/** Where the reply template lives: the component's `target`, the responder's TEMPLATE_SOURCE. */
export const AUTO_REPLY_TARGETS = ["ses", "pinpoint"] as const;
export type AutoReplyTarget = (typeof AUTO_REPLY_TARGETS)[number];

/** Replies per hour across all senders when nothing is configured. */
export const DEFAULT_MAX_REPLIES_PER_HOUR = 100;

/**
 * The highest cap accepted. An hour's slots are the SES message ids (about 40 characters) in one
 * DynamoDB item, so 1000 keep it near 40 KB, far below the 400 KB item limit, and each write cheap.
 * There is no "unlimited": 0 and values above this are configuration errors.
 */
export const MAX_REPLIES_PER_HOUR_LIMIT = 1000;

/**
 * Why an inbound message gets no reply. The values are stable: they are logged and used as the
 * `reason` dimension of the `ReplySkipped` metric (alarms select on them).
 */
export const SKIP_REASONS = [
  "spam-verdict-fail",
  "virus-verdict-fail",
  "dmarc-verdict-fail",
  "headers-truncated",
  "auto-submitted",
  "auto-reply-header",
  "auto-response-suppressed",
  "precedence",
  "list-header",
  "empty-return-path",
  "group-from",
  "system-sender",
  "no-reply-address",
  "own-address",
  "no-reply-sender",
  "no-reply-from",
  "duplicate",
  "rate-limited",
  "hourly-cap",
  "send-step",
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export const RESPONDER = defineFunctionContract({
  entry: "functions/ses-auto-reply/responder.ts",
  env: [
    "STATE_TABLE_NAME",
    "TEMPLATE_SOURCE",
    "TEMPLATE_NAME",
    "TEMPLATE_CACHE_TTL_SECONDS",
    "REPLY_FROM",
    "ALLOWED_REPLY_FROM",
    "OWN_ADDRESSES",
    "SKIP_ON_DMARC_FAIL",
    "REPLY_WINDOW_SECONDS",
    "MAX_REPLIES_PER_HOUR",
    "ALLOW_EXTERNAL_REPLY_TO",
    "CONFIGURATION_SET_NAME",
  ],
  namespace: "DigitalUserEngagement/SesAutoReply",
  metrics: [
    "InvalidEvent",
    "ReplyFailed",
    "ReplySent",
    "ReplyToIgnored",
    "ReplySkipped",
    "ReplySendingDisabled",
    "ReplyRejected",
    SEND_OUTCOME_UNKNOWN_METRIC,
  ],
});
export const RESPONDER_ENV = envOf(RESPONDER);
export const RESPONDER_METRICS = metricsOf(RESPONDER);
