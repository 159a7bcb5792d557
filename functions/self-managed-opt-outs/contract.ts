/**
 * #8's contract between the SelfManagedOptOuts component and its inbound handler (pure: no SDK).
 * The meaning of each variable is documented in config.ts.
 */
import { defineFunctionContract, envOf, metricsOf } from "../shared/runtime/function-contract";
import { SEND_OUTCOME_UNKNOWN_METRIC } from "../shared/runtime/send-guarantee";

export const OPT_OUT_MODES = ["opt-out-list", "preference-table-only"] as const;
export type OptOutMode = (typeof OPT_OUT_MODES)[number];

export const REPLY_ORDERS = ["after-opt-out-list", "before-opt-out-list"] as const;
export type ReplyOrder = (typeof REPLY_ORDERS)[number];

export const FREE_TEXT_POLICIES = ["ignore", "flag"] as const;
export type FreeTextPolicy = (typeof FREE_TEXT_POLICIES)[number];

/** The confirmation texts unless configured: the component's defaults and the handler's. */
export const DEFAULT_REPLIES = Object.freeze({
  OPT_OUT: "You have been unsubscribed and will receive no more messages from this number. Reply START to resubscribe.",
  OPT_IN: "You have been resubscribed. Reply STOP to unsubscribe or HELP for help.",
  HELP: "Reply STOP to unsubscribe or START to resubscribe. Msg & data rates may apply.",
});

/** An SMS body's limit; a longer reply would be refused by the service. */
export const MAX_REPLY_CHARACTERS = 1600;

export const INBOUND = defineFunctionContract({
  entry: "functions/self-managed-opt-outs/inbound.ts",
  env: [
    "TARGET",
    "PINPOINT_APPLICATION_ID",
    "OPT_OUT_MODE",
    "OPT_OUT_LIST_NAME",
    "OPT_OUT_REPLY_ORDER",
    "PREFERENCE_TABLE_NAME",
    "IDEMPOTENCY_TABLE_NAME",
    "EVENTS_TOPIC_ARN",
    "OPT_OUT_REPLY",
    "OPT_IN_REPLY",
    "HELP_REPLY",
    "CONFIGURATION_SET_NAME",
    "OPT_OUT_KEYWORDS",
    "OPT_IN_KEYWORDS",
    "HELP_KEYWORDS",
    "FREE_TEXT_OPT_OUT",
  ],
  namespace: "DigitalUserEngagement/SelfManagedOptOuts",
  metrics: [
    "OptOutReceived",
    "OptInReceived",
    "HelpReceived",
    "InboundIgnored",
    "InboundFlaggedForReview",
    "InboundStale",
    "InboundFailed",
    "DuplicateInboundSkipped",
    "ReplySent",
    "ReplyFailed",
    "ReplyThrottled",
    "ReplyBlockedByOptOutList",
    /** A STOP confirmation that could not be sent (the number was listed anyway); alarmed. */
    "ConfirmationOwed",
    "JournalWriteFailed",
    SEND_OUTCOME_UNKNOWN_METRIC,
  ],
});
export const INBOUND_ENV = envOf(INBOUND);
export const INBOUND_METRICS = metricsOf(INBOUND);
