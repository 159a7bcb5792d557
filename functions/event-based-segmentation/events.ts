/**
 * The three kinds of record #7's stream carries, validated with zod and normalised into one
 * `SegmentEvent`: the event type (in the rule vocabulary), its attributes (for rule matches), and
 * the ways it identifies a person RELIABLY, in order of preference. An event that does not
 * identify anyone reliably gets no identity and changes nothing.
 *
 * - SES engagement events, put on the stream by an EventBridge rule (`source: "aws.ses"`, `detail`
 *   = the event-publishing JSON). The person is the value of the configured message tag (a profile
 *   ID, or an endpoint ID for `pinpoint`), else the recipient when the message had exactly one: an
 *   open or click of a message sent to several recipients cannot say which of them it was.
 * - Legacy Pinpoint event-stream records (`event_type`, `client.client_id`, …). `client_id` is the
 *   endpoint ID for application events and for campaign or journey messages; for a message sent
 *   with SendMessages to a raw address it is not (the seed then created phantom endpoints), so a
 *   message event counts only when it carries a campaign or journey ID. The single recipient of
 *   an email event identifies the person for Customer Profiles.
 * - Application events (this project's format, documented on the architecture's page):
 *   `{ "eventType": "...", "person": { "email" | "phone" | "profileId" | "endpointId": "..." } or
 *   { "keyName": "...", "keyValue": "..." }, "attributes": { ... } }`.
 *
 * Error messages name schema paths only, never values: safe to log.
 */
import * as z from "zod";
import type { PersonRef } from "../shared/profiles/store";
import { EventBridgeEventSchema } from "../shared/runtime/envelopes";

export type EventSource = "ses" | "pinpoint" | "application";

export interface SegmentEvent {
  source: EventSource;
  eventType: string;
  attributes: Record<string, string>;
  /** Reliable identities, most preferred first; empty when the event identifies no one reliably. */
  identities: PersonRef[];
}

export type ParseResult = { ok: true; event: SegmentEvent } | { ok: false; error: string };

// -------------------------------------------------------------------------------------------
// SES (through EventBridge)

const SesDetailSchema = z.looseObject({
  eventType: z.string().min(1),
  mail: z.looseObject({
    messageId: z.string().min(1),
    destination: z.array(z.string()).default([]),
    tags: z.record(z.string(), z.array(z.string())).default({}),
  }),
  bounce: z.looseObject({ bounceType: z.string() }).optional(),
  click: z.looseObject({ link: z.string().optional() }).optional(),
});

const SesEventBridgeSchema = EventBridgeEventSchema.extend({ source: z.literal("aws.ses"), detail: SesDetailSchema }).loose();

/** SES's `eventType` values and the rule vocabulary's names (contract.ts SES_EVENT_RULE_TYPES). */
const SES_RULE_TYPE: Record<string, string> = {
  Send: "_email.send",
  Reject: "_email.rejected",
  Complaint: "_email.complaint",
  Delivery: "_email.delivered",
  Open: "_email.open",
  Click: "_email.click",
  "Rendering Failure": "_email.rendering_failure",
  DeliveryDelay: "_email.delivery_delay",
  Subscription: "_email.subscription",
};

function sesRuleType(detail: z.infer<typeof SesDetailSchema>): string {
  if (detail.eventType === "Bounce") return detail.bounce?.bounceType === "Permanent" ? "_email.hardbounce" : "_email.softbounce";
  return SES_RULE_TYPE[detail.eventType] ?? `_email.${detail.eventType.toLowerCase()}`;
}

/** One address from a destination entry: `"Jane" <jane@example.com>` → `jane@example.com`. */
export function bareAddress(entry: string): string {
  const angle = /<([^<>]+)>\s*$/.exec(entry);
  return (angle ? angle[1] : entry).trim().toLowerCase();
}

function singleRecipient(destination: readonly string[]): PersonRef[] {
  const unique = [...new Set(destination.map(bareAddress).filter((a) => a !== ""))];
  return unique.length === 1 ? [{ kind: "email", value: unique[0] }] : [];
}

function fromSes(event: z.infer<typeof SesEventBridgeSchema>, identityTag: string | undefined): SegmentEvent {
  const { detail } = event;
  const attributes: Record<string, string> = {};
  for (const [tag, values] of Object.entries(detail.mail.tags)) if (values.length > 0) attributes[tag] = values[0];
  if (detail.click?.link !== undefined) attributes.link = detail.click.link;
  if (detail.bounce !== undefined) attributes.bounceType = detail.bounce.bounceType;
  const identities: PersonRef[] = [];
  const tagged = identityTag === undefined ? undefined : detail.mail.tags[identityTag]?.[0];
  if (tagged !== undefined && tagged !== "") {
    identities.push({ kind: "profileKey", keyName: "_profileId", value: tagged }, { kind: "endpointId", value: tagged });
  }
  identities.push(...singleRecipient(detail.mail.destination));
  return { source: "ses", eventType: sesRuleType(detail), attributes, identities };
}

// -------------------------------------------------------------------------------------------
// Legacy Pinpoint event stream

