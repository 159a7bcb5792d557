/**
 * The Pinpoint CampaignHook (FILTER mode) event and response, as documented in "Customize Amazon
 * Pinpoint segments using an AWS Lambda function":
 * https://docs.aws.amazon.com/pinpoint/latest/developerguide/segments-dynamic.html
 *
 * - Event: MessageConfiguration (AWS samples read it as `Message`; neither is relied on),
 *   ApplicationId, CampaignId, TreatmentId, ActivityId, ScheduledTime, and `Endpoints`: a map of
 *   at most 50 endpoint ids to endpoint definitions. `Attributes` (and `User`) may be absent.
 * - Response: the map of endpoint id → endpoint definition. An endpoint left out is not sent to.
 *   Pinpoint gives up when the function takes more than 15 s, returns something it cannot decode,
 *   or needs more than 3 attempts.
 * Endpoint definitions are loose objects: every field Pinpoint sends is handed back unchanged.
 */
import * as z from "zod";

/** Documented maximum endpoints per invocation. */
export const HOOK_MAX_ENDPOINTS = 50;
/** Documented: Pinpoint stops waiting for the function after this long. */
export const HOOK_TIMEOUT_MS = 15_000;

const AttributeMap = z.record(z.string(), z.array(z.string()));

export const HookEndpointSchema = z.looseObject({
  ChannelType: z.string().optional(),
  Address: z.string().optional(),
  Attributes: AttributeMap.optional(),
  Demographic: z.looseObject({ Locale: z.string().optional() }).optional(),
  User: z.looseObject({ UserId: z.string().optional(), UserAttributes: AttributeMap.optional() }).optional(),
});
export type HookEndpoint = z.infer<typeof HookEndpointSchema>;

export const CampaignHookEventSchema = z.looseObject({
  ApplicationId: z.string().min(1),
  CampaignId: z.string().min(1),
  TreatmentId: z.string().optional(),
  ActivityId: z.string().optional(),
  ScheduledTime: z.string().optional(),
  MessageConfiguration: z.looseObject({}).optional(),
  Message: z.looseObject({}).optional(),
  Endpoints: z.record(z.string(), HookEndpointSchema),
});
export type CampaignHookEvent = z.infer<typeof CampaignHookEventSchema>;
export type CampaignHookResponse = Record<string, HookEndpoint>;

/** An endpoint's attributes with `updates` merged in (a new object: the event is not mutated). */
export function withAttributes(endpoint: HookEndpoint, updates: Record<string, string[]>): HookEndpoint {
  return { ...endpoint, Attributes: { ...(endpoint.Attributes ?? {}), ...updates } };
}

/** The endpoint's recipient key: its id, or its `User.UserId` (undefined when it has none). */
export const RECIPIENT_KEYS = ["endpointId", "userId"] as const;
export type RecipientKey = (typeof RECIPIENT_KEYS)[number];

export function recipientKeyOf(endpointId: string, endpoint: HookEndpoint, by: RecipientKey): string | undefined {
  if (by === "endpointId") return endpointId;
  const userId = endpoint.User?.UserId;
  return userId === undefined || userId === "" ? undefined : userId;
}
