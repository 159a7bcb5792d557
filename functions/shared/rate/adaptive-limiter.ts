/**
 * A per-key adaptive rate limiter (key = an SMS origination identity, a Connect instance, …),
 * channel-neutral. Starts at the configured rate, decreases multiplicatively on each throttle the
 * caller reports, and grows back along the curve in rate-curve.ts. The configured rate is a
 * ceiling, never a promise.
 *
 * Sharing: the learned state (peak, since) of a key lives in a SharedRateStore item that every
 * container reads at most once per `cacheTtlMs` while it uses the key, and writes only when it
 * decreases the rate. So concurrent invocations converge on the same rate, and a new container
 * starts at the learned rate instead of re-learning from the ceiling.
 *
 * Pacing: each holder paces its share (rate / sharesPerKey) with GCRA and no burst: units are
 * spaced evenly, so no 1-second window sees more than the rate. `sharesPerKey` is how many holders
 * can use one key at the same time (SQS FIFO with the key as message group: 1; N concurrent
 * invocations dialling one instance: N), so concurrent holders never wait on each other's tokens.
 *
 * Pure apart from the injected store: the clock and the sleep are injected, so tests and the
 * benchmark run on simulated time. Store errors never fail a caller: the local state is used and
 * the error counted (`stats().storeErrors`).
 */
import { systemClock, realSleep, type Clock, type Sleep } from "../sms/token-bucket";
import { DEFAULT_CURVE, cycleMs, decreasedAt, rateAt, type RateCurveOptions, type SharedRateState } from "./rate-curve";
import type { SharedRateStore } from "./rate-store";

export interface AdaptiveLimiterOptions {
  /** Prefix of the shared item key ("sms", "connect"): `<namespace>#<key>`. */
  namespace: string;
  /** Key → configured rate in units per second (the ceiling). A key without one is refused. */
  ceilings: ReadonlyMap<string, number>;
  /** Where the learned rate is shared; omit for a local-only limiter. */
  store?: SharedRateStore;
  /** Holders that can use one key at once; each paces rate / sharesPerKey. Default 1. */
  sharesPerKey?: number;
  clock?: Clock;
  sleep?: Sleep;
  /** How long a read of the shared item is trusted. Default 5000 ms. */
  cacheTtlMs?: number;
  /** β: the rate restarts at β × the refused rate. Default 0.9. */
  decrease?: number;
  /** Throttles within this long after a decrease do not decrease again (sent at the old rate). Default 1000 ms. */
  holdMs?: number;
  /** Units per increase cycle (rate-curve.ts). Default 300. */
  cycleUnits?: number;
  minCycleMs?: number;
  maxCycleMs?: number;
  /** Lowest rate as a fraction of the ceiling. Default 0.01. */
  floorRatio?: number;
  /** A holder that has not acquired for this long resumes at the learned peak, not at a wall-clock-grown probe. Default 30000 ms. */
  idleMs?: number;
}

/** The window over which a holder measures what the API accepted (the MPS window). */
const MEASURE_WINDOW_MS = 1_000;

/**
 * The earliest time ≥ `from` at which `units` fit in the trailing 1-second window with at most
 * ceil(share) units in it. Even spacing alone lets a multi-part message land just after a full
 * window of single parts (share + parts − 1 units in one second); this holds it back until the
 * window has room. A window with nothing in it always has room (a message larger than the share
 * then goes alone, and the spacing repays it).
 */
function windowSlot(recent: ReadonlyArray<{ at: number; units: number }>, from: number, units: number, share: number): number {
  const capacity = Math.ceil(share - 1e-9);
  let sum = 0;
  for (const grant of recent) if (grant.at > from - MEASURE_WINDOW_MS) sum += grant.units;
  let t = from;
  for (const grant of recent) {
    if (sum <= 0 || sum + units <= capacity) return t;
    if (grant.at <= t - MEASURE_WINDOW_MS) continue;
    t = grant.at + MEASURE_WINDOW_MS;
    sum -= grant.units;
  }
  return t;
}

export type Permit = { granted: true; waitedMs: number } | { granted: false; retryAfterMs: number };

/** What a sender needs from a limiter; AdaptiveLimiter and the fixed-rate TokenBucketRegistry both provide it. */
export interface KeyedRateLimiter {
  acquire(key: string, units?: number, options?: { deadline?: number }): Promise<Permit>;
  onThrottle(key: string): Promise<void>;
}

export interface LimiterStats {
  rate: number;
  ceiling: number;
  peak?: number;
  since?: number;
  throttles: number;
  decreases: number;
  storeErrors: number;
}

