import { expect } from "chai";
import { TokenBucket, TokenBucketRegistry } from "../../functions/shared/sms/token-bucket";

/** A simulated clock whose sleep advances time instantly. */
function simulatedClock(start = 0) {
  let now = start;
  const sleeps: number[] = [];
  return {
    clock: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
    sleeps,
    get now() {
      return now;
    },
  };
}

describe("token bucket", () => {
  it("spaces calls exactly 1/rate apart so no 1-second window exceeds the rate", async () => {
    const sim = simulatedClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, clock: sim.clock, sleep: sim.sleep });
    const times: number[] = [];
    for (let i = 0; i < 25; i++) {
      await bucket.take();
      times.push(sim.now);
    }
    expect(times.slice(0, 12)).to.deep.equal([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100]);
    for (const t of times) {
      expect(times.filter((u) => u > t - 1000 && u <= t).length).to.be.at.most(10);
    }
  });

  it("charges a multi-part message its part count and lets it exceed the burst instead of deadlocking", async () => {
    const sim = simulatedClock();
    const bucket = new TokenBucket({ ratePerSecond: 1, clock: sim.clock, sleep: sim.sleep });
    expect(await bucket.take(3)).to.equal(0);
    expect(await bucket.take(1)).to.equal(3000);
    expect(await bucket.take(1)).to.equal(1000);
    expect(sim.now).to.equal(4000);
  });

  it("refills while idle but never holds more than the burst", async () => {
    const sim = simulatedClock();
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3, clock: sim.clock, sleep: sim.sleep });
    sim.advance(60_000);
    expect([await bucket.take(), await bucket.take(), await bucket.take(), await bucket.take()]).to.deep.equal([0, 0, 0, 500]);
  });

  it("reserves tokens immediately so concurrent callers queue in call order", () => {
    const sim = simulatedClock();
    const bucket = new TokenBucket({ ratePerSecond: 4, clock: sim.clock, sleep: sim.sleep });
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).to.deep.equal([0, 250, 500]);
  });

  it("pauses after a downstream throttle", async () => {
    const sim = simulatedClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, clock: sim.clock, sleep: sim.sleep });
    await bucket.take();
    bucket.penalize(1000);
    expect(await bucket.take()).to.equal(1000);
  });

  it("rejects a non-positive rate, a burst below one and a non-positive token count", () => {
    expect(() => new TokenBucket({ ratePerSecond: 0 })).to.throw("ratePerSecond must be a positive number, got 0");
    expect(() => new TokenBucket({ ratePerSecond: 1, burst: 0.5 })).to.throw("burst must be >= 1, got 0.5");
    expect(() => new TokenBucket({ ratePerSecond: 1 }).reserve(0)).to.throw("tokens must be > 0, got 0");
  });
});

describe("token bucket registry", () => {
  it("keeps one bucket per identity at that identity's rate", () => {
    const sim = simulatedClock();
    const registry = new TokenBucketRegistry(new Map([["+12065550199", 1], ["pool-abc", 20]]), { clock: sim.clock, sleep: sim.sleep });
    expect(registry.forKey("+12065550199")).to.equal(registry.forKey("+12065550199"));
    expect(registry.forKey("+12065550199").ratePerSecond).to.equal(1);
    expect(registry.forKey("pool-abc").ratePerSecond).to.equal(20);
  });

  it("refuses an identity without a configured rate", () => {
    expect(() => new TokenBucketRegistry(new Map()).forKey("+15555550100")).to.throw('No rate is configured for "+15555550100"');
  });
});
