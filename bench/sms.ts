/**
 * Benchmark for the SMS file drop (run with `npm run bench:sms`). Not a test: it prints numbers.
 *
 * 1. Splitter: the real splitFile code path (streaming csv-parse, header mapping, row validation
 *    with libphonenumber-js, GSM-7/UCS-2 segment counting, sha256 row ids, SendMessageBatch
 *    batching with ENQUEUE_CONCURRENCY in flight, checkpoints by time and progress) over CSV bodies
 *    generated on the fly as a stream (never held in memory), with a fake queue that accepts every
 *    batch. Reports rows/second, the sampled high-water marks of RSS and heap for two file sizes
 *    (memory must not grow with the file), and the splitter's AWS requests per 10,000 rows ÷ the
 *    floor (SendMessageBatch at 10 rows per call), plus, separately, the permanent-failure check's
 *    reads (one BatchGetItem per 100 TRANSACTIONAL numbers; a preference table, as with #8).
 * 2. Sender with the adaptive limiter: the real sender handler (Powertools
 *    SqsFifoPartialProcessorAsync with skipGroupOnError, the outcome-table claim, the shared
 *    adaptive limiter with its learned rate in a shared store, in-invocation throttle waits) driven
 *    by a simulated SQS FIFO queue (batches of ≤ 10, one batch in flight per message group, failed
 *    messages visible again after the visibility timeout) on a simulated clock. Every consumer is
 *    its own container with its own limiter; they share the learned rate through the store. The
 *    simulated SendTextMessage refuses a call when more than the identity's REAL limit of message
 *    parts would land in any 1-second window; the limiter only knows the configured rate (its
 *    ceiling). Throttles surface at once (no SDK retry: limiterClientConfig). Reports, per
 *    scenario, achieved ÷ real limit after convergence and the convergence time, throttled calls ÷
 *    messages sent, and lost / duplicated rows (both must be 0).
 * 3. Requests per 10,000 rows for the whole pipeline (splitter + one outcome claim and one finish
 *    per sent row + the limiter's reads and writes) ÷ its floor, without and with the
 *    permanent-failure check (the splitter's reads + the sender's: the sender's messages carry the
 *    splitter's mark, as the splitter run above sets it on every TRANSACTIONAL row it checked).
 * 4. Sender under faults: about 30 % of SMS calls throttled, timed out before or after acceptance,
 *    or 5xx; about 10 % of outcome writes failing. The API's own log of accepted messages is the
 *    ground truth: every row must end delivered once, UNKNOWN (recorded, counted separately: the
 *    send guarantee is at-most-once) or in the DLQ.
 *
 * Options (environment): BENCH_SIZES="250000,1000000" (rows per generated file).
 * The process exits non-zero when a target is missed.
 */
import { spawnSync } from "node:child_process";
import { Readable } from "node:stream";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context, SQSBatchResponse } from "aws-lambda";
import type { SmsFileProcessedEvent } from "../functions/shared/sms/sms-domain-events";
import type { SmsSender, SmsSendOutcome, SmsSendRequest } from "../functions/shared/sms/sms-send";
import type { PreferenceRecord, PreferenceStore, RecordResult } from "../functions/shared/sms/sms-preferences";
import { AdaptiveLimiter } from "../functions/shared/rate/adaptive-limiter";
import { MemoryRateStore } from "../functions/shared/rate/rate-store";
import { analyzeSmsBody } from "../functions/shared/sms/sms-encoding";
import { VirtualTime, WindowLimitedApi } from "../test/harness/virtual-time";
import type { Checkpoint, CheckpointStore, ClaimRequest, ClaimResult, FinishRequest, ObjectStore, OutcomeStatus, OutcomeStore } from "../functions/sms-file-drop/adapters";
import { loadSenderConfig, loadSplitterConfig } from "../functions/sms-file-drop/config";
import { redriveMaxReceiveCount } from "../functions/sms-file-drop/contract";
import type { FailedEntry, QueueEntry, QueuePort } from "../functions/sms-file-drop/enqueue";
import type { QueuedSms } from "../functions/sms-file-drop/message";
import { queuedMessageFor, splitFile } from "../functions/sms-file-drop/split-file";

process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";

const silent = () => ({
  logger: new Logger({ serviceName: "bench", logLevel: "SILENT" }),
  metrics: new Metrics({ namespace: "Bench", serviceName: "bench" }),
});

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

