/**
 * Benchmark for the SMS file drop (run with `npm run bench:sms`). Not a test: it prints numbers.
 *
 * 1. Splitter: the real splitFile code path (streaming csv-parse, header mapping, row validation
 *    with libphonenumber-js, GSM-7/UCS-2 segment counting, sha256 row ids, SendMessageBatch
 *    batching with ENQUEUE_CONCURRENCY in flight, checkpointing) over CSV bodies generated on the
 *    fly as a stream (never held in memory), with a fake queue that accepts every batch. Reports
 *    rows/second and the sampled high-water marks of RSS and heap, for two file sizes, to show that
 *    memory does not grow with the file.
 * 2. Sender: the real sender handler (Powertools SqsFifoPartialProcessorAsync with
 *    skipGroupOnError, the outcome-table claim, the per-identity token bucket) driven by a
 *    simulated SQS FIFO queue (batches of ≤ 10, one batch in flight per message group, failed
 *    messages visible again after the visibility timeout) on a simulated clock, against a simulated
 *    SendTextMessage that throws ThrottlingException when more than an identity's limit of message
 *    parts land in any 1-second window (with the SDK's retries modelled: 5 attempts, exponential
 *    backoff). Reports achieved rate ÷ configured rate per identity, throttles, and messages lost.
 * 3. Sender under faults: the same simulation with faults injected into about 30 % of calls: the
 *    SMS API throttles (nothing sent), times out before or after accepting the message, or answers
 *    5xx; the outcome table fails writes. SQS redelivery is modelled with receive counts, the
 *    sender's own dead-lettering by attempts and the queue's backstop redrive. The API's own log of
 *    accepted messages is the ground truth: every row must end delivered once, UNKNOWN (recorded,
 *    counted separately: the send guarantee is at-most-once) or in the DLQ. Reports lost and
 *    duplicated rows (both must be 0; the process exits non-zero otherwise).
 *
 * Options (environment): BENCH_SIZES="250000,1000000" (rows per generated file).
 */
import { Readable } from "node:stream";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context, SQSBatchResponse } from "aws-lambda";
import type { SmsFileProcessedEvent } from "../functions/shared/sms/sms-domain-events";
import type { SmsSender, SmsSendOutcome, SmsSendRequest } from "../functions/shared/sms/sms-send";
import { TokenBucketRegistry } from "../functions/shared/sms/token-bucket";
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
  async sendBatch(entries: readonly QueueEntry[]): Promise<FailedEntry[]> {
    this.entries += entries.length;
    return [];
  }
}

class MemoryCheckpoints implements CheckpointStore {
  lastRow = 0;
  writes = 0;
  async get(): Promise<Checkpoint | undefined> {
    return undefined;
  }
  async saveProgress(_fileId: string, _file: unknown, lastRow: number): Promise<void> {
    this.writes++;
    this.lastRow = Math.max(this.lastRow, lastRow);
  }
  async complete(): Promise<void> {}
}

async function benchSplitter(rows: number): Promise<void> {
  const config = loadSplitterConfig({
    QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/bench.fifo",
    CHECKPOINT_TABLE_NAME: "bench",
    EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:bench",
    ORIGINATION_IDENTITIES: JSON.stringify(IDENTITIES),
  });
  const queue = new AcceptingQueue();
  const checkpoints = new MemoryCheckpoints();
  let summary: SmsFileProcessedEvent | undefined;
  const objects: ObjectStore = {
    open: async () => ({ status: "open", body: generatedCsv(rows) }),
    putErrorReport: async () => undefined,
  };
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
        summary = event as SmsFileProcessedEvent;
      },
    },
    ...silent(),
    remainingMs: () => 900_000,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
  console.log(
    `splitter  ${String(rows).padStart(9)} rows  ${seconds.toFixed(1).padStart(6)} s  ${Math.round(rows / seconds)
      .toLocaleString("en-US")
      .padStart(7)} rows/s  peak RSS ${mb(peakRss)} (start ${mb(baseline.rss)})  peak heap ${mb(peakHeap)} (start ${mb(baseline.heapUsed)})  ` +
      `queued ${summary?.rowsQueued} invalid ${summary?.rowsInvalid} enqueued-entries ${queue.entries} checkpoint writes ${checkpoints.writes}`,
  );
}

