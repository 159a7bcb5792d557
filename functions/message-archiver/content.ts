/**
 * Which content a Pinpoint send used, resolved from the campaign or journey and template versions
 * in force for it (the seed took the latest of each, and the first A/B variant):
 *
 * - Campaign: a `_campaign.send` carries no version number, so the version is the one whose
 *   LastModifiedDate is the latest at or before the event's time (GetCampaignVersions). Uncertain
 *   when that version was saved shortly before the event (`UNCERTAIN_WINDOW_MS`): a run that started
 *   before the save may still have been sending the previous version.
 * - Treatment: "0" (or none) is the campaign's own message; otherwise the additional treatment
 *   whose Id equals `treatment_id` (never the first one). A missing one is an error.
 * - Journey: the activity `journey_activity_id` of the journey as GetJourney returns it now
 *   (Pinpoint keeps no journey version history to read).
 * - Template: the version the campaign or activity pins (`Version` / `TemplateVersion`); when none
 *   is pinned, the template's active version as read now, noted as uncertain.
 * - Inline message content (the campaign's MessageConfiguration) is used for the endpoint's channel
 *   when it has any; otherwise the template.
 * - The channel is the endpoint snapshot's ChannelType (or the journey activity's type): EMAIL, SMS,
 *   VOICE and the push channels are archived; anything else is "unsupported", reported by the caller.
 */
import type { CampaignResponse, JourneyResponse, MessageConfiguration, TemplateConfiguration } from "@aws-sdk/client-pinpoint";
import type { EndpointSnapshot, SendEvent, SendSource } from "./pinpoint-event";

export const UNCERTAIN_WINDOW_MS = 60 * 60 * 1000;

export type TemplateChannel = "EMAIL" | "SMS" | "VOICE" | "PUSH";
export type ArchiveChannel = TemplateChannel;

interface PushPart {
  Title?: string;
  Body?: string;
}

/** A template's content, normalized across the four template types. */
export type TemplateContent = { version?: string; defaultSubstitutions?: string } & (
  | { channel: "EMAIL"; email: { subject?: string; html?: string; text?: string } }
  | { channel: "SMS"; body?: string }
  | { channel: "VOICE"; body?: string; languageCode?: string; voiceId?: string }
  | { channel: "PUSH"; push: { ADM?: PushPart; APNS?: PushPart; Baidu?: PushPart; Default?: PushPart; GCM?: PushPart } }
);

export interface PinpointReader {
  campaignVersions(applicationId: string, campaignId: string): Promise<CampaignResponse[]>;
  journey(applicationId: string, journeyId: string): Promise<JourneyResponse>;
  template(channel: TemplateChannel, name: string, version: string | undefined): Promise<TemplateContent>;
}

/** One part of the message to render: its piece type (the seed's Content-Piece-Type) and its source text. */
export interface ContentPiece {
  piece: "TITLE" | "HTML" | "TEXT" | "BODY";
  source: string;
}

export interface ResolvedContent {
  channel: ArchiveChannel;
  pieces: ContentPiece[];
  /** The template's DefaultSubstitutions (a JSON string), when the content came from a template. */
  defaultSubstitutions?: string;
  /** Identifies the content exactly (campaign version + treatment, or journey activity, template name + version): the render cache key. */
  identity: string;
  /** The archive's headers describing what was used. */
  headers: Record<string, string>;
  /** What could not be established for certain; empty when nothing. */
  uncertainties: string[];
  voice?: { languageCode?: string; voiceId?: string };
}

export class UnsupportedChannelError extends Error {
  constructor(readonly channelType: string) {
    super(`channel ${channelType} is not archived (EMAIL, SMS, VOICE and push channels are)`);
    this.name = "UnsupportedChannelError";
  }
}

/** A problem with the event or the fetched definitions that no retry can fix. */
export class ContentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ContentError";
  }
}

const PUSH_CHANNELS: Record<string, "ADM" | "APNS" | "Baidu" | "GCM"> = {
  GCM: "GCM",
  APNS: "APNS",
  APNS_SANDBOX: "APNS",
  APNS_VOIP: "APNS",
  APNS_VOIP_SANDBOX: "APNS",
  ADM: "ADM",
  BAIDU: "Baidu",
};

/** The archive channel of an endpoint ChannelType (or a journey activity type). */
export function archiveChannel(channelType: string): ArchiveChannel {
  if (channelType === "EMAIL" || channelType === "SMS" || channelType === "VOICE") return channelType;
  if (channelType in PUSH_CHANNELS || channelType === "PUSH") return "PUSH";
  throw new UnsupportedChannelError(channelType);
}