// -----------------------------------------------------------------------------------------------
// 1. Splitter

const IDENTITIES = [
  { identity: "+12065550199", mps: 1 },
  { identity: "+18885550100", mps: 3 },
  { identity: "pool-0123456789abcdef", mps: 20 },
];

/** A CSV body generated line by line on demand: a realistic mix, ~1% invalid rows. */
function generatedCsv(rows: number): Readable {
  let i = 0;
  const header = "sms_number,message,external_campaign_id,short_code,message_type,id_1,id_2\r\n";
  return new Readable({
    read() {
      if (i === 0) this.push(header);
      const lines: string[] = [];
      for (let n = 0; n < 500 && i < rows; n++) {
        i++;
        const exchange = 200 + (i % 700);
        const number = i % 100 === 0 ? "+1555" : `+1206${exchange}${String(i % 10_000).padStart(4, "0")}`;
        const identity = IDENTITIES[i % 3]!.identity;
        const message =
          i % 7 === 0
            ? `"Bonjour ${i}, votre code est prêt, merci !"`
            : i % 11 === 0
              ? `"Line one for ${i}\nLine two, with ""quotes"""`
              : `Hello customer ${i} your order ${i * 7} has shipped`;
        const type = i % 5 === 0 ? "PROMOTIONAL" : "TRANSACTIONAL";
        lines.push(`${number},${message},campaign-${i % 13},${identity},${type},ref-${i},\r\n`);
      }
      if (lines.length > 0) this.push(lines.join(""));
      if (i >= rows) this.push(null);
    },
  });
}

class AcceptingQueue implements QueuePort {
  entries = 0;
  calls = 0;
  async sendBatch(entries: readonly QueueEntry[]): Promise<FailedEntry[]> {
    this.calls++;
    this.entries += entries.length;
    return [];
  }
}

class MemoryCheckpoints implements CheckpointStore {
  lastRow = 0;
  reads = 0;
  writes = 0;
  async get(): Promise<Checkpoint | undefined> {
    this.reads++;
    return undefined;
  }
  async saveProgress(_fileId: string, _file: unknown, lastRow: number): Promise<void> {
    this.writes++;
    this.lastRow = Math.max(this.lastRow, lastRow);
  }
  async complete(): Promise<void> {
    this.writes++;
  }
}

interface SplitterResult {
  rows: number;
  rowsPerSecond: number;
  peakRss: number;
  /** AWS requests per 10,000 queued rows, and the floor (SendMessageBatch at 10 rows per call). */
  requestsPer10k: number;
  floorPer10k: number;
  /** The permanent-failure check's BatchGetItem calls per 10,000 queued rows (not in requestsPer10k). */
  preferencePer10k: number;
}