// -----------------------------------------------------------------------------------------------
// 2. Sender on a simulated clock

/** Virtual time: sleeps resolve in time order when the driver advances the clock. */
class VirtualTime {
  now = 0;
  private seq = 0;
  private readonly timers: Array<{ at: number; seq: number; resolve: () => void }> = [];

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

/** SendTextMessage stand-in: throttles above `limit` parts in any 1-second window; models SDK retries. */
class ThrottlingSmsApi implements SmsSender {
  readonly accepted = new Map<string, Array<{ at: number; parts: number }>>();
  throttles = 0;
  surfacedThrottles = 0;

  constructor(
    private readonly time: VirtualTime,
    private readonly limits: ReadonlyMap<string, number>,
    private readonly sdkAttempts: number,
  ) {}

  private attempt(request: SmsSendRequest, parts: number): boolean {
    const now = this.time.now;
    const log = this.accepted.get(request.originationIdentity) ?? [];
    this.accepted.set(request.originationIdentity, log);
    let inWindow = 0;
    for (let i = log.length - 1; i >= 0 && log[i]!.at > now - 1000; i--) inWindow += log[i]!.parts;
    if (inWindow + parts > this.limits.get(request.originationIdentity)!) {
      this.throttles++;
      return false;
    }
    log.push({ at: now, parts });
    return true;
  }

