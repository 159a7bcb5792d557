/**
 * Where the learned rate of a key is shared between containers: one small DynamoDB item per
 * (namespace, key), written only when a holder decreases the rate.
 *
 * Table (RATE_LIMIT_TABLE in runtime/tables.ts): partition key `limiterKey` (S), TTL `expiration`.
 * Item: { limiterKey: "<namespace>#<key>", peak (N, units/s), since (N, epoch ms), ceiling (N),
 *         expiration (N, epoch s: since + 7 days) }
 * A write is conditional on the `since` the writer last read (optimistic concurrency), so two
 * holders seeing the same throttle episode cannot both decrease from their own stale view.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { SharedRateState } from "./rate-curve";

/** Days a learned rate is kept after its last decrease (then the limiter starts at the ceiling). */
export const RATE_ITEM_TTL_DAYS = 7;

export interface SharedRateStore {
  read(limiterKey: string): Promise<SharedRateState | undefined>;
  /**
   * Writes `next` if the item's `since` is still `expectedSince` (undefined: no item yet).
   * Returns false when another holder wrote first.
   */
  write(limiterKey: string, next: SharedRateState & { ceiling: number }, expectedSince: number | undefined): Promise<boolean>;
}

export class DynamoDbRateStore implements SharedRateStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(limiterKey: string): Promise<SharedRateState | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { limiterKey }, ProjectionExpression: "peak, since" }),
    );
    if (Item === undefined || typeof Item.peak !== "number" || typeof Item.since !== "number") return undefined;
    return { peak: Item.peak, since: Item.since };
  }

  async write(limiterKey: string, next: SharedRateState & { ceiling: number }, expectedSince: number | undefined): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            limiterKey,
            peak: next.peak,
            since: next.since,
            ceiling: next.ceiling,
            expiration: Math.floor(next.since / 1000) + RATE_ITEM_TTL_DAYS * 86_400,
          },
          ...(expectedSince === undefined
            ? { ConditionExpression: "attribute_not_exists(limiterKey)" }
            : { ConditionExpression: "since = :expectedSince", ExpressionAttributeValues: { ":expectedSince": expectedSince } }),
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string } | null)?.name === "ConditionalCheckFailedException") return false;
      throw error;
    }
  }
}

/** The same semantics in memory, with request counts (tests and benchmarks). */
export class MemoryRateStore implements SharedRateStore {
  readonly items = new Map<string, SharedRateState & { ceiling: number }>();
  reads = 0;
  writes = 0;

  async read(limiterKey: string): Promise<SharedRateState | undefined> {
    this.reads++;
    const item = this.items.get(limiterKey);
    return item === undefined ? undefined : { peak: item.peak, since: item.since };
  }

  async write(limiterKey: string, next: SharedRateState & { ceiling: number }, expectedSince: number | undefined): Promise<boolean> {
    this.writes++;
    const item = this.items.get(limiterKey);
    if (item?.since !== expectedSince) return false;
    this.items.set(limiterKey, { ...next });
    return true;
  }
}
