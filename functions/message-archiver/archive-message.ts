/**
 * The legacy archive object of one send: its deterministic key and its MIME message.
 * Headers kept from the seed: EndpointId, ApplicationId, EventTimestamp, CampaignId + TreatmentId
 * or JourneyId + JourneyActivityId, Channel; added: the versions used (CampaignVersion,
 * TemplateName, TemplateVersion, ContentSource), Content-Pieces (the piece types present, in order),
 * Archive-Uncertainty (one header per note) and a Date (the event's time).
 */
import { legacyArchiveKey, objectIdFor } from "../shared/archive/layout";
import type { ArchiveMimeInput } from "../shared/archive/mime";
import { endpointSegment } from "../shared/archive/recipient";
import type { ResolvedContent } from "./content";
import type { SendEvent } from "./pinpoint-event";
import type { RenderedPiece } from "./render";

/** The object name: the same for every delivery of the same event. */
export function legacyObjectId(event: SendEvent): string {
  const a = event.attributes;
  return objectIdFor([
    event.application.app_id,
    event.event_type,
    String(event.event_timestamp),
    event.client.client_id,
    a.campaign_id ?? "",
    a.campaign_activity_id ?? "",
    a.treatment_id ?? "",
    a.journey_id ?? "",
    a.journey_run_id ?? "",
    a.journey_activity_id ?? "",
  ]);
}

export function legacyKey(prefix: string, event: SendEvent): string {
  return legacyArchiveKey(prefix, endpointSegment(event.client.client_id), event.event_timestamp, legacyObjectId(event));
}

export function legacyMime(event: SendEvent, content: ResolvedContent, rendered: readonly RenderedPiece[]): ArchiveMimeInput {
  const text = (piece: RenderedPiece["piece"]) => rendered.find((r) => r.piece === piece)?.text;
  const headers: Record<string, string> = {
    EndpointId: event.client.client_id,
    ApplicationId: event.application.app_id,
    EventTimestamp: String(event.event_timestamp),
    EventType: event.event_type,
    ...content.headers,
    Channel: content.channel,
    "Content-Pieces": rendered.map((r) => r.piece).join(","),
  };
  if (content.voice?.languageCode) headers["Voice-Language-Code"] = content.voice.languageCode;
  if (content.voice?.voiceId) headers["Voice-Id"] = content.voice.voiceId;
  content.uncertainties.forEach((note, i) => (headers[`Archive-Uncertainty-${i + 1}`] = note));
  return {
    headers,
    date: new Date(event.event_timestamp),
    messageId: `${legacyObjectId(event)}@archive.invalid`,
    subject: text("TITLE"),
    html: text("HTML"),
    text: text("TEXT") ?? text("BODY"),
  };
}
