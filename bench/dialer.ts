/**
 * Benchmark for #13's dialer (run with `npm run bench:dialer`). Not a test: it prints numbers and
 * exits non-zero when a target is missed.
 *
 * The real dialer handler (createDialerHandler: Powertools BatchProcessor, DIAL_CONCURRENCY calls at
 * once per invocation, the outcome-record claim, the shared adaptive limiter with its learned rate
 * in a shared store, capacity waits and deferrals, same-token retries of unknown outcomes, the real
 * StartOutboundVoiceContact error classification) driven by a simulated SQS standard queue
 * (batches of ≤ 10, `maximumConcurrency` consumers, each its own container with its own limiter;
 * failed messages visible again after the visibility timeout; redrive to a DLQ after
 * maxReceiveCount; deferred messages re-sent with a delay) on a simulated clock.
 *
 * The simulated Amazon Connect:
 * - request rate: a token bucket at the REAL limit (2 requests/s, burst 5, the API's default);
 *   over it, ThrottlingException. The dialer only knows the configured rate (its ceiling);
 * - concurrent active calls: at most 10 (the instance's default quota); over it, LimitExceededException;
 * - ClientToken: a token whose contact is still active returns that ContactId; a token whose
 *   contact has ENDED starts a new contact (the older API documents' wording: the worst case),
 *   which this benchmark counts as a doubled call;
 * - 1 % of new calls are accepted and then time out on the client (the contact exists, the
 *   dialer sees TimeoutError); 0.5 % of numbers are refused (DestinationNotAllowedException).
 *
 * Reported per scenario: achieved call rate ÷ the real limit, where the call rate is the
 * StartOutboundVoiceContact requests Connect accepted per second over the busy period (the time to
 * 95 % of them), the new calls per second, throttles ÷ requests, deferrals, and lost / doubled /
 * dead-lettered calls (all must be 0). Targets: ratio ≥ 0.95 with the configured rate at 1× and at
 * 2× the real limit. A third scenario with long calls is bound by the concurrent-calls quota, not
 * the rate: it shows capacity handled without loss or dead letters (its ratio is informative).
 */
import type { Context, SQSBatchResponse } from "aws-lambda";
import { loadDialerConfig } from "../functions/connect-channel/config";
import type { DialerPorts } from "../functions/connect-channel/dialer";
import { MemoryDialOutcomeStore } from "../functions/connect-channel/outcome-store";
import { AdaptiveLimiter } from "../functions/shared/rate/adaptive-limiter";
import { MemoryRateStore } from "../functions/shared/rate/rate-store";
import { clientTokenFor, formatDialRequest, type DialRequestInput } from "../functions/shared/voice/dial-request";
import { classifyVoiceError, type VoiceSender } from "../functions/shared/voice/voice-send";
import { VirtualTime } from "../test/harness/virtual-time";

process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";

const INSTANCE = "11111111-2222-4333-8444-555555555555";
const REAL_RATE = 2;
const REAL_BURST = 5;
const MAX_ACTIVE = 10;
const LATENCY_MS = 120;
const TIMEOUT_SECONDS = 120;
const VISIBILITY_MS = 6 * TIMEOUT_SECONDS * 1000;
const MAX_RECEIVE_COUNT = 10;
const MAXIMUM_CONCURRENCY = 2;
const DIALER_ENV = {
  INSTANCE_ID: INSTANCE,
  CONTACT_FLOW_ID: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
  QUEUE_ID: "99999999-8888-4777-8666-555555555555",
  OUTCOME_TABLE_NAME: "memory",
  RATE_TABLE_NAME: "memory",
  DIALER_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/calls",
  CALLS_PER_SECOND: String(REAL_RATE),
  LIMITER_SHARES: String(MAXIMUM_CONCURRENCY),
  DIAL_CONCURRENCY: "2",
  CAPACITY_WAIT_SECONDS: "20",
  CAPACITY_RETRY_DELAY_SECONDS: "30",
  AWS_REGION: "us-east-1",
};

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sdkError = (name: string, status: number, fault: "client" | "server" = "client") =>
  Object.assign(new Error(name), { name, $fault: fault, $metadata: { httpStatusCode: status } });