/** The campaign version active at `at`: the latest LastModifiedDate at or before it. */
export function versionActiveAt(versions: readonly CampaignResponse[], at: number): { version: CampaignResponse; uncertain: boolean } {
  const dated = versions
    .map((v) => ({ v, t: Date.parse(v.LastModifiedDate ?? v.CreationDate ?? "") }))
    .filter((x) => !Number.isNaN(x.t) && x.t <= at)
    .sort((a, b) => b.t - a.t || (b.v.Version ?? 0) - (a.v.Version ?? 0));
  const chosen = dated[0];
  if (chosen === undefined) throw new ContentError(`no campaign version was saved at or before the event (${new Date(at).toISOString()})`);
  return { version: chosen.v, uncertain: at - chosen.t < UNCERTAIN_WINDOW_MS && versions.length > 1 };
}

/** The treatment's template and inline configuration: "0" is the campaign's own. */
export function treatmentOf(campaign: CampaignResponse, treatmentId: string): { template?: TemplateConfiguration; message?: MessageConfiguration; name?: string } {
  if (treatmentId === "0") return { template: campaign.TemplateConfiguration, message: campaign.MessageConfiguration, name: campaign.TreatmentName };
  const treatment = (campaign.AdditionalTreatments ?? []).find((t) => t.Id === treatmentId);
  if (treatment === undefined) throw new ContentError(`campaign version ${campaign.Version} has no treatment ${treatmentId}`);
  return { template: treatment.TemplateConfiguration, message: treatment.MessageConfiguration, name: treatment.TreatmentName };
}

/** The inline pieces of a MessageConfiguration for a channel, or undefined when it has none. */
export function inlinePieces(message: MessageConfiguration | undefined, channel: ArchiveChannel, channelType: string): ContentPiece[] | undefined {
  if (message === undefined) return undefined;
  const pieces: ContentPiece[] = [];
  const add = (piece: ContentPiece["piece"], source: string | undefined) => {
    if (source !== undefined && source !== "") pieces.push({ piece, source });
  };
  if (channel === "EMAIL") {
    add("TITLE", message.EmailMessage?.Title);
    add("HTML", message.EmailMessage?.HtmlBody);
    add("TEXT", message.EmailMessage?.Body);
  } else if (channel === "SMS") {
    add("BODY", message.SMSMessage?.Body);
  } else if (channel === "PUSH") {
    const platform = PUSH_CHANNELS[channelType];
    const specific = platform === "GCM" ? message.GCMMessage : platform === "APNS" ? message.APNSMessage : platform === "ADM" ? message.ADMMessage : platform === "Baidu" ? message.BaiduMessage : undefined;
    const part = specific?.Body || specific?.Title ? specific : message.DefaultMessage;
    add("TITLE", part?.Title);
    add("BODY", part?.Body);
  }
  return pieces.length > 0 ? pieces : undefined;
}

/** The pieces of a template for the endpoint's channel (push: the platform's part, else Default). */
export function templatePieces(template: TemplateContent, channelType: string): ContentPiece[] {
  const pieces: ContentPiece[] = [];
  const add = (piece: ContentPiece["piece"], source: string | undefined) => {
    if (source !== undefined && source !== "") pieces.push({ piece, source });
  };
  switch (template.channel) {
    case "EMAIL":
      add("TITLE", template.email.subject);
      add("HTML", template.email.html);
      add("TEXT", template.email.text);
      break;
    case "SMS":
    case "VOICE":
      add("BODY", template.body);
      break;
    case "PUSH": {
      const platform = PUSH_CHANNELS[channelType];
      const specific = platform ? template.push[platform] : undefined;
      const part = specific?.Body || specific?.Title ? specific : template.push.Default;
      add("TITLE", part?.Title);
      add("BODY", part?.Body);
      break;
    }
  }
  return pieces;
}

const TEMPLATE_KEYS: Record<TemplateChannel, "EmailTemplate" | "SMSTemplate" | "VoiceTemplate" | "PushTemplate"> = {
  EMAIL: "EmailTemplate",
  SMS: "SMSTemplate",
  VOICE: "VoiceTemplate",
  PUSH: "PushTemplate",
};

/** Memoizes fetches per invocation by exact identity; a failed fetch is not kept (the retry fetches again). */
export class FetchCache {
  private readonly entries = new Map<string, Promise<unknown>>();

  get<T>(key: string, fetch: () => Promise<T>): Promise<T> {
    const cached = this.entries.get(key);
    if (cached !== undefined) return cached as Promise<T>;
    const promise = fetch();
    this.entries.set(key, promise);
    promise.catch(() => this.entries.delete(key));
    return promise;
  }
}

