/**
 * Architecture #12, pinpoint target: the CampaignHook (FILTER mode) Lambda, as in the 2020 seed:
 * it puts each endpoint's rendered subject and HTML (SMS: body) into endpoint attributes, for a
 * campaign whose message is only `{Attributes.subject}` and `{Attributes.html}`.
 *
 * - Templates by key (TEMPLATE_KEY, or the endpoint attribute TEMPLATE_KEY_ATTRIBUTE), locale
 *   (`Demographic.Locale`, with fallback to its language and DEFAULT_LOCALE) and channel
 *   (`ChannelType`), cached per container for CACHE_TTL_SECONDS; 50 endpoints on one template
 *   fetch it once.
 * - Recipient data (the endpoint's attributes) is HTML-escaped in the HTML part.
 * - A template that is missing, over MAX_TEMPLATE_BYTES, invalid, or renders a value over
 *   MAX_ATTRIBUTE_VALUE_LENGTH: the endpoint is kept as it is or dropped (MISSING_TEMPLATE).
 *   Whether Pinpoint accepts attribute values longer than its 100-character endpoint limit from
 *   a hook is not documented (docs/architectures/12-external-templates.md, "Unverified").
 * - A store that fails throws: Pinpoint retries the invocation (at most 3 attempts).
 * - Logs template object keys and versions (the audit trail of what was sent), never content.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { CampaignHookEventSchema, type CampaignHookResponse } from "../shared/campaigns/campaign-hook";
import { templateEndpoints } from "../shared/campaigns/template-endpoints";
import { IndexedTemplateSource, S3TemplateSource, S3TemplateStore, TemplateResolver } from "../shared/campaigns/templates";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { loadTemplateHookConfig, type TemplateHookConfig } from "./config";
import { HOOK_ATTRIBUTE_NAMES, HOOK_METRICS } from "./contract";

export interface TemplateHookPorts {
  resolver: TemplateResolver;
}

export function createTemplateHookPorts(config: TemplateHookConfig): TemplateHookPorts {
  const store = new S3TemplateStore(new S3Client({ ...sdkClientConfig() }), config.bucketName, config.maxTemplateBytes);
  const source =
    config.indexTableName === undefined
      ? new S3TemplateSource(store, config.prefix)
      : new IndexedTemplateSource(DynamoDBDocumentClient.from(new DynamoDBClient({ ...sdkClientConfig() })), config.indexTableName, store);
  return { resolver: new TemplateResolver(source, { defaultLocale: config.defaultLocale, cacheTtlMs: config.cacheTtlSeconds * 1000 }) };
}

export function createTemplateHookHandler(
  config: TemplateHookConfig,
  ports: TemplateHookPorts,
  observability: Observability,
): (event: unknown, context: Context) => Promise<CampaignHookResponse> {
  const { logger, metrics } = observability;
  return async (event, context) => {
    logger.addContext(context);
    try {
      const parsed = CampaignHookEventSchema.safeParse(event);
      if (!parsed.success) {
        metrics.addMetric(HOOK_METRICS.MalformedEvent, MetricUnit.Count, 1);
        logger.error("Not a CampaignHook event", { problems: parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.code}`) });
        throw new Error("Malformed CampaignHook event");
      }
      const { ApplicationId, CampaignId, TreatmentId, Endpoints } = parsed.data;
      const summary = { applicationId: ApplicationId, campaignId: CampaignId, treatmentId: TreatmentId, endpoints: Object.keys(Endpoints).length };
      let result;
      try {
        result = await templateEndpoints(Endpoints, ports.resolver, {
          templateKey: config.templateKey,
          templateKeyAttribute: config.templateKeyAttribute,
          attributeNames: HOOK_ATTRIBUTE_NAMES,
          maxValueLength: config.maxAttributeValueLength,
          missingTemplate: config.missingTemplate,
        });
      } catch (error) {
        logger.error("Template store failed; Pinpoint will retry the invocation", { ...summary, errorName: (error as Error).name });
        throw error;
      }
      metrics.addMetric(HOOK_METRICS.EndpointsRendered, MetricUnit.Count, result.outcomes.rendered);
      metrics.addMetric(HOOK_METRICS.TemplateMissing, MetricUnit.Count, result.outcomes.missing);
      metrics.addMetric(HOOK_METRICS.TemplateTooLarge, MetricUnit.Count, result.outcomes["too-large"]);
      metrics.addMetric(HOOK_METRICS.TemplateInvalid, MetricUnit.Count, result.outcomes.invalid);
      metrics.addMetric(HOOK_METRICS.EndpointsDropped, MetricUnit.Count, result.dropped);
      const templates = [...new Map(result.used.map((u) => [`${u.objectKey}@${u.versionId ?? ""}`, { objectKey: u.objectKey, versionId: u.versionId, locale: u.locale }])).values()];
      logger.info("Campaign endpoints templated", { ...summary, outcomes: result.outcomes, dropped: result.dropped, templates });
      return result.endpoints;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadTemplateHookConfig(process.env);
export const handler = createTemplateHookHandler(config, createTemplateHookPorts(config), createObservability("external-templates"));
