/**
 * The key schema of every DynamoDB table the project creates, declared once. Components create
 * their tables from these (components/shared/table.ts) and the dynalite tests create the same
 * tables from them, so an adapter's expressions are tested against the key schema it will meet.
 * Pure: no SDK imports, safe to bundle into any handler.
 */
export interface TableSchema {
  /** Partition key attribute (type S). */
  readonly partitionKey: string;
  /** Attribute holding an epoch-seconds expiry (DynamoDB TTL), if the table expires items. */
  readonly ttlAttribute?: string;
}

/** Powertools idempotency persistence layer defaults (`id`, `expiration`). */
export const IDEMPOTENCY_TABLE: TableSchema = Object.freeze({ partitionKey: "id", ttlAttribute: "expiration" });

/** #1 and #4: one item per email address with its suppression status and counters. */
export const CONTACT_TABLE: TableSchema = Object.freeze({ partitionKey: "emailAddress" });

/** #2: reply windows, claims and counters, keyed by a typed `pk`. */
export const AUTO_REPLY_STATE_TABLE: TableSchema = Object.freeze({ partitionKey: "pk", ttlAttribute: "expiresAt" });

/** #8 and #9: one item per phone number with its SMS preference. */
export const SMS_PREFERENCE_TABLE: TableSchema = Object.freeze({ partitionKey: "phoneNumber" });

/** #9 splitter: one item per file version (bucket/key/etag) with its progress. */
export const SMS_FILE_CHECKPOINT_TABLE: TableSchema = Object.freeze({ partitionKey: "fileId", ttlAttribute: "expiration" });

/** #9 sender: one item per row with its send outcome (also the send's idempotency guard). */
export const SMS_OUTCOME_TABLE: TableSchema = Object.freeze({ partitionKey: "rowId", ttlAttribute: "expiration" });

/** Shared adaptive limiter (functions/shared/rate): one item per `<namespace>#<key>` with its learned rate. */
export const RATE_LIMIT_TABLE: TableSchema = Object.freeze({ partitionKey: "limiterKey", ttlAttribute: "expiration" });

/** #11: one item per recipient (endpoint id, user id, phone number or email address) with its offer attributes. */
export const OFFER_TABLE: TableSchema = Object.freeze({ partitionKey: "recipientId" });

/** #12 (optional index): one item per `<key>#<channel>#<locale>` naming the S3 object (and version) of that template. */
export const TEMPLATE_INDEX_TABLE: TableSchema = Object.freeze({ partitionKey: "templateId" });

/** #13 dialer: one item per call (dialId = the call's ClientToken) with its outcome (also the dial's idempotency guard). */
export const CONNECT_DIAL_OUTCOME_TABLE: TableSchema = Object.freeze({ partitionKey: "dialId", ttlAttribute: "expiration" });

/** A table whose items also carry a sort key (type S), for reading one partition in key order. */
export interface SortedTableSchema extends TableSchema {
  readonly sortKey: string;
}

/**
 * #10: one item per (segment, member), partition `<segment>#<shard>`, sort key the member id, so a
 * segment's previous members are read back in order (the diff merges them with the sorted query result).
 */
export const SEGMENT_MEMBERS_TABLE: SortedTableSchema = Object.freeze({ partitionKey: "segmentShard", sortKey: "memberId" });
