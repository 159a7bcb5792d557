/**
 * End User Messaging SMS configuration-set events (delivery outcomes), their schema and what each
 * event type means for a message and for the number. Pure: no SDK.
 *
 * Event JSON (https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-format.html):
 * eventType, eventVersion, eventTimestamp (ms), isFinal, originationPhoneNumber,
 * destinationPhoneNumber, isoCountryCode, mcc, mnc, messageId, messageRequestTimestamp,
 * messageEncoding, messageType, messageStatus, messageStatusDescription, context (the `Context`
 * the send passed), totalMessageParts, totalMessagePrice, totalCarrierFee. Carrier events can take
 * up to 72 hours; after that AWS reports messageStatus UNKNOWN for a message without a final event.
 *
 * Classification of each type, from "Event types for SMS, MMS, and voice"
 * (https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-types.html):
 * - final success: TEXT_DELIVERED, TEXT_SUCCESSFUL ("accepted by the recipient's carrier"; the two
 *   are used interchangeably depending on the destination country).
 * - final failure: TEXT_BLOCKED (the device or carrier blocks messages to the recipient),
 *   TEXT_TTL_EXPIRED, TEXT_INVALID (the destination number is not valid), TEXT_INVALID_MESSAGE (the
 *   body is invalid), TEXT_CARRIER_BLOCKED (the carrier blocked it as malicious or abusive),
 *   TEXT_SPAM (the carrier identified unsolicited commercial content), TEXT_PROTECT_BLOCKED (a
 *   protect configuration blocked it), TEXT_UNKNOWN (could not be delivered for another reason; AWS
 *   says it "can be temporary or permanent", so it fails the message but never the number).
 * - temporary: TEXT_UNREACHABLE (the device is off or not on the network), TEXT_CARRIER_UNREACHABLE
 *   (a temporary error on the carrier's network). A later event may still deliver the message.
 * - in progress: TEXT_QUEUED, TEXT_PENDING.
 * The event's own `isFinal` wins over the type: a temporary type with isFinal true ends the message
 * as failed; a final type with isFinal false (an intermediate carrier acceptance) is not final yet.
 *
 * Permanent for the number (recorded in the preference table, later sends skip it): only
 * TEXT_INVALID and TEXT_BLOCKED, which describe the recipient. Content (TEXT_INVALID_MESSAGE,
 * TEXT_CARRIER_BLOCKED, TEXT_SPAM), our own policy (TEXT_PROTECT_BLOCKED), timing
 * (TEXT_TTL_EXPIRED), TEXT_UNKNOWN and temporary types never are.
 */
import * as z from "zod";

export type DeliveryClass = "FINAL_SUCCESS" | "FINAL_FAILURE" | "TEMPORARY" | "IN_PROGRESS";

export interface DeliveryTypeInfo {
  class: DeliveryClass;
  /** The number itself cannot receive SMS: record it, and later sends skip it. */
  permanentForNumber: boolean;
}

export const DELIVERY_EVENT_TYPES: Readonly<Record<string, DeliveryTypeInfo>> = Object.freeze({
  TEXT_DELIVERED: { class: "FINAL_SUCCESS", permanentForNumber: false },
  TEXT_SUCCESSFUL: { class: "FINAL_SUCCESS", permanentForNumber: false },
  TEXT_BLOCKED: { class: "FINAL_FAILURE", permanentForNumber: true },
  TEXT_INVALID: { class: "FINAL_FAILURE", permanentForNumber: true },
  TEXT_TTL_EXPIRED: { class: "FINAL_FAILURE", permanentForNumber: false },
  TEXT_INVALID_MESSAGE: { class: "FINAL_FAILURE", permanentForNumber: false },
  TEXT_CARRIER_BLOCKED: { class: "FINAL_FAILURE", permanentForNumber: false },
  TEXT_SPAM: { class: "FINAL_FAILURE", permanentForNumber: false },
  TEXT_PROTECT_BLOCKED: { class: "FINAL_FAILURE", permanentForNumber: false },
  TEXT_UNKNOWN: { class: "FINAL_FAILURE", permanentForNumber: false },
  TEXT_UNREACHABLE: { class: "TEMPORARY", permanentForNumber: false },
  TEXT_CARRIER_UNREACHABLE: { class: "TEMPORARY", permanentForNumber: false },
  TEXT_QUEUED: { class: "IN_PROGRESS", permanentForNumber: false },
  TEXT_PENDING: { class: "IN_PROGRESS", permanentForNumber: false },
});

/** The types the file drop's event destination subscribes to: every SMS outcome, not the progress events. */
export const CONSUMED_EVENT_TYPES = Object.keys(DELIVERY_EVENT_TYPES).filter((t) => DELIVERY_EVENT_TYPES[t]!.class !== "IN_PROGRESS");

export const SmsDeliveryEventSchema = z.looseObject({
  eventType: z.string().regex(/^TEXT_[A-Z_]+$/, "must be an SMS event type (TEXT_…)"),
  eventVersion: z.string().optional(),
  eventTimestamp: z.number().int().nonnegative(),
  isFinal: z.boolean().optional(),
  messageId: z.string().min(1),
  destinationPhoneNumber: z.string().optional(),
  originationPhoneNumber: z.string().optional(),
  messageStatus: z.string().optional(),
  messageStatusDescription: z.string().optional(),
  context: z.record(z.string(), z.string()).optional(),
  totalMessageParts: z.number().int().optional(),
});
export type SmsDeliveryEvent = z.infer<typeof SmsDeliveryEventSchema>;

/** A row's delivery outcome once its latest event is applied. */
export type DeliveryOutcome = "DELIVERED" | "FAILED" | "PENDING";

export interface ClassifiedDelivery {
  class: DeliveryClass;
  outcome: DeliveryOutcome;
  final: boolean;
  permanentForNumber: boolean;
}

/** An unknown TEXT_ type is treated as in progress: never final, never held against the number. */
export function classifyDeliveryEvent(event: Pick<SmsDeliveryEvent, "eventType" | "isFinal">): ClassifiedDelivery {
  const info = DELIVERY_EVENT_TYPES[event.eventType] ?? { class: "IN_PROGRESS" as const, permanentForNumber: false };
  const final = event.isFinal ?? (info.class === "FINAL_SUCCESS" || info.class === "FINAL_FAILURE");
  const outcome: DeliveryOutcome = !final ? "PENDING" : info.class === "FINAL_SUCCESS" ? "DELIVERED" : "FAILED";
  return { class: info.class, outcome, final, permanentForNumber: info.permanentForNumber };
}

/**
 * The event in an SQS message body: the event itself (raw SNS delivery) or an SNS notification
 * envelope whose `Message` holds it. Throws on anything else.
 */
export function deliveryEventFromBody(body: string): SmsDeliveryEvent {
  let json = JSON.parse(body) as unknown;
  if (typeof json === "object" && json !== null && (json as { Type?: unknown }).Type === "Notification" && typeof (json as { Message?: unknown }).Message === "string") {
    json = JSON.parse((json as { Message: string }).Message) as unknown;
  }
  return SmsDeliveryEventSchema.parse(json);
}
