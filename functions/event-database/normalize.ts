/**
 * One event → one `all_events` row. Three sources reach the event database's Firehose:
 * - SES configuration-set event publishing (`eventType` + `mail`, camelCase);
 * - End User Messaging SMS configuration-set events (`eventType` TEXT_*, MEDIA_*, VOICE_*);
 * - Pinpoint event-stream records (`event_type`, snake_case), which pass through unchanged.
 *
 * SES and SMS events are rewritten into the Pinpoint event-stream shape the seed's table and
 * views were written for (`_email.*` with `facets.email_channel.mail_event`, `_SMS.*` with
 * `attributes`), so queries written against the seed keep working after the move off Pinpoint.
 * The mapping is documented as a table in docs/architectures/05-event-database.md.
 *
 * Pure: no SDK, no I/O. Errors name the source and the schema path, never a value.
 * https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-firehose-contents.html
 * https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-format.html
 * https://docs.aws.amazon.com/pinpoint/latest/developerguide/event-streams-data-email.html
 */
import * as z from "zod";
import { SesBounceSchema, SesComplaintSchema, SesDeliverySchema, SesMailSchema } from "../shared/email/ses-events";

export type EventSource = "ses" | "sms" | "pinpoint";

/** `event_version` of rows this function writes, so a query can tell them from Pinpoint's "3.1". */
export const SES_EVENT_VERSION = "ses-1";
export const SMS_EVENT_VERSION_PREFIX = "sms-voice-v2-";

/** Pinpoint's own test record, sent when a stream is attached: never stored. */
export const TEST_EVENT_TYPE = "_test.event_stream";

/** What the mapping needs besides the event. */
export interface NormalizeContext {
  /** Firehose's approximate arrival time, ms: the row's `arrival_timestamp`. */
  arrivalTimestamp: number;
  /** The account of the delivery stream: SMS events carry none. */
  accountId: string;
  campaignIdTag: string;
  treatmentIdTag: string;
}

/** A row of `all_events` (only the keys this function sets; absent keys are NULL). */
export interface AllEventsRow {
  event_type: string;
  event_timestamp: number;
  arrival_timestamp: number;
  event_version: string;
  application: { app_id: string | null; sdk: Record<string, string> };
  client: { client_id: string | null };
  device: { platform: Record<string, string> };
  session: Record<string, string>;
  attributes: Record<string, string>;
  client_context: { custom: Record<string, string> };
  awsAccountId: string;
  facets?: { email_channel: { mail_event: MailEvent } };
  metrics?: { price_in_millicents_usd: number };
}

export interface MailEvent {
  mail: {
    message_id: string;
    message_send_timestamp: number;
    from_address: string | null;
    destination: string[];
    headers_truncated: boolean | null;
    headers: { name: string; value: string }[];
    common_headers: { from: string | null; to: string[]; subject: string | null };
  };
  send?: Record<string, string>;
  delivery?: { smtp_response: string | null; reporting_mta: string | null; recipients: string[]; processing_time_millis: number | null };
  open?: { ip_address: string | null; user_agent: string | null };
  click?: { ip_address: string | null; user_agent: string | null; link: string | null; link_tags: { unsubscribeLinkTag: string[] | null } };
  reject?: { reason: string | null };
  complaint?: {
    complained_recipients: { email_address: string }[];
    feedback_id: string | null;
    user_agent: string | null;
    complaint_feedback_type: string | null;
  };
  bounce?: {
    bounce_type: string;
    bounce_sub_type: string | null;
    bounced_recipients: { email_address: string; action: string | null; status: string | null; diagnostic_code: string | null }[];
    feedback_id: string | null;
    reporting_mta: string | null;
  };
  rendering_failure?: { error_message: string | null; template_name: string | null };
  delivery_delay?: {
    delay_type: string | null;
    expiration_time: string | null;
    reporting_mta: string | null;
    delayed_recipients: { email_address: string; status: string | null; diagnostic_code: string | null }[];
  };
  subscription?: { contact_list: string | null; source: string | null; new_topic_preferences: string | null; old_topic_preferences: string | null };
}

export type NormalizeResult =
  | { kind: "row"; source: EventSource; row: AllEventsRow | Record<string, unknown>; eventType: string }
  | { kind: "test-event" }
  | { kind: "invalid"; source: EventSource | "unknown"; error: string };

