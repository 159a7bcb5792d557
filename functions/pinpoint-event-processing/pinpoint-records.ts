import * as z from "zod";
import type { FeedbackEvent } from "../shared/email/ses-events";
import { normaliseRecipients } from "../shared/email/ses-events";

/**
 * Pinpoint event-stream records (spec 01 §0.4) for the two email event types the legacy processor
 * acts on, mapped into the normalised `FeedbackEvent` of functions/shared/email/ses-events.ts so the
 * suppression decision and side effects are exactly those of architecture #1.
 *
 * The SES details sit under `facets.email_channel.mail_event` in snake_case. ⚠️ The recipient
 * paths `bounce.bounced_recipients[].email_address` and
 * `complaint.complained_recipients[].email_address` are the seed's; AWS documents the send and
 * delivery samples but not these two, so when they are absent the single `mail.destination`
 * address is used (a Pinpoint email message has one recipient). Several destinations and no
 * recipient list is reported as invalid rather than guessed.
 */

export const HARD_BOUNCE = "_email.hardbounce";
export const COMPLAINT = "_email.complaint";
const ACTED_ON = new Set([HARD_BOUNCE, COMPLAINT]);

const timestampLike = z.union([z.string(), z.number()]);
const recipientList = z.array(z.looseObject({ email_address: z.string().min(1) }));

export const PinpointEmailEventSchema = z.looseObject({
  event_type: z.string(),
  event_timestamp: z.number().optional(),
  arrival_timestamp: z.number().optional(),
  facets: z.looseObject({
    email_channel: z.looseObject({
      mail_event: z.looseObject({
        mail: z.looseObject({
          message_id: z.string().min(1),
          message_send_timestamp: z.number().optional(),
          destination: z.array(z.string()).optional(),
        }),
        bounce: z
          .looseObject({
            bounce_type: z.string().optional(),
            bounce_sub_type: z.string().optional(),
            bounced_recipients: recipientList.optional(),
            feedback_id: z.string().optional(),
            timestamp: timestampLike.optional(),
          })
          .optional(),
        complaint: z
          .looseObject({
            complained_recipients: recipientList.optional(),
            complaint_feedback_type: z.string().optional(),
            feedback_id: z.string().optional(),
            timestamp: timestampLike.optional(),
          })
          .optional(),
      }),
    }),
  }),
});

export type PinpointRecordResult =
  | { kind: "feedback"; event: FeedbackEvent }
  /** A valid record of another type (SMS, push, custom, other email events). */
  | { kind: "ignored"; eventType: string }
  /** Not usable; `error` names schema paths only, never values. */
  | { kind: "invalid"; error: string };

function isoTime(...candidates: (string | number | undefined)[]): string | undefined {
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const ms = typeof candidate === "number" ? candidate : Date.parse(candidate);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  return undefined;
}

function recipientsOf(listed: { email_address: string }[] | undefined, destination: string[] | undefined): string[] | undefined {
  if (listed && listed.length > 0) return normaliseRecipients(listed.map((r) => r.email_address));
  if (destination && destination.length === 1) return normaliseRecipients(destination);
  return undefined;
}

/**
 * Maps one parsed JSON value. Other event types are "ignored" without validating their facets,
 * so only the two email event types pay for full validation.
 */
export function mapPinpointRecord(value: unknown): PinpointRecordResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { kind: "invalid", error: "record is not a JSON object" };
  const eventType = (value as { event_type?: unknown }).event_type;
  if (typeof eventType !== "string") return { kind: "invalid", error: "event_type: missing or not a string" };
  if (!ACTED_ON.has(eventType)) return { kind: "ignored", eventType };

  const parsed = PinpointEmailEventSchema.safeParse(value);
  if (!parsed.success) {
    return { kind: "invalid", error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.code}`).join("; ") };
  }
  const record = parsed.data;
  const { mail, bounce, complaint } = record.facets.email_channel.mail_event;
  // The feedback's own time, else when the event was recorded, sent, or arrived.
  const fallbackTimes = [record.event_timestamp, mail.message_send_timestamp, record.arrival_timestamp];

  if (eventType === HARD_BOUNCE) {
    const recipients = recipientsOf(bounce?.bounced_recipients, mail.destination);
    const timestamp = isoTime(bounce?.timestamp, ...fallbackTimes);
    if (!recipients) return { kind: "invalid", error: "facets.email_channel.mail_event.bounce.bounced_recipients: missing" };
    if (!timestamp) return { kind: "invalid", error: "event_timestamp: missing" };
    const event: FeedbackEvent = {
      kind: "bounce",
      eventType: "Bounce",
      sesMessageId: mail.message_id,
      timestamp,
      // `_email.hardbounce` is Pinpoint's name for a permanent bounce; the record's own
      // bounce_type wins when present.
      bounceType: bounce?.bounce_type ?? "Permanent",
      recipients,
    };
    if (bounce?.bounce_sub_type) event.bounceSubType = bounce.bounce_sub_type;
    if (bounce?.feedback_id) event.feedbackId = bounce.feedback_id;
    return { kind: "feedback", event };
  }

  const recipients = recipientsOf(complaint?.complained_recipients, mail.destination);
  const timestamp = isoTime(complaint?.timestamp, ...fallbackTimes);
  if (!recipients) return { kind: "invalid", error: "facets.email_channel.mail_event.complaint.complained_recipients: missing" };
  if (!timestamp) return { kind: "invalid", error: "event_timestamp: missing" };
  const event: FeedbackEvent = { kind: "complaint", eventType: "Complaint", sesMessageId: mail.message_id, timestamp, recipients };
  if (complaint?.complaint_feedback_type) event.complaintFeedbackType = complaint.complaint_feedback_type;
  if (complaint?.feedback_id) event.feedbackId = complaint.feedback_id;
  return { kind: "feedback", event };
}
