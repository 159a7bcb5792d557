/**
 * Thin SDK adapters for the SMS file drop: the dropped object, the FIFO queue, the checkpoint
 * table (splitter) and the outcome table (sender). Interfaces plus one SDK implementation each.
 */
import type { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
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
export type FinalStatus = "SENT" | "FAILED" | "SKIPPED_OPTED_OUT" | "REJECTED" | "UNKNOWN";
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
      const { Item } = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { rowId: request.rowId },
          ConsistentRead: true,
          ProjectionExpression: "#status",
          ExpressionAttributeNames: { "#status": "status" },
        }),
      );
      return { claimed: false, status: Item?.status as OutcomeStatus | undefined };
    }
  }

  async finish(request: FinishRequest): Promise<boolean> {
    const now = this.now();
    const set = ["#status = :status", "updatedAt = :updatedAt"];
    // Every optional attribute goes through a name placeholder: `segments` is a DynamoDB reserved
    // word, and an unused placeholder is an error, so names are added only with their attribute.
    const names: Record<string, string> = { "#status": "status" };
    const values: Record<string, string | number> = {
      ":status": request.status,
      ":updatedAt": new Date(now).toISOString(),
      ":claimToken": request.claimToken,
    };
    for (const [attribute, value] of [
      ["messageId", request.messageId],
      ["errorName", request.errorName],
      ["errorMessage", request.errorMessage],
      ["segments", request.segments],
      ["attempts", request.resetAttempts === true ? 0 : undefined],
    ] as const) {
      if (value !== undefined) {
        set.push(`#${attribute} = :${attribute}`);
        names[`#${attribute}`] = attribute;
        values[`:${attribute}`] = value;
      }
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { rowId: request.rowId },
          UpdateExpression: `SET ${set.join(", ")} REMOVE claimToken, leaseUntil`,
          ConditionExpression: "claimToken = :claimToken",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
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
