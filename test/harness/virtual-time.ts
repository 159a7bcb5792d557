/**
 * Simulated time for rate-limiter tests and benchmarks: nothing really sleeps.
 *
 * - `VirtualTime`: sleeps resolve in time order when `run` advances the clock, so several
 *   concurrent async loops (invocations) interleave as they would in real time.
 * - `WindowLimitedApi`: an API that refuses a call when more than its limit of units (message
 *   parts, calls) would land in any trailing 1-second window; its limit can change at any time.
 */

export class VirtualTime {
  now: number;
  private seq = 0;
  private readonly timers: Array<{ at: number; seq: number; resolve: () => void }> = [];

  constructor(start = 0) {
    this.now = start;
  }

  clock = (): number => this.now;

  sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.push({ at: this.now + Math.max(0, ms), seq: this.seq++, resolve });
    });

  private push(timer: { at: number; seq: number; resolve: () => void }): void {
    const t = this.timers;
    t.push(timer);
    let i = t.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(t[p]!, t[i]!)) break;
      [t[p], t[i]] = [t[i]!, t[p]!];
      i = p;
    }
  }

  private less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private pop(): { at: number; resolve: () => void } | undefined {
    const t = this.timers;
    if (t.length === 0) return undefined;
    const top = t[0]!;
    const last = t.pop()!;
    if (t.length > 0) {
      t[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < t.length && this.less(t[l]!, t[m]!)) m = l;
        if (r < t.length && this.less(t[r]!, t[m]!)) m = r;
        if (m === i) break;
        [t[m], t[i]] = [t[i]!, t[m]!];
        i = m;
      }
    }
    return top;
  }

  /** Runs until `done()`: settles all pending promise work, then fires the next timer. */
  async run(done: () => boolean): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (done()) return;
      const next = this.pop();
      if (next === undefined) throw new Error("simulation deadlocked: no timers and not done");
      this.now = next.at;
      next.resolve();
    }
  }
}

/** An API that accepts at most `limit(now)` units in any trailing 1-second window. */
export class WindowLimitedApi {
  readonly accepted: Array<{ at: number; units: number }> = [];
  throttles = 0;

  constructor(
    private readonly clock: () => number,
    readonly limit: (now: number) => number,
  ) {}

  /** True when accepted; false (counted) when the window is full. */
  call(units = 1): boolean {
    const now = this.clock();
    let inWindow = 0;
    for (let i = this.accepted.length - 1; i >= 0 && this.accepted[i]!.at > now - 1000; i--) inWindow += this.accepted[i]!.units;
    if (inWindow + units > this.limit(now)) {
      this.throttles++;
      return false;
    }
    this.accepted.push({ at: now, units });
    return true;
  }

  /** Units accepted per second between `from` and `to` (ms). */
  rateBetween(from: number, to: number): number {
    let units = 0;
    for (const a of this.accepted) if (a.at >= from && a.at < to) units += a.units;
    return (units * 1000) / (to - from);
  }
}
