/**
 * Environment of the self-managed opt-out handler, validated once at cold start. The variables
 * are declared in contract.ts, which the component builds the environment from.
 *
 * | Variable                | Meaning                                                             | Default |
 * |-------------------------|---------------------------------------------------------------------|---------|
 * | TARGET                  | "end-user-messaging" or "pinpoint" (legacy)                         | end-user-messaging |
 * | PINPOINT_APPLICATION_ID | Pinpoint project id; required when TARGET=pinpoint                  | — |
 * | OPT_OUT_MODE            | "opt-out-list" or "preference-table-only" (see below)               | opt-out-list |
 * | OPT_OUT_LIST_NAME       | Opt-out list name/ARN; required for end-user-messaging + opt-out-list | — |
 * | OPT_OUT_REPLY_ORDER     | "before-opt-out-list" or "after-opt-out-list" (see below)           | before-opt-out-list |
 * | PREFERENCE_TABLE_NAME   | DynamoDB preference table (partition key phoneNumber)               | required |
 * | IDEMPOTENCY_TABLE_NAME  | DynamoDB idempotency table (partition key id, TTL expiration)       | required |
 * | EVENTS_TOPIC_ARN        | SNS topic for sms.preference.* domain events                       | required |
 * | OPT_OUT_REPLY / OPT_IN_REPLY / HELP_REPLY | Confirmation texts (1–1600 characters)            | see contract.ts |
 * | CONFIGURATION_SET_NAME  | SMS configuration set for the replies (end-user-messaging only)     | none |
 * | OPT_OUT_KEYWORDS / OPT_IN_KEYWORDS / HELP_KEYWORDS | JSON array or comma list; replaces the default set | see inbound-sms.ts |
 * | FREE_TEXT_OPT_OUT       | "ignore" or "flag": what to do with a message that is not a keyword  | flag |
 * | SEND_GUARANTEE          | "at-most-once" or "at-least-once" for replies and events whose outcome is unknown | at-most-once |
 *
 * FREE_TEXT_OPT_OUT: since 11 April 2025 the FCC rule lets a consumer revoke consent "by any
 * reasonable means", which includes free text a reasonable person reads as a revocation. No keyword
 * list decides that honestly, so "flag" (default) publishes every non-keyword message as an
 * `sms.inbound.needs-review` event (with its text) for a person or a system you trust to act on;
 * "ignore" only counts it (InboundIgnored), for numbers whose free text is handled elsewhere.
 *
 * OPT_OUT_MODE, the transactional exemption:
 * - "opt-out-list": STOP puts the number on the End User Messaging opt-out list (Pinpoint target:
 *   the endpoint gets OptOut=ALL). The list blocks EVERY message from every origination identity
 *   linked to it, transactional ones (one-time passwords, receipts) included. Use it when an opt-out
 *   must stop everything, or when transactional traffic goes out from a separate identity that is
 *   linked to a different list.
 * - "preference-table-only": STOP is recorded only in the preference table, so transactional
 *   messages still reach the customer from the same number. Every promotional sender must then
 *   consult the table before sending (the SMS file drop does when PREFERENCE_TABLE_NAME is set).
 *
 * OPT_OUT_REPLY_ORDER (opt-out-list mode on end-user-messaging only): AWS documents that a number
 * on a list linked to the sending identity receives nothing from it, so a STOP confirmation sent
 * AFTER PutOptedOutNumber from the same number is expected to be refused
 * (DESTINATION_PHONE_NUMBER_OPTED_OUT), and a STOP must be confirmed. So the default,
 * "before-opt-out-list", records the opt-out in the preference table first (no confirmation if
 * that fails), publishes the event, confirms (retried with backoff), then adds the number to the
 * list; a failure after the confirmation is retried without confirming twice. If the confirmation
 * still cannot be sent, the number is listed anyway and the confirmation is recorded as owed
 * (ConfirmationOwed, alarmed). "after-opt-out-list" adds to the list first and counts a refused
 * confirmation (ReplyBlockedByOptOutList) without retrying it.
 * https://docs.aws.amazon.com/sms-voice/latest/userguide/opt-out-list.html
 */
import * as z from "zod";
import { buildKeywordSets, type KeywordSets } from "../shared/sms/inbound-sms";
import { sendGuaranteeFromEnv, SEND_GUARANTEE_ENV, type SendGuarantee } from "../shared/runtime/send-guarantee";
import { parseEnv, requiredString, SMS_TARGETS, wordListEnv, type SmsTarget } from "../shared/sms/sms-config";
import {
  DEFAULT_REPLIES,
  FREE_TEXT_POLICIES,
  INBOUND_ENV as V,
  MAX_REPLY_CHARACTERS,
  OPT_OUT_MODES,
  REPLY_ORDERS,
  type FreeTextPolicy,
  type OptOutMode,
  type ReplyOrder,
} from "./contract";

