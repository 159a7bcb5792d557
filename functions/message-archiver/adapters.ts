/**
 * The message archiver's SDK adapters: thin, each call's input exactly as the tests assert it.
 */
import {
  GetCampaignVersionsCommand,
  GetEmailTemplateCommand,
  GetJourneyCommand,
  GetPushTemplateCommand,
  GetSmsTemplateCommand,
  GetVoiceTemplateCommand,
  type CampaignResponse,
  type JourneyResponse,
  type PinpointClient,
} from "@aws-sdk/client-pinpoint";
import {
  DeleteObjectsCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  ListObjectVersionsCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { QueueEntry } from "./queue-batches";
import type { PinpointReader, TemplateChannel, TemplateContent } from "./content";
import type { ArchiveVersion, ErasureStore, VersionLock } from "./erasure";

/** One SendMessageBatch: the ids of the entries SQS did not accept, with whether retrying can help. */
export interface ArchiveQueue {
  sendBatch(entries: readonly QueueEntry[]): Promise<{ id: string; retryable: boolean; code: string }[]>;
}

export class SqsArchiveQueue implements ArchiveQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async sendBatch(entries: readonly QueueEntry[]) {
    const out = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries.map((e) => ({ Id: e.id, MessageBody: e.body })) }));
    // SenderFault: the entry itself is wrong (retrying the same entry cannot help).
    return (out.Failed ?? []).map((f) => ({ id: f.Id ?? "", retryable: f.SenderFault !== true, code: f.Code ?? "Unknown" }));
  }
}

export class SdkPinpointReader implements PinpointReader {
  constructor(private readonly pinpoint: PinpointClient) {}

  async campaignVersions(applicationId: string, campaignId: string): Promise<CampaignResponse[]> {
    const versions: CampaignResponse[] = [];
    let token: string | undefined;
    do {
      const out = await this.pinpoint.send(new GetCampaignVersionsCommand({ ApplicationId: applicationId, CampaignId: campaignId, PageSize: "100", Token: token }));
      versions.push(...(out.CampaignsResponse?.Item ?? []));
      token = out.CampaignsResponse?.NextToken;
    } while (token);
    return versions;
  }

  async journey(applicationId: string, journeyId: string): Promise<JourneyResponse> {
    const out = await this.pinpoint.send(new GetJourneyCommand({ ApplicationId: applicationId, JourneyId: journeyId }));
    if (out.JourneyResponse === undefined) throw new Error("GetJourney returned no journey");
    return out.JourneyResponse;
  }

  async template(channel: TemplateChannel, name: string, version: string | undefined): Promise<TemplateContent> {
    const input = { TemplateName: name, Version: version };
    switch (channel) {
      case "EMAIL": {
        const t = (await this.pinpoint.send(new GetEmailTemplateCommand(input))).EmailTemplateResponse;
        return { channel, version: t?.Version, defaultSubstitutions: t?.DefaultSubstitutions, email: { subject: t?.Subject, html: t?.HtmlPart, text: t?.TextPart } };
      }
      case "SMS": {
        const t = (await this.pinpoint.send(new GetSmsTemplateCommand(input))).SMSTemplateResponse;
        return { channel, version: t?.Version, defaultSubstitutions: t?.DefaultSubstitutions, body: t?.Body };
      }
      case "VOICE": {
        const t = (await this.pinpoint.send(new GetVoiceTemplateCommand(input))).VoiceTemplateResponse;
        return { channel, version: t?.Version, defaultSubstitutions: t?.DefaultSubstitutions, body: t?.Body, languageCode: t?.LanguageCode, voiceId: t?.VoiceId };
      }
      case "PUSH": {
        const t = (await this.pinpoint.send(new GetPushTemplateCommand(input))).PushNotificationTemplateResponse;
        return {
          channel,
          version: t?.Version,
          defaultSubstitutions: t?.DefaultSubstitutions,
          push: { ADM: t?.ADM, APNS: t?.APNS, Baidu: t?.Baidu, Default: t?.Default, GCM: t?.GCM },
        };
      }
    }
  }
}

interface S3ErrorShape {
  name?: string;
}

export class S3ErasureStore implements ErasureStore {
  constructor(private readonly s3: S3Client) {}

  async *versions(bucket: string, prefix: string): AsyncGenerator<ArchiveVersion> {
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    do {
      const out = await this.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
      for (const v of out.Versions ?? []) yield { key: v.Key!, versionId: v.VersionId ?? "null", deleteMarker: false };
      for (const m of out.DeleteMarkers ?? []) yield { key: m.Key!, versionId: m.VersionId ?? "null", deleteMarker: true };
      keyMarker = out.IsTruncated ? out.NextKeyMarker : undefined;
      versionIdMarker = out.IsTruncated ? out.NextVersionIdMarker : undefined;
    } while (keyMarker !== undefined);
  }

  async objectLockEnabled(bucket: string): Promise<boolean> {
    try {
      const out = await this.s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
      return out.ObjectLockConfiguration?.ObjectLockEnabled === "Enabled";
    } catch (error) {
      if ((error as S3ErrorShape).name === "ObjectLockConfigurationNotFoundError") return false;
      throw error;
    }
  }

  async lock(bucket: string, version: ArchiveVersion): Promise<VersionLock> {
    const id = { Bucket: bucket, Key: version.key, VersionId: version.versionId };
    const retention = async () => {
      try {
        return (await this.s3.send(new GetObjectRetentionCommand(id))).Retention;
      } catch (error) {
        if (noLock(error)) return undefined;
        throw error;
      }
    };
    const legalHold = async () => {
      try {
        return (await this.s3.send(new GetObjectLegalHoldCommand(id))).LegalHold?.Status === "ON";
      } catch (error) {
        if (noLock(error)) return false;
        throw error;
      }
    };
    const [r, hold] = await Promise.all([retention(), legalHold()]);
    return {
      mode: r?.Mode,
      retainUntil: r?.RetainUntilDate,
      legalHold: hold,
    };
  }

  async deleteVersions(bucket: string, versions: readonly ArchiveVersion[]) {
    const out = await this.s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Quiet: false, Objects: versions.map((v) => ({ Key: v.key, VersionId: v.versionId })) } }),
    );
    return {
      deleted: (out.Deleted ?? []).map((d) => ({ key: d.Key!, versionId: d.VersionId ?? "null" })),
      errors: (out.Errors ?? []).map((e) => ({ key: e.Key!, versionId: e.VersionId ?? "null", code: e.Code ?? "Unknown", message: e.Message ?? "" })),
    };
  }
}

/** S3's answers for a version that has no retention or legal hold configured. */
function noLock(error: unknown): boolean {
  const name = (error as S3ErrorShape).name ?? "";
  return name === "NoSuchObjectLockConfiguration" || name === "ObjectLockConfigurationNotFoundError";
}