// ---------------------------------------------------------------------------------------------
// Schemas (loose: AWS documents that fields may be added)

const isoTimestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO-8601 timestamp");
const optionalString = z.string().nullish();

const SesPublishedMailSchema = SesMailSchema.extend({
  timestamp: isoTimestamp,
  commonHeaders: z
    .looseObject({
      from: z.array(z.string()).nullish(),
      to: z.array(z.string()).nullish(),
      subject: optionalString,
    })
    .optional(),
});

const SesOpenSchema = z.looseObject({ timestamp: isoTimestamp, ipAddress: optionalString, userAgent: optionalString });
const SesClickSchema = z.looseObject({
  timestamp: isoTimestamp,
  ipAddress: optionalString,
  userAgent: optionalString,
  link: optionalString,
  linkTags: z.record(z.string(), z.array(z.string())).nullish(),
});
const SesRejectSchema = z.looseObject({ reason: optionalString });
const SesFailureSchema = z.looseObject({ errorMessage: optionalString, templateName: optionalString });
const SesDeliveryDelaySchema = z.looseObject({
  timestamp: isoTimestamp,
  delayType: optionalString,
  expirationTime: optionalString,
  reportingMTA: optionalString,
  delayedRecipients: z.array(z.looseObject({ emailAddress: z.string(), status: optionalString, diagnosticCode: optionalString })).default([]),
});
const SesSubscriptionSchema = z.looseObject({
  timestamp: isoTimestamp,
  contactList: optionalString,
  source: optionalString,
  newTopicPreferences: z.unknown().optional(),
  oldTopicPreferences: z.unknown().optional(),
});

/** SES event publishing, one schema per `eventType`, so a record is checked against its own type. */
const SesEventSchema = z.discriminatedUnion("eventType", [
  z.looseObject({ eventType: z.literal("Send"), mail: SesPublishedMailSchema, send: z.looseObject({}).optional() }),
  z.looseObject({ eventType: z.literal("Delivery"), mail: SesPublishedMailSchema, delivery: SesDeliverySchema.extend({ timestamp: isoTimestamp }) }),
  z.looseObject({ eventType: z.literal("Bounce"), mail: SesPublishedMailSchema, bounce: SesBounceSchema.extend({ timestamp: isoTimestamp }) }),
  z.looseObject({ eventType: z.literal("Complaint"), mail: SesPublishedMailSchema, complaint: SesComplaintSchema.extend({ timestamp: isoTimestamp }) }),
  z.looseObject({ eventType: z.literal("Open"), mail: SesPublishedMailSchema, open: SesOpenSchema }),
  z.looseObject({ eventType: z.literal("Click"), mail: SesPublishedMailSchema, click: SesClickSchema }),
  z.looseObject({ eventType: z.literal("Reject"), mail: SesPublishedMailSchema, reject: SesRejectSchema }),
  z.looseObject({ eventType: z.literal("Rendering Failure"), mail: SesPublishedMailSchema, failure: SesFailureSchema }),
  z.looseObject({ eventType: z.literal("DeliveryDelay"), mail: SesPublishedMailSchema, deliveryDelay: SesDeliveryDelaySchema }),
  z.looseObject({ eventType: z.literal("Subscription"), mail: SesPublishedMailSchema, subscription: SesSubscriptionSchema }),
]);
type SesEvent = z.infer<typeof SesEventSchema>;
export const SES_EVENT_TYPES = ["Send", "Delivery", "Bounce", "Complaint", "Open", "Click", "Reject", "Rendering Failure", "DeliveryDelay", "Subscription"] as const;