/** The shared parser, inside the schema so its error is reported with the others. */
const sendGuaranteeEnv = z
  .string()
  .optional()
  .transform((value, ctx): SendGuarantee => {
    try {
      return sendGuaranteeFromEnv({ [SEND_GUARANTEE_ENV]: value });
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });

const replyText = z.string().trim().min(1).max(MAX_REPLY_CHARACTERS, `must be at most ${MAX_REPLY_CHARACTERS} characters`);

// Keyed by the contract's names, so the component and this loader cannot drift apart. SEND_GUARANTEE
// is the platform's variable (functions/shared/runtime/send-guarantee.ts).
const EnvSchema = z
  .object({
    [V.TARGET]: z.enum(SMS_TARGETS).default("end-user-messaging"),
    [V.PINPOINT_APPLICATION_ID]: z.string().trim().regex(/^[A-Za-z0-9]+$/, "must be a Pinpoint project id (letters and digits)").optional(),
    [V.OPT_OUT_MODE]: z.enum(OPT_OUT_MODES).default("opt-out-list"),
    [V.OPT_OUT_LIST_NAME]: z.string().trim().regex(/^[A-Za-z0-9_:/-]{1,256}$/, "must be an opt-out list name or ARN").optional(),
    [V.OPT_OUT_REPLY_ORDER]: z.enum(REPLY_ORDERS).default("before-opt-out-list"),
    [V.PREFERENCE_TABLE_NAME]: requiredString,
    [V.IDEMPOTENCY_TABLE_NAME]: requiredString,
    [V.EVENTS_TOPIC_ARN]: z.string().trim().regex(/^arn:aws[a-z-]*:sns:/, "must be an SNS topic ARN"),
    [V.OPT_OUT_REPLY]: replyText.default(DEFAULT_REPLIES.OPT_OUT),
    [V.OPT_IN_REPLY]: replyText.default(DEFAULT_REPLIES.OPT_IN),
    [V.HELP_REPLY]: replyText.default(DEFAULT_REPLIES.HELP),
    [V.CONFIGURATION_SET_NAME]: z.string().trim().regex(/^[A-Za-z0-9_:/-]{1,256}$/, "must be a configuration set name or ARN").optional(),
    [V.OPT_OUT_KEYWORDS]: wordListEnv.optional(),
    [V.OPT_IN_KEYWORDS]: wordListEnv.optional(),
    [V.HELP_KEYWORDS]: wordListEnv.optional(),
    [V.FREE_TEXT_OPT_OUT]: z.enum(FREE_TEXT_POLICIES).default("flag"),
    [SEND_GUARANTEE_ENV]: sendGuaranteeEnv,
  })
  .superRefine((env, ctx) => {
    if (env.TARGET === "pinpoint" && env.PINPOINT_APPLICATION_ID === undefined) {
      ctx.addIssue({ code: "custom", path: ["PINPOINT_APPLICATION_ID"], message: "is required when TARGET is pinpoint" });
    }
    if (env.TARGET === "end-user-messaging" && env.OPT_OUT_MODE === "opt-out-list" && env.OPT_OUT_LIST_NAME === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["OPT_OUT_LIST_NAME"],
        message: "is required when TARGET is end-user-messaging and OPT_OUT_MODE is opt-out-list",
      });
    }
    const lists = [env.OPT_OUT_KEYWORDS, env.OPT_IN_KEYWORDS, env.HELP_KEYWORDS];
    if (lists.every((list) => list === undefined || Array.isArray(list))) {
      try {
        buildKeywordSets({ optOut: env.OPT_OUT_KEYWORDS, optIn: env.OPT_IN_KEYWORDS, help: env.HELP_KEYWORDS });
      } catch (error) {
        ctx.addIssue({ code: "custom", path: ["OPT_OUT_KEYWORDS/OPT_IN_KEYWORDS/HELP_KEYWORDS"], message: (error as Error).message });
      }
    }
  }, { when: () => true }); // cross-field checks run even when another variable failed: report every error at once

export interface InboundConfig {
  target: SmsTarget;
  pinpointApplicationId?: string;
  mode: OptOutMode;
  optOutListName?: string;
  replyOrder: ReplyOrder;
  preferenceTableName: string;
  idempotencyTableName: string;
  eventsTopicArn: string;
  replies: Readonly<Record<"OPT_OUT" | "OPT_IN" | "HELP", string>>;
  configurationSetName?: string;
  keywords: KeywordSets;
  freeTextOptOut: FreeTextPolicy;
  sendGuarantee: SendGuarantee;
}

export function loadInboundConfig(env: NodeJS.ProcessEnv): InboundConfig {
  const e = parseEnv(EnvSchema, env, "self-managed-opt-outs");
  return {
    target: e.TARGET,
    pinpointApplicationId: e.PINPOINT_APPLICATION_ID,
    mode: e.OPT_OUT_MODE,
    optOutListName: e.OPT_OUT_LIST_NAME,
    replyOrder: e.OPT_OUT_REPLY_ORDER,
    preferenceTableName: e.PREFERENCE_TABLE_NAME,
    idempotencyTableName: e.IDEMPOTENCY_TABLE_NAME,
    eventsTopicArn: e.EVENTS_TOPIC_ARN,
    replies: { OPT_OUT: e.OPT_OUT_REPLY, OPT_IN: e.OPT_IN_REPLY, HELP: e.HELP_REPLY },
    configurationSetName: e.CONFIGURATION_SET_NAME,
    keywords: buildKeywordSets({ optOut: e.OPT_OUT_KEYWORDS, optIn: e.OPT_IN_KEYWORDS, help: e.HELP_KEYWORDS }),
    freeTextOptOut: e.FREE_TEXT_OPT_OUT,
    sendGuarantee: e.SEND_GUARANTEE,
  };
}