const PinpointRecordSchema = z.looseObject({
  event_type: z.string().min(1),
  client: z.looseObject({ client_id: z.string().optional() }).optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
  facets: z
    .looseObject({
      email_channel: z
        .looseObject({ mail_event: z.looseObject({ mail: z.looseObject({ destination: z.array(z.string()).optional() }).optional() }).optional() })
        .optional(),
    })
    .optional(),
});

/** Pinpoint's message event prefixes: their client_id is an endpoint only for campaign and journey sends. */
const MESSAGE_EVENT = /^_(email|SMS|sms|push|voice|inapp|custom_channel)\./;

function fromPinpoint(record: z.infer<typeof PinpointRecordSchema>): SegmentEvent {
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(record.attributes ?? {})) if (typeof value === "string") attributes[key] = value;
  const clientId = record.client?.client_id;
  const fromCampaignOrJourney = attributes.campaign_id !== undefined || attributes.journey_id !== undefined;
  const identities: PersonRef[] = [];
  if (clientId !== undefined && clientId !== "" && (!MESSAGE_EVENT.test(record.event_type) || fromCampaignOrJourney)) {
    identities.push({ kind: "endpointId", value: clientId });
  }
  identities.push(...singleRecipient(record.facets?.email_channel?.mail_event?.mail?.destination ?? []));
  return { source: "pinpoint", eventType: record.event_type, attributes, identities };
}

// -------------------------------------------------------------------------------------------
// Application events (this project's format)

const E164 = /^\+[1-9]\d{1,14}$/;
const PersonSchema = z.union([
  z.strictObject({ email: z.string().regex(/^[^@\s]+@[^@\s]+$/, "must be an email address") }),
  z.strictObject({ phone: z.string().regex(E164, "must be an E.164 phone number") }),
  z.strictObject({ profileId: z.string().min(1).max(255) }),
  z.strictObject({ keyName: z.string().min(1).max(255), keyValue: z.string().min(1).max(255) }),
  z.strictObject({ endpointId: z.string().min(1).max(255) }),
]);

export const ApplicationEventSchema = z.strictObject({
  eventType: z.string().min(1).max(100),
  person: PersonSchema,
  attributes: z.record(z.string(), z.string()).default({}),
  timestamp: z.string().optional(),
});
export type ApplicationEvent = z.input<typeof ApplicationEventSchema>;

function personOf(person: z.infer<typeof PersonSchema>): PersonRef {
  if ("email" in person) return { kind: "email", value: bareAddress(person.email) };
  if ("phone" in person) return { kind: "phone", value: person.phone };
  if ("profileId" in person) return { kind: "profileKey", keyName: "_profileId", value: person.profileId };
  if ("keyName" in person) return { kind: "profileKey", keyName: person.keyName, value: person.keyValue };
  return { kind: "endpointId", value: person.endpointId };
}

// -------------------------------------------------------------------------------------------

function issues(what: string, error: z.ZodError): string {
  return `${what}: ${error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"} ${i.code}`).join(", ")}`;
}

/**
 * Decodes one Kinesis record's data (base64 of UTF-8 JSON) into a SegmentEvent. The kind is told
 * by its shape: `source: "aws.ses"` (EventBridge), `event_type` (Pinpoint), `eventType` + `person`
 * (application).
 */
export function parseRecordData(base64: string, identityTag: string | undefined): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(base64, "base64").toString("utf8"));
  } catch {
    return { ok: false, error: "data is not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, error: "data is not a JSON object" };
  const obj = value as Record<string, unknown>;
  if (obj.source === "aws.ses") {
    const parsed = SesEventBridgeSchema.safeParse(obj);
    return parsed.success ? { ok: true, event: fromSes(parsed.data, identityTag) } : { ok: false, error: issues("SES EventBridge event", parsed.error) };
  }
  if ("event_type" in obj) {
    const parsed = PinpointRecordSchema.safeParse(obj);
    return parsed.success ? { ok: true, event: fromPinpoint(parsed.data) } : { ok: false, error: issues("Pinpoint event", parsed.error) };
  }
  if ("eventType" in obj) {
    const parsed = ApplicationEventSchema.safeParse(obj);
    if (!parsed.success) return { ok: false, error: issues("application event", parsed.error) };
    return { ok: true, event: { source: "application", eventType: parsed.data.eventType, attributes: parsed.data.attributes, identities: [personOf(parsed.data.person)] } };
  }
  return { ok: false, error: "neither an SES EventBridge event, a Pinpoint event nor an application event" };
}

// -------------------------------------------------------------------------------------------
// The Lambda event

export const KinesisRecordSchema = z.looseObject({
  eventID: z.string().optional(),
  eventSourceARN: z.string().optional(),
  kinesis: z.looseObject({
    data: z.string(),
    sequenceNumber: z.string().min(1),
    partitionKey: z.string().optional(),
    approximateArrivalTimestamp: z.number().optional(),
  }),
});
export const KinesisEventSchema = z.looseObject({ Records: z.array(KinesisRecordSchema) });
export type KinesisRecord = z.infer<typeof KinesisRecordSchema>;
