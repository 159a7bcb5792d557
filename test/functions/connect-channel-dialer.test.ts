/**
 * The dialer handler end to end: real outcome table (dynalite, created from the shared key schema),
 * real shared adaptive limiter on a virtual clock, Connect mocked at the SDK (so the exact
 * StartOutboundVoiceContact input is asserted) and emulating ClientToken idempotency.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { ConnectClient, StartOutboundVoiceContactCommand, type StartOutboundVoiceContactCommandInput } from "@aws-sdk/client-connect";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse } from "aws-lambda";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import type { DeferralQueue } from "../../functions/connect-channel/adapters";
import { loadDialerConfig, type DialerConfig } from "../../functions/connect-channel/config";
import type { DialerPorts } from "../../functions/connect-channel/dialer";
import { DynamoDbDialOutcomeStore, MemoryDialOutcomeStore } from "../../functions/connect-channel/outcome-store";
import { AdaptiveLimiter } from "../../functions/shared/rate/adaptive-limiter";
import { CONNECT_DIAL_OUTCOME_TABLE } from "../../functions/shared/runtime/tables";
import { clientTokenFor, formatDialRequest, type DialRequestInput } from "../../functions/shared/voice/dial-request";
import { withSteps } from "../../functions/shared/sending/steps";
import { ConnectVoiceSender, type VoiceSender } from "../../functions/shared/voice/voice-send";
import { startDynalite, type DynaliteEngine } from "../engines/dynalite";
import { VirtualTime } from "../harness/virtual-time";
import { recordingObservability } from "./recording-observability";
import { withEnv } from "./sms-test-helpers";

type DialerModule = typeof import("../../functions/connect-channel/dialer.js");

const INSTANCE = "11111111-2222-4333-8444-555555555555";
const FLOW = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const QUEUE = "99999999-8888-4777-8666-555555555555";
const NOW = Date.parse("2026-03-02T17:50:00.000Z");
const ENV = {
  INSTANCE_ID: INSTANCE,
  CONTACT_FLOW_ID: FLOW,
  QUEUE_ID: QUEUE,
  OUTCOME_TABLE_NAME: "set-per-test",
  RATE_TABLE_NAME: "rates",
  DIALER_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/connect-channel-calls-queue",
  CALLS_PER_SECOND: "2",
  LIMITER_SHARES: "1",
  DIAL_CONCURRENCY: "2",
  CAPACITY_WAIT_SECONDS: "20",
  CAPACITY_RETRY_DELAY_SECONDS: "60",
};
const template = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "voice", "sqs-dial-event.json"), "utf8")) as { Records: Record<string, unknown>[] };

function call(n: number, overrides: Partial<DialRequestInput> = {}): DialRequestInput {
  const destination = `+1206555${String(100 + n).padStart(4, "0")}`;
  return { version: 1, campaignKey: "campaign:spring", recipientKey: destination, destination, message: `Message ${n}`, source: { kind: "api", ref: `test#${n}` }, ...overrides };
}

function sqsEvent(bodies: string[]): { Records: Record<string, unknown>[] } {
  return { Records: bodies.map((body, i) => ({ ...structuredClone(template.Records[0]), messageId: `msg-${i + 1}`, body })) };
}

const context = (remainingMs = 120_000) => ({ getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;

interface Harness {
  table: string;
  run(bodies: string[], remainingMs?: number): Promise<SQSBatchResponse>;
  calls: () => (StartOutboundVoiceContactCommandInput & { at: number })[];
  /** Contacts Connect actually started (one per ClientToken, as Connect dedupes them). */
  contacts: Map<string, string>;
  deferred: { body: string; delaySeconds: number; reason: string }[];
  counts: Map<string, number>;
  item(request: DialRequestInput): Promise<Record<string, unknown> | undefined>;
  now(): number;
}

