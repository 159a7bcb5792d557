/**
 * Routing VOICE rows of the SMS file drop (#9) to #13's dialer queue: composition, not a fork. The
 * file drop keeps its splitter, its checkpoints and its Enqueuer; only its queue port changes.
 * `routeVoiceEntries(smsQueue, dialQueue)` is a queue port of the same shape as the file drop's
 * (one `sendBatch` of at most 10 entries, returning what failed): entries marked `channel: "VOICE"`
 * go to the dialer queue in one SendMessageBatch, the others to the SMS FIFO queue in another, and
 * the failures of both come back together, so the Enqueuer's retries and row watermark work for
 * both channels unchanged.
 *
 * `dialRequestForRow` turns a valid row into a dial request. The call is named by campaign and
 * recipient: campaignKey is the row's external_campaign_id when set (a person is called once per
 * campaign, across files), else the file version (bucket/key/etag: once per file); recipientKey is
 * the destination number. So two rows for one number in one campaign place one call, and a resumed
 * or re-processed file never calls anyone twice.
 */
import { MAX_MESSAGE_CHARACTERS, attributeBytes, contactAttributes, formatDialRequest, MAX_ATTRIBUTE_BYTES, type DialRequestInput } from "./dial-request";
import type { DialQueue, DialQueueFailure } from "./dial-queue";

/** The file drop's queue entry (functions/sms-file-drop/enqueue.ts QueueEntry), plus the channel. */
export interface RoutedEntry {
  id: string;
  body: string;
  groupId: string;
  deduplicationId: string;
  /** Absent or "SMS": the SMS queue. "VOICE": the dialer queue (body is a formatted dial request). */
  channel?: "SMS" | "VOICE";
}

/** A queue port: one batch of at most 10 entries in, the failed entries out. */
export interface EntryQueue<E> {
  sendBatch(entries: readonly E[]): Promise<DialQueueFailure[]>;
}

/** Code of the failure returned for a VOICE entry when no dialer queue is configured. */
export const VOICE_NOT_CONFIGURED = "VoiceDialerNotConfigured";

export function routeVoiceEntries<E extends RoutedEntry>(sms: EntryQueue<E>, voice: DialQueue | undefined): EntryQueue<E> {
  return {
    async sendBatch(entries) {
      const calls = entries.filter((e) => e.channel === "VOICE");
      const texts = entries.filter((e) => e.channel !== "VOICE");
      const [smsFailures, voiceFailures] = await Promise.all([
        texts.length > 0 ? sms.sendBatch(texts) : Promise.resolve([]),
        calls.length === 0
          ? Promise.resolve([])
          : voice === undefined
            ? // Never dropped silently: the splitter should have rejected the row; this fails the file.
              Promise.resolve(calls.map((c) => ({ id: c.id, code: VOICE_NOT_CONFIGURED, message: "no dialer queue is configured (enable connectChannel)", senderFault: true })))
            : voice.sendBatch(calls.map((c) => ({ id: c.id, body: c.body }))),
      ]);
      return [...smsFailures, ...voiceFailures];
    },
  };
}

/** What a valid file-drop row gives a call. */
export interface VoiceRow {
  bucket: string;
  key: string;
  etag: string;
  row: number;
  /** E.164, already validated. */
  destination: string;
  message: string;
  externalCampaignId: string;
  id1: string;
  id2: string;
}

/** The dial request for a VOICE row; the row's ids ride along as contact attributes (when set). */
export function dialRequestForRow(row: VoiceRow): DialRequestInput {
  const attributes: Record<string, string> = {};
  if (row.externalCampaignId !== "") attributes.external_campaign_id = row.externalCampaignId;
  if (row.id1 !== "") attributes.id_1 = row.id1;
  if (row.id2 !== "") attributes.id_2 = row.id2;
  return {
    version: 1,
    campaignKey: row.externalCampaignId !== "" ? `campaign:${row.externalCampaignId}` : `file:${row.bucket}/${row.key}/${row.etag}`,
    recipientKey: row.destination,
    destination: row.destination,
    message: row.message,
    attributes,
    source: { kind: "sms-file-drop", ref: `s3://${row.bucket}/${row.key}#${row.row}`.slice(0, 1024) },
  };
}

/** The queue entry of a VOICE row: its dial request as the body, the row's own ids otherwise. */
export function voiceEntryForRow(row: VoiceRow, entry: { id: string; groupId: string; deduplicationId: string }): RoutedEntry {
  return { ...entry, body: formatDialRequest(dialRequestForRow(row)), channel: "VOICE" };
}

/**
 * Why a VOICE row's message cannot be dialled, or undefined: the row validation of the file drop
 * calls this instead of the SMS part count for VOICE rows.
 */
export function voiceMessageProblem(message: string, ids: { externalCampaignId: string; id1: string; id2: string }): string | undefined {
  if (message.trim() === "") return "is empty";
  if (message.length > MAX_MESSAGE_CHARACTERS) return `is ${message.length} characters (a call speaks at most ${MAX_MESSAGE_CHARACTERS})`;
  const request = dialRequestForRow({ bucket: "", key: "", etag: "", row: 1, destination: "+10000000000", message, ...ids });
  const bytes = attributeBytes(contactAttributes({ message: request.message, attributes: request.attributes ?? {} }));
  if (bytes > MAX_ATTRIBUTE_BYTES) return `with the row's ids takes ${bytes} UTF-8 bytes of contact attributes (maximum ${MAX_ATTRIBUTE_BYTES})`;
  return undefined;
}
