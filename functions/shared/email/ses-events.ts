/**
 * SES feedback events (bounce, complaint, delivery, ...) in every form they reach a Lambda in this
 * project, validated with zod and normalised into one source-neutral `FeedbackEvent`.
 *
 * Accepted inputs (spec 01 §0.1):
 * - an SQS body holding the SNS envelope (SNS → SQS subscription with raw delivery off): the SES
 *   JSON is the string in `Message`;
 * - an SQS body that is the SES JSON itself (raw delivery on);
 * - an EventBridge event (`source: "aws.ses"`, `detail` = the event-publishing JSON);
 * - an SNS Lambda record (`{ EventSource: "aws:sns", Sns: {...} }`);
 * - a bare SES object.
 *
 * Identity notifications name the type `notificationType`; configuration-set event publishing names
 * it `eventType`. Both are accepted. SES documents that it may add fields, so every SES object is a
 * loose object: unknown fields are kept, never rejected.
 *
 * Error messages never contain input values (addresses, bodies): they name the form and the
 * schema path only, so they are safe to log.
 *
 * https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html
 * https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html
 */
import * as z from "zod";
import { EventBridgeEventSchema, SnsNotificationSchema, SnsRecordSchema } from "../runtime/envelopes";

// ---------------------------------------------------------------------------------------------
// SES JSON

export const SesMailSchema = z.looseObject({
  timestamp: z.string(),
  messageId: z.string().min(1),
  source: z.string().optional(),
  sourceArn: z.string().optional(),
  sourceIp: z.string().optional(),
  callerIdentity: z.string().optional(),
  sendingAccountId: z.string().optional(),
  destination: z.array(z.string()).optional(),
  headersTruncated: z.boolean().optional(),
  headers: z.array(z.looseObject({ name: z.string(), value: z.string() })).optional(),
  commonHeaders: z.looseObject({}).optional(),
  tags: z.record(z.string(), z.array(z.string())).optional(),
});

export const SesBouncedRecipientSchema = z.looseObject({
  emailAddress: z.string().min(1),
  action: z.string().optional(),
  status: z.string().optional(),
  diagnosticCode: z.string().optional(),
});

export const SesBounceSchema = z.looseObject({
  /** "Permanent" | "Transient" | "Undetermined"; kept as a string so a new value does not fail parsing. */
  bounceType: z.string().min(1),
  bounceSubType: z.string().optional(),
  bouncedRecipients: z.array(SesBouncedRecipientSchema).min(1),
  timestamp: z.string(),
  feedbackId: z.string().optional(),
  remoteMtaIp: z.string().optional(),
  reportingMTA: z.string().optional(),
});

export const SesComplaintSchema = z.looseObject({
  complainedRecipients: z.array(z.looseObject({ emailAddress: z.string().min(1) })).min(1),
  timestamp: z.string(),
  feedbackId: z.string().optional(),
  /** abuse, auth-failure, fraud, not-spam, other, virus. Absent when the ISP sent no feedback report. */
  complaintFeedbackType: z.string().optional(),
  complaintSubType: z.string().nullable().optional(),
  userAgent: z.string().optional(),
  arrivalDate: z.string().optional(),
});

export const SesDeliverySchema = z.looseObject({
  timestamp: z.string(),
  recipients: z.array(z.string().min(1)).min(1),
  processingTimeMillis: z.number().optional(),
  smtpResponse: z.string().optional(),
  reportingMTA: z.string().optional(),
  remoteMtaIp: z.string().optional(),
});

/**
 * One SES feedback document, identity-notification form (`notificationType`) or event-publishing
 * form (`eventType`). Exactly one discriminator must be present, and Bounce / Complaint / Delivery
 * must carry `mail` and their own sub-object. Other types (Send, Open, Click, DeliveryDelay, ...,
 * and SES's `AmazonSnsSubscriptionSucceeded` control message, which has no `mail`) pass through.
 */
