/** Small async helpers for the adapters: bounded concurrency and a retry for throttling. */
import { isThrottlingError } from "../runtime/errors";

/** Runs `work` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Math.max(1, Math.min(limit, items.length));
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index], index);
      }
    }),
  );
  return results;
}

export interface ThrottleRetry {
  /** Extra attempts after the SDK's own retries gave up on throttling. */
  retries: number;
  /** Base of the full-jitter exponential backoff, in ms. */
  baseDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export const DEFAULT_THROTTLE_RETRY: ThrottleRetry = {
  retries: 3,
  baseDelayMs: 200,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/**
 * Retries `call` while it fails with throttling, with full-jitter backoff. The SDK clients already
 * retry adaptively; this outer layer waits longer between attempts, for a sustained rate limit.
 * Every call it wraps is idempotent (a search, a read, or a write of a final value set).
 */
export async function retryThrottled<T>(call: () => Promise<T>, retry: ThrottleRetry): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= retry.retries || !isThrottlingError(error)) throw error;
      await retry.sleep(Math.floor(retry.random() * retry.baseDelayMs * 2 ** attempt));
    }
  }
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
