/**
 * Thin SDK adapters for the SMS file drop: the dropped object, the FIFO queue, the checkpoint
 * table (splitter; the reporter's per-file state), the outcome table (sender; delivery outcomes).
 * Interfaces plus one SDK implementation each.
 */
import type { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import {
  BatchGetCommand,
  GetCommand,
  ScanCommand,
  UpdateCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  type ScanCommandOutput,
} from "@aws-sdk/lib-dynamodb";
import { claimedStatus, finishClaim } from "../shared/runtime/claims";
import type { DeliveryOutcome } from "../shared/sms/sms-delivery-events";
import { isConditionalCheckFailed } from "../shared/sms/sms-preferences";
import type { FailedEntry, QueueEntry, QueuePort } from "./enqueue";
import type { FileVersion, QueuedSms } from "./message";

// ---------------------------------------------------------------------------------------------
// S3

export type OpenResult =
  | { status: "open"; body: Readable; contentLength?: number; etag?: string }
  /** The object was overwritten (ETag no longer matches) or deleted since the event. */
  | { status: "gone"; reason: "changed" | "deleted" };

export interface ObjectStore {
  open(ref: { bucket: string; key: string; etag?: string; versionId?: string }): Promise<OpenResult>;
  putErrorReport(bucket: string, key: string, csv: string): Promise<void>;
}

export class S3ObjectStore implements ObjectStore {
  constructor(private readonly client: S3Client) {}

  async open(ref: { bucket: string; key: string; etag?: string; versionId?: string }): Promise<OpenResult> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          // Read exactly the version the event announced; a newer upload has its own event.
          ...(ref.etag ? { IfMatch: `"${ref.etag}"` } : {}),
          ...(ref.versionId ? { VersionId: ref.versionId } : {}),
        }),
      );
      return {
        status: "open",
        body: response.Body as Readable,
        contentLength: response.ContentLength,
        etag: response.ETag?.replace(/^"|"$/g, ""),
      };
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === "PreconditionFailed") return { status: "gone", reason: "changed" };
      if (name === "NoSuchKey" || name === "NoSuchVersion") return { status: "gone", reason: "deleted" };
      throw error;
    }
  }

  async putErrorReport(bucket: string, key: string, csv: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: csv, ContentType: "text/csv; charset=utf-8" }),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// SQS

export class SqsFifoQueue implements QueuePort {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async sendBatch(entries: readonly QueueEntry[]): Promise<FailedEntry[]> {
    const response = await this.client.send(
      new SendMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: entries.map((e) => ({
          Id: e.id,
          MessageBody: e.body,
          MessageGroupId: e.groupId,
          MessageDeduplicationId: e.deduplicationId,
        })),
      }),
    );
    return (response.Failed ?? []).map((f) => ({
      id: f.Id ?? "",
      code: f.Code ?? "Unknown",
      message: f.Message,
      senderFault: f.SenderFault === true,
    }));
  }
}

// ---------------------------------------------------------------------------------------------
// Checkpoint table (partition key fileId = bucket/key/etag)

export interface Checkpoint {
  fileId: string;
  status: "IN_PROGRESS" | "COMPLETE";
  lastRow: number;
}

export interface FileTotals {
  rowsTotal: number;
  rowsQueued: number;
  rowsInvalid: number;
  errorReportKey: string | null;
  fileStatus: "COMPLETED" | "REJECTED";
}

export interface CheckpointStore {
  get(fileId: string): Promise<Checkpoint | undefined>;
  /** Records that every row up to `lastRow` is on the queue. Never moves backwards. */
  saveProgress(fileId: string, file: FileVersion, lastRow: number): Promise<void>;
  complete(fileId: string, file: FileVersion, lastRow: number, totals: FileTotals): Promise<void>;
}