const SmsEventSchema = z.looseObject({
  eventType: z.string().regex(/^[A-Z]+_[A-Z_]+$/, "must be an End User Messaging event type"),
  eventVersion: z.string().min(1),
  eventTimestamp: z.number().int().nonnegative(),
  isFinal: z.boolean().optional(),
  originationPhoneNumber: optionalString,
  destinationPhoneNumber: optionalString,
  isInternationalSend: z.boolean().optional(),
  isoCountryCode: optionalString,
  mcc: optionalString,
  mnc: optionalString,
  messageId: z.string().min(1),
  messageRequestTimestamp: z.number().nullish(),
  messageEncoding: optionalString,
  messageType: optionalString,
  messageStatus: optionalString,
  messageStatusDescription: optionalString,
  // SendTextMessage's Context is a string map; a value of another type is kept as its JSON text.
  context: z.record(z.string(), z.unknown()).nullish(),
  totalMessageParts: z.number().nullish(),
  totalMessagePrice: z.number().nullish(),
  totalCarrierFee: z.number().nullish(),
});
type SmsEvent = z.infer<typeof SmsEventSchema>;

/** Pinpoint event-stream record: only what the table's partitioning and the views rely on is checked. */
const PinpointRecordSchema = z.looseObject({
  event_type: z.string().min(1),
  event_timestamp: z.number(),
  arrival_timestamp: z.number().optional(),
});

// ---------------------------------------------------------------------------------------------
// Mapping

/** SES eventType (and bounce type / link tag) → the Pinpoint `_email.*` event type. */
export function pinpointEmailEventType(event: SesEvent): string {
  switch (event.eventType) {
    case "Send":
      return "_email.send";
    case "Delivery":
      return "_email.delivered";
    // Pinpoint calls only a Permanent bounce hard; Transient and Undetermined are soft.
    case "Bounce":
      return event.bounce.bounceType === "Permanent" ? "_email.hardbounce" : "_email.softbounce";
    case "Complaint":
      return "_email.complaint";
    case "Open":
      return "_email.open";
    // Pinpoint reports a click on a link tagged unsubscribeLinkTag as an unsubscribe.
    case "Click":
      return event.click.linkTags?.unsubscribeLinkTag === undefined ? "_email.click" : "_email.unsubscribe";
    case "Reject":
      return "_email.rejected";
    case "Rendering Failure":
      return "_email.rendering_failure";
    case "DeliveryDelay":
      return "_email.delivery_delay";
    case "Subscription":
      return "_email.subscription";
  }
}

/** End User Messaging status → Pinpoint's SMS event type (Pinpoint's `record_status` values are the same words). */
export function pinpointSmsEventType(eventType: string, status: string): string {
  const [channel] = eventType.split("_", 1);
  if (channel === "TEXT") {
    if (status === "QUEUED" || status === "PENDING" || status === "SUCCESSFUL") return "_SMS.BUFFERED";
    if (status === "DELIVERED") return "_SMS.SUCCESS";
    if (status === "OPTED_OUT") return "_SMS.OPTOUT";
    return "_SMS.FAILURE";
  }
  if (channel === "MEDIA") return `_MMS.${status}`;
  if (channel === "VOICE") return `_VOICE.${status}`;
  return `_EUM.${eventType}`;
}

/** Decides the source by shape and maps one parsed JSON value. */
export function normalizeEvent(value: unknown, ctx: NormalizeContext): NormalizeResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { kind: "invalid", source: "unknown", error: "not a JSON object" };
  const record = value as Record<string, unknown>;
  if (typeof record.event_type === "string") {
    if (record.event_type === TEST_EVENT_TYPE) return { kind: "test-event" };
    const parsed = PinpointRecordSchema.safeParse(record);
    if (!parsed.success) return { kind: "invalid", source: "pinpoint", error: issues(parsed.error) };
    return { kind: "row", source: "pinpoint", row: record, eventType: parsed.data.event_type };
  }
  if (typeof record.eventType === "string" && "mail" in record) {
    const parsed = SesEventSchema.safeParse(record);
    if (!parsed.success) return { kind: "invalid", source: "ses", error: issues(parsed.error) };
    const row = sesRow(parsed.data, ctx);
    return { kind: "row", source: "ses", row, eventType: row.event_type };
  }
  if (typeof record.eventType === "string" && "eventVersion" in record) {
    const parsed = SmsEventSchema.safeParse(record);
    if (!parsed.success) return { kind: "invalid", source: "sms", error: issues(parsed.error) };
    const row = smsRow(parsed.data, ctx);
    return { kind: "row", source: "sms", row, eventType: row.event_type };
  }
  return { kind: "invalid", source: "unknown", error: "neither an SES, an End User Messaging nor a Pinpoint event" };
}

