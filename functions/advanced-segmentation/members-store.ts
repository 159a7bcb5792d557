/**
 * The stored members of each segment (DynamoDB, SEGMENT_MEMBERS_TABLE): what the previous runs
 * applied, so a run adds the token only to people who joined and removes it only from people who
 * left. One item per (segment, member), spread over MEMBER_SHARDS partitions; `members` reads a
 * segment back in member-id order by merging its shards' Query pages (never the whole set in memory).
 *
 * An item is written only after the target took the change, and deleted only after the token was
 * removed, so a failed write leaves the change pending: the next attempt (or run) finds it again,
 * and `pending` drops what a retried file already applied.
 */
import { BatchGetCommand, BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { SEGMENT_MEMBERS_TABLE } from "../shared/runtime/tables";
import { compareMemberIds, MEMBER_SHARDS, SEGMENT_ERRORS } from "./contract";

export type ChangeOp = "join" | "leave";
export interface MemberChange {
  memberId: string;
  op: ChangeOp;
}

const PK = SEGMENT_MEMBERS_TABLE.partitionKey;
const SK = SEGMENT_MEMBERS_TABLE.sortKey;
/** BatchWriteItem takes at most 25 requests, BatchGetItem 100 keys. */
const WRITE_BATCH = 25;
const GET_BATCH = 100;

/** FNV-1a over the UTF-16 code units: a stable, even spread of members over the shards. */
export function shardOf(memberId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < memberId.length; i++) {
    hash ^= memberId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % MEMBER_SHARDS;
}

export function partitionFor(segment: string, memberId: string): string {
  return `${segment}#${String(shardOf(memberId)).padStart(2, "0")}`;
}

export class RetryableSegmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = SEGMENT_ERRORS.retryable;
  }
}

export interface MembersStoreOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** Rounds of UnprocessedItems / UnprocessedKeys retries before giving up (retryable). Default 8. */
  unprocessedRetries?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface MembersStore {
  /** The segment's stored member ids greater than `after`, in `compareMemberIds` order. */
  members(segment: string, after?: string): AsyncGenerator<string>;
  /** The changes not yet in effect: joins of members not stored, leaves of members still stored. */
  pending(segment: string, changes: readonly MemberChange[]): Promise<MemberChange[]>;
  /** Records applied changes: a join stores the member, a leave deletes it. Idempotent. */
  record(segment: string, changes: readonly MemberChange[], meta: { token: string; runId: string; at: string }): Promise<void>;
}

export function createMembersStore(options: MembersStoreOptions): MembersStore {
  const { documents, tableName } = options;
  const rounds = options.unprocessedRetries ?? 8;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const backoff = (round: number) => sleep(Math.min(2000, 50 * 2 ** round));

  async function* shard(segment: string, index: number, after: string | undefined): AsyncGenerator<string> {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await documents.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: after === undefined ? "#pk = :pk" : "#pk = :pk AND #sk > :after",
          ExpressionAttributeNames: { "#pk": PK, "#sk": SK },
          ExpressionAttributeValues: { ":pk": `${segment}#${String(index).padStart(2, "0")}`, ...(after === undefined ? {} : { ":after": after }) },
          ProjectionExpression: "#sk",
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) yield item[SK] as string;
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
  }

  return {
    async *members(segment, after) {
      // DynamoDB orders a string sort key by UTF-8 bytes, which is code point order: the same as compareMemberIds.
      const shards = Array.from({ length: MEMBER_SHARDS }, (_, i) => shard(segment, i, after));
      const heads = await Promise.all(shards.map((s) => s.next()));
      for (;;) {
        let min = -1;
        for (let i = 0; i < heads.length; i++) {
          if (heads[i].done) continue;
          if (min < 0 || compareMemberIds(heads[i].value as string, heads[min].value as string) < 0) min = i;
        }
        if (min < 0) return;
        yield heads[min].value as string;
        heads[min] = await shards[min].next();
      }
    },

    async pending(segment, changes) {
      const stored = new Set<string>();
      for (let i = 0; i < changes.length; i += GET_BATCH) {
        let keys: Record<string, unknown>[] = changes.slice(i, i + GET_BATCH).map((c) => ({ [PK]: partitionFor(segment, c.memberId), [SK]: c.memberId }));
        for (let round = 0; keys.length > 0; round++) {
          if (round > rounds) throw new RetryableSegmentError("BatchGetItem left keys unprocessed after every retry");
          if (round > 0) await backoff(round);
          const out = await documents.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ProjectionExpression: "#sk", ExpressionAttributeNames: { "#sk": SK }, ConsistentRead: true } } }));
          for (const item of out.Responses?.[tableName] ?? []) stored.add(item[SK] as string);
          keys = (out.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
        }
      }
      return changes.filter((c) => (c.op === "join" ? !stored.has(c.memberId) : stored.has(c.memberId)));
    },

    async record(segment, changes, meta) {
      for (let i = 0; i < changes.length; i += WRITE_BATCH) {
        type WriteRequest = NonNullable<NonNullable<ConstructorParameters<typeof BatchWriteCommand>[0]["RequestItems"]>[string]>[number];
        let requests: WriteRequest[] = changes.slice(i, i + WRITE_BATCH).map((c) => {
          const key = { [PK]: partitionFor(segment, c.memberId), [SK]: c.memberId };
          return c.op === "join"
            ? { PutRequest: { Item: { ...key, segment, token: meta.token, joinedRun: meta.runId, joinedAt: meta.at } } }
            : { DeleteRequest: { Key: key } };
        });
        for (let round = 0; requests.length > 0; round++) {
          if (round > rounds) throw new RetryableSegmentError("BatchWriteItem left items unprocessed after every retry");
          if (round > 0) await backoff(round);
          const out = await documents.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
          requests = (out.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
        }
      }
    },
  };
}