async function benchSplitter(rows: number): Promise<SplitterResult> {
  const config = loadSplitterConfig({
    QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/bench.fifo",
    CHECKPOINT_TABLE_NAME: "bench",
    EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:bench",
    ORIGINATION_IDENTITIES: JSON.stringify(IDENTITIES),
    PREFERENCE_TABLE_NAME: "bench-preferences",
  });
  const queue = new AcceptingQueue();
  const preferences = new MemoryPreferences();
  const checkpoints = new MemoryCheckpoints();
  let summary: SmsFileProcessedEvent | undefined;
  let objectRequests = 0;
  const objects: ObjectStore = {
    open: async () => {
      objectRequests++;
      return { status: "open", body: generatedCsv(rows) };
    },
    putErrorReport: async () => {
      objectRequests++;
    },
  };
  let publishes = 0;
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 20);
  const started = process.hrtime.bigint();
  await splitFile({ bucket: "bench", key: `files/${rows}.csv`, etag: "0123456789abcdef0123456789abcdef", size: 1 }, config, {
    objects,
    queue,
    checkpoints,
    events: {
      publish: async (event) => {
        publishes++;
        summary = event as SmsFileProcessedEvent;
      },
    },
    ...silent(),
    remainingMs: () => 900_000,
    preferences,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
  const queued = summary?.rowsQueued ?? 0;
  const requests = queue.calls + checkpoints.reads + checkpoints.writes + objectRequests + publishes;
  const result: SplitterResult = {
    rows,
    rowsPerSecond: rows / seconds,
    peakRss,
    requestsPer10k: (requests * 10_000) / queued,
    floorPer10k: 1_000,
    preferencePer10k: (preferences.requests * 10_000) / queued,
  };
  console.log(
    `splitter  ${String(rows).padStart(9)} rows  ${seconds.toFixed(1).padStart(6)} s  ${Math.round(rows / seconds)
      .toLocaleString("en-US")
      .padStart(7)} rows/s  peak RSS ${mb(peakRss)} (start ${mb(baseline.rss)})  peak heap ${mb(peakHeap)} (start ${mb(baseline.heapUsed)})  ` +
      `queued ${queued} invalid ${summary?.rowsInvalid}; requests: SendMessageBatch ${queue.calls}, checkpoint reads ${checkpoints.reads} writes ${checkpoints.writes}, S3 ${objectRequests}, SNS ${publishes} ` +
      `= ${result.requestsPer10k.toFixed(1)} per 10,000 rows (floor ${result.floorPer10k}): ${(result.requestsPer10k / result.floorPer10k).toFixed(4)}× the floor; ` +
      `permanent-failure check: ${preferences.requests} BatchGetItem (${result.preferencePer10k.toFixed(1)} per 10,000 rows)`,
  );
  return result;
}

// -----------------------------------------------------------------------------------------------
// 2. Sender with the adaptive limiter, on a simulated clock

interface IdentityScenario {
  identity: string;
  /** The configured rate (the limiter's ceiling). */
  mps: number;
  /** The API's real limit in parts per second, as a function of simulated ms. */
  real: (now: number) => number;
  messages: number;
  /** Every n-th message is 2 parts (a 200-character GSM-7 body); 0 = all single-part. */
  twoPartEvery?: number;
}

interface SenderScenario {
  name: string;
  identities: IdentityScenario[];
  consumers: number;
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
  /** Inject faults into this share of SMS API calls and outcome-table writes (0 = none). */
  faultRate?: number;
  /** The simulated ms at which a real limit changes (reported as two segments). */
  changeAt?: number;
}

interface SenderResult {
  rowsSent: number;
  /** Outcome-table requests (claims, reads after a lost claim, finishes) and limiter store requests. */
  outcomeRequests: number;
  limiterRequests: number;
  otherRequests: number;
  /** The permanent-failure check's preference reads (one BatchGetItem per batch). */
  preferenceRequests: number;
  failedTargets: string[];
}

/** SendTextMessage stand-in: counts every part of a message against the identity's real limit. */
class SimulatedSmsApi implements SmsSender {
  readonly apis = new Map<string, WindowLimitedApi>();
  readonly acceptedRows = new Map<string, number>();
  calls = 0;

  constructor(time: VirtualTime, identities: IdentityScenario[]) {
    for (const i of identities) this.apis.set(i.identity, new WindowLimitedApi(time.clock, i.real));
  }

  get throttles(): number {
    return [...this.apis.values()].reduce((s, a) => s + a.throttles, 0);
  }

  async send(request: SmsSendRequest): Promise<SmsSendOutcome> {
    this.calls++;
    const parts = analyzeSmsBody(request.body).segments;
    if (!this.apis.get(request.originationIdentity)!.call(parts)) {
      return { status: "FAILED", retryable: true, throttled: true, errorName: "ThrottlingException", errorMessage: "Rate exceeded" };
    }
    const rowId = request.context?.rowId ?? "";
    this.acceptedRows.set(rowId, (this.acceptedRows.get(rowId) ?? 0) + 1);
    return { status: "SENT", messageId: `m-${this.calls}` };
  }
}

/** Deterministic pseudo-random numbers, so a fault run can be repeated. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const serviceError = (name: string, status: number) => Object.assign(new Error(name), { name, $fault: "server", $metadata: { httpStatusCode: status } });

class MemoryOutcomes implements OutcomeStore {
  readonly items = new Map<string, { status: OutcomeStatus; token?: string; leaseUntil?: number; attempts: number }>();
  writeFailures = 0;
  requests = 0;

  /** `failWrite`: chance that a write fails after the SDK's retries (a DynamoDB fault). */
  constructor(
    private readonly clock: () => number,
    private readonly failWrite = 0,
    private readonly random: () => number = Math.random,
  ) {}

  private fault(): void {
    this.requests++;
    if (this.random() < this.failWrite) {
      this.writeFailures++;
      throw serviceError("InternalServerError", 500);
    }
  }

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    this.fault();
    const item = this.items.get(request.rowId);
    if (item === undefined || item.status === "RETRYING" || (item.status === "SENDING" && (item.leaseUntil ?? 0) < this.clock())) {
      const attempts = (item?.attempts ?? 0) + 1;
      this.items.set(request.rowId, { status: "SENDING", token: request.claimToken, leaseUntil: request.leaseUntil, attempts });
      return { claimed: true, attempts, takenOver: item?.status === "SENDING" };
    }
    this.requests++; // the consistent read after a lost claim
    return { claimed: false, status: item.status };
  }

  async finish(request: FinishRequest): Promise<boolean> {
    this.fault();
    const item = this.items.get(request.rowId);
    if (item?.token !== request.claimToken) return false;
    this.items.set(request.rowId, { status: request.status, attempts: request.resetAttempts ? 0 : item.attempts });
    return true;
  }
}

