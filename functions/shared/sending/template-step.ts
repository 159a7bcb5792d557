/**
 * Send step "externalTemplates" (#12's default target): before each send, resolves the message's
 * template from the template store (S3, optional DynamoDB index) by key, locale with fallback and
 * channel, and replaces the message's content with the template rendered for the recipient.
 *
 * - Key: `templateKey`, or for SMS a named send-context entry (e.g. `external_campaign_id`, so each
 *   campaign file picks its template); an entry that is absent falls back to `templateKey`.
 * - Locale: for SMS a named send-context entry, else `defaultLocale`; fallback `pt-BR` → `pt` → default.
 * - Data: `Context` (the SMS send context) and `Attributes` (the recipient's offer, when
 *   `offers` names #11's offer store). HTML parts escape it; subjects, text and SMS do not.
 * - No template for any candidate locale, an oversized or invalid template: `missingTemplate`
 *   `skip` withholds the message with the reason (nothing sent), `keep` sends the sender's own
 *   content. A store that fails (throttled, unreachable) throws, so the sender retries the message.
 * Templates are cached per container for `cacheTtlSeconds`.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { attributesForTemplate, limitOfferAttributes, PINPOINT_ATTRIBUTE_LIMITS } from "../campaigns/attributes";
import { createOfferLoader, DynamoDbOfferStore, type OfferStore } from "../campaigns/offers";
import { TemplateSyntaxError } from "../campaigns/render";
import {
  IndexedTemplateSource,
  InvalidTemplateError,
  S3TemplateSource,
  S3TemplateStore,
  TEMPLATE_KEY_PATTERN,
  TemplateResolver,
  TemplateTooLargeError,
  type TemplateSource,
} from "../campaigns/templates";
import { sdkClientConfig } from "../runtime/aws-clients";
import type { SmsSendRequest } from "../sms/sms-send";
import type { ChannelStep, EmailSendRequest } from "./channels";
import type { SendStepFactory } from "./registry";
import type { StepDecision } from "./steps";

export const TEMPLATE_STEP_NAME = "externalTemplates";

/** S3 GetObject of a template larger than this is refused (settings may lower it). */
export const MAX_TEMPLATE_BYTES_LIMIT = 1_048_576;

export const TemplateSettingsSchema = z
  .strictObject({
    bucketName: z.string().min(3).max(63),
    /** IAM only (the component's statements); the handler does not use the ARNs. */
    bucketArn: z.string().optional(),
    prefix: z.string().max(512).default("templates/"),
    indexTableName: z.string().min(3).max(255).optional(),
    indexTableArn: z.string().optional(),
    templateKey: z.string().regex(TEMPLATE_KEY_PATTERN).optional(),
    templateKeyContextEntry: z.string().min(1).optional(),
    localeContextEntry: z.string().min(1).optional(),
    defaultLocale: z.string().min(2).default("en"),
    cacheTtlSeconds: z.int().min(0).max(86_400).default(300),
    maxTemplateBytes: z.int().min(1).max(MAX_TEMPLATE_BYTES_LIMIT).default(262_144),
    missingTemplate: z.enum(["skip", "keep"]).default("skip"),
    offers: z.strictObject({ tableName: z.string().min(3).max(255), tableArn: z.string().optional() }).optional(),
  })
  .refine((s) => s.templateKey !== undefined || s.templateKeyContextEntry !== undefined, "set templateKey, templateKeyContextEntry or both");
export type TemplateSettings = z.output<typeof TemplateSettingsSchema>;

