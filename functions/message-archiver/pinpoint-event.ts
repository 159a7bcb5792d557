/**
 * The Pinpoint event-stream records the legacy archiver reads (event_version "3.1"): `_campaign.send`
 * and `_journey.send`, with the endpoint snapshot Pinpoint puts in `client_context.custom.endpoint`
 * (a JSON string). Unknown fields are kept; only what the archiver uses is required.
 */
import * as z from "zod";

export const ARCHIVED_EVENT_TYPES = ["_campaign.send", "_journey.send"] as const;
export type ArchivedEventType = (typeof ARCHIVED_EVENT_TYPES)[number];

export const SendEventSchema = z.looseObject({
  event_type: z.enum(ARCHIVED_EVENT_TYPES),
  event_timestamp: z.number().int().positive(),
  arrival_timestamp: z.number().int().optional(),
  application: z.looseObject({ app_id: z.string().min(1) }),
  client: z.looseObject({ client_id: z.string().min(1) }),
  attributes: z.record(z.string(), z.string().nullable()).default({}),
  client_context: z.looseObject({ custom: z.record(z.string(), z.unknown()).optional() }).optional(),
});
export type SendEvent = z.output<typeof SendEventSchema>;

/** The endpoint as the event snapshot holds it (no Address). */
export const EndpointSnapshotSchema = z.looseObject({
  ChannelType: z.string().optional(),
  Attributes: z.record(z.string(), z.array(z.string())).optional(),
  User: z.looseObject({ UserId: z.string().optional(), UserAttributes: z.record(z.string(), z.array(z.string())).optional() }).optional(),
});
export type EndpointSnapshot = z.output<typeof EndpointSnapshotSchema> & Record<string, unknown>;

/** What identifies one send: campaign (with treatment) or journey (with activity). */
export type SendSource =
  | { kind: "campaign"; campaignId: string; treatmentId: string; campaignActivityId?: string }
  | { kind: "journey"; journeyId: string; journeyActivityId: string; journeyRunId?: string; activityType?: string };

export function sendSource(event: SendEvent): SendSource {
  const a = event.attributes;
  if (event.event_type === "_campaign.send") {
    if (!a.campaign_id) throw new Error("a _campaign.send event without attributes.campaign_id");
    return { kind: "campaign", campaignId: a.campaign_id, treatmentId: a.treatment_id ?? "0", campaignActivityId: a.campaign_activity_id ?? undefined };
  }
  if (!a.journey_id || !a.journey_activity_id) throw new Error("a _journey.send event without attributes.journey_id and journey_activity_id");
  return {
    kind: "journey",
    journeyId: a.journey_id,
    journeyActivityId: a.journey_activity_id,
    journeyRunId: a.journey_run_id ?? undefined,
    activityType: a.journey_activity_type ?? undefined,
  };
}

/** The endpoint snapshot, parsed; an absent snapshot is an empty endpoint (the render has no attributes). */
export function endpointSnapshot(event: SendEvent): EndpointSnapshot {
  const raw = event.client_context?.custom?.endpoint;
  if (raw === undefined) return {};
  const parsed = EndpointSnapshotSchema.safeParse(typeof raw === "string" ? JSON.parse(raw) : raw);
  if (!parsed.success) throw new Error(`the endpoint snapshot does not parse: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data as EndpointSnapshot;
}

/** True when the raw record is one of the two event types the archiver handles (a cheap pre-check for the queuer). */
export function isArchivedEventType(value: unknown): value is ArchivedEventType {
  return (ARCHIVED_EVENT_TYPES as readonly unknown[]).includes(value);
}