export const SesFeedbackDocumentSchema = z
  .looseObject({
    notificationType: z.string().min(1).optional(),
    eventType: z.string().min(1).optional(),
    mail: SesMailSchema.optional(),
    bounce: SesBounceSchema.optional(),
    complaint: SesComplaintSchema.optional(),
    delivery: SesDeliverySchema.optional(),
  })
  .superRefine((doc, ctx) => {
    const { notificationType, eventType } = doc;
    if (notificationType === undefined && eventType === undefined) {
      ctx.addIssue({ code: "custom", message: "no notificationType or eventType discriminator", path: [] });
      return;
    }
    if (notificationType !== undefined && eventType !== undefined && notificationType !== eventType) {
      ctx.addIssue({ code: "custom", message: "notificationType and eventType disagree", path: ["eventType"] });
      return;
    }
    const type = (notificationType ?? eventType) as string;
    const required = REQUIRED_SUB_OBJECT[type];
    if (required === undefined) return;
    if (doc.mail === undefined) ctx.addIssue({ code: "custom", message: `${type} requires mail`, path: ["mail"] });
    if (doc[required] === undefined) {
      ctx.addIssue({ code: "custom", message: `${type} requires ${required}`, path: [required] });
    }
  });
export type SesFeedbackDocument = z.infer<typeof SesFeedbackDocumentSchema>;

const REQUIRED_SUB_OBJECT: Record<string, "bounce" | "complaint" | "delivery" | undefined> = {
  Bounce: "bounce",
  Complaint: "complaint",
  Delivery: "delivery",
};

// ---------------------------------------------------------------------------------------------
// Envelopes

/** The SNS envelope that is the SQS body when raw message delivery is off. Unknown fields tolerated. */
export const SesSnsEnvelopeSchema = SnsNotificationSchema;

/** An SNS record as a Lambda subscribed to the topic receives it. */
export const SesSnsRecordSchema = SnsRecordSchema;

/** The EventBridge detail-types SES emits on the default bus (spec 01 §0.1). */
export const SES_EVENTBRIDGE_DETAIL_TYPES = [
  "Email Bounced",
  "Email Complaint Received",
  "Email Delivered",
  "Email Sent",
  "Email Rejected",
  "Email Opened",
  "Email Clicked",
  "Email Rendering Failed",
  "Email Delivery Delayed",
  "Email Subscribed",
] as const;

/** An SES event on EventBridge: `source` is "aws.ses" and `detail` is the event-publishing JSON. */
export const SesEventBridgeEventSchema = EventBridgeEventSchema.extend({
  source: z.literal("aws.ses"),
  detail: z.unknown(),
}).loose();

// ---------------------------------------------------------------------------------------------
// Normalised form

export type FeedbackKind = "bounce" | "complaint" | "delivery" | "other";

/** "Permanent" | "Transient" | "Undetermined", or a value SES adds later. */
export type BounceType = "Permanent" | "Transient" | "Undetermined" | (string & {});

/**
 * One feedback event, independent of where it came from. Architecture #4's legacy Pinpoint
 * processor maps Pinpoint event-stream records into this same shape.
 */
export interface FeedbackEvent {
  kind: FeedbackKind;
  /** The original discriminator value, e.g. "Bounce", "Complaint", "Delivery", "Open". */
  eventType: string;
  /** The SES message id (`mail.messageId`). Empty only for control messages that carry no `mail`. */
  sesMessageId: string;
  /** `bounce.feedbackId` / `complaint.feedbackId` when SES supplied one. */
  feedbackId?: string;
  /**
   * ISO-8601 (UTC, milliseconds) time of the feedback; falls back to `mail.timestamp`, then to the
   * envelope time. The epoch only for an "other" control message that carries no time at all.
   */
  timestamp: string;
  bounceType?: BounceType;
  bounceSubType?: string;
  complaintFeedbackType?: string;
  /** The affected recipients: trimmed, lower-cased, deduplicated, in first-seen order. */
  recipients: string[];
}

export type SesEventForm = "sns-envelope" | "sns-record" | "eventbridge" | "raw";

export type SesFeedbackParseResult =
  | { ok: true; event: FeedbackEvent; form: SesEventForm }
  | { ok: false; form: SesEventForm | "unknown"; error: string };

/** Thrown by {@link parseSesFeedback}. The message contains no input values. */
export class SesFeedbackParseError extends Error {
  override readonly name = "SesFeedbackParseError";
  constructor(
    message: string,
    readonly form: SesEventForm | "unknown",
  ) {
    super(message);
  }
}