interface KeyState {
  readonly limiterKey: string;
  readonly curve: RateCurveOptions;
  /** Last state read from or written to the store (undefined: never throttled). */
  shared: SharedRateState | undefined;
  /** Epoch ms of the last store read; -Infinity = never. */
  readAt: number;
  /** Local restart of the curve after an idle period (see idleMs). */
  rebasedSince: number;
  lastAcquireAt: number;
  /** GCRA theoretical arrival time of this holder's share. */
  tat: number;
  /** This holder's grants of the last second (units 0 once refused): what the API accepted recently. */
  recent: Array<{ at: number; units: number }>;
  /** Start of the current run of back-to-back grants (gaps under a second). */
  streakStart: number;
  throttles: number;
  decreases: number;
  storeErrors: number;
}

export class AdaptiveLimiter implements KeyedRateLimiter {
  private readonly keys = new Map<string, KeyState>();
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly sharesPerKey: number;
  private readonly cacheTtlMs: number;
  private readonly holdMs: number;
  private readonly idleMs: number;

  constructor(private readonly options: AdaptiveLimiterOptions) {
    const shares = options.sharesPerKey ?? 1;
    if (!Number.isInteger(shares) || shares < 1) throw new RangeError(`sharesPerKey must be a positive integer, got ${shares}`);
    const decrease = options.decrease ?? DEFAULT_CURVE.decrease;
    if (!(decrease > 0 && decrease < 1)) throw new RangeError(`decrease must be between 0 and 1 (exclusive), got ${decrease}`);
    for (const [key, ceiling] of options.ceilings) {
      if (!(ceiling > 0) || !Number.isFinite(ceiling)) throw new RangeError(`the rate of "${key}" must be a positive number, got ${ceiling}`);
    }
    this.sharesPerKey = shares;
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? realSleep;
    this.cacheTtlMs = options.cacheTtlMs ?? 5_000;
    this.holdMs = options.holdMs ?? 1_000;
    this.idleMs = options.idleMs ?? 30_000;
  }

  private state(key: string): KeyState {
    let state = this.keys.get(key);
    if (state === undefined) {
      const ceiling = this.options.ceilings.get(key);
      if (ceiling === undefined) throw new Error(`No rate is configured for "${key}"`);
      state = {
        limiterKey: `${this.options.namespace}#${key}`,
        curve: {
          ceiling,
          decrease: this.options.decrease ?? DEFAULT_CURVE.decrease,
          cycleUnits: this.options.cycleUnits ?? DEFAULT_CURVE.cycleUnits,
          minCycleMs: this.options.minCycleMs ?? DEFAULT_CURVE.minCycleMs,
          maxCycleMs: this.options.maxCycleMs ?? DEFAULT_CURVE.maxCycleMs,
          floor: ceiling * (this.options.floorRatio ?? DEFAULT_CURVE.floorRatio),
        },
        shared: undefined,
        readAt: Number.NEGATIVE_INFINITY,
        rebasedSince: Number.NEGATIVE_INFINITY,
        lastAcquireAt: Number.NEGATIVE_INFINITY,
        tat: Number.NEGATIVE_INFINITY,
        recent: [],
        streakStart: Number.NEGATIVE_INFINITY,
        throttles: 0,
        decreases: 0,
        storeErrors: 0,
      };
      this.keys.set(key, state);
    }
    return state;
  }

  /** The curve's state as this holder sees it: the shared one, restarted locally after idling. */
  private effective(state: KeyState): SharedRateState | undefined {
    if (state.shared === undefined) return undefined;
    return { peak: state.shared.peak, since: Math.max(state.shared.since, state.rebasedSince) };
  }

  private rateOf(state: KeyState, now: number): number {
    return rateAt(this.effective(state), now, state.curve);
  }

  private async refresh(state: KeyState, now: number, force = false): Promise<void> {
    if (this.options.store === undefined || (!force && now - state.readAt < this.cacheTtlMs)) return;
    state.readAt = now;
    try {
      const read = await this.options.store.read(state.limiterKey);
      // Never move back to an older state than one this holder already knows.
      if (read !== undefined && (state.shared === undefined || read.since >= state.shared.since)) state.shared = read;
    } catch {
      state.storeErrors++;
    }
  }

  /** The key's current identity-wide rate (units/s). */
  rate(key: string): number {
    return this.rateOf(this.state(key), this.clock());
  }

  stats(key: string): LimiterStats {
    const state = this.state(key);
    return {
      rate: this.rateOf(state, this.clock()),
      ceiling: state.curve.ceiling,
      peak: state.shared?.peak,
      since: state.shared?.since,
      throttles: state.throttles,
      decreases: state.decreases,
      storeErrors: state.storeErrors,
    };
  }

