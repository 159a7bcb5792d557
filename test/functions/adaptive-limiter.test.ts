import { expect } from "chai";
import { AdaptiveLimiter, type AdaptiveLimiterOptions } from "../../functions/shared/rate/adaptive-limiter";
import { cycleMs, DEFAULT_CURVE, rateAt } from "../../functions/shared/rate/rate-curve";
import { DynamoDbRateStore, MemoryRateStore, type SharedRateStore } from "../../functions/shared/rate/rate-store";
import { LimiterRetryStrategy } from "../../functions/shared/rate/sdk";
import { RATE_LIMIT_TABLE } from "../../functions/shared/runtime/tables";
import { startDynalite, type DynaliteEngine } from "../engines/dynalite";
import { VirtualTime, WindowLimitedApi } from "../harness/virtual-time";

const KEY = "pool-0123456789abcdef";

/**
 * One holder sending `units`-unit calls through the limiter to the API until `until` (simulated
 * ms): acquire, call, and on a refusal report the throttle and try the same call again.
 */
async function sender(limiter: AdaptiveLimiter, api: WindowLimitedApi, time: VirtualTime, until: number, unitsOf: number | ((n: number) => number) = 1): Promise<{ sent: number }> {
  let sent = 0;
  for (let n = 1; time.now < until; n++) {
    const units = typeof unitsOf === "number" ? unitsOf : unitsOf(n);
    const permit = await limiter.acquire(KEY, units);
    expect(permit.granted).to.equal(true);
    if (api.call(units)) sent += units;
    else await limiter.onThrottle(KEY);
  }
  return { sent };
}

function limiterOn(time: VirtualTime, ceiling: number, extra: Partial<AdaptiveLimiterOptions> = {}): AdaptiveLimiter {
  return new AdaptiveLimiter({ namespace: "sms", ceilings: new Map([[KEY, ceiling]]), clock: time.clock, sleep: time.sleep, ...extra });
}

async function simulate(holders: Array<() => Promise<unknown>>, time: VirtualTime): Promise<void> {
  let finished = 0;
  const running = holders.map((h) => h().finally(() => finished++));
  await time.run(() => finished === holders.length);
  await Promise.all(running);
}

