/**
 * #7's contract between the EventBasedSegmentation component and its processor (pure: zod and
 * constants, no SDK): the processor's environment and metrics, the rule schema the component
 * validates and the processor loads, the seed's default rules, and how SES event types map to the
 * rule vocabulary.
 */
import * as z from "zod";
import { ATTRIBUTE_STORE_ENV } from "../shared/profiles/config";
import { defineFunctionContract, envOf, metricsOf } from "../shared/runtime/function-contract";

export const PROCESSOR = defineFunctionContract({
  entry: "functions/event-based-segmentation/processor.ts",
  env: [...ATTRIBUTE_STORE_ENV, "SEGMENT_RULES", "SES_IDENTITY_TAG"],
  namespace: "DigitalUserEngagement/EventBasedSegmentation",
  metrics: [
    "AttributeUpdated",
    "AttributeUnchanged",
    "PersonNotFound",
    "PersonAmbiguous",
    "Unidentified",
    "Ignored",
    "WriteRejected",
    "MalformedRecord",
    "FailedRecord",
    "Throttled",
  ],
});
export const PROCESSOR_ENV = envOf(PROCESSOR);
export const PROCESSOR_METRICS = metricsOf(PROCESSOR);

export const RULE_MODES = ["set", "add", "remove"] as const;

/**
 * One rule: an event of `eventType` (and, when `match` is given, whose attributes equal every
 * listed value) changes `attribute` of the person the event identifies: `set` replaces its values
 * with [value], `add` adds value, `remove` removes it.
 */
export const SegmentRuleSchema = z.strictObject({
  eventType: z.string().min(1).max(100).describe("Event type, e.g. _email.open or an application event's type."),
  match: z
    .record(z.string().min(1).max(100), z.string().max(1000))
    .optional()
    .describe("Event attributes that must all equal these values."),
  attribute: z.string().min(1).max(50).describe("The person attribute to change."),
  value: z.string().min(1).max(100).describe("The value set, added or removed."),
  mode: z.enum(RULE_MODES).describe("set: replace with [value]; add: add value; remove: remove value."),
});
export type SegmentRule = z.infer<typeof SegmentRuleSchema>;

/**
 * The seed's two rules, fixed: the attribute is `email_opened` (the README's name; the seed's code
 * wrote `opened_email`), and webinar registrations accumulate instead of overwriting each other.
 */
export const DEFAULT_RULES: SegmentRule[] = [
  { eventType: "_email.open", attribute: "email_opened", value: "true", mode: "set" },
  { eventType: "_custom.registered_for_webinar5", attribute: "webinar_registration", value: "webinar5", mode: "add" },
];

/**
 * SES configuration-set event types and the rule vocabulary's names for them: Pinpoint's email
 * event names (so one rule serves SES events and the legacy Pinpoint stream), and two names of
 * our own for the types Pinpoint never had (delivery delay, subscription). A bounce is a hard
 * bounce when SES calls it Permanent, a soft bounce otherwise.
 */
export const SES_EVENT_RULE_TYPES = {
  SEND: ["_email.send"],
  REJECT: ["_email.rejected"],
  BOUNCE: ["_email.hardbounce", "_email.softbounce"],
  COMPLAINT: ["_email.complaint"],
  DELIVERY: ["_email.delivered"],
  OPEN: ["_email.open"],
  CLICK: ["_email.click"],
  RENDERING_FAILURE: ["_email.rendering_failure"],
  DELIVERY_DELAY: ["_email.delivery_delay"],
  SUBSCRIPTION: ["_email.subscription"],
} as const;
export type SesEventType = keyof typeof SES_EVENT_RULE_TYPES;

/** The EventBridge detail-type SES emits for each event type. */
export const SES_DETAIL_TYPES: Record<SesEventType, string> = {
  SEND: "Email Sent",
  REJECT: "Email Rejected",
  BOUNCE: "Email Bounced",
  COMPLAINT: "Email Complaint Received",
  DELIVERY: "Email Delivered",
  OPEN: "Email Opened",
  CLICK: "Email Clicked",
  RENDERING_FAILURE: "Email Rendering Failed",
  DELIVERY_DELAY: "Email Delivery Delayed",
  SUBSCRIPTION: "Email Subscribed",
};

/** The SES event types some rule acts on, in SES's order: what the configuration set must publish. */
export function sesEventTypesFor(rules: readonly Pick<SegmentRule, "eventType">[]): SesEventType[] {
  const wanted = new Set(rules.map((r) => r.eventType));
  return (Object.keys(SES_EVENT_RULE_TYPES) as SesEventType[]).filter((t) => SES_EVENT_RULE_TYPES[t].some((name) => wanted.has(name)));
}