describe("connect-channel dialer", () => {
  let engine: DynaliteEngine;
  let createDialerHandler: DialerModule["createDialerHandler"];
  let connect: AwsClientStub<ConnectClient>;

  before(async () => {
    // Created and restored per suite: another file's mock of the same client must not override it.
    connect = mockClient(ConnectClient);
    engine = await startDynalite();
    // The module builds its own handler from the environment when loaded.
    ({ createDialerHandler } = await withEnv({ ...ENV, POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" }, () => import("../../functions/connect-channel/dialer.js")));
  });
  after(async () => {
    connect.restore();
    await engine.stop();
  });
  afterEach(() => connect.reset());

  /**
   * `script(input, attempt)` may throw an error to return for a call; "accept-then-timeout" makes
   * Connect start the contact and the client see a timeout.
   */
  async function harness(options: {
    env?: Record<string, string>;
    script?: (input: StartOutboundVoiceContactCommandInput, attempt: number) => Error | "accept-then-timeout" | undefined;
    voice?: (real: VoiceSender) => VoiceSender;
  } = {}): Promise<Harness> {
    const table = await engine.createTable(CONNECT_DIAL_OUTCOME_TABLE, "dials");
    const config: DialerConfig = loadDialerConfig({ ...ENV, OUTCOME_TABLE_NAME: table, ...options.env });
    let now = NOW;
    const clock = () => now;
    const sleep = async (ms: number) => {
      now += ms;
    };
    const contacts = new Map<string, string>();
    const attempts = new Map<string, number>();
    const calls: (StartOutboundVoiceContactCommandInput & { at: number })[] = [];
    connect.on(StartOutboundVoiceContactCommand).callsFake((input: StartOutboundVoiceContactCommandInput) => {
      calls.push({ ...input, at: now });
      const token = input.ClientToken!;
      const attempt = (attempts.get(token) ?? 0) + 1;
      attempts.set(token, attempt);
      const scripted = options.script?.(input, attempt);
      if (scripted instanceof Error) throw scripted;
      if (!contacts.has(token)) contacts.set(token, `contact-${contacts.size + 1}`);
      if (scripted === "accept-then-timeout") throw Object.assign(new Error("socket timed out"), { name: "TimeoutError" });
      return { ContactId: contacts.get(token) };
    });
    const real = new ConnectVoiceSender(new ConnectClient({ region: "us-east-1", maxAttempts: 1 }), {
      instanceId: INSTANCE,
      contactFlowId: FLOW,
      queueId: QUEUE,
    });
    const deferred: Harness["deferred"] = [];
    const deferrals: DeferralQueue = {
      async defer(body, delaySeconds, reason) {
        deferred.push({ body, delaySeconds, reason });
      },
    };
    const counts = new Map<string, number>();
    const ports: DialerPorts = {
      outcomes: new DynamoDbDialOutcomeStore(engine.documents, table, clock),
      voice: options.voice ? options.voice(real) : real,
      limiter: new AdaptiveLimiter({ namespace: "connect", ceilings: new Map([[INSTANCE, config.callsPerSecond]]), sharesPerKey: config.limiterShares, clock, sleep }),
      deferrals,
      clock,
      sleep,
    };
    const logger = { addContext: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const handler = createDialerHandler(config, ports, recordingObservability(logger, (name, _d, value) => counts.set(name, (counts.get(name) ?? 0) + value)));
    return {
      table,
      run: (bodies, remainingMs) => handler(sqsEvent(bodies), context(remainingMs)),
      calls: () => calls,
      contacts,
      deferred,
      counts,
      item: async (request) =>
        (await engine.documents.send(new GetCommand({ TableName: table, Key: { dialId: clientTokenFor(request.campaignKey, request.recipientKey) }, ConsistentRead: true }))).Item,
      now: clock,
    };
  }

  it("places each call with exactly this StartOutboundVoiceContact input and records it STARTED", async () => {
    const h = await harness();
    const request = call(1, { attributes: { id_1: "order-1" } });
    const response = await h.run([formatDialRequest(request)]);
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(h.calls().map(({ at: _at, ...input }) => input)).to.deep.equal([
      {
        InstanceId: INSTANCE,
        ContactFlowId: FLOW,
        DestinationPhoneNumber: "+12065550101",
        ClientToken: clientTokenFor("campaign:spring", "+12065550101"),
        QueueId: QUEUE,
        TrafficType: "GENERAL",
        Attributes: { Message: "Message 1", id_1: "order-1" },
      },
    ]);
    expect(await h.item(request)).to.include({ status: "STARTED", contactId: "contact-1", attempts: 1, campaignKey: "campaign:spring", sourceKind: "api" });
    expect(h.counts.get("CallStarted")).to.equal(1);
  });

  it("never calls twice on a redelivery: the outcome record answers before Connect is asked", async () => {
    const h = await harness();
    const body = formatDialRequest(call(1));
    await h.run([body]);
    const again = await h.run([body]);
    expect(again).to.deep.equal({ batchItemFailures: [] });
    expect(h.calls()).to.have.length(1);
    expect(h.counts.get("DuplicateSkipped")).to.equal(1);
  });

  it("places one call when the same campaign and recipient arrive twice in one batch (the other retries, then is a duplicate)", async () => {
    // The first send lingers (real time) so that the second copy claims while the first is DIALING.
    const h = await harness({
      voice: (real) => ({
        send: async (request, ctx) => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          return real.send(request, ctx);
        },
      }),
    });
    const body = formatDialRequest(call(1));
    const first = await h.run([body, body]);
    expect(first.batchItemFailures).to.have.length(1);
    const retried = await h.run([body]);
    expect(retried).to.deep.equal({ batchItemFailures: [] });
    expect(h.calls()).to.have.length(1);
    expect(h.contacts.size).to.equal(1);
    expect(h.counts.get("DuplicateSkipped")).to.equal(1);
  });

  it("fails only the throttled call (partial batch failure), and its retry uses the same ClientToken", async () => {
    let throttle = true;
    const h = await harness({
      script: (input) => (throttle && input.DestinationPhoneNumber === "+12065550102" ? Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $fault: "client", $metadata: { httpStatusCode: 429 } }) : undefined),
    });
    const bodies = [1, 2, 3].map((n) => formatDialRequest(call(n)));
    const response = await h.run(bodies);
    expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "msg-2" }] });
    expect(await h.item(call(2))).to.include({ status: "RETRYING", errorName: "ThrottlingException" });
    // One attempt and three retries after the limiter's decrease, all with one token.
    const throttled = h.calls().filter((c) => c.DestinationPhoneNumber === "+12065550102");
    expect(throttled).to.have.length(4);
    throttle = false;
    expect(await h.run([bodies[1]!])).to.deep.equal({ batchItemFailures: [] });
    const tokens = new Set(h.calls().filter((c) => c.DestinationPhoneNumber === "+12065550102").map((c) => c.ClientToken));
    expect([...tokens]).to.deep.equal([clientTokenFor("campaign:spring", "+12065550102")]);
    expect(await h.item(call(2))).to.include({ status: "STARTED", attempts: 2 });
    expect(h.counts.get("CallThrottled")).to.equal(4);
  });

  it("retries a call that timed out after Connect accepted it with the same ClientToken: one contact, recorded STARTED", async () => {
    const h = await harness({ script: (_input, attempt) => (attempt === 1 ? "accept-then-timeout" : undefined) });
    const request = call(1);
    expect(await h.run([formatDialRequest(request)])).to.deep.equal({ batchItemFailures: [] });
    expect(h.calls().map((c) => c.ClientToken)).to.deep.equal([clientTokenFor("campaign:spring", "+12065550101"), clientTokenFor("campaign:spring", "+12065550101")]);
    expect(h.contacts.size).to.equal(1);
    expect(await h.item(request)).to.include({ status: "STARTED", contactId: "contact-1", mayHaveStarted: true });
  });

  it("at-most-once: a call whose outcome stays unknown is recorded UNKNOWN and not dialled again", async () => {
    const h = await harness({ script: () => Object.assign(new Error("Internal"), { name: "InternalServiceException", $fault: "server", $metadata: { httpStatusCode: 500 } }) });
    const request = call(1);
    expect(await h.run([formatDialRequest(request)])).to.deep.equal({ batchItemFailures: [] });
    expect(h.calls()).to.have.length(3); // the first attempt and two same-token retries
    expect(await h.item(request)).to.include({ status: "UNKNOWN", errorName: "InternalServiceException" });
    await h.run([formatDialRequest(request)]);
    expect(h.calls()).to.have.length(3);
    expect(h.counts.get("SendOutcomeUnknown")).to.equal(1);
  });

  it("reports an invalid number and never retries it", async () => {
    const h = await harness({
      script: (input) =>
        input.DestinationPhoneNumber === "+12065550101" ? Object.assign(new Error("Outbound calls to this destination are not allowed"), { name: "DestinationNotAllowedException", $fault: "client", $metadata: { httpStatusCode: 403 } }) : undefined,
    });
    const bodies = [1, 2].map((n) => formatDialRequest(call(n)));
    expect(await h.run(bodies)).to.deep.equal({ batchItemFailures: [] });
    expect(await h.item(call(1))).to.include({ status: "INVALID_DESTINATION", errorName: "DestinationNotAllowedException", destination: "+12065550101" });
    expect(await h.item(call(2))).to.include({ status: "STARTED" });
    await h.run([bodies[0]!]);
    expect(h.calls().filter((c) => c.DestinationPhoneNumber === "+12065550101")).to.have.length(1);
    expect(h.counts.get("InvalidDestination")).to.equal(1);
  });

  it("waits for active calls to end when the concurrent-calls quota is full, then places the call", async () => {
    const h = await harness({
      script: (_input, attempt) => (attempt <= 2 ? Object.assign(new Error("concurrent calls"), { name: "LimitExceededException", $fault: "client", $metadata: { httpStatusCode: 429 } }) : undefined),
    });
    const request = call(1);
    expect(await h.run([formatDialRequest(request)])).to.deep.equal({ batchItemFailures: [] });
    expect(await h.item(request)).to.include({ status: "STARTED" });
    const at = h.calls().map((c) => c.at - NOW);
    expect(at).to.deep.equal([0, 5000, 10000]); // paused 5 s after each LimitExceededException
    expect(h.deferred).to.deep.equal([]);
  });

  it("puts a call back on the queue (never fails or dead-letters it) when capacity stays full", async () => {
    const h = await harness({
      script: () => Object.assign(new Error("concurrent calls"), { name: "LimitExceededException", $fault: "client", $metadata: { httpStatusCode: 429 } }),
    });
    const body = formatDialRequest(call(1));
    expect(await h.run([body])).to.deep.equal({ batchItemFailures: [] });
    expect(h.deferred).to.deep.equal([{ body, delaySeconds: 60, reason: "CAPACITY" }]);
    expect(await h.item(call(1))).to.include({ status: "RETRYING", errorName: "LimitExceededException" });
    // 20 s of waiting: the first attempt plus four after a 5 s pause each.
    expect(h.calls()).to.have.length(5);
    expect(h.counts.get("CallDeferred")).to.equal(1);
  });

  it("fails a record whose deferral could not be queued, so nothing is lost", async () => {
    const h = await harness({
      script: () => Object.assign(new Error("concurrent calls"), { name: "LimitExceededException", $fault: "client", $metadata: { httpStatusCode: 429 } }),
      env: { CAPACITY_WAIT_SECONDS: "0" },
    });
    void h;
    // The deferral port fails: the record must fail too.
    const body = formatDialRequest(call(1));
    const brokenHandler = createDialerHandler(
      loadDialerConfig({ ...ENV, OUTCOME_TABLE_NAME: "unused", CAPACITY_WAIT_SECONDS: "0" }),
      {
        outcomes: { claim: async () => ({ claimed: true, attempts: 1, takenOver: false, firstAttemptAt: NOW, mayHaveStarted: false }), finish: async () => true },
        voice: { send: async () => ({ status: "AT_CAPACITY", errorName: "LimitExceededException", errorMessage: "" }) },
        limiter: new AdaptiveLimiter({ namespace: "connect", ceilings: new Map([[INSTANCE, 2]]), clock: () => NOW, sleep: async () => undefined }),
        deferrals: { defer: async () => Promise.reject(Object.assign(new Error("queue down"), { name: "ServiceUnavailable" })) },
        clock: () => NOW,
        sleep: async () => undefined,
      },
      recordingObservability({ addContext: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }, () => undefined),
    );
    expect(await brokenHandler(sqsEvent([body]), context())).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "msg-1" }] });
  });

  it("at-least-once: a call whose outcome stays unknown fails its record and is retried later with the same ClientToken", async () => {
    let failing = true;
    const h = await harness({
      env: { SEND_GUARANTEE: "at-least-once" },
      script: () => (failing ? Object.assign(new Error("Internal"), { name: "InternalServiceException", $fault: "server", $metadata: { httpStatusCode: 500 } }) : undefined),
    });
    const request = call(1);
    expect(await h.run([formatDialRequest(request)])).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "msg-1" }] });
    expect(await h.item(request)).to.include({ status: "RETRYING", mayHaveStarted: true });
    failing = false;
    expect(await h.run([formatDialRequest(request)])).to.deep.equal({ batchItemFailures: [] });
    expect(new Set(h.calls().map((c) => c.ClientToken))).to.deep.equal(new Set([clientTokenFor("campaign:spring", "+12065550101")]));
    expect(await h.item(request)).to.include({ status: "STARTED" });
  });

  it("puts calls back on the queue when no permit comes before the invocation's deadline, failing none", async () => {
    const h = await harness();
    const bodies = [1, 2, 3, 4, 5].map((n) => formatDialRequest(call(n)));
    // 11.5 s left: the permits may wait until 1.5 s (10 s are kept for the call and the writes); at 2/s that is 4 calls.
    expect(await h.run(bodies, 11_500)).to.deep.equal({ batchItemFailures: [] });
    expect(h.calls()).to.have.length(4);
    expect(h.deferred.map((d) => [d.reason, d.delaySeconds])).to.deep.equal([["RATE", 1]]);
    expect(h.counts.get("CallDeferred")).to.equal(1);
  });

  it("records a call a send step withholds as REJECTED, without calling Connect", async () => {
    const h = await harness({
      voice: (real) => withSteps(real, [{ name: "quiet-hours", before: async () => ({ action: "skip", reason: "outside calling hours" }) }]),
    });
    const request = call(1);
    expect(await h.run([formatDialRequest(request)])).to.deep.equal({ batchItemFailures: [] });
    expect(h.calls()).to.have.length(0);
    expect(await h.item(request)).to.include({ status: "REJECTED", errorName: "SendStepSkipped", errorMessage: "quiet-hours: outside calling hours" });
  });

  it("fails only a malformed record", async () => {
    const h = await harness();
    const response = await h.run([formatDialRequest(call(1)), "{not json", JSON.stringify({ ...call(2), destination: "12065550102" })]);
    expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "msg-2" }, { itemIdentifier: "msg-3" }] });
    expect(h.calls()).to.have.length(1);
    expect(h.counts.get("MalformedRequest")).to.equal(2);
  });

  it("places at most DIAL_CONCURRENCY calls at once and paces them at the configured rate", async () => {
    // In-memory ports on virtual time: every step is a microtask, so the timing is exact.
    const time = new VirtualTime(NOW);
    const config = loadDialerConfig({ ...ENV, OUTCOME_TABLE_NAME: "memory" });
    let active = 0;
    let peak = 0;
    const at: number[] = [];
    const ports: DialerPorts = {
      outcomes: new MemoryDialOutcomeStore(time.clock),
      voice: {
        async send() {
          active += 1;
          peak = Math.max(peak, active);
          at.push(time.now - NOW);
          await time.sleep(1200); // a slow API call: longer than two rate slots
          active -= 1;
          return { status: "STARTED", contactId: `contact-${at.length}` };
        },
      },
      limiter: new AdaptiveLimiter({ namespace: "connect", ceilings: new Map([[INSTANCE, 2]]), clock: time.clock, sleep: time.sleep }),
      deferrals: { defer: async () => expect.fail("nothing is deferred") },
      clock: time.clock,
      sleep: time.sleep,
    };
    const handler = createDialerHandler(config, ports, recordingObservability({ addContext: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }, () => undefined));
    let response: SQSBatchResponse | undefined;
    const run = handler(sqsEvent(Array.from({ length: 10 }, (_, i) => formatDialRequest(call(i + 1)))), context()).then((r) => (response = r));
    await time.run(() => response !== undefined);
    await run;
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(peak).to.equal(2);
    // At most 2 calls per second (500 ms apart at least), and a third call waits for a slot of the two in flight.
    expect(at).to.deep.equal([0, 500, 1200, 1700, 2400, 2900, 3600, 4100, 4800, 5300]);
  });

  describe("a claim left DIALING by an invocation that died", () => {
    async function leftDialing(table: string, request: DialRequestInput): Promise<void> {
      await engine.documents.send(
        new PutCommand({
          TableName: table,
          Item: { dialId: clientTokenFor(request.campaignKey, request.recipientKey), status: "DIALING", claimToken: "dead", leaseUntil: NOW - 1, attempts: 1, firstAttemptAt: NOW - 60_000 },
        }),
      );
    }

    it("is recorded UNKNOWN, not dialled, at most once (the default)", async () => {
      const h = await harness();
      const request = call(1);
      await leftDialing(h.table, request);
      expect(await h.run([formatDialRequest(request)])).to.deep.equal({ batchItemFailures: [] });
      expect(h.calls()).to.have.length(0);
      expect(await h.item(request)).to.include({ status: "UNKNOWN", errorName: "PreviousDeliveryUnfinished" });
    });

    it("is dialled again with the same ClientToken at least once (Connect returns the existing contact)", async () => {
      const h = await harness({ env: { SEND_GUARANTEE: "at-least-once" } });
      const request = call(1);
      const token = clientTokenFor(request.campaignKey, request.recipientKey);
      h.contacts.set(token, "contact-from-the-dead-invocation");
      await leftDialing(h.table, request);
      expect(await h.run([formatDialRequest(request)])).to.deep.equal({ batchItemFailures: [] });
      expect(h.calls().map((c) => c.ClientToken)).to.deep.equal([token]);
      expect(await h.item(request)).to.include({ status: "STARTED", contactId: "contact-from-the-dead-invocation", attempts: 2 });
    });

    it("is not dialled again once its ClientToken is near the end of its 7 days, even at least once", async () => {
      const h = await harness({ env: { SEND_GUARANTEE: "at-least-once" } });
      const request = call(1);
      await engine.documents.send(
        new PutCommand({
          TableName: h.table,
          Item: { dialId: clientTokenFor(request.campaignKey, request.recipientKey), status: "RETRYING", mayHaveStarted: true, attempts: 3, firstAttemptAt: NOW - 6.5 * 24 * 3600 * 1000 },
        }),
      );
      expect(await h.run([formatDialRequest(request)])).to.deep.equal({ batchItemFailures: [] });
      expect(h.calls()).to.have.length(0);
      expect(await h.item(request)).to.include({ status: "UNKNOWN", errorName: "ClientTokenExpiring" });
    });
  });

});
