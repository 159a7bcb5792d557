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
