/**
 * What to do for one inbound message, as an ordered list of steps. Pure: no SDK, no clock.
 *
 * Default order for OPT_OUT / OPT_IN (spec 01 §4.7, fixing the 2020 original which confirmed
 * before recording and swallowed the failure):
 *   1. enforce   PutOptedOutNumber / DeleteOptedOutNumber (or Pinpoint UpdateEndpoint OptOut),
 *                skipped in preference-table-only mode
 *   2. record    the preference table
 *   3. publish   the domain event for other systems
 *   4. reply     the confirmation, from the number the customer texted, TRANSACTIONAL
 * If 1 or 2 throws, nothing after it runs, so no confirmation is sent for an opt-out that was not
 * recorded. Every step is safe to repeat on a retry: enforce and record are upserts (record is
 * conditional on event time), and publish and reply are journaled per inboundMessageId so a retry
 * after a later failure does not publish or text twice.
 *
 * HELP: reply only, no state change. NONE (free text): nothing, or with FREE_TEXT_OPT_OUT=flag a
 * needs-review event for a person to judge (see shared/sms/inbound-sms.ts for why the handler does not).
 */
import type { InboundSms, KeywordClass } from "../shared/sms/inbound-sms";
import type { SmsInboundNeedsReviewEvent, SmsPreferenceChangedEvent } from "../shared/sms/sms-domain-events";
import type { PreferenceStatus } from "../shared/sms/sms-preferences";
import type { InboundConfig } from "./config";

export type Enforcement = SmsPreferenceChangedEvent["enforcement"];

export type InboundStep =
  | { kind: "enforce"; action: "opt-out" | "opt-in" }
  | { kind: "record"; status: PreferenceStatus }
  | { kind: "publish"; event: "preference" | "needs-review" }
  | { kind: "reply"; text: string };

/** Steps whose side effect is not naturally idempotent; they are journaled once completed. */
export const JOURNALED_STEPS: ReadonlySet<InboundStep["kind"]> = new Set(["publish", "reply"]);

export function enforcementFor(config: Pick<InboundConfig, "mode" | "target">): Enforcement {
  if (config.mode === "preference-table-only") return "preference-table-only";
  return config.target === "pinpoint" ? "pinpoint-endpoint" : "opt-out-list";
}

export function planInbound(
  keywordClass: KeywordClass,
  config: Pick<InboundConfig, "mode" | "target" | "replyOrder" | "replies" | "freeTextOptOut">,
): InboundStep[] {
  switch (keywordClass) {
    case "NONE":
      return config.freeTextOptOut === "flag" ? [{ kind: "publish", event: "needs-review" }] : [];
    case "HELP":
      return [{ kind: "reply", text: config.replies.HELP }];
    case "OPT_OUT":
    case "OPT_IN": {
      const optOut = keywordClass === "OPT_OUT";
      const enforcement = enforcementFor(config);
      const enforce: InboundStep[] =
        enforcement === "preference-table-only" ? [] : [{ kind: "enforce", action: optOut ? "opt-out" : "opt-in" }];
      const record: InboundStep = { kind: "record", status: optOut ? "OPTED_OUT" : "OPTED_IN" };
      const reply: InboundStep = { kind: "reply", text: config.replies[keywordClass] };
      const publish: InboundStep = { kind: "publish", event: "preference" };
      if (optOut && enforcement === "opt-out-list" && config.replyOrder === "before-opt-out-list") {
        // The list would refuse a confirmation sent after it (see config.ts): record durably in
        // our table, publish, confirm, then enforce. A failed record sends nothing; a failed
        // enforce is retried without confirming twice (the reply step is journaled).
        return [record, publish, reply, ...enforce];
      }
      return [...enforce, record, publish, reply];
    }
  }
}

/**
 * Pinpoint endpoint id for a phone number: the E.164 number without its leading "+"
 * ("+12065550100" → "12065550100"). This is the convention the 2020 original used, so endpoints
 * it (or an import using the same rule) created are updated in place. UpdateEndpoint is an upsert:
 * if your endpoints use other ids, a second endpoint is created for the number, which is why the
 * preference table, not the endpoint, is the record other systems should read.
 */
export function pinpointEndpointId(phoneNumber: string): string {
  return phoneNumber.replace(/^\+/, "");
}

export function buildPreferenceEvent(
  message: InboundSms,
  keywordClass: "OPT_OUT" | "OPT_IN",
  eventAt: number,
  enforcement: Enforcement,
): SmsPreferenceChangedEvent {
  return {
    eventType: keywordClass === "OPT_OUT" ? "sms.preference.opted-out" : "sms.preference.opted-in",
    eventId: message.inboundMessageId,
    occurredAt: new Date(eventAt).toISOString(),
    phoneNumber: message.originationNumber,
    originationIdentity: message.destinationNumber,
    keywordClass,
    enforcement,
  };
}

export function buildNeedsReviewEvent(message: InboundSms, eventAt: number): SmsInboundNeedsReviewEvent {
  return {
    eventType: "sms.inbound.needs-review",
    eventId: message.inboundMessageId,
    occurredAt: new Date(eventAt).toISOString(),
    phoneNumber: message.originationNumber,
    originationIdentity: message.destinationNumber,
    messageBody: message.messageBody,
    reason: "not-a-keyword",
  };
}

/** The enforcement action that matches a stored status (used to reconcile after a lost race). */
export function enforcementActionFor(status: PreferenceStatus): "opt-out" | "opt-in" {
  return status === "OPTED_OUT" ? "opt-out" : "opt-in";
}