export class DynamoDbCheckpointStore implements CheckpointStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(fileId: string): Promise<Checkpoint | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { fileId }, ConsistentRead: true }));
    if (Item === undefined) return undefined;
    return { fileId, status: Item.status === "COMPLETE" ? "COMPLETE" : "IN_PROGRESS", lastRow: Number(Item.lastRow ?? 0) };
  }

  private common(file: FileVersion): Record<string, string | number> {
    const now = this.now();
    return {
      ":bucket": file.bucket,
      ":key": file.key,
      ":etag": file.etag,
      ":updatedAt": new Date(now).toISOString(),
      ":expiration": Math.floor(now / 1000) + this.ttlSeconds,
    };
  }

  async saveProgress(fileId: string, file: FileVersion, lastRow: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { fileId },
          UpdateExpression:
            "SET lastRow = :lastRow, #status = :inProgress, #bucket = :bucket, #key = :key, etag = :etag, updatedAt = :updatedAt, expiration = :expiration",
          ConditionExpression: "attribute_not_exists(lastRow) OR (lastRow < :lastRow AND #status <> :complete)",
          ExpressionAttributeNames: { "#status": "status", "#bucket": "bucket", "#key": "key" },
          ExpressionAttributeValues: { ...this.common(file), ":lastRow": lastRow, ":inProgress": "IN_PROGRESS", ":complete": "COMPLETE" },
        }),
      );
    } catch (error) {
      // Another invocation of the same file version is already further along (or done).
      if (isConditionalCheckFailed(error)) return;
      throw error;
    }
  }

  async complete(fileId: string, file: FileVersion, lastRow: number, totals: FileTotals): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { fileId },
        UpdateExpression:
          "SET lastRow = :lastRow, #status = :complete, fileStatus = :fileStatus, rowsTotal = :rowsTotal, rowsQueued = :rowsQueued, rowsInvalid = :rowsInvalid, errorReportKey = :errorReportKey, #bucket = :bucket, #key = :key, etag = :etag, updatedAt = :updatedAt, expiration = :expiration",
        ExpressionAttributeNames: { "#status": "status", "#bucket": "bucket", "#key": "key" },
        ExpressionAttributeValues: {
          ...this.common(file),
          ":lastRow": lastRow,
          ":complete": "COMPLETE",
          ":fileStatus": totals.fileStatus,
          ":rowsTotal": totals.rowsTotal,
          ":rowsQueued": totals.rowsQueued,
          ":rowsInvalid": totals.rowsInvalid,
          ":errorReportKey": totals.errorReportKey,
        },
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Outcome table (partition key rowId)

/**
 * Final statuses: a row in one of them is never claimed again. UNKNOWN: the send may or may not
 * have gone out (it timed out, or an earlier delivery died while SENDING) and the guarantee is
 * at-most-once, so it is not sent again.
 */
export type FinalStatus = "SENT" | "FAILED" | "SKIPPED_OPTED_OUT" | "SKIPPED_PERMANENT_FAILURE" | "REJECTED" | "UNKNOWN";
export type OutcomeStatus = FinalStatus | "SENDING" | "RETRYING";

export interface ClaimRequest {
  rowId: string;
  claimToken: string;
  /** Epoch ms after which another delivery may take the claim over (the invocation is dead). */
  leaseUntil: number;
  message: QueuedSms;
}

export type ClaimResult =
  /**
   * attempts: how many deliveries have claimed the row, this one included (the dead-letter
   * decision counts these, not SQS receives). takenOver: the row was SENDING under an expired lease,
   * so the delivery that held it may have sent the message before it died.
   */
  | { claimed: true; attempts: number; takenOver: boolean }
  /** status undefined: the row vanished between the failed claim and the read (TTL); retry later. */
  | { claimed: false; status: OutcomeStatus | undefined };

export interface FinishRequest {
  rowId: string;
  claimToken: string;
  status: FinalStatus | "RETRYING";
  messageId?: string;
  errorName?: string;
  errorMessage?: string;
  segments?: number;
  /** Start the attempt count again (the message is moving to the DLQ; a redrive gets fresh attempts). */
  resetAttempts?: boolean;
}

/**
 * Each row's outcome, and the send's idempotency guard. A row is sent only by the delivery that
 * wins `claim` (a conditional write); a row in a final status is never claimed again, so a
 * redelivered message is not re-sent. A claim left SENDING by an invocation that died can be taken
 * over once its lease (the dead invocation's deadline) has passed; the caller is told, because that
 * invocation may have sent the message.
 */
export interface OutcomeStore {
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /** Returns false when the claim was lost (its lease expired and another delivery took it). */
  finish(request: FinishRequest): Promise<boolean>;
}