/** The preference table (no one opted out), counting requests: the default deployment has #8's. */
class MemoryPreferences implements PreferenceStore {
  requests = 0;
  async get(): Promise<PreferenceRecord | undefined> {
    this.requests++;
    return undefined;
  }
  async getMany(numbers: readonly string[]): Promise<Map<string, PreferenceRecord>> {
    this.requests += Math.ceil(new Set(numbers).size / 100);
    return new Map();
  }
  async record(): Promise<RecordResult> {
    throw new Error("the sender never records a preference");
  }
}

/** Wraps the simulated API with injected faults. */
class FaultySmsApi implements SmsSender {
  readonly faults = { throttled: 0, timeoutBeforeAccept: 0, timeoutAfterAccept: 0, serverError: 0 };

  constructor(
    private readonly api: SimulatedSmsApi,
    private readonly rate: number,
    private readonly random: () => number,
  ) {}

  async send(request: SmsSendRequest): Promise<SmsSendOutcome> {
    const roll = this.random() / this.rate; // < 1 means a fault, split evenly four ways
    if (roll < 0.25) {
      this.faults.throttled++;
      return { status: "FAILED", retryable: true, throttled: true, errorName: "ThrottlingException", errorMessage: "Rate exceeded" };
    }
    if (roll < 0.5) {
      this.faults.timeoutBeforeAccept++;
      return { status: "UNKNOWN", errorName: "TimeoutError", errorMessage: "timed out before the service answered" };
    }
    if (roll < 0.75) {
      this.faults.serverError++;
      return { status: "UNKNOWN", errorName: "InternalServerException", errorMessage: "500" };
    }
    const outcome = await this.api.send(request);
    if (outcome.status === "SENT" && roll < 1) {
      this.faults.timeoutAfterAccept++;
      return { status: "UNKNOWN", errorName: "TimeoutError", errorMessage: "timed out after the message was accepted" };
    }
    return outcome;
  }
}

interface SimulatedMessage {
  id: string;
  group: string;
  message: QueuedSms;
  visibleAt: number;
  receives: number;
}

/**
 * Convergence and achieved rate of one identity over [from, to): the convergence time is when the
 * accepted rate over a 10-second window first reaches 0.95 of the real limit; achieved is measured
 * from then to the end of the segment.
 */
function segment(api: WindowLimitedApi, real: number, from: number, to: number): { convergedAfter: number; achieved: number } {
  for (let t = from; t + 10_000 <= to; t += 500) {
    if (api.rateBetween(t, t + 10_000) >= 0.95 * real) return { convergedAfter: t - from, achieved: api.rateBetween(t, to) / real };
  }
  return { convergedAfter: Number.NaN, achieved: api.rateBetween(from, to) / real };
}