/** Normalises one SES feedback input (see the module comment for the accepted forms); throws on bad input. */
export function parseSesFeedback(input: unknown): FeedbackEvent {
  const result = safeParseSesFeedback(input);
  if (!result.ok) throw new SesFeedbackParseError(result.error, result.form);
  return result.event;
}

/** Like {@link parseSesFeedback}, but returns a result instead of throwing. */
export function safeParseSesFeedback(input: unknown): SesFeedbackParseResult {
  let value: unknown = input;
  if (typeof value === "string") {
    const parsed = parseJson(value);
    if (parsed === INVALID_JSON) return { ok: false, form: "unknown", error: "body is not valid JSON" };
    value = parsed;
  }
  if (!isPlainObject(value)) return { ok: false, form: "unknown", error: "input is not a JSON object" };

  if (value.Type !== undefined && "Message" in value) {
    const envelope = SesSnsEnvelopeSchema.safeParse(value);
    if (!envelope.success) return { ok: false, form: "sns-envelope", error: describeIssues("SNS envelope", envelope.error) };
    return fromSnsMessage(envelope.data.Message, "sns-envelope", envelope.data.Timestamp);
  }
  if (value.EventSource === "aws:sns" || "Sns" in value) {
    const record = SesSnsRecordSchema.safeParse(value);
    if (!record.success) return { ok: false, form: "sns-record", error: describeIssues("SNS record", record.error) };
    return fromSnsMessage(record.data.Sns.Message, "sns-record", record.data.Sns.Timestamp);
  }
  if ("detail-type" in value || "detail" in value) {
    const event = SesEventBridgeEventSchema.safeParse(value);
    if (!event.success) return { ok: false, form: "eventbridge", error: describeIssues("EventBridge event", event.error) };
    return fromDocument(event.data.detail, "eventbridge", event.data.time);
  }
  return fromDocument(value, "raw");
}

function fromSnsMessage(message: string, form: SesEventForm, envelopeTime: string): SesFeedbackParseResult {
  const parsed = parseJson(message);
  if (parsed === INVALID_JSON) return { ok: false, form, error: "SNS Message is not valid JSON" };
  return fromDocument(parsed, form, envelopeTime);
}

function fromDocument(value: unknown, form: SesEventForm, envelopeTime?: string): SesFeedbackParseResult {
  const doc = SesFeedbackDocumentSchema.safeParse(value);
  if (!doc.success) return { ok: false, form, error: describeIssues("SES event", doc.error) };
  const event = normaliseDocument(doc.data, envelopeTime);
  if (event === undefined) return { ok: false, form, error: "SES event: unparseable timestamp" };
  return { ok: true, event, form };
}

/**
 * Maps a validated SES document to a FeedbackEvent; undefined when no usable timestamp exists.
 * `fallbackTimestamp` (the SNS or EventBridge envelope time) is used only when the document has
 * no timestamp of its own, i.e. for control messages without `mail`.
 */
