import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * The auto-responder's state: one DynamoDB table, partition key `pk` (S), TTL attribute
 * `expiresAt` (epoch seconds). Three kinds of item:
 *
 * - `msg#<sesMessageId>` {state: PENDING|SENT|REJECTED|SKIPPED|UNKNOWN, leaseUntil (epoch ms, PENDING only)}
 *   — at most one reply per SES message, whatever the number of deliveries. UNKNOWN: the send
 *   failed in a way that may have delivered it (at-most-once), so it is final like SENT.
 * - `sender#<sha256(lower-cased address)>` {messageId}
 *   — at most one reply per sender per window. The address is hashed: the table holds no PII.
 * - `hour#<YYYY-MM-DDTHH>` (UTC) {messageIds: string set}
 *   — the replies attempted in that hour, across all senders. A slot is the message's id in the
 *   set, so a redelivery of a message that holds a slot adds nothing (ADD of a member is a no-op).
 *
 * TTL deletion is lazy (items can outlive expiresAt by days), so every msg/sender condition also
 * treats an item whose expiresAt is in the past as absent. The hour counter needs no such
 * condition: its key names the hour, and slots are only taken in the current one.
 */
export type MessageState = "PENDING" | "SENT" | "REJECTED" | "SKIPPED" | "UNKNOWN";

export type MessageClaim = "claimed" | "duplicate" | "in-progress";

export interface ReplyStateStore {
  /**
   * Claims `msg#<id>` as PENDING until `leaseUntilMs`. "duplicate" when the message already
   * reached a final state; "in-progress" when another invocation holds an unexpired lease.
   * A PENDING item whose lease expired (the previous attempt crashed) is taken over.
   */
  claimMessage(sesMessageId: string, leaseUntilMs: number, nowMs: number, expiresAtSec: number): Promise<MessageClaim>;
  /** Claims the sender's window for this message. False when another message holds it. */
  claimSender(hash: string, sesMessageId: string, nowMs: number, expiresAtSec: number): Promise<boolean>;
  /**
   * Takes one of the hour's `cap` reply slots for this message. True when taken now or already
   * held by this message; false when the hour is full.
   */
  takeHourlySlot(hour: string, sesMessageId: string, cap: number, expiresAtSec: number): Promise<boolean>;
  /** Gives this message's slot in the hour back (no reply went out). */
  releaseHourlySlot(hour: string, sesMessageId: string): Promise<void>;
  /** Records the final state of a claimed message (SENT, REJECTED, SKIPPED or UNKNOWN). */
  finishMessage(sesMessageId: string, state: Exclude<MessageState, "PENDING">, expiresAtSec: number): Promise<void>;
  /** Deletes a still-PENDING message claim so a retry can send. */
  releaseMessage(sesMessageId: string): Promise<void>;
  /** Deletes the sender window if this message holds it. */
  releaseSender(hash: string, sesMessageId: string): Promise<void>;
}

export const messageKey = (sesMessageId: string): string => `msg#${sesMessageId}`;
export const senderKey = (hash: string): string => `sender#${hash}`;
export const hourKey = (hour: string): string => `hour#${hour}`;

/** The hour bucket of an instant, in UTC: `2026-03-02T14`. */
export function hourBucket(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 13);
}

function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string })?.name === "ConditionalCheckFailedException";
}

async function ignoreConditionFailure(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** DynamoDB implementation. IAM: dynamodb:PutItem, dynamodb:UpdateItem and dynamodb:DeleteItem on the table. */
export function createDynamoReplyStateStore(client: DynamoDBDocumentClient, tableName: string): ReplyStateStore {
  return {
    async claimMessage(sesMessageId, leaseUntilMs, nowMs, expiresAtSec) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: messageKey(sesMessageId), state: "PENDING", leaseUntil: leaseUntilMs, expiresAt: expiresAtSec },
            ConditionExpression:
              "attribute_not_exists(pk) OR expiresAt < :nowSec OR (#state = :pending AND leaseUntil < :nowMs)",
            ExpressionAttributeNames: { "#state": "state" },
            ExpressionAttributeValues: { ":nowSec": Math.floor(nowMs / 1000), ":nowMs": nowMs, ":pending": "PENDING" },
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        );
        return "claimed";
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // The error carries the existing item in wire format (the document client does not
        // unmarshall errors).
        return error.Item?.state?.S === "PENDING" ? "in-progress" : "duplicate";
      }
    },

    async claimSender(hash, sesMessageId, nowMs, expiresAtSec) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: senderKey(hash), messageId: sesMessageId, expiresAt: expiresAtSec },
            ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :nowSec OR messageId = :messageId",
            ExpressionAttributeValues: { ":nowSec": Math.floor(nowMs / 1000), ":messageId": sesMessageId },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async takeHourlySlot(hour, sesMessageId, cap, expiresAtSec) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: hourKey(hour) },
            UpdateExpression: "ADD messageIds :ids SET expiresAt = :expiresAt",
            // messageIds, not pk: the last release removes the (then empty) set but keeps the item.
            ConditionExpression: "attribute_not_exists(messageIds) OR size(messageIds) < :cap OR contains(messageIds, :id)",
            ExpressionAttributeValues: { ":ids": new Set([sesMessageId]), ":id": sesMessageId, ":cap": cap, ":expiresAt": expiresAtSec },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async releaseHourlySlot(hour, sesMessageId) {
      await ignoreConditionFailure(
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: hourKey(hour) },
            UpdateExpression: "DELETE messageIds :ids",
            // An update would otherwise create an empty item for an hour that has none.
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: { ":ids": new Set([sesMessageId]) },
          }),
        ),
      );
    },

    async finishMessage(sesMessageId, state, expiresAtSec) {
      // A whole-item put (not an update) so the final item always carries expiresAt and no lease.
      await client.send(
        new PutCommand({ TableName: tableName, Item: { pk: messageKey(sesMessageId), state, expiresAt: expiresAtSec } }),
      );
    },

    async releaseMessage(sesMessageId) {
      await ignoreConditionFailure(
        client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { pk: messageKey(sesMessageId) },
            ConditionExpression: "#state = :pending",
            ExpressionAttributeNames: { "#state": "state" },
            ExpressionAttributeValues: { ":pending": "PENDING" },
          }),
        ),
      );
    },

    async releaseSender(hash, sesMessageId) {
      await ignoreConditionFailure(
        client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { pk: senderKey(hash) },
            ConditionExpression: "messageId = :messageId",
            ExpressionAttributeValues: { ":messageId": sesMessageId },
          }),
        ),
      );
    },
  };
}
