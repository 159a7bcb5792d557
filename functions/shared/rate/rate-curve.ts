/**
 * The adaptive rate as a pure function of time: AIMD with a CUBIC-shaped increase (RFC 9438's
 * window curve, applied to a send rate instead of a congestion window).
 *
 * - Multiplicative decrease: a throttle at rate r records `peak = r` and `since = now`; the rate
 *   restarts at β·r.
 * - Increase: rate(τ) = peak · (1 + (1−β)·((τ − K)/K)³) for τ = now − since. Concave up to `peak`
 *   (reached at τ = K), so most of a cycle is spent close to the last rate that was refused, then
 *   convex above it, so a limit that AWS raised is found again. A plain linear AIMD with β = 0.9
 *   averages 0.95 of the limit; this curve averages (1 − (1−β)/4) ≈ 0.975 over the concave part.
 * - K scales with the rate: K = cycleUnits / peak seconds (clamped), so a cycle holds about the same
 *   number of units at any rate. One refused call per cycle of ~cycleUnits units keeps the share of
 *   throttled calls near 1/cycleUnits.
 * - The configured rate is a ceiling: the curve never exceeds it, and starts there.
 *
 * Because the rate depends only on (peak, since) and the time, every holder of a key computes the
 * same rate from the same shared state without writing anything until the next decrease.
 */

export interface RateCurveOptions {
  /** The configured rate (units/s): the start and the cap. */
  ceiling: number;
  /** Fraction of the refused rate to restart from (0 < β < 1). */
  decrease: number;
  /** Units per increase cycle; K = cycleUnits / peak seconds. */
  cycleUnits: number;
  minCycleMs: number;
  maxCycleMs: number;
  /** Lowest rate (units/s) the curve returns. */
  floor: number;
}

/** The state shared by every holder of one key: the last rate refused and when. */
export interface SharedRateState {
  /** Units/s at which the last throttle was seen. */
  peak: number;
  /** Epoch ms of that throttle (the start of the current cycle). */
  since: number;
}

export const DEFAULT_CURVE = Object.freeze({ decrease: 0.9, cycleUnits: 300, minCycleMs: 5_000, maxCycleMs: 60_000, floorRatio: 0.01 });

/** K in ms for a cycle starting at `peak`. */
export function cycleMs(peak: number, options: Pick<RateCurveOptions, "cycleUnits" | "minCycleMs" | "maxCycleMs">): number {
  const ms = (options.cycleUnits / Math.max(peak, 1e-9)) * 1000;
  return Math.min(options.maxCycleMs, Math.max(options.minCycleMs, ms));
}

/** The rate (units/s) at `now` for the shared state (undefined: never throttled → the ceiling). */
export function rateAt(state: SharedRateState | undefined, now: number, options: RateCurveOptions): number {
  if (state === undefined) return options.ceiling;
  const k = cycleMs(state.peak, options);
  const x = (Math.max(0, now - state.since) - k) / k;
  const rate = state.peak * (1 + (1 - options.decrease) * x * x * x);
  return Math.min(options.ceiling, Math.max(options.floor, rate));
}

/** The state after a throttle at `now` while sending at `rate`. */
export function decreasedAt(rate: number, now: number): SharedRateState {
  return { peak: rate, since: now };
}