export function normaliseDocument(doc: SesFeedbackDocument, fallbackTimestamp?: string): FeedbackEvent | undefined {
  const eventType = (doc.notificationType ?? doc.eventType) as string;
  const sesMessageId = doc.mail?.messageId ?? "";
  switch (eventType) {
    case "Bounce": {
      const bounce = doc.bounce!;
      const timestamp = isoTimestamp(bounce.timestamp, doc.mail?.timestamp, fallbackTimestamp);
      if (timestamp === undefined) return undefined;
      return withoutUndefined<FeedbackEvent>({
        kind: "bounce",
        eventType,
        sesMessageId,
        feedbackId: bounce.feedbackId,
        timestamp,
        bounceType: bounce.bounceType,
        bounceSubType: bounce.bounceSubType,
        recipients: normaliseRecipients(bounce.bouncedRecipients.map((r) => r.emailAddress)),
      });
    }
    case "Complaint": {
      const complaint = doc.complaint!;
      const timestamp = isoTimestamp(complaint.timestamp, doc.mail?.timestamp, fallbackTimestamp);
      if (timestamp === undefined) return undefined;
      return withoutUndefined<FeedbackEvent>({
        kind: "complaint",
        eventType,
        sesMessageId,
        feedbackId: complaint.feedbackId,
        timestamp,
        complaintFeedbackType: complaint.complaintFeedbackType,
        recipients: normaliseRecipients(complaint.complainedRecipients.map((r) => r.emailAddress)),
      });
    }
    case "Delivery": {
      const delivery = doc.delivery!;
      const timestamp = isoTimestamp(delivery.timestamp, doc.mail?.timestamp, fallbackTimestamp);
      if (timestamp === undefined) return undefined;
      return {
        kind: "delivery",
        eventType,
        sesMessageId,
        timestamp,
        recipients: normaliseRecipients(delivery.recipients),
      };
    }
    default: {
      // A control message delivered raw has no time at all; "other" events drive no decision.
      const timestamp = isoTimestamp(doc.mail?.timestamp, fallbackTimestamp) ?? UNKNOWN_TIME;
      return {
        kind: "other",
        eventType,
        sesMessageId,
        timestamp,
        recipients: normaliseRecipients(doc.mail?.destination ?? []),
      };
    }
  }
}

/**
 * Trims, strips a display name (`"Jane" <jane@example.com>` → `jane@example.com`), lower-cases and
 * deduplicates addresses, keeping first-seen order. Empty entries are dropped.
 */
export function normaliseRecipients(addresses: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const raw of addresses) {
    const angle = /<([^<>]+)>\s*$/.exec(raw);
    const address = (angle ? angle[1] : raw).trim().toLowerCase();
    if (address !== "") seen.add(address);
  }
  return [...seen];
}

// ---------------------------------------------------------------------------------------------
// Address syntax

/** Why an address cannot go on the SES suppression list. Codes only: safe to log and to count. */
export type SesAddressProblem =
  | "not-an-address"
  | "non-ascii"
  | "local-part-too-long"
  | "local-part-syntax"
  | "domain-too-long"
  | "domain-syntax";

// RFC 5322 dot-atom: atext runs separated by single dots. Quoted local parts ("a b"@x) are rare in
// practice and not something we can be sure SES accepts, so they are refused too.
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
// RFC 1035/1123 host labels (letters, digits, inner hyphens; Punycode "xn--" labels included).
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Checks that an (already normalised) address is one SES can take as a destination, before it is
 * put on the suppression list: 7-bit ASCII only (SES does not support SMTPUTF8; a non-ASCII domain
 * must arrive as Punycode), an RFC 5321 local part of at most 64 octets in dot-atom form, and a
 * domain name of at most 253 octets with at least two DNS labels and a non-numeric top label
 * (no IP literals, no bare host names). Returns undefined when the address is acceptable.
 * https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_Destination.html
 */
export function sesAddressProblem(address: string): SesAddressProblem | undefined {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at === address.length - 1) return "not-an-address";
  if (/[\u0080-\uffff]/.test(address)) return "non-ascii";
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64) return "local-part-too-long";
  if (!DOT_ATOM.test(local)) return "local-part-syntax";
  if (domain.length > 253) return "domain-too-long";
  const labels = domain.split(".");
  if (labels.length < 2 || !labels.every((label) => DNS_LABEL.test(label)) || /^\d+$/.test(labels[labels.length - 1])) {
    return "domain-syntax";
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// helpers

const UNKNOWN_TIME = new Date(0).toISOString();

const INVALID_JSON: unique symbol = Symbol("invalid-json");

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID_JSON;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isoTimestamp(...candidates: (string | undefined)[]): string | undefined {
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const ms = Date.parse(candidate);
    if (!Number.isNaN(ms)) return new Date(ms).toISOString();
  }
  return undefined;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** "SES event: bounce.bouncedRecipients: Too small: ..." — paths and messages only, never values. */
function describeIssues(what: string, error: z.ZodError): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join(".");
    return path === "" ? issue.message : `${path}: ${issue.message}`;
  });
  const more = error.issues.length > 3 ? ` (+${error.issues.length - 3} more)` : "";
  return `${what}: ${parts.join("; ")}${more}`;
}
