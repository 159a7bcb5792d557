/**
 * Rate limiting per origination identity. Pure: the clock and the sleep are injected, so tests and
 * the benchmark run on a simulated clock.
 *
 * The bucket is implemented as the Generic Cell Rate Algorithm (GCRA), which is a token bucket
 * expressed as one "theoretical arrival time" (TAT) instead of a token count:
 * - the bucket refills at `ratePerSecond` tokens per second and holds at most `burst` tokens;
 * - `reserve(n)` takes n tokens and returns how long the caller must wait before acting;
 * - a request larger than the burst (a 3-part SMS on a 1 MPS number) is allowed and puts the
 *   bucket into debt, so the next request waits for the whole cost to be repaid. A plain token
 *   count would deadlock on such a request.
 *
 * With the default burst of 1, calls are spaced exactly 1/rate apart, so no 1-second window ever
 * sees more than `rate` message parts. A larger burst trades that guarantee for lower latency after
 * an idle period.
 */

export type Clock = () => number;
export type Sleep = (ms: number) => Promise<void>;

export const systemClock: Clock = () => Date.now();
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface TokenBucketOptions {
  /** Tokens (message parts) added per second; > 0. */
  ratePerSecond: number;
  /** Tokens the bucket holds when idle; >= 1. Default 1 (no bursting above the rate). */
  burst?: number;
  clock?: Clock;
  sleep?: Sleep;
}

export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  /** Time (ms) at which the bucket would be full again if nothing else were taken. */
  private tat: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0) || !Number.isFinite(options.ratePerSecond)) {
      throw new RangeError(`ratePerSecond must be a positive number, got ${options.ratePerSecond}`);
    }
    const burst = options.burst ?? 1;
    if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError(`burst must be >= 1, got ${burst}`);
    this.ratePerSecond = options.ratePerSecond;
    this.burst = burst;
    this.intervalMs = 1000 / options.ratePerSecond;
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? realSleep;
    this.tat = Number.NEGATIVE_INFINITY;
  }

  /**
   * Takes `tokens` and returns the milliseconds to wait before using them (0 = now). The tokens
   * are reserved immediately, so concurrent callers queue behind each other in call order.
   */
  reserve(tokens = 1): number {
    if (!(tokens > 0)) throw new RangeError(`tokens must be > 0, got ${tokens}`);
    const now = this.clock();
    const tat = Math.max(this.tat, now);
    const allowedAt = tat - (this.burst - 1) * this.intervalMs;
    this.tat = tat + tokens * this.intervalMs;
    return Math.max(0, allowedAt - now);
  }

  /**
   * Waits until `tokens` are available, then takes them. Waits are rounded up to whole ms, after
   * dropping floating-point noise (1000/3 × 12 is 4000.0000000000005, which must not become 4001:
   * a late call followed by an on-time one would put rate + 1 calls in one second).
   */
  async take(tokens = 1): Promise<number> {
    const wait = Math.ceil(Math.round(this.reserve(tokens) * 1000) / 1000);
    if (wait > 0) await this.sleep(wait);
    return wait;
  }

  /** Milliseconds until a request could go (without taking anything). */
  peekWait(): number {
    const now = this.clock();
    return Math.max(0, Math.max(this.tat, now) - (this.burst - 1) * this.intervalMs - now);
  }

  now(): number {
    return this.clock();
  }

  /**
   * Called after the downstream API throttled us anyway (another sender shares the identity, or
   * the quota is lower than configured): empties the bucket and blocks it for `pauseMs`.
   */
  penalize(pauseMs: number): void {
    const now = this.clock();
    this.tat = Math.max(this.tat, now + pauseMs + (this.burst - 1) * this.intervalMs);
  }
}

/**
 * One bucket per key (origination identity), created on first use at the key's configured rate.
 * A fixed-rate limiter with the same surface as the adaptive one (functions/shared/rate), for
 * callers that know their rate exactly.
 */
export class TokenBucketRegistry {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly rates: ReadonlyMap<string, number>,
    private readonly options: Omit<TokenBucketOptions, "ratePerSecond"> = {},
  ) {}

  /** The bucket for `key`; throws for a key without a configured rate (never send unlimited). */
  forKey(key: string): TokenBucket {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      const rate = this.rates.get(key);
      if (rate === undefined) throw new Error(`No rate is configured for "${key}"`);
      bucket = new TokenBucket({ ...this.options, ratePerSecond: rate });
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Waits for `units` tokens of `key`, unless the wait would end after `deadline` (epoch ms). */
  async acquire(key: string, units = 1, options: { deadline?: number } = {}): Promise<{ granted: true; waitedMs: number } | { granted: false; retryAfterMs: number }> {
    const bucket = this.forKey(key);
    const wait = bucket.peekWait();
    if (options.deadline !== undefined && bucket.now() + wait > options.deadline) return { granted: false, retryAfterMs: wait };
    return { granted: true, waitedMs: await bucket.take(units) };
  }

  /** The API throttled `key` anyway: pause its bucket for one second (one MPS window). */
  async onThrottle(key: string): Promise<void> {
    this.forKey(key).penalize(1000);
  }
}