export function parseTemplateSettings(settings: Record<string, unknown>): TemplateSettings {
  const parsed = TemplateSettingsSchema.safeParse(settings);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join(".") || "settings"}: ${i.message}`).join("; "));
  return parsed.data;
}

type Channel = "sms" | "email";

export interface TemplateStepDeps {
  resolver: TemplateResolver;
  offers?: OfferStore;
}

export function createTemplateStep<C extends Channel>(channel: C, settings: TemplateSettings, deps: TemplateStepDeps): ChannelStep<C> {
  if (channel === "email" && (settings.templateKeyContextEntry !== undefined || settings.localeContextEntry !== undefined)) {
    throw new Error("templateKeyContextEntry and localeContextEntry apply to SMS only; email needs templateKey");
  }
  if (channel === "email" && settings.templateKey === undefined) throw new Error("templateKey is required for email");
  const loader = deps.offers === undefined ? undefined : createOfferLoader(deps.offers);
  const withhold = (reason: string): StepDecision<never> => ({ action: "skip", reason });
  const step = {
    name: TEMPLATE_STEP_NAME,
    async before(request: SmsSendRequest | EmailSendRequest): Promise<StepDecision<SmsSendRequest | EmailSendRequest>> {
      const context = channel === "sms" ? ((request as SmsSendRequest).context ?? {}) : {};
      const key = (settings.templateKeyContextEntry && context[settings.templateKeyContextEntry]) || settings.templateKey!;
      const locale = settings.localeContextEntry === undefined ? undefined : context[settings.localeContextEntry];
      const recipient = channel === "sms" ? (request as SmsSendRequest).destination : (request as EmailSendRequest).to.trim().toLowerCase();
      const orKeep = (reason: string) => (settings.missingTemplate === "keep" ? ({ action: "send", request } as const) : withhold(reason));
      let template;
      try {
        template = await deps.resolver.resolve(key, channel, locale);
      } catch (error) {
        if (error instanceof TemplateTooLargeError || error instanceof InvalidTemplateError || error instanceof TemplateSyntaxError) return orKeep(error.message);
        throw error;
      }
      if (template === undefined) return orKeep(`no ${channel} template "${key}" for locale ${locale ?? "(none)"}, its language or ${settings.defaultLocale}`);
      const offer = loader === undefined ? undefined : await loader.load(recipient);
      const data = { Context: context, Attributes: attributesForTemplate(offer === undefined ? {} : limitOfferAttributes(offer, PINPOINT_ATTRIBUTE_LIMITS).attributes) };
      if (channel === "sms") {
        const { body } = template.render(data) as { body: string };
        return { action: "send", request: { ...(request as SmsSendRequest), body } };
      }
      const { subject, html, text } = template.render(data) as { subject: string; html: string; text: string | undefined };
      return { action: "send", request: { ...(request as EmailSendRequest), subject, html, text } };
    },
  };
  return step as unknown as ChannelStep<C>;
}

/** The resolver on S3 (and the index when configured), with SDK clients made once per step. */
export function templateResolverFor(settings: TemplateSettings, clients: { s3: S3Client; documents: DynamoDBDocumentClient }, now?: () => number): TemplateResolver {
  const store = new S3TemplateStore(clients.s3, settings.bucketName, settings.maxTemplateBytes);
  const source: TemplateSource =
    settings.indexTableName === undefined ? new S3TemplateSource(store, settings.prefix) : new IndexedTemplateSource(clients.documents, settings.indexTableName, store);
  return new TemplateResolver(source, { defaultLocale: settings.defaultLocale, cacheTtlMs: settings.cacheTtlSeconds * 1000, now });
}

function create<C extends Channel>(channel: C, raw: Record<string, unknown>): ChannelStep<C> {
  const settings = parseTemplateSettings(raw);
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...sdkClientConfig() }));
  const resolver = templateResolverFor(settings, { s3: new S3Client({ ...sdkClientConfig() }), documents });
  const offers = settings.offers === undefined ? undefined : new DynamoDbOfferStore(documents, settings.offers.tableName);
  return createTemplateStep(channel, settings, { resolver, offers });
}

export const TEMPLATE_STEP_FACTORY: SendStepFactory = {
  name: TEMPLATE_STEP_NAME,
  create: { sms: (settings) => create("sms", settings), email: (settings) => create("email", settings) },
};