class SimulatedConnect {
  private tokens = REAL_BURST;
  private refilledAt: number;
  private readonly activeUntil: number[] = [];
  private readonly byToken = new Map<string, { contactId: string; endsAt: number }>();
  /** Contacts started per ClientToken (more than one is a doubled call). */
  readonly contactsPerToken = new Map<string, number>();
  readonly acceptedAt: number[] = [];
  requests = 0;
  /** Requests for numbers Connect refuses: each must be asked once. */
  refusedRequests = 0;
  throttles = 0;
  atCapacity = 0;
  timeouts = 0;
  private contacts = 0;

  constructor(
    private readonly time: VirtualTime,
    private readonly random: () => number,
    private readonly durationMs: () => number,
    private readonly refused: ReadonlySet<string>,
  ) {
    this.refilledAt = time.now;
  }

  /** StartOutboundVoiceContact: resolves with the ContactId or rejects with an SDK-shaped error. */
  async start(destination: string, clientToken: string): Promise<string> {
    this.requests++;
    const now = this.time.now;
    this.tokens = Math.min(REAL_BURST, this.tokens + ((now - this.refilledAt) * REAL_RATE) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) {
      this.throttles++;
      await this.time.sleep(LATENCY_MS);
      throw sdkError("ThrottlingException", 429);
    }
    this.tokens -= 1;
    this.acceptedAt.push(now);
    const existing = this.byToken.get(clientToken);
    if (existing !== undefined && existing.endsAt > now) {
      await this.time.sleep(LATENCY_MS);
      return existing.contactId;
    }
    if (this.refused.has(destination)) {
      this.refusedRequests++;
      await this.time.sleep(LATENCY_MS);
      throw sdkError("DestinationNotAllowedException", 403);
    }
    for (let i = this.activeUntil.length - 1; i >= 0; i--) if (this.activeUntil[i]! <= now) this.activeUntil.splice(i, 1);
    if (this.activeUntil.length >= MAX_ACTIVE) {
      this.atCapacity++;
      await this.time.sleep(LATENCY_MS);
      throw sdkError("LimitExceededException", 429);
    }
    const contactId = `contact-${++this.contacts}`;
    const endsAt = now + LATENCY_MS + this.durationMs();
    this.activeUntil.push(endsAt);
    this.byToken.set(clientToken, { contactId, endsAt });
    this.contactsPerToken.set(clientToken, (this.contactsPerToken.get(clientToken) ?? 0) + 1);
    await this.time.sleep(LATENCY_MS);
    if (this.random() < 0.01) {
      this.timeouts++;
      throw Object.assign(new Error("socket timed out"), { name: "TimeoutError" });
    }
    return contactId;
  }
}

interface QueuedMessage {
  id: string;
  body: string;
  receiveCount: number;
  visibleAt: number;
}

interface Scenario {
  name: string;
  calls: number;
  configuredRate: number;
  durationMs: (random: () => number) => number;
  /** CAPACITY_WAIT_SECONDS: how long an invocation waits for calls to end before deferring. */
  capacityWaitSeconds: number;
  goal: boolean;
}

interface Result {
  ratio: number;
  newCallsPerSecond: number;
  busySeconds: number;
  throttleShare: number;
  requests: number;
  deferrals: number;
  atCapacity: number;
  timeouts: number;
  lost: number;
  doubled: number;
  deadLettered: number;
  invalidReported: number;
  refused: number;
  refusedRequests: number;
  /** New calls per second ÷ what the concurrent-calls quota allows (10 ÷ mean call length). */
  capacityRatio: number;
}