/** Resolves what a send event used. Fetch errors propagate (the record is retried, then dead-lettered). */
export async function resolveContent(
  event: SendEvent,
  source: SendSource,
  endpoint: EndpointSnapshot,
  reader: PinpointReader,
  cache: FetchCache,
): Promise<ResolvedContent> {
  const appId = event.application.app_id;
  if (source.kind === "campaign") {
    const channelType = endpoint.ChannelType;
    if (channelType === undefined) throw new ContentError("the endpoint snapshot has no ChannelType");
    const channel = archiveChannel(channelType);
    const versions = await cache.get(`campaign:${appId}:${source.campaignId}`, () => reader.campaignVersions(appId, source.campaignId));
    const { version, uncertain } = versionActiveAt(versions, event.event_timestamp);
    const treatment = treatmentOf(version, source.treatmentId);
    const uncertainties = uncertain
      ? [`campaign version ${version.Version} was saved less than ${UNCERTAIN_WINDOW_MS / 60_000} minutes before the event; a run started earlier may have used the previous version`]
      : [];
    const headers: Record<string, string> = {
      CampaignId: source.campaignId,
      CampaignVersion: String(version.Version ?? ""),
      TreatmentId: source.treatmentId,
    };
    const identity = `campaign:${appId}:${source.campaignId}:v${version.Version}:t${source.treatmentId}:${channelType}`;
    const inline = inlinePieces(treatment.message, channel, channelType);
    if (inline !== undefined) return { channel, pieces: inline, identity: `${identity}:inline`, headers: { ...headers, ContentSource: "inline" }, uncertainties };
    const ref = treatment.template?.[TEMPLATE_KEYS[channel]];
    if (ref?.Name === undefined) throw new ContentError(`campaign version ${version.Version} treatment ${source.treatmentId} has no ${channel} content`);
    return fromTemplate(channel, channelType, ref.Name, ref.Version, reader, cache, identity, headers, uncertainties);
  }

  const journey = await cache.get(`journey:${appId}:${source.journeyId}`, () => reader.journey(appId, source.journeyId));
  const activity = journey.Activities?.[source.journeyActivityId];
  if (activity === undefined) throw new ContentError(`journey ${source.journeyId} has no activity ${source.journeyActivityId}`);
  const channelType = endpoint.ChannelType ?? source.activityType;
  const refs: Partial<Record<TemplateChannel, { TemplateName?: string; TemplateVersion?: string } | undefined>> = {
    EMAIL: activity.EMAIL,
    SMS: activity.SMS,
    PUSH: activity.PUSH,
  };
  const configured = (Object.keys(refs) as TemplateChannel[]).filter((c) => refs[c] !== undefined);
  const channel = channelType !== undefined ? archiveChannel(channelType) : configured.length === 1 ? configured[0]! : undefined;
  if (channel === undefined) {
    throw new UnsupportedChannelError(activity.CUSTOM ? "CUSTOM" : activity.ContactCenter ? "CONTACT_CENTER" : "unknown");
  }
  const ref = refs[channel];
  if (ref?.TemplateName === undefined) {
    if (activity.CUSTOM || activity.ContactCenter) throw new UnsupportedChannelError(activity.CUSTOM ? "CUSTOM" : "CONTACT_CENTER");
    throw new ContentError(`journey ${source.journeyId} activity ${source.journeyActivityId} has no ${channel} template`);
  }
  const headers = { JourneyId: source.journeyId, JourneyActivityId: source.journeyActivityId, ...(source.journeyRunId ? { JourneyRunId: source.journeyRunId } : {}) };
  const identity = `journey:${appId}:${source.journeyId}:${source.journeyActivityId}:${channelType ?? channel}`;
  return fromTemplate(channel, channelType ?? channel, ref.TemplateName, ref.TemplateVersion, reader, cache, identity, headers, []);
}

async function fromTemplate(
  channel: ArchiveChannel,
  channelType: string,
  name: string,
  pinnedVersion: string | undefined,
  reader: PinpointReader,
  cache: FetchCache,
  identity: string,
  headers: Record<string, string>,
  uncertainties: string[],
): Promise<ResolvedContent> {
  const template = await cache.get(`template:${channel}:${name}:${pinnedVersion ?? "active"}`, () => reader.template(channel, name, pinnedVersion));
  const version = pinnedVersion ?? template.version;
  const notes = pinnedVersion === undefined ? [...uncertainties, `template ${name} has no pinned version; its active version (${template.version ?? "unknown"}) as read at archive time was used`] : uncertainties;
  return {
    channel,
    pieces: templatePieces(template, channelType),
    defaultSubstitutions: template.defaultSubstitutions,
    identity: `${identity}:template:${name}:${version ?? "active"}`,
    headers: { ...headers, TemplateName: name, TemplateVersion: version ?? "", ContentSource: "template" },
    uncertainties: notes,
    ...(template.channel === "VOICE" ? { voice: { languageCode: template.languageCode, voiceId: template.voiceId } } : {}),
  };
}