export class DynamoDbOutcomeStore implements OutcomeStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const now = this.now();
    const { message } = request;
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { rowId: request.rowId },
          UpdateExpression:
            "SET #status = :sending, claimToken = :claimToken, leaseUntil = :leaseUntil, attempts = if_not_exists(attempts, :zero) + :one, originationIdentity = :identity, messageType = :messageType, sourceBucket = :sourceBucket, sourceKey = :sourceKey, #row = :row, updatedAt = :updatedAt, expiration = :expiration",
          ConditionExpression: "attribute_not_exists(rowId) OR #status = :retrying OR (#status = :sending AND leaseUntil < :now)",
          ExpressionAttributeNames: { "#status": "status", "#row": "row" },
          ExpressionAttributeValues: {
            ":sending": "SENDING",
            ":retrying": "RETRYING",
            ":claimToken": request.claimToken,
            ":leaseUntil": request.leaseUntil,
            ":now": now,
            ":zero": 0,
            ":one": 1,
            ":identity": message.originationIdentity,
            ":messageType": message.messageType,
            ":sourceBucket": message.context.sourceBucket,
            ":sourceKey": message.context.sourceKey,
            ":row": message.context.row,
            ":updatedAt": new Date(now).toISOString(),
            ":expiration": Math.floor(now / 1000) + this.ttlSeconds,
          },
          // The previous status (takeover?) and attempt count, from the same atomic write.
          ReturnValues: "UPDATED_OLD",
        }),
      );
      return { claimed: true, attempts: Number(Attributes?.attempts ?? 0) + 1, takenOver: Attributes?.status === "SENDING" };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return { claimed: false, status: (await claimedStatus(this.client, this.tableName, { rowId: request.rowId })) as OutcomeStatus | undefined };
    }
  }

  finish(request: FinishRequest): Promise<boolean> {
    return finishClaim(this.client, {
      tableName: this.tableName,
      key: { rowId: request.rowId },
      claimToken: request.claimToken,
      status: request.status,
      now: this.now(),
      attributes: {
        messageId: request.messageId,
        errorName: request.errorName,
        errorMessage: request.errorMessage,
        segments: request.segments,
        attempts: request.resetAttempts === true ? 0 : undefined,
      },
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Dead-letter queue (sender)

export type DeadLetterReason = "MalformedMessage" | "MaxAttemptsExceeded";

/** Moves a message the handler gives up on to the dead-letter queue. */
export interface DeadLetterSink {
  send(record: SQSRecord, reason: DeadLetterReason): Promise<void>;
}

export class SqsDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(record: SQSRecord, reason: DeadLetterReason): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: record.body,
        MessageGroupId: record.attributes.MessageGroupId ?? "malformed",
        MessageDeduplicationId: record.messageId,
        MessageAttributes: { reason: { DataType: "String", StringValue: reason } },
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Delivery outcomes (delivery-events.ts writes them on the outcome table; the reporter reads them)

export interface DeliveryUpdate {
  rowId: string;
  messageId: string;
  eventType: string;
  outcome: DeliveryOutcome;
  final: boolean;
  /** The event's eventTimestamp (epoch ms). */
  eventAt: number;
  /** messageStatusDescription, if any (a carrier's words; no personal data). */
  description?: string;
}

export type DeliveryApplied =
  /** Recorded; `newlyFinal`: this event made the row final. */
  | { applied: true; newlyFinal: boolean }
  /** Not recorded: a duplicate, an event older than the one recorded, one after the final one, an event of an earlier send of the row, or a row this table does not hold. */
  | { applied: false };

export interface DeliveryStore {
  recordDelivery(update: DeliveryUpdate): Promise<DeliveryApplied>;
}

/** What the reporter needs of one row. */
export interface RowOutcome {
  rowId: string;
  row?: number;
  status: OutcomeStatus;
  errorName?: string;
  deliveryOutcome?: DeliveryOutcome;
  deliveryStatus?: string;
  deliveryDescription?: string;
}

export interface RowOutcomeReader {
  /** The items of these rows that exist (any order). */
  readRows(rowIds: readonly string[]): Promise<RowOutcome[]>;
}

/** BatchGetItem's limit per request. */
const BATCH_GET_MAX_KEYS = 100;

export class DynamoDbDeliveryStore implements DeliveryStore, RowOutcomeReader {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  async recordDelivery(update: DeliveryUpdate): Promise<DeliveryApplied> {
    // The row must exist (the claim precedes the send), and the event must be of the send the row
    // records, or of one not recorded yet (an event that beats the outcome write). A final event
    // ends the row's delivery; before that, a newer event replaces an older one.
    const order = update.final
      ? "(attribute_not_exists(deliveryEventAt) OR deliveryFinal <> :true)"
      : "(attribute_not_exists(deliveryEventAt) OR (deliveryFinal <> :true AND deliveryEventAt <= :eventAt))";
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { rowId: update.rowId },
          UpdateExpression:
            "SET deliveryOutcome = :outcome, deliveryStatus = :eventType, deliveryFinal = :final, deliveryEventAt = :eventAt, deliveryMessageId = :messageId, deliveryDescription = :description",
          ConditionExpression: `attribute_exists(rowId) AND (attribute_not_exists(messageId) OR messageId = :messageId) AND ${order}`,
          ExpressionAttributeValues: {
            ":outcome": update.outcome,
            ":eventType": update.eventType,
            ":final": update.final,
            ":eventAt": update.eventAt,
            ":messageId": update.messageId,
            ":description": update.description ?? "",
            ":true": true,
          },
          ReturnValues: "UPDATED_OLD",
        }),
      );
      return { applied: true, newlyFinal: update.final && Attributes?.deliveryFinal !== true };
    } catch (error) {
      if (isConditionalCheckFailed(error)) return { applied: false };
      throw error;
    }
  }

  async readRows(rowIds: readonly string[]): Promise<RowOutcome[]> {
    const found: RowOutcome[] = [];
    for (let i = 0; i < rowIds.length; i += BATCH_GET_MAX_KEYS) {
      let keys: Record<string, unknown>[] | undefined = rowIds.slice(i, i + BATCH_GET_MAX_KEYS).map((rowId) => ({ rowId }));
      for (let attempt = 0; keys !== undefined && keys.length > 0; attempt++) {
        if (attempt > 0) await this.sleep(Math.min(5_000, 50 * 2 ** attempt));
        if (attempt > 10) throw new Error(`BatchGetItem left ${keys.length} keys unprocessed after ${attempt} attempts`);
        const response: BatchGetCommandOutput = await this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: keys,
                ProjectionExpression: "rowId, #row, #status, errorName, deliveryOutcome, deliveryStatus, deliveryDescription",
                ExpressionAttributeNames: { "#row": "row", "#status": "status" },
              },
            },
          }),
        );
        for (const item of response.Responses?.[this.tableName] ?? []) found.push(item as RowOutcome);
        keys = response.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return found;
  }
}