async function benchSender(scenario: SenderScenario): Promise<SenderResult> {
  process.env.ORIGINATION_IDENTITIES = JSON.stringify(scenario.identities.map(({ identity, mps }) => ({ identity, mps })));
  process.env.OUTCOME_TABLE_NAME = "bench";
  process.env.MAX_ATTEMPTS = String(scenario.maxReceiveCount);
  const mod = await import("../functions/sms-file-drop/sender.js");
  const config = loadSenderConfig(process.env);
  const time = new VirtualTime();
  const random = seededRandom(7);
  const faultRate = scenario.faultRate ?? 0;
  const simulated = new SimulatedSmsApi(time, scenario.identities);
  const api: SmsSender = faultRate > 0 ? new FaultySmsApi(simulated, faultRate, random) : simulated;
  const outcomes = new MemoryOutcomes(time.clock, faultRate / 3, random);
  const rates = new MemoryRateStore();
  const preferences = new MemoryPreferences();
  const deadLetteredBySender = new Set<string>();
  const deadLetters = {
    send: async (record: { messageId: string }) => {
      deadLetteredBySender.add(record.messageId);
    },
  };
  const backstop = redriveMaxReceiveCount(scenario.maxReceiveCount, 10);
  // One handler (container) per consumer, each with its own limiter; the learned rate is shared.
  const handlers = Array.from({ length: scenario.consumers }, () => {
    const limiter = new AdaptiveLimiter({ namespace: "sms", ceilings: config.identityRates, store: rates, clock: time.clock, sleep: time.sleep });
    return mod.createSenderHandler(config, { outcomes, preferences, sms: api, buckets: limiter, deadLetters, sleep: time.sleep }, silent());
  });
  // Leases and deadlines are computed from Date.now(): run the handler on the simulated clock.
  const realNow = Date.now;
  Date.now = time.clock;

  const groups = new Map<string, SimulatedMessage[]>();
  const allMessages: SimulatedMessage[] = [];
  let total = 0;
  for (const { identity, messages, twoPartEvery } of scenario.identities) {
    const list: SimulatedMessage[] = [];
    for (let n = 1; n <= messages; n++) {
      const row = ++total;
      const twoParts = twoPartEvery !== undefined && twoPartEvery > 0 && n % twoPartEvery === 0;
      const body = twoParts ? `Message ${row} of ${messages}: `.padEnd(200, "x") : `Message ${row} of ${messages}`;
      const message = queuedMessageFor({ bucket: "bench", key: "bench.csv", etag: "e" }, row, {
        channel: "SMS",
        destination: `+1206555${String(1000 + (row % 9000)).padStart(4, "0")}`,
        body,
        originationIdentity: identity,
        messageType: "TRANSACTIONAL",
        externalCampaignId: "bench",
        id1: "",
        id2: "",
        encoding: "GSM-7",
        segments: twoParts ? 2 : 1,
      });
      // Checked by the splitter just before (no recorded failure): the sender needs no read for it.
      message.permanentFailureCheckedAt = time.now;
      list.push({ id: `msg-${row}`, group: identity, message, visibleAt: 0, receives: 0 });
    }
    groups.set(identity, list);
    allMessages.push(...list);
  }
  const inFlight = new Set<string>();
  let delivered = 0;
  let deadLettered = 0;
  let deadLetteredBySqs = 0;
  const deadLetteredBySqsRows = new Set<string>();
  let redriven = 0;
  const context = { getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

  /** SQS FIFO receive: up to 10 visible messages, from groups with nothing in flight, in group order. */
  function receive(): SimulatedMessage[] {
    const batch: SimulatedMessage[] = [];
    for (const [group, list] of groups) {
      if (inFlight.has(group) || list.length === 0 || list[0]!.visibleAt > time.now) continue;
      for (const m of list) {
        if (batch.length >= 10 || m.visibleAt > time.now) break;
        batch.push(m);
      }
      inFlight.add(group);
      if (batch.length >= 10) break;
    }
    return batch;
  }

  async function consumer(handler: (typeof handlers)[number]): Promise<void> {
    while (delivered + deadLettered < total) {
      const batch = receive();
      if (batch.length === 0) {
        await time.sleep(100); // long-poll wait
        continue;
      }
      for (const m of batch) m.receives++;
      const batchGroups = new Set(batch.map((m) => m.group));
      for (const m of batch.filter((b) => b.receives > backstop)) {
        const list = groups.get(m.group)!;
        list.splice(list.indexOf(m), 1);
        batch.splice(batch.indexOf(m), 1);
        deadLettered++;
        deadLetteredBySqs++;
        deadLetteredBySqsRows.add(m.message.rowId);
      }
      if (batch.length === 0) {
        for (const group of batchGroups) inFlight.delete(group);
        continue;
      }
      const event = { Records: batch.map((m) => ({ messageId: m.id, body: JSON.stringify(m.message), attributes: { MessageGroupId: m.group } })) };
      const response: SQSBatchResponse = await handler(event, context);
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      for (const m of batch) {
        const list = groups.get(m.group)!;
        if (!failed.has(m.id)) {
          list.splice(list.indexOf(m), 1);
          if (deadLetteredBySender.has(m.id)) deadLettered++;
          else delivered++;
        } else {
          m.visibleAt = time.now + scenario.visibilityTimeoutMs;
          redriven++;
        }
      }
      for (const m of batch) inFlight.delete(m.group);
    }
  }

  const started = process.hrtime.bigint();
  let finished = 0;
  const consumers = handlers.map((h) => consumer(h).finally(() => finished++));
  try {
    await time.run(() => finished === scenario.consumers);
    await Promise.all(consumers);
  } finally {
    Date.now = realNow;
  }
  const realSeconds = Number(process.hrtime.bigint() - started) / 1e9;

  const sent = [...outcomes.items.values()].filter((i) => i.status === "SENT").length;
  const dlqRows = new Set<string>(deadLetteredBySqsRows);
  for (const m of allMessages) if (deadLetteredBySender.has(m.id)) dlqRows.add(m.message.rowId);
  let duplicated = 0;
  let unknownDelivered = 0;
  let unknownNotDelivered = 0;
  let lost = 0;
  for (const m of allMessages) {
    const accepted = simulated.acceptedRows.get(m.message.rowId) ?? 0;
    const status = outcomes.items.get(m.message.rowId)?.status;
    if (accepted > 1) duplicated++;
    if (status === "UNKNOWN") {
      if (accepted > 0) unknownDelivered++;
      else unknownNotDelivered++;
    } else if (accepted === 0 && !dlqRows.has(m.message.rowId) && status !== "FAILED") lost++;
  }
  const failedTargets: string[] = [];
  console.log(
    `\nsender    "${scenario.name}": ${total} messages, ${scenario.consumers} consumers (containers), visibility ${scenario.visibilityTimeoutMs / 1000} s; ` +
      `simulated ${(time.now / 1000).toFixed(0)} s in ${realSeconds.toFixed(1)} s real`,
  );
  // Under injected faults the rate is not the point (and not measurable): only loss and duplication are.
  for (const identity of faultRate > 0 ? [] : scenario.identities) {
    const api = simulated.apis.get(identity.identity)!;
    if (api.accepted.length === 0) continue;
    const last = api.accepted.at(-1)!;
    const end = last.at + (last.units * 1000) / identity.real(last.at);
    const parts = api.accepted.reduce((s, a) => s + a.units, 0);
    const segments =
      scenario.changeAt !== undefined && scenario.changeAt < end
        ? [
            { from: 0, to: scenario.changeAt, label: "before the change" },
            { from: scenario.changeAt, to: end, label: "after the change" },
          ]
        : [{ from: 0, to: end, label: "" }];
    for (const seg of segments) {
      const real = identity.real(seg.from);
      const { convergedAfter, achieved } = segment(api, real, seg.from, seg.to);
      const ok = faultRate > 0 || achieved >= 0.95;
      if (!ok) failedTargets.push(`${scenario.name} ${identity.identity} ${seg.label}: achieved/real ${achieved.toFixed(3)} < 0.95`);
      console.log(
        `          ${identity.identity.padEnd(22)} configured ${String(identity.mps).padStart(3)}  real ${String(real).padStart(3)} (${(identity.mps / real).toFixed(2)}×)${seg.label ? ` ${seg.label.padEnd(17)}` : ""}  ` +
          `converged after ${(convergedAfter / 1000).toFixed(1).padStart(5)} s  achieved/real ${achieved.toFixed(3)}${ok ? "" : "  MISSED"}  ` +
          `(parts ${parts}, throttled calls ${api.throttles}, learned peak ${rates.items.get(`sms#${identity.identity}`)?.peak.toFixed(2) ?? "none (never throttled)"})`,
      );
    }
  }
  const throttledPerSent = simulated.throttles / Math.max(1, sent);
  if (faultRate === 0 && throttledPerSent > 0.02) failedTargets.push(`${scenario.name}: throttled/sent ${throttledPerSent.toFixed(4)} > 0.02`);
  console.log(
    `          throttled calls ${simulated.throttles} ÷ messages sent ${sent} = ${throttledPerSent.toFixed(4)}; re-driven through SQS ${redriven}, ` +
      `dead-lettered ${deadLettered} (by the sender ${deadLetteredBySender.size}, by the SQS backstop ${deadLetteredBySqs}); limiter store reads ${rates.reads}, writes ${rates.writes}`,
  );
  if (faultRate > 0 && api instanceof FaultySmsApi) {
    const f = api.faults;
    console.log(
      `          injected: throttled ${f.throttled}, timeout before accept ${f.timeoutBeforeAccept}, timeout after accept ${f.timeoutAfterAccept}, 5xx ${f.serverError}, outcome-table write failures ${outcomes.writeFailures}`,
    );
  }
  console.log(`          UNKNOWN ${unknownDelivered + unknownNotDelivered} (actually delivered ${unknownDelivered}, not delivered ${unknownNotDelivered}), lost ${lost}, duplicated ${duplicated}`);
  if (lost > 0 || duplicated > 0) failedTargets.push(`${scenario.name}: ${lost} lost and ${duplicated} duplicated rows (both must be 0)`);
  return {
    rowsSent: sent,
    outcomeRequests: outcomes.requests,
    limiterRequests: rates.reads + rates.writes,
    otherRequests: deadLetteredBySender.size,
    preferenceRequests: preferences.requests,
    failedTargets,
  };
}

function splitterInChildProcess(rows: number): SplitterResult {
  const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!], {
    env: { ...process.env, BENCH_SPLITTER_ROWS: String(rows) },
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  const lines = (child.stdout ?? "").split("\n");
  for (const line of lines) if (line.startsWith("splitter ")) console.log(line);
  const result = lines.find((line) => line.startsWith("BENCH_RESULT "));
  if (child.status !== 0 || result === undefined) throw new Error(`splitter child for ${rows} rows failed: ${child.stderr}`);
  return JSON.parse(result.slice("BENCH_RESULT ".length)) as SplitterResult;
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_SIZES ?? "250000,1000000").split(",").map((s) => Number(s.trim()));
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  const failed: string[] = [];
  // Each size in its own process: RSS never shrinks, so a second run in the same process would start
  // from the first one's high-water mark.
  const splits: SplitterResult[] = [];
  for (const rows of sizes) splits.push(splitterInChildProcess(rows));
  if (splits.length >= 2) {
    const [small, large] = [splits[0]!, splits.at(-1)!];
    const rssRatio = large.peakRss / small.peakRss;
    const speedRatio = small.rowsPerSecond / large.rowsPerSecond;
    console.log(
      `splitter  ${large.rows.toLocaleString("en-US")} vs ${small.rows.toLocaleString("en-US")} rows: peak RSS ratio ${rssRatio.toFixed(3)}, rows/s ratio (small ÷ large) ${speedRatio.toFixed(3)} (target ≤ 1.2 each)`,
    );
    if (rssRatio > 1.2) failed.push(`splitter peak RSS ratio ${rssRatio.toFixed(3)} > 1.2`);
    if (speedRatio > 1.2) failed.push(`splitter rows/s ratio ${speedRatio.toFixed(3)} > 1.2`);
  }
  const splitter = splits.at(-1)!;
  if (splitter.requestsPer10k / splitter.floorPer10k > 1.05) failed.push(`splitter requests ${(splitter.requestsPer10k / splitter.floorPer10k).toFixed(4)}× the floor > 1.05`);

  const pool = "pool-0123456789abcdef";
  const longCode = "+12065550199";
  const scenarios: SenderScenario[] = [
    {
      name: "1×: configured at the real limit",
      identities: [
        { identity: longCode, mps: 1, real: () => 1, messages: 150 },
        { identity: "+18885550100", mps: 3, real: () => 3, messages: 600 },
        { identity: pool, mps: 20, real: () => 20, messages: 4000 },
      ],
      consumers: 3,
      visibilityTimeoutMs: 360_000,
      maxReceiveCount: 5,
    },
    {
      name: "1.33×: configured 20, real 15 (every 5th message 2 parts)",
      identities: [
        { identity: longCode, mps: 1, real: () => 1, messages: 150 },
        { identity: pool, mps: 20, real: () => 15, messages: 6000, twoPartEvery: 5 },
      ],
      consumers: 2,
      visibilityTimeoutMs: 360_000,
      maxReceiveCount: 5,
    },
    {
      name: "3.3×: configured 20, real 6",
      identities: [
        { identity: longCode, mps: 1, real: () => 1, messages: 150 },
        { identity: pool, mps: 20, real: () => 6, messages: 3000 },
      ],
      consumers: 2,
      visibilityTimeoutMs: 360_000,
      maxReceiveCount: 5,
    },
    {
      name: "real limit drops halfway: configured 20, real 15 then 8 from 200 s",
      identities: [{ identity: pool, mps: 20, real: (t) => (t < 200_000 ? 15 : 8), messages: 4600 }],
      consumers: 2,
      visibilityTimeoutMs: 360_000,
      maxReceiveCount: 5,
      changeAt: 200_000,
    },
    {
      name: "real limit rises halfway: configured 20, real 8 then 15 from 250 s",
      identities: [{ identity: pool, mps: 20, real: (t) => (t < 250_000 ? 8 : 15), messages: 6500 }],
      consumers: 2,
      visibilityTimeoutMs: 360_000,
      maxReceiveCount: 5,
      changeAt: 250_000,
    },
  ];
  let pipelineRows = 0;
  let pipelineRequests = 0;
  let preferenceRequests = 0;
  for (const scenario of scenarios) {
    const result = await benchSender(scenario);
    failed.push(...result.failedTargets);
    pipelineRows += result.rowsSent;
    pipelineRequests += result.outcomeRequests + result.limiterRequests + result.otherRequests;
    preferenceRequests += result.preferenceRequests;
  }
  // 3. The whole pipeline per 10,000 rows: the splitter's requests plus the sender's, over all scenarios above.
  const senderPer10k = (pipelineRequests * 10_000) / pipelineRows;
  const preferencePer10k = (preferenceRequests * 10_000) / pipelineRows;
  const pipelinePer10k = splitter.requestsPer10k + senderPer10k;
  const pipelineFloor = splitter.floorPer10k + 2 * 10_000;
  console.log(
    `\npipeline  requests per 10,000 rows: splitter ${splitter.requestsPer10k.toFixed(1)} + sender ${senderPer10k.toFixed(1)} (outcome claims and finishes, limiter store, DLQ moves) = ${pipelinePer10k.toFixed(1)}; ` +
      `floor ${pipelineFloor} (SendMessageBatch at 10 rows + one claim and one finish per row): ${(pipelinePer10k / pipelineFloor).toFixed(4)}× the floor; ` +
      `splitter alone ${(splitter.requestsPer10k / splitter.floorPer10k).toFixed(4)}× its floor`,
  );
  const withCheck = (pipelinePer10k + splitter.preferencePer10k + preferencePer10k) / pipelineFloor;
  console.log(
    `          with a preference table and skipPermanentFailures (the default with #8): + ${splitter.preferencePer10k.toFixed(1)} splitter reads (one BatchGetItem per 100 TRANSACTIONAL numbers) ` +
      `+ ${preferencePer10k.toFixed(1)} sender reads (rows the splitter checked need none) = ${withCheck.toFixed(4)}× the floor; ` +
      `splitter alone with the check ${((splitter.requestsPer10k + splitter.preferencePer10k) / splitter.floorPer10k).toFixed(4)}× its floor`,
  );
  if (pipelinePer10k / pipelineFloor > 1.05) failed.push(`pipeline requests ${(pipelinePer10k / pipelineFloor).toFixed(4)}× the floor > 1.05`);
  if (withCheck > 1.05) failed.push(`pipeline requests with the permanent-failure check ${withCheck.toFixed(4)}× the floor > 1.05`);

  const faults = await benchSender({
    name: "faults in ~30 % of SMS calls (throttles, timeouts before/after acceptance, 5xx) and ~10 % of outcome writes",
    faultRate: 0.3,
    identities: [
      { identity: longCode, mps: 1, real: () => 1, messages: 100 },
      { identity: pool, mps: 20, real: () => 20, messages: 500 },
    ],
    consumers: 2,
    visibilityTimeoutMs: 360_000,
    maxReceiveCount: 5,
  });
  failed.push(...faults.failedTargets);
  if (failed.length > 0) {
    console.error(`\nFAIL:\n  ${failed.join("\n  ")}`);
    process.exitCode = 1;
  } else {
    console.log("\nall targets met");
  }
}

const childRows = process.env.BENCH_SPLITTER_ROWS;
(childRows !== undefined ? benchSplitter(Number(childRows)).then((r) => console.log(`BENCH_RESULT ${JSON.stringify(r)}`)) : main()).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
