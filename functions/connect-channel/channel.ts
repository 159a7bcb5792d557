/**
 * Lambda handler, #13's `pinpoint` target: the custom-channel function a Pinpoint campaign
 * (CustomDeliveryConfiguration) or journey custom activity invokes. It does not dial: it puts one
 * dial request per callable endpoint on the dialer queue and returns at once (well inside
 * Pinpoint's wait), and the dialer places the calls at the API's rate.
 *
 * Retries: an enqueue that still fails after its retries throws, so the invocation fails and
 * Pinpoint may invoke again; the requests' keys (campaign run + endpoint) are the same, so the
 * dialer's outcome table and ClientToken keep every endpoint to one call.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { formatDialRequest } from "../shared/voice/dial-request";
import { enqueueDialEntries, SqsDialQueue, type DialQueue } from "../shared/voice/dial-queue";
import { loadChannelConfig, type ChannelConfig } from "./config";
import { CHANNEL_METRICS } from "./contract";
import { CustomChannelEventSchema, eventAttributesFor, planCalls, type EndpointEventAttributes } from "./custom-channel";

export interface ChannelPorts {
  queue: DialQueue;
  sleep?: (ms: number) => Promise<void>;
}

export function createChannelPorts(config: ChannelConfig): ChannelPorts {
  return { queue: new SqsDialQueue(new SQSClient({ ...sdkClientConfig() }), config.dialerQueueUrl) };
}

export function createChannelHandler(
  config: ChannelConfig,
  ports: ChannelPorts,
  observability: Observability,
): (event: unknown, context: Context) => Promise<EndpointEventAttributes> {
  const { logger, metrics } = observability;
  return async (event, context) => {
    logger.addContext(context);
    try {
      const parsed = CustomChannelEventSchema.parse(event);
      const plan = planCalls(parsed, config.channelTypes);
      const where = { applicationId: parsed.ApplicationId, campaignId: parsed.CampaignId, journeyId: parsed.JourneyId, activityId: parsed.ActivityId };
      if (plan.skipped.some((s) => s.reason === "NO_MESSAGE")) {
        metrics.addMetric(CHANNEL_METRICS.MessageMissing, MetricUnit.Count, 1);
        logger.error("No text to speak: set CustomMessage.Data to {\"message\": \"...\"}", where);
      }
      try {
        await enqueueDialEntries(
          ports.queue,
          plan.calls.map((c, i) => ({ id: String(i), body: formatDialRequest(c.request) })),
          { sleep: ports.sleep },
        );
      } catch (error) {
        metrics.addMetric(CHANNEL_METRICS.EnqueueFailed, MetricUnit.Count, 1);
        logger.error("Could not queue the calls; failing the invocation", { ...where, errorMessage: (error as Error).message });
        throw error;
      }
      metrics.addMetric(CHANNEL_METRICS.EndpointsQueued, MetricUnit.Count, plan.calls.length);
      metrics.addMetric(CHANNEL_METRICS.EndpointsSkipped, MetricUnit.Count, plan.skipped.length);
      const reasons: Record<string, number> = {};
      for (const s of plan.skipped) reasons[s.reason] = (reasons[s.reason] ?? 0) + 1;
      logger.info("Calls queued", { ...where, queued: plan.calls.length, skipped: reasons });
      return eventAttributesFor(plan);
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadChannelConfig(process.env);
export const handler = createChannelHandler(config, createChannelPorts(config), createObservability("connect-channel-channel"));