// ---------------------------------------------------------------------------------------------
// Delivery reports (report-sweeper.ts): per-file state on the checkpoint item

export interface FileForReport {
  fileId: string;
  bucket: string;
  key: string;
  etag: string;
  rowsTotal: number;
  rowsQueued: number;
  rowsInvalid: number;
  errorReportKey: string | null;
  /** Epoch ms the splitter completed the file (its checkpoint's updatedAt). */
  completedAt: number;
  /** Epoch ms before which the reporter does not look again; undefined = now. */
  nextReportCheckAt?: number;
}

export interface ReportStateStore {
  /** Completed files whose delivery report is still open. */
  openFiles(): Promise<FileForReport[]>;
  /** The report is written and published: the file leaves the open set. */
  closeReport(fileId: string, state: "FINAL" | "DEADLINE", reportKey: string): Promise<void>;
  scheduleCheck(fileId: string, nextCheckAt: number): Promise<void>;
}

export class DynamoDbReportStateStore implements ReportStateStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async openFiles(): Promise<FileForReport[]> {
    const files: FileForReport[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const response: ScanCommandOutput = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: "#status = :complete AND attribute_not_exists(reportState)",
          ProjectionExpression: "fileId, #bucket, #key, etag, rowsTotal, rowsQueued, rowsInvalid, errorReportKey, updatedAt, nextReportCheckAt",
          ExpressionAttributeNames: { "#status": "status", "#bucket": "bucket", "#key": "key" },
          ExpressionAttributeValues: { ":complete": "COMPLETE" },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of response.Items ?? []) {
        files.push({
          fileId: String(item.fileId),
          bucket: String(item.bucket),
          key: String(item.key),
          etag: String(item.etag),
          rowsTotal: Number(item.rowsTotal ?? 0),
          rowsQueued: Number(item.rowsQueued ?? 0),
          rowsInvalid: Number(item.rowsInvalid ?? 0),
          errorReportKey: typeof item.errorReportKey === "string" ? item.errorReportKey : null,
          completedAt: Date.parse(String(item.updatedAt)),
          ...(typeof item.nextReportCheckAt === "number" ? { nextReportCheckAt: item.nextReportCheckAt } : {}),
        });
      }
      start = response.LastEvaluatedKey;
    } while (start !== undefined);
    return files;
  }

  async closeReport(fileId: string, state: "FINAL" | "DEADLINE", reportKey: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { fileId },
        UpdateExpression: "SET reportState = :state, deliveryReportKey = :reportKey REMOVE nextReportCheckAt",
        ExpressionAttributeValues: { ":state": state, ":reportKey": reportKey },
      }),
    );
  }

  async scheduleCheck(fileId: string, nextCheckAt: number): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { fileId },
        UpdateExpression: "SET nextReportCheckAt = :next",
        ConditionExpression: "attribute_exists(fileId) AND attribute_not_exists(reportState)",
        ExpressionAttributeValues: { ":next": nextCheckAt },
      }),
    ).catch((error: unknown) => {
      if (!isConditionalCheckFailed(error)) throw error;
    });
  }
}