describe("adaptive rate limiter (functions/shared/rate)", () => {
  describe("the rate curve", () => {
    const curve = { ceiling: 20, decrease: 0.9, cycleUnits: 300, minCycleMs: 5_000, maxCycleMs: 60_000, floor: 0.2 };

    it("starts at the configured rate and never exceeds it", () => {
      expect(rateAt(undefined, 0, curve)).to.equal(20);
      expect(rateAt({ peak: 15, since: 0 }, 10 * 60_000, curve)).to.equal(20);
    });

    it("restarts at β × the refused rate, is back at that rate after one cycle, and probes above it after", () => {
      const state = { peak: 15, since: 1_000 };
      const k = cycleMs(15, curve); // 300 units / 15 per s = 20 s
      expect(k).to.equal(20_000);
      expect(rateAt(state, 1_000, curve)).to.be.closeTo(13.5, 1e-9);
      expect(rateAt(state, 1_000 + k / 2, curve)).to.be.closeTo(15 * (1 - 0.1 / 8), 1e-9);
      expect(rateAt(state, 1_000 + k, curve)).to.be.closeTo(15, 1e-9);
      expect(rateAt(state, 1_000 + 2 * k, curve)).to.be.closeTo(16.5, 1e-9);
    });

    it("clamps the cycle length and the floor", () => {
      expect(cycleMs(1000, curve)).to.equal(5_000);
      expect(cycleMs(1, curve)).to.equal(60_000);
      expect(rateAt({ peak: 0.01, since: 0 }, 0, curve)).to.equal(0.2);
    });
  });

  describe("convergence on one holder", () => {
    for (const [configured, real] of [
      [20, 15],
      [20, 6],
      [8, 6],
    ] as const) {
      it(`configured ${configured}, real limit ${real}: converges within 30 s, then achieves ≥ 0.95 of the real limit with ≤ 2 % of calls throttled`, async () => {
        const time = new VirtualTime();
        const api = new WindowLimitedApi(time.clock, () => real);
        const limiter = limiterOn(time, configured);
        await simulate([() => sender(limiter, api, time, 300_000)], time);
        const achieved = api.rateBetween(30_000, 300_000) / real;
        expect(achieved).to.be.at.least(0.95).and.at.most(1);
        expect(api.throttles / api.accepted.length).to.be.at.most(0.02);
        expect(limiter.stats(KEY).decreases).to.be.greaterThan(0);
      });
    }

    it("configured at the real limit: holds it exactly and is never throttled", async () => {
      const time = new VirtualTime();
      const api = new WindowLimitedApi(time.clock, () => 10);
      const limiter = limiterOn(time, 10);
      await simulate([() => sender(limiter, api, time, 60_000)], time);
      expect(api.throttles).to.equal(0);
      expect(api.rateBetween(0, 60_000)).to.be.closeTo(10, 0.01);
    });

    it("recovers when the real limit rises again, up to the configured ceiling and not above it", async () => {
      const time = new VirtualTime();
      const api = new WindowLimitedApi(time.clock, (now) => (now < 120_000 ? 6 : 15));
      const limiter = limiterOn(time, 20);
      await simulate([() => sender(limiter, api, time, 600_000)], time);
      expect(api.rateBetween(60_000, 120_000) / 6).to.be.at.least(0.95);
      expect(api.rateBetween(400_000, 600_000) / 15).to.be.at.least(0.95);
      expect(limiter.rate(KEY)).to.be.at.most(20);
    });

    it("follows a real limit that drops halfway", async () => {
      const time = new VirtualTime();
      const api = new WindowLimitedApi(time.clock, (now) => (now < 150_000 ? 15 : 8));
      const limiter = limiterOn(time, 20);
      await simulate([() => sender(limiter, api, time, 300_000)], time);
      expect(api.rateBetween(180_000, 300_000) / 8).to.be.at.least(0.95);
      expect(api.throttles / api.accepted.length).to.be.at.most(0.02);
    });

    it("fits multi-part messages into a full stream without overflowing the 1-second window: no throttle at the real limit", async () => {
      const time = new VirtualTime();
      const api = new WindowLimitedApi(time.clock, () => 15);
      const limiter = limiterOn(time, 15);
      await simulate([() => sender(limiter, api, time, 120_000, (n) => (n % 5 === 0 ? 2 : n % 7 === 0 ? 3 : 1))], time);
      expect(api.throttles).to.equal(0);
      // A strict 1-second window with 3-part messages costs some throughput to head-of-line blocking:
      // a scheduler that sends the moment a window has room (no pacing at all) gets 0.957 on this mix.
      expect(api.rateBetween(0, 120_000) / 15).to.be.at.least(0.94);
    });

    it("charges every part of a multi-part message: 3-part messages at 6 parts/s go out every 500 ms", async () => {
      const time = new VirtualTime();
      const api = new WindowLimitedApi(time.clock, () => 6);
      const limiter = limiterOn(time, 6);
      await simulate([() => sender(limiter, api, time, 10_000, 3)], time);
      expect(api.throttles).to.equal(0);
      expect(api.accepted.slice(0, 4).map((a) => a.at)).to.deep.equal([0, 500, 1000, 1500]);
    });
  });

  describe("several invocations sharing the learned rate", () => {
    it("three containers on one key (sharesPerKey 3) converge together on the real limit through the shared item", async () => {
      const time = new VirtualTime();
      const api = new WindowLimitedApi(time.clock, () => 12);
      const store = new MemoryRateStore();
      const limiters = [1, 2, 3].map(() => limiterOn(time, 30, { store, sharesPerKey: 3 }));
      const results = await Promise.all([
        simulate(
          limiters.map((l) => () => sender(l, api, time, 300_000)),
          time,
        ),
      ]);
      expect(results).to.have.length(1);
      expect(api.rateBetween(60_000, 300_000) / 12).to.be.at.least(0.95);
      expect(api.throttles / api.accepted.length).to.be.at.most(0.02);
      // Every container sees the same identity-wide rate.
      const rates = limiters.map((l) => l.rate(KEY));
      expect(Math.max(...rates) - Math.min(...rates)).to.be.below(0.5);
      // Shared, not per-call: a few reads per cache period and a write per decrease.
      expect(store.writes).to.be.below(100);
      expect(store.reads).to.be.below((3 * 300_000) / 5_000 + 100);
    });

    it("a new container starts at the learned rate, not at the ceiling", async () => {
      const time = new VirtualTime();
      const api = new WindowLimitedApi(time.clock, () => 6);
      const store = new MemoryRateStore();
      const first = limiterOn(time, 20, { store });
      await simulate([() => sender(first, api, time, 60_000)], time);
      const throttlesOfFirst = api.throttles;
      const second = limiterOn(time, 20, { store });
      await simulate([() => sender(second, api, time, 120_000)], time);
      expect(api.throttles - throttlesOfFirst).to.be.at.most(2);
      expect(second.rate(KEY)).to.be.below(7);
    });

    it("counts one decrease for one throttle episode seen by two holders", async () => {
      const time = new VirtualTime(10_000);
      const store = new MemoryRateStore();
      const a = limiterOn(time, 20, { store });
      const b = limiterOn(time, 20, { store });
      await a.acquire(KEY);
      await b.acquire(KEY);
      await a.onThrottle(KEY);
      await b.onThrottle(KEY);
      expect(store.items.get(`sms#${KEY}`)).to.deep.equal({ peak: 20, since: 10_000, ceiling: 20 });
      expect(a.rate(KEY)).to.equal(18);
      expect(b.rate(KEY)).to.equal(18);
      expect(a.stats(KEY).decreases + b.stats(KEY).decreases).to.equal(1);
    });

    it("keeps limiting locally when the store fails, and counts the errors", async () => {
      const time = new VirtualTime();
      const failing: SharedRateStore = {
        read: async () => Promise.reject(new Error("down")),
        write: async () => Promise.reject(new Error("down")),
      };
      const limiter = limiterOn(time, 10, { store: failing });
      expect(await limiter.acquire(KEY)).to.deep.equal({ granted: true, waitedMs: 0 });
      await limiter.onThrottle(KEY);
      expect(limiter.rate(KEY)).to.equal(9);
      expect(limiter.stats(KEY).storeErrors).to.equal(2);
    });
  });

  describe("bounds", () => {
    it("does not start a wait that would end after the deadline, and reserves nothing then", async () => {
      const time = new VirtualTime(1_000);
      const limiter = limiterOn(time, 1);
      expect(await limiter.acquire(KEY, 2)).to.deep.equal({ granted: true, waitedMs: 0 });
      expect(await limiter.acquire(KEY, 1, { deadline: 2_999 })).to.deep.equal({ granted: false, retryAfterMs: 2_000 });
      // Nothing was reserved: the next caller still gets the slot at 3000.
      const permit = limiter.acquire(KEY, 1, { deadline: 3_000 });
      await time.run(() => time.now >= 3_000);
      expect(await permit).to.deep.equal({ granted: true, waitedMs: 2_000 });
    });

    it("defers for capacity without lowering the rate", async () => {
      const time = new VirtualTime();
      const limiter = limiterOn(time, 5);
      limiter.defer(KEY, 4_000);
      expect(await limiter.acquire(KEY, 1, { deadline: 3_000 })).to.deep.equal({ granted: false, retryAfterMs: 4_000 });
      expect(limiter.rate(KEY)).to.equal(5);
      expect(limiter.stats(KEY).decreases).to.equal(0);
    });

    it("resumes at the learned peak after idling instead of at a probe grown by the wall clock", async () => {
      const time = new VirtualTime();
      const limiter = limiterOn(time, 20);
      await limiter.acquire(KEY);
      await limiter.onThrottle(KEY); // peak 20 → restarts at 18
      time.now = 10 * 60_000; // idle for 10 minutes: the curve alone would be far above
      await limiter.acquire(KEY);
      expect(limiter.rate(KEY)).to.equal(20);
      await limiter.onThrottle(KEY);
      expect(limiter.rate(KEY)).to.equal(18);
    });

    it("refuses a key without a configured rate and bad options, with exact errors", () => {
      const time = new VirtualTime();
      const limiter = limiterOn(time, 5);
      return Promise.all([
        limiter.acquire("+12065550100").then(
          () => expect.fail("must throw"),
          (e: Error) => expect(e.message).to.equal('No rate is configured for "+12065550100"'),
        ),
        limiter.acquire(KEY, 0).then(
          () => expect.fail("must throw"),
          (e: Error) => expect(e.message).to.equal("units must be > 0, got 0"),
        ),
      ]).then(() => {
        expect(() => limiterOn(time, 5, { sharesPerKey: 0 })).to.throw("sharesPerKey must be a positive integer, got 0");
        expect(() => limiterOn(time, 5, { decrease: 1 })).to.throw("decrease must be between 0 and 1 (exclusive), got 1");
        expect(() => limiterOn(time, 0)).to.throw(`the rate of "${KEY}" must be a positive number, got 0`);
        expect(DEFAULT_CURVE.decrease).to.equal(0.9);
      });
    });
  });

  describe("SDK retry strategy", () => {
    it("surfaces a throttle at once (for the limiter) but still retries a refused connection", async () => {
      const strategy = new LimiterRetryStrategy(5);
      const token = await strategy.acquireInitialRetryToken("sms-voice");
      const throttle = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } });
      let surfaced: unknown;
      await strategy.refreshRetryTokenForRetry(token, { errorType: "THROTTLING", error: throttle } as never).catch((e: unknown) => (surfaced = e));
      expect(surfaced).to.equal(throttle);
      const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      const retry = await strategy.refreshRetryTokenForRetry(token, { errorType: "TRANSIENT", error: refused } as never);
      expect(retry.getRetryCount()).to.equal(1);
    });
  });

  describe("DynamoDbRateStore on dynalite", () => {
    let engine: DynaliteEngine;
    let table: string;
    before(async () => {
      engine = await startDynalite();
      table = await engine.createTable(RATE_LIMIT_TABLE, "rates");
    });
    after(async () => engine.stop());

    it("creates the item once, then updates it only from the state the writer read", async () => {
      const store = new DynamoDbRateStore(engine.documents, table);
      expect(await store.read("sms#a")).to.equal(undefined);
      expect(await store.write("sms#a", { peak: 20, since: 1_000, ceiling: 20 }, undefined)).to.equal(true);
      expect(await store.write("sms#a", { peak: 19, since: 1_500, ceiling: 20 }, undefined)).to.equal(false);
      expect(await store.read("sms#a")).to.deep.equal({ peak: 20, since: 1_000 });
      expect(await store.write("sms#a", { peak: 18, since: 2_000, ceiling: 20 }, 999)).to.equal(false);
      expect(await store.write("sms#a", { peak: 18, since: 2_000, ceiling: 20 }, 1_000)).to.equal(true);
      expect(await store.read("sms#a")).to.deep.equal({ peak: 18, since: 2_000 });
    });

    it("shares a decrease between two limiters through the table", async () => {
      const time = new VirtualTime(50_000);
      const a = limiterOn(time, 10, { store: new DynamoDbRateStore(engine.documents, table) });
      const b = limiterOn(time, 10, { store: new DynamoDbRateStore(engine.documents, table), cacheTtlMs: 0 });
      await a.acquire(KEY);
      await a.onThrottle(KEY);
      await b.acquire(KEY);
      expect(b.rate(KEY)).to.equal(9);
      expect(b.stats(KEY)).to.include({ peak: 10, since: 50_000 });
    });
  });
});
