/**
 * #12 on a CampaignHook batch, as the 2020 seed did it: for each endpoint, resolve its template
 * (key, locale from `Demographic.Locale`, channel from `ChannelType`), render it with the
 * endpoint's own attributes (HTML-escaped in the HTML part), and put the results into endpoint
 * attributes (`subject` and `html` for email, `body` for SMS) for a campaign message that only
 * says `{Attributes.subject}` / `{Attributes.html}`. A rendered value over `maxValueLength`, or an
 * endpoint whose template is missing or unusable, follows the policy (keep without / drop).
 */
import { attributesForTemplate } from "./attributes";
import { withAttributes, type CampaignHookResponse, type HookEndpoint } from "./campaign-hook";
import type { MissingOfferPolicy } from "./offers";
import { InvalidTemplateError, TemplateTooLargeError, type TemplateChannel, type TemplateResolver } from "./templates";
import { TemplateSyntaxError } from "./render";

export interface TemplateEndpointOptions {
  /** The template every endpoint gets, unless `templateKeyAttribute` names one. */
  templateKey: string;
  /** An endpoint attribute holding the endpoint's own template key. */
  templateKeyAttribute: string | undefined;
  attributeNames: { subject: string; html: string; body: string };
  /** Longest rendered value put into an attribute. */
  maxValueLength: number;
  /** What an endpoint without a usable template gets: sent as the campaign is, or left out. */
  missingTemplate: MissingOfferPolicy;
}

export type TemplateOutcome = "rendered" | "missing" | "too-large" | "invalid";

export interface TemplateEndpointResult {
  endpoints: CampaignHookResponse;
  outcomes: Record<TemplateOutcome, number>;
  dropped: number;
  /** For the audit log: which object and version each rendered endpoint got (ids only, no content). */
  used: { endpointId: string; objectKey: string; versionId: string | undefined; locale: string }[];
}

const CHANNELS: Record<string, TemplateChannel> = { EMAIL: "email", SMS: "sms" };

export async function templateEndpoints(endpoints: Record<string, HookEndpoint>, resolver: TemplateResolver, options: TemplateEndpointOptions): Promise<TemplateEndpointResult> {
  const result: TemplateEndpointResult = { endpoints: {}, outcomes: { rendered: 0, missing: 0, "too-large": 0, invalid: 0 }, dropped: 0, used: [] };
  // Resolutions run concurrently; the resolver fetches each distinct template once.
  const rendered = await Promise.all(
    Object.entries(endpoints).map(async ([id, endpoint]) => {
      const channel = CHANNELS[endpoint.ChannelType ?? ""];
      const key = (options.templateKeyAttribute && endpoint.Attributes?.[options.templateKeyAttribute]?.[0]) || options.templateKey;
      if (channel === undefined) return { id, endpoint, outcome: "missing" as TemplateOutcome };
      try {
        const template = await resolver.resolve(key, channel, endpoint.Demographic?.Locale);
        if (template === undefined) return { id, endpoint, outcome: "missing" as TemplateOutcome };
        const data = { Attributes: attributesForTemplate(endpoint.Attributes), User: { UserId: endpoint.User?.UserId, UserAttributes: attributesForTemplate(endpoint.User?.UserAttributes) } };
        const out = template.render(data) as { subject?: string; html?: string; body?: string };
        const values: Record<string, string[]> =
          channel === "email"
            ? { [options.attributeNames.subject]: [out.subject!], [options.attributeNames.html]: [out.html!] }
            : { [options.attributeNames.body]: [out.body!] };
        if (Object.values(values).some(([v]) => v.length > options.maxValueLength)) return { id, endpoint, outcome: "too-large" as TemplateOutcome };
        return { id, endpoint: withAttributes(endpoint, values), outcome: "rendered" as TemplateOutcome, used: template };
      } catch (error) {
        if (error instanceof TemplateTooLargeError) return { id, endpoint, outcome: "too-large" as TemplateOutcome };
        if (error instanceof InvalidTemplateError || error instanceof TemplateSyntaxError) return { id, endpoint, outcome: "invalid" as TemplateOutcome };
        throw error;
      }
    }),
  );
  for (const r of rendered) {
    result.outcomes[r.outcome]++;
    if (r.outcome === "rendered") {
      result.endpoints[r.id] = r.endpoint;
      result.used.push({ endpointId: r.id, objectKey: r.used!.objectKey, versionId: r.used!.versionId, locale: r.used!.locale });
    } else if (options.missingTemplate === "drop") {
      result.dropped++;
    } else {
      result.endpoints[r.id] = withAttributes(r.endpoint, {});
    }
  }
  return result;
}
