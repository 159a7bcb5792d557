/**
 * #13's `pinpoint` target: the Amazon Pinpoint custom-channel contract, as plain logic. Pure: no SDK.
 *
 * Pinpoint invokes the custom-channel Lambda of a campaign (CustomDeliveryConfiguration.DeliveryUri)
 * or of a journey's custom activity with (Pinpoint Developer Guide, "Create a custom channel"):
 *   Message (`{}` for a custom channel), Data (the CustomMessage.Data string), ApplicationId,
 *   CampaignId, TreatmentId, ActivityId, ScheduledTime, Endpoints (endpoint ID → definition,
 *   at most 50 per invocation); journeys also send JourneyId (seen in AWS samples, not in the docs).
 * The seed's CampaignHook `Mode: DELIVERY` is no longer supported by Pinpoint: a campaign uses
 * CustomDeliveryConfiguration instead, with the text to speak in CustomMessage.Data.
 *
 * The response is ignored for campaigns. For journeys that split after the activity it must be the
 * map endpoint ID → { EventAttributes: { key: value } } ("Lambda function response format"): every
 * endpoint gets `dial_status` (QUEUED or SKIPPED) and, when skipped, `dial_reason`.
 */
import * as z from "zod";
import { MAX_MESSAGE_CHARACTERS, type DialRequestInput } from "../shared/voice/dial-request";

/** An endpoint definition as Pinpoint sends it: everything optional, `Attributes` often absent. */
export const EndpointDefinitionSchema = z.looseObject({
  ChannelType: z.string().optional(),
  Address: z.string().optional(),
  EndpointStatus: z.string().optional(),
  OptOut: z.string().optional(),
  Attributes: z.record(z.string(), z.array(z.string())).optional(),
  User: z.looseObject({ UserId: z.string().optional() }).optional(),
});

export const CustomChannelEventSchema = z.looseObject({
  Message: z.unknown().optional(),
  Data: z.string().optional(),
  ApplicationId: z.string().min(1),
  CampaignId: z.string().optional(),
  JourneyId: z.string().optional(),
  TreatmentId: z.union([z.string(), z.number()]).optional(),
  ActivityId: z.string().optional(),
  ScheduledTime: z.string().optional(),
  Endpoints: z.record(z.string(), EndpointDefinitionSchema),
});
export type CustomChannelEvent = z.output<typeof CustomChannelEventSchema>;

export type SkipReason = "NO_MESSAGE" | "CHANNEL_TYPE" | "INACTIVE" | "OPTED_OUT" | "INVALID_ADDRESS";
export type EndpointEventAttributes = Record<string, { EventAttributes: Record<string, string> }>;

export interface CallPlan {
  calls: { endpointId: string; request: DialRequestInput }[];
  skipped: { endpointId: string; reason: SkipReason }[];
}

const E164 = /^\+[1-9]\d{1,14}$/;

/**
 * The text to speak: Data as JSON `{"message": "..."}` (or "Message"), else Data itself when it is
 * plain text, else the SMS body of a legacy campaign message (`Message.smsmessage.body`, as the seed
 * read it). Undefined when there is none.
 */
export function messageFrom(event: Pick<CustomChannelEvent, "Data" | "Message">): string | undefined {
  const data = event.Data?.trim();
  if (data) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return data;
    }
    if (typeof parsed === "object" && parsed !== null) {
      const { message, Message } = parsed as { message?: unknown; Message?: unknown };
      const text = typeof message === "string" ? message : typeof Message === "string" ? Message : undefined;
      if (text?.trim()) return text.trim();
    } else if (typeof parsed === "string" && parsed.trim()) {
      return parsed.trim();
    }
  }
  const legacy = event.Message as { smsmessage?: { body?: unknown }; SMSMessage?: { Body?: unknown } } | undefined;
  const body = legacy?.smsmessage?.body ?? legacy?.SMSMessage?.Body;
  return typeof body === "string" && body.trim() ? body.trim() : undefined;
}

/**
 * What the campaign run is: the same invocation retried gives the same key, a new run (recurring
 * campaign, new activity, a journey re-entry at another time) another one.
 */
export function campaignKeyFor(event: CustomChannelEvent): string {
  const run = event.JourneyId !== undefined ? `journey/${event.JourneyId}` : `campaign/${event.CampaignId ?? "-"}`;
  return `pinpoint:${event.ApplicationId}:${run}:${String(event.TreatmentId ?? "0")}:${event.ActivityId ?? "-"}:${event.ScheduledTime ?? "-"}`;
}

/** One call per endpoint that can take one; every other endpoint with the reason it was skipped. */
export function planCalls(event: CustomChannelEvent, channelTypes: ReadonlySet<string>): CallPlan {
  const message = messageFrom(event);
  const plan: CallPlan = { calls: [], skipped: [] };
  const campaignKey = campaignKeyFor(event);
  for (const [endpointId, endpoint] of Object.entries(event.Endpoints)) {
    const skip = (reason: SkipReason) => plan.skipped.push({ endpointId, reason });
    if (message === undefined) skip("NO_MESSAGE");
    else if (!channelTypes.has(endpoint.ChannelType ?? "")) skip("CHANNEL_TYPE");
    else if (endpoint.EndpointStatus !== undefined && endpoint.EndpointStatus !== "ACTIVE") skip("INACTIVE");
    else if (endpoint.OptOut !== undefined && endpoint.OptOut !== "NONE") skip("OPTED_OUT");
    else if (endpoint.Address === undefined || !E164.test(endpoint.Address)) skip("INVALID_ADDRESS");
    else {
      plan.calls.push({
        endpointId,
        request: {
          version: 1,
          campaignKey,
          recipientKey: endpointId,
          destination: endpoint.Address,
          message: message.slice(0, MAX_MESSAGE_CHARACTERS),
          attributes: {
            pinpoint_application_id: event.ApplicationId,
            ...(event.JourneyId !== undefined ? { pinpoint_journey_id: event.JourneyId } : { pinpoint_campaign_id: event.CampaignId ?? "" }),
            pinpoint_endpoint_id: endpointId.slice(0, 256),
          },
          source: { kind: "pinpoint", ref: campaignKey.slice(0, 1024) },
        },
      });
    }
  }
  return plan;
}

/** The journey response: every endpoint of the event, QUEUED or SKIPPED with its reason. */
export function eventAttributesFor(plan: CallPlan): EndpointEventAttributes {
  const response: EndpointEventAttributes = {};
  for (const { endpointId } of plan.calls) response[endpointId] = { EventAttributes: { dial_status: "QUEUED" } };
  for (const { endpointId, reason } of plan.skipped) response[endpointId] = { EventAttributes: { dial_status: "SKIPPED", dial_reason: reason } };
  return response;
}
