/**
 * The contract between the splitter and the sender: one SQS FIFO message per valid CSV row.
 * Pure: no SDK.
 *
 * Body (JSON):
 *   { destination, body, originationIdentity, messageType,
 *     context: { external_campaign_id, id_1, id_2, sourceBucket, sourceKey, row }, rowId,
 *     permanentFailureCheckedAt? }
 * MessageGroupId          = originationIdentity (one in-flight batch per identity, in order)
 * MessageDeduplicationId  = rowId = sha256 of [bucket, key, etag, row]
 *
 * Because the row number is part of the id, two identical rows in one file are two messages (the
 * 2020 original keyed on number+campaign and silently dropped the second), while a redelivery of
 * the same file version re-derives the same ids, so SQS drops re-sent rows within its 5-minute
 * de-duplication window and the sender's outcome table catches anything later.
 */
import { createHash } from "node:crypto";
import * as z from "zod";
import { E164_PATTERN, MESSAGE_TYPES } from "../shared/sms/sms-config";
import { buildSendContext } from "../shared/sms/sms-send";

export const QueuedSmsSchema = z.strictObject({
  destination: z.string().regex(E164_PATTERN, "destination must be E.164"),
  body: z.string().min(1),
  originationIdentity: z.string().min(1),
  messageType: z.enum(MESSAGE_TYPES),
  context: z.strictObject({
    external_campaign_id: z.string(),
    id_1: z.string(),
    id_2: z.string(),
    sourceBucket: z.string().min(1),
    sourceKey: z.string().min(1),
    row: z.number().int().positive(),
  }),
  rowId: z.string().regex(/^[0-9a-f]{64}$/, "rowId must be a sha256 hex digest"),
  /**
   * Epoch ms at which the splitter found no permanent delivery failure recorded for the
   * destination (one BatchGetItem per 100 numbers): the sender then needs no preference read for
   * a TRANSACTIONAL row while the check is fresh. Absent: not checked, or a failure was found (the
   * sender reads the number itself and records the skip as before).
   */
  permanentFailureCheckedAt: z.number().int().nonnegative().optional(),
});
export type QueuedSms = z.infer<typeof QueuedSmsSchema>;

/**
 * How long the sender trusts the splitter's permanent-failure check. A failure recorded after the
 * check (a delivery event of an earlier send) is honoured by rows sent later than this; until
 * then the row is sent as if the event had not yet arrived.
 */
export const PERMANENT_FAILURE_CHECK_MAX_AGE_MS = 60 * 60 * 1000;

/** True when the splitter's check covers this row at `now`: a TRANSACTIONAL row checked recently. */
export function checkedBySplitter(message: QueuedSms, now: number): boolean {
  const at = message.permanentFailureCheckedAt;
  return message.messageType === "TRANSACTIONAL" && at !== undefined && now - at <= PERMANENT_FAILURE_CHECK_MAX_AGE_MS;
}

export interface FileVersion {
  bucket: string;
  key: string;
  /** The object's ETag without surrounding quotes. */
  etag: string;
}

/** Stable id of one row of one file version; also the FIFO de-duplication id and outcome key. */
export function rowIdFor(file: FileVersion, row: number): string {
  return createHash("sha256").update(JSON.stringify([file.bucket, file.key, file.etag, row])).digest("hex");
}

/** `bucket/key/etag`: the checkpoint table's partition key for one file version. */
export function fileIdFor(file: FileVersion): string {
  return `${file.bucket}/${file.key}/${file.etag}`;
}

/**
 * SendTextMessage `Context` for a queued message. The API allows 5 entries, so the source file
 * and row are folded into one `source` entry (`s3://bucket/key#row`); it is dropped if longer than
 * the API's 800 characters, and `rowId` (the outcome-table key) still identifies the row.
 */
export function sendContextFor(message: QueuedSms): Record<string, string> {
  const { context } = message;
  return buildSendContext([
    ["external_campaign_id", context.external_campaign_id],
    ["id_1", context.id_1],
    ["id_2", context.id_2],
    ["rowId", message.rowId],
    ["source", `s3://${context.sourceBucket}/${context.sourceKey}#${context.row}`],
  ]);
}

/** A body that can never be sent (not JSON, or not a QueuedSms): moved to the DLQ at once. */
export class MalformedMessageError extends Error {
  constructor(detail: string) {
    super(`Queued message is malformed: ${detail}`);
    this.name = "MalformedMessageError";
  }
}

export function parseQueuedMessage(body: string): QueuedSms {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedMessageError("body is not JSON");
  }
  const result = QueuedSmsSchema.safeParse(json);
  if (!result.success) {
    throw new MalformedMessageError(result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "));
  }
  return result.data;
}