  async send(request: SmsSendRequest): Promise<SmsSendOutcome> {
    const parts = 1;
    for (let attempt = 1; attempt <= this.sdkAttempts; attempt++) {
      if (this.attempt(request, parts)) return { status: "SENT", messageId: `m-${this.time.now}` };
      if (attempt < this.sdkAttempts) await this.time.sleep(Math.min(20_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2));
    }
    this.surfacedThrottles++;
    return { status: "FAILED", retryable: true, throttled: true, errorName: "ThrottlingException", errorMessage: "Rate exceeded" };
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

  /** `failWrite`: chance that a write fails after the SDK's retries (a DynamoDB fault). */
  constructor(
    private readonly clock: () => number,
    private readonly failWrite = 0,
    private readonly random: () => number = Math.random,
  ) {}

  private fault(): void {
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

/** Wraps the throttling API with injected faults; records which rows the API accepted. */
class FaultySmsApi implements SmsSender {
  readonly acceptedRows = new Map<string, number>();
  readonly faults = { throttled: 0, timeoutBeforeAccept: 0, timeoutAfterAccept: 0, serverError: 0 };

  constructor(
    private readonly api: ThrottlingSmsApi,
    private readonly rate: number,
    private readonly random: () => number,
  ) {}

  async send(request: SmsSendRequest): Promise<SmsSendOutcome> {
    const rowId = request.context?.rowId ?? "";
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
    if (outcome.status === "SENT") this.acceptedRows.set(rowId, (this.acceptedRows.get(rowId) ?? 0) + 1);
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

interface Scenario {
  name: string;
  /** Inject faults into this share of SMS API calls and outcome-table writes (0 = none). */
  faultRate?: number;
  identities: Array<{ identity: string; mps: number; apiLimit: number; messages: number }>;
  consumers: number;
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
  /** SDK attempts per call (AWS_MAX_ATTEMPTS; the project default is 5). */
  sdkAttempts: number;
}

async function benchSender(scenario: Scenario): Promise<void> {
  process.env.ORIGINATION_IDENTITIES = JSON.stringify(scenario.identities.map(({ identity, mps }) => ({ identity, mps })));
  process.env.OUTCOME_TABLE_NAME = "bench";
  process.env.MAX_ATTEMPTS = String(scenario.maxReceiveCount);
  const mod = await import("../functions/sms-file-drop/sender.js");
  const config = loadSenderConfig(process.env);
  const time = new VirtualTime();
  const random = seededRandom(7);
  const faultRate = scenario.faultRate ?? 0;
  const throttlingApi = new ThrottlingSmsApi(time, new Map(scenario.identities.map((i) => [i.identity, i.apiLimit])), scenario.sdkAttempts);
  const api = new FaultySmsApi(throttlingApi, faultRate, random);
  const outcomes = new MemoryOutcomes(time.clock, faultRate / 3, random);
  const buckets = new TokenBucketRegistry(config.identityRates, { clock: time.clock, sleep: time.sleep });
  // The sender moves a message to the DLQ itself after its own attempts; SQS's redrive is a backstop.
  const deadLetteredBySender = new Set<string>();
  const deadLetters = {
    send: async (record: { messageId: string }) => {
      deadLetteredBySender.add(record.messageId);
    },
  };
  const backstop = redriveMaxReceiveCount(scenario.maxReceiveCount, 10);
  const handler = mod.createSenderHandler(config, { outcomes, sms: api, buckets, deadLetters, sleep: time.sleep }, silent());
  // Leases are computed from Date.now(): run the handler on the simulated clock.
  const realNow = Date.now;
  Date.now = time.clock;

  // Queue contents: each identity's messages in order. Single-part messages: the simulated API
  // counts requests per 1-second window, so one request = one message part here. (Multi-part pacing
  // is covered by the token-bucket unit tests.)
  const groups = new Map<string, SimulatedMessage[]>();
  const allMessages = new Map<string, SimulatedMessage[]>();
  let total = 0;
  for (const { identity, messages } of scenario.identities) {
    const list: SimulatedMessage[] = [];
    for (let n = 1; n <= messages; n++) {
      const row = ++total;
      const message = queuedMessageFor({ bucket: "bench", key: "bench.csv", etag: "e" }, row, {
        destination: `+1206555${String(1000 + (row % 9000)).padStart(4, "0")}`,
        body: `Message ${row} of ${messages}`,
        originationIdentity: identity,
        messageType: "TRANSACTIONAL",
        externalCampaignId: "bench",
        id1: "",
        id2: "",
        encoding: "GSM-7",
        segments: 1,
      });
      list.push({ id: `msg-${row}`, group: identity, message, visibleAt: 0, receives: 0 });
    }
    groups.set(identity, list);
    allMessages.set(identity, [...list]);
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

  async function consumer(): Promise<void> {
    while (delivered + deadLettered < total) {
      const batch = receive();
      if (batch.length === 0) {
        await time.sleep(100); // long-poll wait
        continue;
      }
      for (const m of batch) m.receives++;
      const batchGroups = new Set(batch.map((m) => m.group));
      // SQS's backstop: a message received `backstop` times goes to the DLQ instead of a batch.
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
      const event = {
        Records: batch.map((m) => ({ messageId: m.id, body: JSON.stringify(m.message), attributes: { MessageGroupId: m.group } })),
      };
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
  const consumers = Array.from({ length: scenario.consumers }, () => consumer().finally(() => finished++));
  try {
    await time.run(() => finished === scenario.consumers);
    await Promise.all(consumers);
  } finally {
    Date.now = realNow;
  }
  const realSeconds = Number(process.hrtime.bigint() - started) / 1e9;

  const sent = [...outcomes.items.values()].filter((i) => i.status === "SENT").length;
  // Ground truth from the API: how often each row was accepted.
  const dlqRows = new Set<string>(deadLetteredBySqsRows);
  for (const list of allMessages.values()) for (const m of list) if (deadLetteredBySender.has(m.id)) dlqRows.add(m.message.rowId);
  let duplicated = 0;
  let unknownDelivered = 0;
  let unknownNotDelivered = 0;
  let lost = 0;
  for (const list of allMessages.values()) {
    for (const m of list) {
      const accepted = api.acceptedRows.get(m.message.rowId) ?? 0;
      const status = outcomes.items.get(m.message.rowId)?.status;
      if (accepted > 1) duplicated++;
      if (status === "UNKNOWN") {
        if (accepted > 0) unknownDelivered++;
        else unknownNotDelivered++;
      } else if (accepted === 0 && !dlqRows.has(m.message.rowId) && status !== "FAILED") lost++;
    }
  }
  console.log(
    `sender    scenario "${scenario.name}": ${total} messages, ${scenario.consumers} consumers, SDK attempts ${scenario.sdkAttempts}, visibility ${scenario.visibilityTimeoutMs / 1000} s; ` +
      `simulated ${(time.now / 1000).toFixed(0)} s in ${realSeconds.toFixed(1)} s real`,
  );
  for (const { identity, mps, apiLimit } of scenario.identities) {
    const log = throttlingApi.accepted.get(identity) ?? [];
    const parts = log.reduce((s, e) => s + e.parts, 0);
    const first = log[0]?.at ?? 0;
    const last = log.at(-1);
    const busySeconds = last === undefined ? 0 : (last.at + (last.parts * 1000) / apiLimit - first) / 1000;
    const achieved = busySeconds > 0 ? parts / busySeconds : 0;
    console.log(
      `          ${identity.padEnd(22)} configured ${String(mps).padStart(3)} MPS  API limit ${String(apiLimit).padStart(3)}  ` +
        `achieved ${achieved.toFixed(2).padStart(6)} parts/s  achieved/configured ${(achieved / mps).toFixed(3)}  achieved/API limit ${(achieved / apiLimit).toFixed(3)}  messages ${log.length}`,
    );
  }
  console.log(
    `          throttled API calls ${throttlingApi.throttles} (surfaced after SDK retries: ${throttlingApi.surfacedThrottles}), re-driven ${redriven}, ` +
      `dead-lettered ${deadLettered} (by the sender ${deadLetteredBySender.size}, by the SQS backstop ${deadLetteredBySqs}), sent ${sent}/${total}`,
  );
  if (faultRate > 0) {
    const f = api.faults;
    console.log(
      `          injected: throttled ${f.throttled}, timeout before accept ${f.timeoutBeforeAccept}, timeout after accept ${f.timeoutAfterAccept}, 5xx ${f.serverError}, outcome-table write failures ${outcomes.writeFailures}`,
    );
  }
  console.log(
    `          UNKNOWN ${unknownDelivered + unknownNotDelivered} (actually delivered ${unknownDelivered}, not delivered ${unknownNotDelivered}), lost ${lost}, duplicated ${duplicated}`,
  );
  if (lost > 0 || duplicated > 0) {
    console.error(`          FAIL: ${lost} lost and ${duplicated} duplicated rows (both must be 0)`);
    process.exitCode = 1;
  }
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_SIZES ?? "250000,1000000").split(",").map((s) => Number(s.trim()));
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  for (const rows of sizes) await benchSplitter(rows);
  await benchSender({
    name: "rates configured at the API limit",
    identities: [
      { identity: "+12065550199", mps: 1, apiLimit: 1, messages: 150 },
      { identity: "+18885550100", mps: 3, apiLimit: 3, messages: 600 },
      { identity: "pool-0123456789abcdef", mps: 20, apiLimit: 20, messages: 4000 },
    ],
    consumers: 3,
    visibilityTimeoutMs: 60_000,
    maxReceiveCount: 5,
    sdkAttempts: 5,
  });
  await benchSender({
    name: "pool configured above its real limit (20 vs 15)",
    identities: [
      { identity: "+12065550199", mps: 1, apiLimit: 1, messages: 150 },
      { identity: "pool-0123456789abcdef", mps: 20, apiLimit: 15, messages: 3000 },
    ],
    consumers: 2,
    visibilityTimeoutMs: 60_000,
    maxReceiveCount: 5,
    sdkAttempts: 5,
  });
  await benchSender({
    name: "pool far above its real limit (20 vs 6), SDK retries off: throttles reach SQS and are re-driven",
    identities: [
      { identity: "+12065550199", mps: 1, apiLimit: 1, messages: 150 },
      { identity: "pool-0123456789abcdef", mps: 20, apiLimit: 6, messages: 1200 },
    ],
    consumers: 2,
    visibilityTimeoutMs: 60_000,
    maxReceiveCount: 100,
    sdkAttempts: 1,
  });
  await benchSender({
    name: "faults in ~30 % of SMS calls (throttles, timeouts before/after acceptance, 5xx) and ~10 % of outcome writes",
    faultRate: 0.3,
    identities: [
      { identity: "+12065550199", mps: 1, apiLimit: 1, messages: 100 },
      { identity: "pool-0123456789abcdef", mps: 20, apiLimit: 20, messages: 500 },
    ],
    consumers: 2,
    visibilityTimeoutMs: 360_000,
    maxReceiveCount: 5,
    sdkAttempts: 1,
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