  /**
   * Waits for `units` of the key's share and takes them. With a `deadline` (epoch ms on the
   * injected clock), a wait that would end after it is not started and nothing is reserved:
   * `{ granted: false, retryAfterMs }`, and the caller hands the work back.
   */
  async acquire(key: string, units = 1, options: { deadline?: number } = {}): Promise<Permit> {
    if (!(units > 0)) throw new RangeError(`units must be > 0, got ${units}`);
    const state = this.state(key);
    await this.refresh(state, this.clock());
    const now = this.clock();
    const effective = this.effective(state);
    if (effective !== undefined && now - state.lastAcquireAt > this.idleMs) {
      // Idle: the wall clock grew the probe while nothing was sent. Resume at the learned peak.
      const k = cycleMs(effective.peak, state.curve);
      if (now - effective.since > k) state.rebasedSince = now - k;
    }
    state.lastAcquireAt = now;
    const share = this.rateOf(state, now) / this.sharesPerKey;
    const paced = Math.max(state.tat, now);
    const slot = windowSlot(state.recent, paced, units, share);
    // Round away floating-point noise so a wait of 66.66…67 ms does not become 67 then drift.
    const wait = Math.max(0, Math.ceil(Math.round((slot - now) * 1000) / 1000));
    if (options.deadline !== undefined && now + wait > options.deadline) return { granted: false, retryAfterMs: wait };
    // The pacing schedule is not pushed back by a window hold-back, so the average stays at the share.
    state.tat = paced + (units * 1000) / share;
    const at = now + wait;
    const last = state.recent.at(-1);
    if (last === undefined || at - last.at > MEASURE_WINDOW_MS) state.streakStart = at;
    state.recent.push({ at, units });
    while (state.recent.length > 0 && state.recent[0]!.at <= at - MEASURE_WINDOW_MS) state.recent.shift();
    if (wait > 0) await this.sleep(wait);
    return { granted: true, waitedMs: wait };
  }

  /**
   * The API refused a call of this key for rate. Decreases the rate (once per `holdMs` across all
   * holders) and pushes this holder's next permit one interval out at the new rate.
   */
  async onThrottle(key: string): Promise<void> {
    const state = this.state(key);
    state.throttles++;
    let now = this.clock();
    const recent = (s: SharedRateState | undefined) => s !== undefined && now - s.since < this.holdMs;
    // The refused call's units were not accepted.
    const refused = state.recent.at(-1);
    const refusedUnits = refused?.units ?? 1;
    if (refused !== undefined) refused.units = 0;
    if (!recent(this.effective(state))) {
      const store = this.options.store;
      let expected = state.shared?.since;
      let next = decreasedAt(this.refusedRate(state, now, refusedUnits), now);
      state.shared = next;
      state.rebasedSince = Number.NEGATIVE_INFINITY;
      state.decreases++;
      if (store !== undefined) {
        try {
          for (let attempt = 1; attempt <= 2; attempt++) {
            if (await store.write(state.limiterKey, { ...next, ceiling: state.curve.ceiling }, expected)) break;
            // Another holder decreased first: adopt its state if that was this episode, else
            // decrease from its state (once more at most; then keep the local decision).
            const fresh = await store.read(state.limiterKey);
            now = this.clock();
            if (fresh === undefined) {
              expected = undefined;
              continue;
            }
            if (recent(fresh) || fresh.since >= next.since) {
              state.shared = fresh;
              state.decreases--;
              break;
            }
            expected = fresh.since;
            next = decreasedAt(Math.min(rateAt(fresh, now, state.curve), this.refusedRate(state, now, refusedUnits)), now);
            state.shared = next;
          }
          state.readAt = now;
        } catch {
          state.storeErrors++;
        }
      }
    }
    const share = this.rateOf(state, now) / this.sharesPerKey;
    state.tat = Math.max(state.tat, now + 1000 / share);
  }

  /**
   * The rate to record as refused (the curve's `peak`). Normally the current rate. After sending
   * back to back for a whole second, what the API accepted in that second (× the shares) measures
   * the real limit directly, so a configured rate far above it is left in one step instead of
   * one β-step per hold period, each costing a second of refused calls. The measurement may lower
   * the rate to half at most per throttle (other senders on the key can make it read low).
   */
  private refusedRate(state: KeyState, now: number, refusedUnits: number): number {
    const rate = this.rateOf(state, now);
    if (now - state.streakStart < MEASURE_WINDOW_MS) return rate;
    let accepted = 0;
    for (const grant of state.recent) if (grant.at > now - MEASURE_WINDOW_MS) accepted += grant.units;
    // The window held `accepted` units and refused `refusedUnits` more: the limit is at least the
    // former and below their sum (a 3-part message refused after 13 accepted parts: 13–15).
    const measured = ((accepted + refusedUnits - 1) * this.sharesPerKey * 1000) / MEASURE_WINDOW_MS;
    return Math.min(rate, Math.max(measured, rate / 2));
  }

  /** Capacity, not rate (e.g. Connect's concurrent-call limit): pause the key's permits for `ms`, rate unchanged. */
  defer(key: string, ms: number): void {
    const state = this.state(key);
    state.tat = Math.max(state.tat, this.clock() + ms);
  }
}
