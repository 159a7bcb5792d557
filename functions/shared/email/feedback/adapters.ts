/**
 * Thin SDK adapters behind the feedback service's ports. Each is one SDK call (or a small,
 * bounded sequence of conditional calls); the clients are injected so the handler can create them
 * once per container with `sdkClientConfig()`.
 */
import {
  ConditionalCheckFailedException,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { PutSuppressedDestinationCommand, type SESv2Client } from "@aws-sdk/client-sesv2";
import type { SuppressionReason, TransientBounceHistory } from "./feedback-policy";
import type {
  ContactStore,
  SuppressionList,
  SuppressionRecord,
  TransientBounceRecord,
} from "./feedback-service";

/** SES v2 account-level suppression list. PutSuppressedDestination is an upsert, so retries are harmless. */
export class SesV2SuppressionList implements SuppressionList {
  constructor(private readonly client: SESv2Client) {}

  async suppress(address: string, reason: SuppressionReason): Promise<void> {
    await this.client.send(new PutSuppressedDestinationCommand({ EmailAddress: address, Reason: reason }));
  }
}

/** Thrown when the transient counter kept losing races with concurrent writers (retryable). */
export class ContactStoreConflictError extends Error {
  override readonly name = "ContactStoreConflictError";
  readonly $retryable = { throttling: false };
}

const TRANSIENT_REASON = "TRANSIENT_BOUNCE";
const MAX_COUNTER_ROUNDS = 3;

/**
 * How many counted suppression events an address remembers (`countedEventKeys`). A list of recent
 * keys rather than a condition on the last key alone: a redelivery after a failed idempotency save
 * arrives a visibility timeout later, and another event for the same address (a complaint after
 * the bounce, #4's copy of another bounce) may have been counted in between; "last key" would then
 * count the redelivered event again. Ten keys cover that interleaving with room to spare, and
 * keep the item small (about 1 KB of keys at most).
 */
export const COUNTED_EVENT_KEYS_LIMIT = 10;

/**
 * The contact-status table. Partition key `emailAddress` (S), no sort key. Attributes maintained:
 * - `status`: "SUPPRESSED" | "ACTIVE" (a transient bounce never downgrades SUPPRESSED);
 * - `lastReason`: "BOUNCE" | "COMPLAINT" | "TRANSIENT_BOUNCE", the classification of the latest event;
 * - `firstEventAt`, `lastEventAt`: ISO-8601 feedback times;
 * - `eventCount`: feedback events recorded for the address;
 * - `countedEventKeys`: the last {@link COUNTED_EVENT_KEYS_LIMIT} suppression events counted (a
 *   list, oldest first), so a re-sent or redelivered suppression is never counted twice;
 * - `transientBounceCount`, `transientWindowStart`: the rolling transient-bounce window;
 * - `countedTransientKeys`: the bounces counted in the current window (a string set, reset with the
 *   window), so a retried bounce is never counted twice, even after later bounces were counted.
 *
 * Timestamps are `Date#toISOString()` strings, so DynamoDB's string comparison orders them.
 */
export class DynamoDbContactStore implements ContactStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /**
   * Marks the address SUPPRESSED. When the event is to be counted, one UpdateItem in the common
   * case: append the event key to `countedEventKeys` and ADD 1 to `eventCount`, on condition that
   * the key is not in the list and the list is not full. If the condition fails, the stored item
   * (ReturnValuesOnConditionCheckFailure=ALL_OLD) tells why: the key is there (a re-sent update or
   * a redelivery; nothing to do, the first write already set everything), or the list is full,
   * and then one UpdateItem replaces it with its newest keys plus this one, conditional on
   * `eventCount` being unchanged since it was read. A lost race loops (bounded).
   */
  async recordSuppression(record: SuppressionRecord): Promise<void> {
    const set = [
      "#status = :suppressed",
      "lastReason = :reason",
      "firstEventAt = if_not_exists(firstEventAt, :at)",
      "lastEventAt = :at",
    ];
    const values: Record<string, AttributeValue> = {
      ":suppressed": { S: "SUPPRESSED" },
      ":reason": { S: record.reason },
      ":at": { S: record.at },
    };
    const update = (input: Pick<UpdateItemCommandInput, "UpdateExpression" | "ConditionExpression" | "ExpressionAttributeValues">) =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { emailAddress: { S: record.address } },
          ...input,
          ExpressionAttributeNames: { "#status": "status" },
          ...(input.ConditionExpression ? { ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const } : {}),
        }),
      );
    if (!record.countEvent) {
      await update({ UpdateExpression: `SET ${set.join(", ")}`, ExpressionAttributeValues: values });
      return;
    }

    for (let round = 0; round < MAX_COUNTER_ROUNDS; round++) {
      let stored: Record<string, AttributeValue> | undefined;
      try {
        await update({
          UpdateExpression: `SET ${set.join(", ")}, countedEventKeys = list_append(if_not_exists(countedEventKeys, :none), :keys) ADD eventCount :one`,
          ConditionExpression: "attribute_not_exists(countedEventKeys) OR (NOT contains(countedEventKeys, :key) AND size(countedEventKeys) < :limit)",
          ExpressionAttributeValues: {
            ...values,
            ":none": { L: [] },
            ":keys": { L: [{ S: record.eventKey }] },
            ":key": { S: record.eventKey },
            ":limit": { N: String(COUNTED_EVENT_KEYS_LIMIT) },
            ":one": { N: "1" },
          },
        });
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        stored = error.Item;
      }
      const counted = (stored?.countedEventKeys?.L ?? []).map((key) => key.S ?? "");
      if (counted.includes(record.eventKey)) return;
      // Without the stored item, or with a list that is not full, the item changed under us: retry.
      if (stored === undefined || counted.length < COUNTED_EVENT_KEYS_LIMIT) continue;
      const seenCount = stored.eventCount?.N;
      try {
        await update({
          UpdateExpression: `SET ${set.join(", ")}, countedEventKeys = :keys ADD eventCount :one`,
          ConditionExpression: seenCount === undefined ? "attribute_not_exists(eventCount)" : "eventCount = :seen",
          ExpressionAttributeValues: {
            ...values,
            ":keys": { L: [...counted.slice(-(COUNTED_EVENT_KEYS_LIMIT - 1)), record.eventKey].map((key) => ({ S: key })) },
            ":one": { N: "1" },
            ...(seenCount === undefined ? {} : { ":seen": { N: seenCount } }),
          },
        });
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new ContactStoreConflictError(`suppression counter conflicted ${MAX_COUNTER_ROUNDS} times`);
  }

  /**
   * One UpdateItem in the common case (the window is still open): ADD 1 to the counter under the
   * condition that the window started at or after the cutoff. If the window is missing or stale, a
   * second conditional UpdateItem starts a new window at this bounce with count 1. A lost race
   * between the two conditions loops (bounded). Both conditions refuse an event key already in
   * the window's counted set, and on that refusal the stored counter
   * (ReturnValuesOnConditionCheckFailure=ALL_OLD) is returned unchanged.
   */
  async recordTransientBounce(record: TransientBounceRecord): Promise<TransientBounceHistory> {
    const notCounted = "(attribute_not_exists(countedTransientKeys) OR NOT contains(countedTransientKeys, :key))";
    const common = [
      "#status = if_not_exists(#status, :active)",
      "lastReason = :reason",
      "firstEventAt = if_not_exists(firstEventAt, :at)",
      "lastEventAt = :at",
    ];
    const values: Record<string, AttributeValue> = {
      ":active": { S: "ACTIVE" },
      ":reason": { S: TRANSIENT_REASON },
      ":at": { S: record.at },
      ":key": { S: record.eventKey },
      ":keys": { SS: [record.eventKey] },
      ":one": { N: "1" },
      ":cutoff": { S: record.windowStartCutoff },
    };
    const attempts = [
      {
        UpdateExpression: `SET ${common.join(", ")} ADD eventCount :one, transientBounceCount :one, countedTransientKeys :keys`,
        ConditionExpression: `transientWindowStart >= :cutoff AND ${notCounted}`,
      },
      {
        UpdateExpression: `SET ${[...common, "transientBounceCount = :one", "transientWindowStart = :at", "countedTransientKeys = :keys"].join(", ")} ADD eventCount :one`,
        ConditionExpression: `(attribute_not_exists(transientWindowStart) OR transientWindowStart < :cutoff) AND ${notCounted}`,
      },
    ];

    for (let round = 0; round < MAX_COUNTER_ROUNDS; round++) {
      for (const attempt of attempts) {
        try {
          const output = await this.client.send(
            new UpdateItemCommand({
              TableName: this.tableName,
              Key: { emailAddress: { S: record.address } },
              ...attempt,
              ExpressionAttributeNames: { "#status": "status" },
              ExpressionAttributeValues: values,
              ReturnValues: "ALL_NEW",
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            }),
          );
          return toHistory(output.Attributes, record);
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
          if (error.Item?.countedTransientKeys?.SS?.includes(record.eventKey)) return toHistory(error.Item, record);
        }
      }
    }
    throw new ContactStoreConflictError(`transient-bounce counter conflicted ${MAX_COUNTER_ROUNDS} times`);
  }
}

function toHistory(item: Record<string, AttributeValue> | undefined, record: TransientBounceRecord): TransientBounceHistory {
  const count = Number(item?.transientBounceCount?.N ?? "1");
  return {
    transientBounceCount: Number.isFinite(count) && count > 0 ? count : 1,
    transientWindowStart: item?.transientWindowStart?.S ?? record.at,
  };
}
