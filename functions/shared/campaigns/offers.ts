/**
 * #11's logic: look up each recipient's offer in the offer store and attach it within the
 * attribute limits. Plain and reusable: the CampaignHook (pinpoint target) and the personalization
 * send step (default target) both call it.
 *
 * - One `BatchGetItem` per batch of at most 100 keys (the API's maximum): a CampaignHook event's
 *   ≤ 50 endpoints are one call. `UnprocessedKeys` (throttling, the 16 MB response limit) are
 *   retried with exponential backoff and full jitter, bounded by attempts and by a deadline, so a
 *   hook finishes well within Pinpoint's 15 s.
 * - Keys are de-duplicated; a key with no item has no offer.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { OFFER_TABLE } from "../runtime/tables";

/** An offer: the item's attributes without its key. */
export type Offer = Record<string, unknown>;

export interface OfferStore {
  /** The offers of `keys` that have one. Throws when some keys stay unread (see OfferLookupIncompleteError). */
  getOffers(keys: readonly string[]): Promise<Map<string, Offer>>;
}

/** What a recipient with no offer gets: sent without one, or left out. */
export const MISSING_OFFER_POLICIES = ["keep", "drop"] as const;
export type MissingOfferPolicy = (typeof MISSING_OFFER_POLICIES)[number];

/** BatchGetItem reads at most 100 keys per call. */
export const BATCH_GET_MAX_KEYS = 100;

export class OfferLookupIncompleteError extends Error {
  constructor(readonly unprocessed: number) {
    super(`${unprocessed} offer key(s) were still unprocessed by BatchGetItem after the retries`);
    this.name = "OfferLookupIncompleteError";
  }
}

export interface OfferStoreOptions {
  /** Calls per batch, the first included. Default 5. */
  maxAttempts?: number;
  /** First backoff ceiling; doubles per retry (full jitter). Default 50 ms. */
  baseDelayMs?: number;
  /** Epoch ms after which no retry starts (a hook's budget). Default none. */
  deadline?: () => number | undefined;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class DynamoDbOfferStore implements OfferStore {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: OfferStoreOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 50;
  }

  async getOffers(keys: readonly string[]): Promise<Map<string, Offer>> {
    const unique = [...new Set(keys)];
    const offers = new Map<string, Offer>();
    for (let i = 0; i < unique.length; i += BATCH_GET_MAX_KEYS) {
      await this.readBatch(unique.slice(i, i + BATCH_GET_MAX_KEYS), offers);
    }
    return offers;
  }

  private async readBatch(keys: string[], into: Map<string, Offer>): Promise<void> {
    const keyName = OFFER_TABLE.partitionKey;
    let pending: Record<string, unknown>[] = keys.map((k) => ({ [keyName]: k }));
    const sleep = this.options.sleep ?? realSleep;
    const random = this.options.random ?? Math.random;
    const now = this.options.now ?? Date.now;
    for (let attempt = 1; ; attempt++) {
      const response = await this.documents.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }));
      for (const item of response.Responses?.[this.tableName] ?? []) {
        const { [keyName]: key, ...offer } = item;
        if (typeof key === "string") into.set(key, offer);
      }
      pending = (response.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      if (pending.length === 0) return;
      const delay = Math.floor(random() * this.baseDelayMs * 2 ** (attempt - 1));
      const deadline = this.options.deadline?.();
      if (attempt >= this.maxAttempts || (deadline !== undefined && now() + delay >= deadline)) throw new OfferLookupIncompleteError(pending.length);
      await sleep(delay);
    }
  }
}

/**
 * Coalesces the lookups requested in the same tick into one `getOffers` call: a sender that sends
 * several messages concurrently makes one BatchGetItem for them, not one per message.
 */
export function createOfferLoader(store: OfferStore): { load(key: string): Promise<Offer | undefined> } {
  let queued: { key: string; resolve: (o: Offer | undefined) => void; reject: (e: unknown) => void }[] = [];
  const flush = () => {
    const batch = queued;
    queued = [];
    store.getOffers(batch.map((q) => q.key)).then(
      (offers) => batch.forEach((q) => q.resolve(offers.get(q.key))),
      (error: unknown) => batch.forEach((q) => q.reject(error)),
    );
  };
  return {
    load(key) {
      return new Promise((resolve, reject) => {
        if (queued.length === 0) queueMicrotask(flush);
        queued.push({ key, resolve, reject });
      });
    },
  };
}