function sesRow(event: SesEvent, ctx: NormalizeContext): AllEventsRow {
  const tags = event.mail.tags ?? {};
  const attributes: Record<string, string> = {};
  for (const [name, values] of Object.entries(tags)) attributes[name] = values.join(",");
  copyTag(attributes, tags, ctx.campaignIdTag, "campaign_id");
  copyTag(attributes, tags, ctx.treatmentIdTag, "treatment_id");
  const mail = event.mail;
  const common = mail.commonHeaders;
  const mailEvent: MailEvent = {
    mail: {
      message_id: mail.messageId,
      message_send_timestamp: Date.parse(mail.timestamp),
      from_address: mail.source ?? null,
      destination: mail.destination ?? [],
      headers_truncated: mail.headersTruncated ?? null,
      headers: (mail.headers ?? []).map((h) => ({ name: h.name, value: h.value })),
      // The seed's column is a string; SES gives a list (several From addresses are rare but legal).
      common_headers: { from: common?.from ? common.from.join(", ") : null, to: common?.to ?? [], subject: common?.subject ?? null },
    },
  };
  let eventTime = mail.timestamp;
  switch (event.eventType) {
    case "Send":
      mailEvent.send = {};
      break;
    case "Delivery":
      eventTime = event.delivery.timestamp;
      mailEvent.delivery = {
        smtp_response: event.delivery.smtpResponse ?? null,
        reporting_mta: event.delivery.reportingMTA ?? null,
        recipients: event.delivery.recipients,
        processing_time_millis: event.delivery.processingTimeMillis ?? null,
      };
      break;
    case "Bounce":
      eventTime = event.bounce.timestamp;
      mailEvent.bounce = {
        bounce_type: event.bounce.bounceType,
        bounce_sub_type: event.bounce.bounceSubType ?? null,
        bounced_recipients: event.bounce.bouncedRecipients.map((r) => ({
          email_address: r.emailAddress,
          action: r.action ?? null,
          status: r.status ?? null,
          diagnostic_code: r.diagnosticCode ?? null,
        })),
        feedback_id: event.bounce.feedbackId ?? null,
        reporting_mta: event.bounce.reportingMTA ?? null,
      };
      break;
    case "Complaint":
      eventTime = event.complaint.timestamp;
      mailEvent.complaint = {
        complained_recipients: event.complaint.complainedRecipients.map((r) => ({ email_address: r.emailAddress })),
        feedback_id: event.complaint.feedbackId ?? null,
        user_agent: event.complaint.userAgent ?? null,
        complaint_feedback_type: event.complaint.complaintFeedbackType ?? null,
      };
      break;
    case "Open":
      eventTime = event.open.timestamp;
      mailEvent.open = { ip_address: event.open.ipAddress ?? null, user_agent: event.open.userAgent ?? null };
      break;
    case "Click":
      eventTime = event.click.timestamp;
      mailEvent.click = {
        ip_address: event.click.ipAddress ?? null,
        user_agent: event.click.userAgent ?? null,
        link: event.click.link ?? null,
        link_tags: { unsubscribeLinkTag: event.click.linkTags?.unsubscribeLinkTag ?? null },
      };
      break;
    case "Reject":
      mailEvent.reject = { reason: event.reject.reason ?? null };
      break;
    case "Rendering Failure":
      mailEvent.rendering_failure = { error_message: event.failure.errorMessage ?? null, template_name: event.failure.templateName ?? null };
      break;
    case "DeliveryDelay":
      eventTime = event.deliveryDelay.timestamp;
      mailEvent.delivery_delay = {
        delay_type: event.deliveryDelay.delayType ?? null,
        expiration_time: event.deliveryDelay.expirationTime ?? null,
        reporting_mta: event.deliveryDelay.reportingMTA ?? null,
        delayed_recipients: event.deliveryDelay.delayedRecipients.map((r) => ({
          email_address: r.emailAddress,
          status: r.status ?? null,
          diagnostic_code: r.diagnosticCode ?? null,
        })),
      };
      break;
    case "Subscription":
      eventTime = event.subscription.timestamp;
      mailEvent.subscription = {
        contact_list: event.subscription.contactList ?? null,
        source: event.subscription.source ?? null,
        new_topic_preferences: jsonOrNull(event.subscription.newTopicPreferences),
        old_topic_preferences: jsonOrNull(event.subscription.oldTopicPreferences),
      };
      break;
  }
  return {
    event_type: pinpointEmailEventType(event),
    event_timestamp: Date.parse(eventTime),
    arrival_timestamp: ctx.arrivalTimestamp,
    event_version: SES_EVENT_VERSION,
    // The configuration set plays the part of the Pinpoint project: it is what the mail was sent through.
    application: { app_id: tags["ses:configuration-set"]?.[0] ?? null, sdk: {} },
    client: { client_id: tags.endpoint_id?.[0] ?? null },
    device: { platform: {} },
    session: {},
    attributes,
    client_context: { custom: {} },
    awsAccountId: mail.sendingAccountId ?? ctx.accountId,
    facets: { email_channel: { mail_event: mailEvent } },
  };
}

