/**
 * Architecture #11, pinpoint target: the CampaignHook (FILTER mode) Lambda. Pinpoint invokes it
 * with up to 50 endpoints before it sends a campaign; it returns the endpoints map with each
 * recipient's offer attached as endpoint attributes (`{Attributes.Offer}` in the message).
 *
 * - One BatchGetItem for the whole event (personalize-endpoints.ts / offers.ts), its retries of
 *   UnprocessedKeys bounded by LOOKUP_BUDGET_MS and the invocation's remaining time, so the answer
 *   comes well within Pinpoint's 15 s.
 * - An endpoint without `Attributes` gets them; no offer: kept without one, or dropped (MISSING_OFFER).
 * - A lookup that still fails throws: Pinpoint retries the invocation (at most 3 attempts), then
 *   fails the delivery to these endpoints. Sending without offers silently would be worse.
 * - Logs ids and counts only: never addresses or attribute values.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { PINPOINT_ATTRIBUTE_LIMITS } from "../shared/campaigns/attributes";
import { CampaignHookEventSchema, HOOK_MAX_ENDPOINTS, type CampaignHookResponse } from "../shared/campaigns/campaign-hook";
import { DynamoDbOfferStore, type OfferStore } from "../shared/campaigns/offers";
import { personalizeEndpoints } from "../shared/campaigns/personalize-endpoints";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { loadHookConfig, type HookConfig } from "./config";
import { HOOK_METRICS } from "./contract";

/** Time kept back from the invocation's remaining time for answering. */
export const RESPONSE_MARGIN_MS = 1_000;

export interface HookPorts {
  /** The offer store for one invocation, which stops retrying at `deadline` (epoch ms). */
  offers(deadline: number): OfferStore;
}

export function createHookPorts(config: HookConfig): HookPorts {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...sdkClientConfig() }));
  return { offers: (deadline) => new DynamoDbOfferStore(documents, config.offerTableName, { deadline: () => deadline }) };
}

export function createHookHandler(config: HookConfig, ports: HookPorts, observability: Observability): (event: unknown, context: Context) => Promise<CampaignHookResponse> {
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
      if (summary.endpoints > HOOK_MAX_ENDPOINTS) logger.warn("More endpoints than the documented 50 per invocation", summary);
      const deadline = Date.now() + Math.min(config.lookupBudgetMs, context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS);
      let result;
      try {
        result = await personalizeEndpoints(Endpoints, ports.offers(deadline), { recipientKey: config.recipientKey, missingOffer: config.missingOffer, limits: PINPOINT_ATTRIBUTE_LIMITS });
      } catch (error) {
        metrics.addMetric(HOOK_METRICS.LookupFailed, MetricUnit.Count, 1);
        logger.error("Offer lookup failed; Pinpoint will retry the invocation", { ...summary, errorName: (error as Error).name });
        throw error;
      }
      metrics.addMetric(HOOK_METRICS.EndpointsPersonalized, MetricUnit.Count, result.personalized);
      metrics.addMetric(HOOK_METRICS.EndpointsWithoutOffer, MetricUnit.Count, result.withoutOffer);
      metrics.addMetric(HOOK_METRICS.EndpointsDropped, MetricUnit.Count, result.dropped);
      metrics.addMetric(HOOK_METRICS.AttributesDropped, MetricUnit.Count, result.droppedAttributes.length);
      logger.info("Campaign endpoints personalized", {
        ...summary,
        personalized: result.personalized,
        withoutOffer: result.withoutOffer,
        dropped: result.dropped,
        droppedAttributes: result.droppedAttributes,
      });
      return result.endpoints;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadHookConfig(process.env);
export const handler = createHookHandler(config, createHookPorts(config), createObservability("send-time-attributes"));
