import { GetEmailTemplateCommand as GetPinpointEmailTemplateCommand, type PinpointClient } from "@aws-sdk/client-pinpoint";
import { GetEmailTemplateCommand as GetSesEmailTemplateCommand, type SESv2Client } from "@aws-sdk/client-sesv2";
import type { ReplyTemplate } from "./render";

/** Where the reply template comes from. Errors (including a missing template) propagate. */
export interface TemplateSource {
  getTemplate(): Promise<ReplyTemplate>;
}

/** The template exists but cannot produce a reply (no HTML and no text part). */
export class TemplateContentError extends Error {
  override readonly name = "TemplateContentError";
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** Normalises template parts; a template with neither an HTML nor a text part is an error. */
export function toReplyTemplate(
  templateName: string,
  subject: string | undefined,
  html: string | undefined,
  text: string | undefined,
): ReplyTemplate {
  const template = { subjectPrefix: subject ?? "", html: nonEmpty(html), text: nonEmpty(text) };
  if (template.html === undefined && template.text === undefined) {
    throw new TemplateContentError(`Email template "${templateName}" has neither an HTML nor a text part`);
  }
  return template;
}

/**
 * SES v2 `GetEmailTemplate` (the supported default). The template Subject is the reply's subject
 * prefix; Html and Text may use %%NAME%% and %%ID%%, which the responder renders itself (the
 * template is not sent with SES templating, so `{{...}}` tags are not interpreted).
 * IAM: ses:GetEmailTemplate on arn:aws:ses:<region>:<account>:template/<name>.
 */
export function createSesTemplateSource(client: SESv2Client, templateName: string): TemplateSource {
  return {
    async getTemplate() {
      const out = await client.send(new GetSesEmailTemplateCommand({ TemplateName: templateName }));
      const content = out.TemplateContent;
      return toReplyTemplate(templateName, content?.Subject, content?.Html, content?.Text);
    },
  };
}

/**
 * Pinpoint `GetEmailTemplate` (the seed's source; Pinpoint templates end with Pinpoint's
 * engagement features on 2026-10-30). IAM: mobiletargeting:GetEmailTemplate on
 * arn:aws:mobiletargeting:<region>:<account>:templates/<name>/EMAIL.
 */
export function createPinpointTemplateSource(client: PinpointClient, templateName: string): TemplateSource {
  return {
    async getTemplate() {
      const out = await client.send(new GetPinpointEmailTemplateCommand({ TemplateName: templateName }));
      const t = out.EmailTemplateResponse;
      return toReplyTemplate(templateName, t?.Subject, t?.HtmlPart, t?.TextPart);
    },
  };
}

/**
 * Caches a template source per container for `ttlMs`, so a burst of inbound mail does not call
 * GetEmailTemplate once per message, while an edited template is picked up within the TTL.
 * Failures are not cached. `now` is injectable for tests.
 */
export function cachedTemplateSource(source: TemplateSource, ttlMs: number, now: () => number): TemplateSource {
  let cached: { template: ReplyTemplate; fetchedAt: number } | undefined;
  return {
    async getTemplate() {
      const at = now();
      if (cached && at - cached.fetchedAt < ttlMs) return cached.template;
      const template = await source.getTemplate();
      cached = { template, fetchedAt: at };
      return template;
    },
  };
}