function smsRow(event: SmsEvent, ctx: NormalizeContext): AllEventsRow {
  const status = event.messageStatus ?? event.eventType.slice(event.eventType.indexOf("_") + 1);
  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries(event.context ?? {})) context[key] = typeof value === "string" ? value : JSON.stringify(value);
  const attributes: Record<string, string> = {};
  const set = (key: string, value: string | number | boolean | null | undefined) => {
    if (value !== undefined && value !== null) attributes[key] = String(value);
  };
  set("origination_phone_number", event.originationPhoneNumber);
  set("destination_phone_number", event.destinationPhoneNumber);
  set("record_status", status);
  set("iso_country_code", event.isoCountryCode);
  set("number_of_message_parts", event.totalMessageParts);
  set("message_id", event.messageId);
  set("message_type", pinpointMessageType(event.messageType));
  if (event.context) set("customer_context", JSON.stringify(context));
  set("campaign_id", context[ctx.campaignIdTag]);
  set("treatment_id", context[ctx.treatmentIdTag]);
  // End User Messaging's own fields, under their snake_case names (read by the sms_events view).
  set("eum_event_type", event.eventType);
  set("is_final", event.isFinal);
  set("is_international_send", event.isInternationalSend);
  set("mcc", event.mcc);
  set("mnc", event.mnc);
  set("message_encoding", event.messageEncoding);
  set("message_status_description", event.messageStatusDescription);
  set("message_request_timestamp", event.messageRequestTimestamp);
  set("total_message_price", event.totalMessagePrice);
  set("total_carrier_fee", event.totalCarrierFee);
  return {
    event_type: pinpointSmsEventType(event.eventType, status),
    event_timestamp: event.eventTimestamp,
    arrival_timestamp: ctx.arrivalTimestamp,
    event_version: `${SMS_EVENT_VERSION_PREFIX}${event.eventVersion}`,
    application: { app_id: null, sdk: {} },
    client: { client_id: null },
    device: { platform: {} },
    session: {},
    attributes,
    // The context is in attributes.customer_context already (the SMS views read it there); not
    // repeated here, which keeps a 2 MB batch's response under Lambda's 6 MB.
    client_context: { custom: {} },
    awsAccountId: ctx.accountId,
    ...(event.totalMessagePrice === undefined || event.totalMessagePrice === null
      ? {}
      : { metrics: { price_in_millicents_usd: usdToMillicents(event.totalMessagePrice) } }),
  };
}

/** 1 USD = 100,000 millicents; rounded to 1e-6 millicent so binary fractions do not leak into the column. */
export function usdToMillicents(usd: number): number {
  return Math.round(usd * 100_000 * 1_000_000) / 1_000_000;
}

/** Pinpoint wrote "Transactional" / "Promotional"; End User Messaging writes upper case. */
function pinpointMessageType(type: string | null | undefined): string | undefined {
  if (!type) return undefined;
  return type.charAt(0).toUpperCase() + type.slice(1).toLowerCase();
}

function copyTag(attributes: Record<string, string>, tags: Record<string, string[]>, tag: string, key: string): void {
  const values = tags[tag];
  if (values !== undefined && values.length > 0) attributes[key] = values.join(",");
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** Paths and messages only: never the input values (they hold addresses and numbers). */
function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(record)"}: ${i.message}`)
    .join("; ");
}
