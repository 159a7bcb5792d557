/**
 * The dial request: one outbound call, as a message on #13's dialer queue. Any sender may enqueue
 * one (the SMS file drop's VOICE rows, the Pinpoint custom-channel Lambda, your own code); the
 * dialer places it with StartOutboundVoiceContact. Pure: no SDK.
 *
 * Body (JSON, version 1):
 *   { version: 1, campaignKey, recipientKey, destination, message, attributes, source }
 * - campaignKey + recipientKey name the call: the same pair is called at most once. Both feed the
 *   StartOutboundVoiceContact ClientToken (sha256, see `clientTokenFor`) and the dialer's outcome
 *   record key, so a redelivery, a retry after a timeout or a second enqueue of the same pair never
 *   rings the person twice.
 * - message is spoken by the contact flow (`$.Attributes.Message`).
 * - attributes are further contact attributes for your own flow (never "Message").
 *
 * Connect limits (StartOutboundVoiceContact API reference): attribute keys are letters, digits,
 * "-" and "_"; all keys and values together at most 32,768 UTF-8 bytes. ClientToken at most 500
 * characters; valid for 7 days.
 */
import { createHash } from "node:crypto";
import * as z from "zod";

export const DIAL_REQUEST_VERSION = 1;
/** The contact attribute the contact flow speaks. */
export const MESSAGE_ATTRIBUTE = "Message";
/** All contact attributes of one call, keys and values, UTF-8 bytes (API limit). */
export const MAX_ATTRIBUTE_BYTES = 32_768;
/**
 * Longest message the dialer accepts, characters. Connect's text-to-speech limit for one prompt is
 * not stated on the API page; 3,000 is a conservative cap (see the docs page, Unverified).
 */
export const MAX_MESSAGE_CHARACTERS = 3_000;
/** How long Connect honours a ClientToken (API reference: 7 days). */
export const CLIENT_TOKEN_VALIDITY_MS = 7 * 24 * 3600 * 1000;

const E164 = /^\+[1-9]\d{1,14}$/;
export const ATTRIBUTE_KEY = /^[A-Za-z0-9_-]{1,128}$/;
const SOURCE_KINDS = ["sms-file-drop", "pinpoint", "api"] as const;

export const DialRequestSchema = z
  .strictObject({
    version: z.literal(DIAL_REQUEST_VERSION),
    campaignKey: z.string().min(1).max(512),
    recipientKey: z.string().min(1).max(512),
    destination: z.string().regex(E164, "destination must be an E.164 number"),
    message: z.string().trim().min(1, "message must not be empty").max(MAX_MESSAGE_CHARACTERS, `message must be at most ${MAX_MESSAGE_CHARACTERS} characters`),
    attributes: z
      .record(z.string().regex(ATTRIBUTE_KEY, "attribute keys are 1–128 letters, digits, - or _"), z.string())
      .default({})
      .refine((a) => !Object.hasOwn(a, MESSAGE_ATTRIBUTE), `attributes must not set "${MESSAGE_ATTRIBUTE}" (it carries the message)`),
    /** Where the request came from, for the outcome record and logs: no personal data. */
    source: z.strictObject({ kind: z.enum(SOURCE_KINDS), ref: z.string().max(1024) }),
  })
  .superRefine((r, ctx) => {
    const bytes = attributeBytes(contactAttributes(r));
    if (bytes > MAX_ATTRIBUTE_BYTES) ctx.addIssue({ code: "custom", path: ["attributes"], message: `contact attributes take ${bytes} UTF-8 bytes (maximum ${MAX_ATTRIBUTE_BYTES})` });
  });
export type DialRequest = z.output<typeof DialRequestSchema>;
export type DialRequestInput = z.input<typeof DialRequestSchema>;

/** The attributes the call carries: the message under MESSAGE_ATTRIBUTE, then the request's own. */
export function contactAttributes(request: Pick<DialRequest, "message" | "attributes">): Record<string, string> {
  return { [MESSAGE_ATTRIBUTE]: request.message, ...request.attributes };
}

/** UTF-8 bytes of every key and value, as Connect counts its 32,768-byte budget. */
export function attributeBytes(attributes: Record<string, string>): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(attributes)) bytes += Buffer.byteLength(key, "utf8") + Buffer.byteLength(value, "utf8");
  return bytes;
}

/**
 * The ClientToken (and outcome-record key) of a call: sha256 of [campaignKey, recipientKey], 64
 * hex characters (the API allows 500). The same pair gives the same token on every retry.
 */
export function clientTokenFor(campaignKey: string, recipientKey: string): string {
  return createHash("sha256").update(JSON.stringify([campaignKey, recipientKey])).digest("hex");
}

/** A body that can never be dialled (not JSON, or not a DialRequest): the dialer reports it and drops it to the DLQ. */
export class MalformedDialRequestError extends Error {
  constructor(detail: string) {
    super(`Dial request is malformed: ${detail}`);
    this.name = "MalformedDialRequestError";
  }
}

export function parseDialRequest(body: string): DialRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedDialRequestError("body is not JSON");
  }
  const result = DialRequestSchema.safeParse(json);
  if (!result.success) {
    throw new MalformedDialRequestError(result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "));
  }
  return result.data;
}

/** Validates and serialises a request for the queue (throws on an invalid one, naming every problem). */
export function formatDialRequest(request: DialRequestInput): string {
  const result = DialRequestSchema.safeParse(request);
  if (!result.success) throw new MalformedDialRequestError(result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "));
  return JSON.stringify(result.data);
}
