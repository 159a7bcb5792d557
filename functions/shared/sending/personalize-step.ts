/**
 * Send step "sendTimeAttributes" (#11's default target): before each send, looks up the
 * recipient's offer in the offer store and renders the message's own text with it, the way a
 * Pinpoint campaign message used `{Attributes.Offer}`: here `{{Attributes.Offer}}` (Handlebars).
 *
 * - Recipient key: the destination (E.164 phone number, or the email address lower-cased), or for
 *   SMS a named entry of the send context (e.g. `id_1`, a customer id from the file).
 * - Offer attributes are attached within the attribute limits (attributes.ts); one that does not
 *   fit is left out, never truncated.
 * - No offer: `keep` renders without it (an absent attribute renders empty), `drop` withholds the
 *   message (SKIPPED, recorded by the sender as such, nothing sent).
 * - A message text that is not a valid template is withheld with the reason: no retry can fix it.
 *   A lookup that fails (throttled past the retries) throws, so the sender retries the message.
 * - HTML parts are escaped; subjects, text parts and SMS bodies are not (they are plain text).
 * Lookups made concurrently are coalesced into one BatchGetItem (createOfferLoader).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { attributesForTemplate, limitOfferAttributes, PINPOINT_ATTRIBUTE_LIMITS } from "../campaigns/attributes";
import { createOfferLoader, DynamoDbOfferStore, MISSING_OFFER_POLICIES, type OfferStore } from "../campaigns/offers";
import { compileTemplate, TemplateSyntaxError } from "../campaigns/render";
import { sdkClientConfig } from "../runtime/aws-clients";
import type { ChannelStep, EmailSendRequest } from "./channels";
import type { SendStepFactory } from "./registry";
import type { StepDecision } from "./steps";
import type { SmsSendRequest } from "../sms/sms-send";

export const PERSONALIZE_STEP_NAME = "sendTimeAttributes";

export const PersonalizeSettingsSchema = z.strictObject({
  tableName: z.string().min(3).max(255),
  /** For the component's IAM statement only; the handler does not use it. */
  tableArn: z.string().optional(),
  missingOffer: z.enum(MISSING_OFFER_POLICIES).default("keep"),
  /** SMS only: the send-context entry holding the recipient key instead of the phone number. */
  recipientKeyContextEntry: z.string().min(1).optional(),
  /** Longest attribute value attached; Pinpoint's endpoint limit by default. */
  maxValueLength: z.int().min(1).max(1600).default(PINPOINT_ATTRIBUTE_LIMITS.maxValueLength),
});
export type PersonalizeSettings = z.output<typeof PersonalizeSettingsSchema>;

export function parsePersonalizeSettings(settings: Record<string, unknown>): PersonalizeSettings {
  const parsed = PersonalizeSettingsSchema.safeParse(settings);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join(".") || "settings"}: ${i.message}`).join("; "));
  return parsed.data;
}

type Channel = "sms" | "email";

function recipientKey(channel: Channel, request: SmsSendRequest | EmailSendRequest, settings: PersonalizeSettings): string | undefined {
  if (channel === "email") return (request as EmailSendRequest).to.trim().toLowerCase();
  const sms = request as SmsSendRequest;
  return settings.recipientKeyContextEntry === undefined ? sms.destination : sms.context?.[settings.recipientKeyContextEntry];
}

/** The step for `channel`, on an injected offer store (the registry gives it DynamoDB). */
export function createPersonalizeStep<C extends Channel>(channel: C, settings: PersonalizeSettings, store: OfferStore): ChannelStep<C> {
  const loader = createOfferLoader(store);
  const limits = { ...PINPOINT_ATTRIBUTE_LIMITS, maxValueLength: settings.maxValueLength };
  const step = {
    name: PERSONALIZE_STEP_NAME,
    async before(request: SmsSendRequest | EmailSendRequest): Promise<StepDecision<SmsSendRequest | EmailSendRequest>> {
      const key = recipientKey(channel, request, settings);
      const offer = key === undefined || key === "" ? undefined : await loader.load(key);
      if (offer === undefined && settings.missingOffer === "drop") return { action: "skip", reason: "no offer for the recipient (missingOffer: drop)" };
      const data = { Attributes: attributesForTemplate(offer === undefined ? {} : limitOfferAttributes(offer, limits).attributes) };
      try {
        if (channel === "sms") {
          const sms = request as SmsSendRequest;
          return { action: "send", request: { ...sms, body: compileTemplate(sms.body, { html: false, where: "the message body" })(data) } };
        }
        const email = request as EmailSendRequest;
        const text = (value: string | undefined, where: string, html: boolean) => (value === undefined ? undefined : compileTemplate(value, { html, where })(data));
        return {
          action: "send",
          request: { ...email, subject: text(email.subject, "the subject", false)!.replace(/[\r\n]+/g, " "), html: text(email.html, "the HTML part", true), text: text(email.text, "the text part", false) },
        };
      } catch (error) {
        if (error instanceof TemplateSyntaxError) return { action: "skip", reason: error.message };
        throw error;
      }
    },
  };
  return step as unknown as ChannelStep<C>;
}

function offerStore(settings: PersonalizeSettings): OfferStore {
  return new DynamoDbOfferStore(DynamoDBDocumentClient.from(new DynamoDBClient({ ...sdkClientConfig() })), settings.tableName);
}

export const PERSONALIZE_STEP_FACTORY: SendStepFactory = {
  name: PERSONALIZE_STEP_NAME,
  create: {
    sms: (settings) => {
      const parsed = parsePersonalizeSettings(settings);
      return createPersonalizeStep("sms", parsed, offerStore(parsed));
    },
    email: (settings) => {
      const parsed = parsePersonalizeSettings(settings);
      if (parsed.recipientKeyContextEntry !== undefined) throw new Error("recipientKeyContextEntry applies to SMS only");
      return createPersonalizeStep("email", parsed, offerStore(parsed));
    },
  },
};