async function runScenario(scenario: Scenario): Promise<Result> {
  const time = new VirtualTime(Date.parse("2026-03-02T09:00:00.000Z"));
  const start = time.now;
  const random = rng(42);
  const requests: DialRequestInput[] = Array.from({ length: scenario.calls }, (_, i) => {
    const destination = `+1206${String(5_550_000 + i).padStart(7, "0")}`;
    return { version: 1, campaignKey: "campaign:bench", recipientKey: destination, destination, message: `Reminder ${i}`, source: { kind: "api", ref: `bench#${i}` } };
  });
  const refused = new Set(requests.filter((_, i) => i % 200 === 7).map((r) => r.destination));
  let durationTotal = 0;
  let durationCount = 0;
  const connect = new SimulatedConnect(
    time,
    random,
    () => {
      const ms = scenario.durationMs(random);
      durationTotal += ms;
      durationCount++;
      return ms;
    },
    refused,
  );
  const outcomes = new MemoryDialOutcomeStore(time.clock);
  const rates = new MemoryRateStore();

  const queue: QueuedMessage[] = requests.map((r, i) => ({ id: `m${i}`, body: formatDialRequest(r), receiveCount: 0, visibleAt: start }));
  const deadLetters: QueuedMessage[] = [];
  let deferrals = 0;
  let nextId = scenario.calls;

  const env = { ...DIALER_ENV, CALLS_PER_SECOND: String(scenario.configuredRate), CAPACITY_WAIT_SECONDS: String(scenario.capacityWaitSeconds) };
  // The module builds its own (unused) handler from the environment when it is first loaded.
  Object.assign(process.env, env);
  const { createDialerHandler } = await import("../functions/connect-channel/dialer.js");
  const config = loadDialerConfig(env);
  const voice: VoiceSender = {
    async send(request) {
      try {
        return { status: "STARTED", contactId: await connect.start(request.destination, request.clientToken) };
      } catch (error) {
        return classifyVoiceError(error);
      }
    },
  };
  const silentLogger = { addContext: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const metrics = { addMetric: () => undefined, publishStoredMetrics: () => undefined, singleMetric: () => ({ addDimension: () => undefined, addMetric: () => undefined }) };
  /** One container per consumer: its own limiter, sharing the learned rate through the store. */
  const consumers = Array.from({ length: MAXIMUM_CONCURRENCY }, () => {
    const ports: DialerPorts = {
      outcomes,
      voice,
      limiter: new AdaptiveLimiter({ namespace: "connect", ceilings: new Map([[INSTANCE, config.callsPerSecond]]), store: rates, sharesPerKey: config.limiterShares, clock: time.clock, sleep: time.sleep }),
      deferrals: {
        async defer(body, delaySeconds) {
          deferrals++;
          queue.push({ id: `m${nextId++}`, body, receiveCount: 0, visibleAt: time.now + delaySeconds * 1000 });
        },
      },
      clock: time.clock,
      sleep: time.sleep,
    };
    return createDialerHandler(config, ports, { logger: silentLogger, metrics } as never);
  });

  const finals = new Set(["STARTED", "INVALID_DESTINATION", "REJECTED", "UNKNOWN"]);
  const settled = () => queue.length === 0;
  const consume = async (handler: (event: unknown, context: Context) => Promise<SQSBatchResponse>): Promise<void> => {
    while (!settled()) {
      const now = time.now;
      const batch: QueuedMessage[] = [];
      for (const m of queue) {
        if (batch.length === 10) break;
        if (m.visibleAt <= now) batch.push(m);
      }
      if (batch.length === 0) {
        const next = Math.min(...queue.map((m) => m.visibleAt));
        await time.sleep(Math.max(20, Math.min(next - now, 1000)));
        continue;
      }
      const records = [];
      for (const m of batch) {
        m.receiveCount++;
        if (m.receiveCount > MAX_RECEIVE_COUNT) {
          queue.splice(queue.indexOf(m), 1);
          deadLetters.push(m);
          continue;
        }
        m.visibleAt = now + VISIBILITY_MS;
        records.push({ messageId: m.id, body: m.body, receiptHandle: m.id, attributes: {}, messageAttributes: {}, md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:calls", awsRegion: "us-east-1" });
      }
      if (records.length === 0) continue;
      const deadline = now + TIMEOUT_SECONDS * 1000;
      const response = await handler({ Records: records }, { getRemainingTimeInMillis: () => deadline - time.now } as unknown as Context);
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      for (const r of records) if (!failed.has(r.messageId)) queue.splice(queue.findIndex((m) => m.id === r.messageId), 1);
    }
  };
  let done = 0;
  for (const handler of consumers) void consume(handler).then(() => done++);
  await time.run(() => done === consumers.length);

  const accepted = connect.acceptedAt;
  const busyEnd = accepted[Math.ceil(accepted.length * 0.95) - 1]! + 1;
  const busySeconds = (busyEnd - start) / 1000;
  const inBusy = accepted.filter((t) => t < busyEnd).length;
  let lost = 0;
  let invalidReported = 0;
  for (const r of requests) {
    const item = outcomes.items.get(clientTokenFor(r.campaignKey, r.recipientKey));
    if (item === undefined || !finals.has(item.status as string)) lost++;
    if (item?.status === "INVALID_DESTINATION") invalidReported++;
  }
  const deadDestinations = new Set(deadLetters.map((m) => JSON.parse(m.body).destination as string));
  lost -= requests.filter((r) => deadDestinations.has(r.destination)).length; // in the DLQ: not lost, counted separately
  const newCalls = [...connect.contactsPerToken.values()].reduce((a, b) => a + b, 0);
  const newCallsPerSecond = newCalls / ((Math.max(...accepted) - start) / 1000);
  return {
    ratio: inBusy / busySeconds / REAL_RATE,
    newCallsPerSecond,
    capacityRatio: newCallsPerSecond / (MAX_ACTIVE / ((LATENCY_MS + durationTotal / durationCount) / 1000)),
    busySeconds,
    throttleShare: connect.throttles / connect.requests,
    requests: connect.requests,
    deferrals,
    atCapacity: connect.atCapacity,
    timeouts: connect.timeouts,
    lost,
    doubled: [...connect.contactsPerToken.values()].filter((n) => n > 1).length,
    deadLettered: deadLetters.length,
    invalidReported,
    refused: refused.size,
    refusedRequests: connect.refusedRequests,
  };
}

async function main(): Promise<void> {
  const short = (random: () => number) => 2000 + random() * 3000; // 2–5 s: about 7 active calls at 2/s
  const long = (random: () => number) => 8000 + random() * 4000; // 8–12 s: the 10-call quota binds first
  const scenarios: Scenario[] = [
    { name: "configured 1× the real limit (2/s)", calls: 1200, configuredRate: REAL_RATE, durationMs: short, capacityWaitSeconds: 20, goal: true },
    { name: "configured 2× the real limit (4/s)", calls: 1200, configuredRate: 2 * REAL_RATE, durationMs: short, capacityWaitSeconds: 20, goal: true },
    // A short capacity wait, so that calls are also deferred to the queue.
    { name: "long calls: concurrent-calls quota binds (informative)", calls: 400, configuredRate: REAL_RATE, durationMs: long, capacityWaitSeconds: 5, goal: false },
  ];
  let failed = false;
  console.log(`Dialer vs simulated Connect: real limit ${REAL_RATE}/s burst ${REAL_BURST}, ${MAX_ACTIVE} concurrent calls, ${MAXIMUM_CONCURRENCY} consumers, DIAL_CONCURRENCY 2`);
  for (const scenario of scenarios) {
    const r = await runScenario(scenario);
    const ok = r.lost === 0 && r.doubled === 0 && r.deadLettered === 0 && r.refusedRequests === r.refused && r.invalidReported === r.refused && (!scenario.goal || r.ratio >= 0.95);
    failed ||= !ok;
    console.log(`\n${scenario.name}: ${scenario.calls} calls`);
    console.log(`  achieved request rate ÷ real limit: ${r.ratio.toFixed(3)}${scenario.goal ? " (goal ≥ 0.95)" : ""} over ${r.busySeconds.toFixed(0)} s busy period`);
    console.log(`  new calls per second: ${r.newCallsPerSecond.toFixed(2)}; requests ${r.requests}; throttled ${(100 * r.throttleShare).toFixed(1)} %; LimitExceeded ${r.atCapacity}; deferred to the queue ${r.deferrals}`);
    if (!scenario.goal) console.log(`  new calls ÷ what the 10-call quota allows (10 ÷ mean call length): ${r.capacityRatio.toFixed(3)}`);
    console.log(`  accepted-then-timed-out calls retried with their token: ${r.timeouts}; refused numbers ${r.refused}: reported ${r.invalidReported}, asked ${r.refusedRequests} times`);
    console.log(`  lost ${r.lost}, doubled ${r.doubled}, dead-lettered ${r.deadLettered}  ${ok ? "OK" : "MISSED"}`);
  }
  if (failed) process.exitCode = 1;
}

void main();
