/**
 * Architecture #1's DynamoDB adapters against a real engine (dynalite): the contact store's
 * expressions and conditions, and the Powertools idempotency persistence layer exactly as the
 * handler configures it. Tables are created from functions/shared/runtime/tables.ts, as the components
 * create theirs. SES has no local engine, so its client is stubbed (aws-sdk-client-mock).
 *
 * dynalite ignores ReturnValuesOnConditionCheckFailure=ALL_OLD, which both the contact store and
 * Powertools rely on; `withAllOldOnConditionFailure` (test/engines/dynalite.ts, tested there)
 * emulates it.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { PutSuppressedDestinationCommand, SESv2Client, TooManyRequestsException } from "@aws-sdk/client-sesv2";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { COUNTED_EVENT_KEYS_LIMIT, DynamoDbContactStore } from "../../functions/shared/email/feedback/adapters";
import { loadProcessorConfig } from "../../functions/ses-event-processing/config";
import { RecipientFailuresError, type SuppressionRecord, type TransientBounceRecord } from "../../functions/shared/email/feedback/feedback-service";
import { IDEMPOTENCY_KEY_PREFIX, createIdempotentFeedbackService } from "../../functions/shared/email/feedback/idempotent-feedback";
import { parseSesFeedback, type FeedbackEvent } from "../../functions/shared/email/ses-events";
import { CONTACT_TABLE, IDEMPOTENCY_TABLE } from "../../functions/shared/runtime/tables";
import { notification } from "../fixtures/ses";
import { startDynalite, withAllOldOnConditionFailure, type DynaliteEngine } from "../engines/dynalite";

type Item = Record<string, AttributeValue>;

const T0 = "2025-03-14T11:15:40.000Z";
const hoursAfter = (iso: string, hours: number) => new Date(Date.parse(iso) + hours * 3_600_000).toISOString();

/** A client that sends every command twice and answers with the second: an SDK retry after a timeout whose first attempt was applied. */
function resendingEveryCommand(client: DynamoDBClient): DynamoDBClient {
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  const wrapped = Object.create(client) as DynamoDBClient;
  (wrapped as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    await send(command);
    return send(command);
  };
  return wrapped;
}

describe("ses-event-processing on dynalite: contact store", () => {
  let engine: DynaliteEngine;
  let table: string;
  let store: DynamoDbContactStore;
  const address = "jane.doe@example.net";

  before(async () => {
    engine = await startDynalite();
  });
  after(async () => engine.stop());
  beforeEach(async () => {
    table = await engine.createTable(CONTACT_TABLE, "contacts");
    store = new DynamoDbContactStore(withAllOldOnConditionFailure(engine.client), table);
  });

  const item = async (key = address): Promise<Item | undefined> =>
    (await engine.client.send(new GetItemCommand({ TableName: table, Key: { emailAddress: { S: key } }, ConsistentRead: true }))).Item;
  const suppression = (eventKey: string, overrides: Partial<SuppressionRecord> = {}): SuppressionRecord => ({
    address,
    reason: "BOUNCE",
    at: T0,
    countEvent: true,
    eventKey,
    ...overrides,
  });
  const keysOf = (stored: Item | undefined) => (stored?.countedEventKeys?.L ?? []).map((k) => k.S);

  describe("recordSuppression", () => {
    it("creates the contact SUPPRESSED, counts the event and remembers its key", async () => {
      await store.recordSuppression(suppression("Bounce#m1#f1"));
      expect(await item()).to.deep.equal({
        emailAddress: { S: address },
        status: { S: "SUPPRESSED" },
        lastReason: { S: "BOUNCE" },
        firstEventAt: { S: T0 },
        lastEventAt: { S: T0 },
        eventCount: { N: "1" },
        countedEventKeys: { L: [{ S: "Bounce#m1#f1" }] },
      });
    });

    it("counts an event once when the SDK re-sends an update whose first attempt was applied", async () => {
      const resending = new DynamoDbContactStore(withAllOldOnConditionFailure(resendingEveryCommand(engine.client)), table);
      await resending.recordSuppression(suppression("Bounce#m1#f1"));
      expect((await item())!.eventCount).to.deep.equal({ N: "1" });
    });

    it("counts a redelivered event once, even when another event was counted in between", async () => {
      await store.recordSuppression(suppression("Bounce#m1#f1"));
      await store.recordSuppression(suppression("Complaint#m2#f2", { reason: "COMPLAINT", at: hoursAfter(T0, 1) }));
      await store.recordSuppression(suppression("Bounce#m1#f1"));
      const stored = await item();
      expect(stored!.eventCount).to.deep.equal({ N: "2" });
      expect(keysOf(stored)).to.deep.equal(["Bounce#m1#f1", "Complaint#m2#f2"]);
      expect(stored).to.deep.include({ lastReason: { S: "COMPLAINT" }, firstEventAt: { S: T0 }, lastEventAt: { S: hoursAfter(T0, 1) } });
    });

    it(`keeps only the newest ${COUNTED_EVENT_KEYS_LIMIT} keys, and still refuses a key it kept`, async () => {
      const total = COUNTED_EVENT_KEYS_LIMIT + 2;
      for (let i = 0; i < total; i++) await store.recordSuppression(suppression(`Bounce#m${i}#`));
      let stored = await item();
      expect(stored!.eventCount).to.deep.equal({ N: String(total) });
      expect(keysOf(stored)).to.deep.equal(Array.from({ length: COUNTED_EVENT_KEYS_LIMIT }, (_, i) => `Bounce#m${i + 2}#`));

      await store.recordSuppression(suppression(`Bounce#m${total - 1}#`));
      await store.recordSuppression(suppression("Bounce#m2#"));
      stored = await item();
      expect(stored!.eventCount).to.deep.equal({ N: String(total) });
    });

    it("marks SUPPRESSED without touching the counter when the event was already counted as a transient bounce", async () => {
      await store.recordTransientBounce({ address, at: T0, windowStartCutoff: hoursAfter(T0, -72), eventKey: "m1#f1" });
      await store.recordSuppression(suppression("Bounce#m1#f1", { countEvent: false }));
      const stored = await item();
      expect(stored).to.deep.include({ status: { S: "SUPPRESSED" }, lastReason: { S: "BOUNCE" }, eventCount: { N: "1" } });
      expect(stored).not.to.have.property("countedEventKeys");
    });

    it("counts both of two concurrent suppressions with distinct keys, and one of two with the same key", async () => {
      await Promise.all([store.recordSuppression(suppression("Bounce#a#")), store.recordSuppression(suppression("Complaint#b#", { reason: "COMPLAINT" }))]);
      expect((await item())!.eventCount).to.deep.equal({ N: "2" });
      expect(keysOf(await item()).sort()).to.deep.equal(["Bounce#a#", "Complaint#b#"]);

      await Promise.all([store.recordSuppression(suppression("Bounce#c#")), store.recordSuppression(suppression("Bounce#c#"))]);
      expect((await item())!.eventCount).to.deep.equal({ N: "3" });
    });

    it("settles two concurrent suppressions on a full key list: both counted, the list still bounded", async () => {
      for (let i = 0; i < COUNTED_EVENT_KEYS_LIMIT; i++) await store.recordSuppression(suppression(`Bounce#m${i}#`));
      await Promise.all([store.recordSuppression(suppression("Bounce#x#")), store.recordSuppression(suppression("Bounce#y#"))]);
      const stored = await item();
      expect(stored!.eventCount).to.deep.equal({ N: String(COUNTED_EVENT_KEYS_LIMIT + 2) });
      expect(keysOf(stored)).to.have.length(COUNTED_EVENT_KEYS_LIMIT);
      expect(keysOf(stored)).to.include.members(["Bounce#x#", "Bounce#y#"]);
    });
  });

  it("reports a failure that is not a condition as is (the store does not swallow it)", async () => {
    // A table that does not exist: the engine's ResourceNotFoundException must surface.
    const missing = new DynamoDbContactStore(withAllOldOnConditionFailure(engine.client), "no-such-table");
    const error = await missing.recordSuppression({ address: "a@example.net", reason: "BOUNCE", at: T0, countEvent: true, eventKey: "k" }).catch((e: unknown) => e);
    expect((error as Error).name).to.equal("ResourceNotFoundException");
    expect(error).not.to.be.instanceOf(ConditionalCheckFailedException);
  });

  describe("recordTransientBounce", () => {
    const bounce = (eventKey: string, at: string, windowHours = 72): TransientBounceRecord => ({
      address,
      at,
      windowStartCutoff: hoursAfter(at, -windowHours),
      eventKey,
    });

    it("opens a window at the first bounce and keeps the contact ACTIVE", async () => {
      expect(await store.recordTransientBounce(bounce("m1#f1", T0))).to.deep.equal({ transientBounceCount: 1, transientWindowStart: T0 });
      expect(await item()).to.deep.equal({
        emailAddress: { S: address },
        status: { S: "ACTIVE" },
        lastReason: { S: "TRANSIENT_BOUNCE" },
        firstEventAt: { S: T0 },
        lastEventAt: { S: T0 },
        eventCount: { N: "1" },
        transientBounceCount: { N: "1" },
        transientWindowStart: { S: T0 },
        countedTransientKeys: { SS: ["m1#f1"] },
      });
    });

    it("counts further bounces in the open window, including one exactly at the cutoff", async () => {
      await store.recordTransientBounce(bounce("m1#f1", T0));
      expect(await store.recordTransientBounce(bounce("m2#f2", hoursAfter(T0, 10)))).to.deep.equal({ transientBounceCount: 2, transientWindowStart: T0 });
      expect(await store.recordTransientBounce(bounce("m3#f3", hoursAfter(T0, 72)))).to.deep.equal({ transientBounceCount: 3, transientWindowStart: T0 });
      expect((await item())!.eventCount).to.deep.equal({ N: "3" });
    });

    it("starts a new window, forgetting the old keys, once the window is stale", async () => {
      await store.recordTransientBounce(bounce("m1#f1", T0));
      await store.recordTransientBounce(bounce("m2#f2", hoursAfter(T0, 1)));
      const late = hoursAfter(T0, 73);
      expect(await store.recordTransientBounce(bounce("m3#f3", late))).to.deep.equal({ transientBounceCount: 1, transientWindowStart: late });
      expect(await item()).to.deep.include({ transientWindowStart: { S: late }, countedTransientKeys: { SS: ["m3#f3"] }, eventCount: { N: "3" } });
    });

    it("does not count a retried bounce again and returns the stored counter", async () => {
      await store.recordTransientBounce(bounce("m1#f1", T0));
      await store.recordTransientBounce(bounce("m2#f2", hoursAfter(T0, 1)));
      expect(await store.recordTransientBounce(bounce("m1#f1", T0))).to.deep.equal({ transientBounceCount: 2, transientWindowStart: T0 });
      const resending = new DynamoDbContactStore(withAllOldOnConditionFailure(resendingEveryCommand(engine.client)), table);
      expect(await resending.recordTransientBounce(bounce("m3#f3", hoursAfter(T0, 2)))).to.deep.equal({ transientBounceCount: 3, transientWindowStart: T0 });
      expect(await item()).to.deep.include({ transientBounceCount: { N: "3" }, eventCount: { N: "3" } });
    });

    it("never downgrades a SUPPRESSED contact", async () => {
      await store.recordSuppression(suppression("Bounce#m0#f0"));
      await store.recordTransientBounce(bounce("m1#f1", T0));
      expect(await item()).to.deep.include({ status: { S: "SUPPRESSED" }, lastReason: { S: "TRANSIENT_BOUNCE" }, eventCount: { N: "2" } });
    });

    it("counts both of two concurrent first bounces for a new address", async () => {
      const results = await Promise.all([store.recordTransientBounce(bounce("m1#f1", T0)), store.recordTransientBounce(bounce("m2#f2", T0))]);
      expect(results.map((r) => r.transientBounceCount).sort()).to.deep.equal([1, 2]);
      expect(await item()).to.deep.include({ transientBounceCount: { N: "2" }, eventCount: { N: "2" } });
    });
  });
});

describe("ses-event-processing on dynalite: Powertools idempotency as the handler configures it", () => {
  let engine: DynaliteEngine;
  let contactTable: string;
  let idempotencyTable: string;
  const ses = new SESv2Client({ region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const sesMock = mockClient(ses);
  /** Fails the next UpdateItem on the idempotency table (Powertools' "save success") when set. */
  let failNextIdempotencySave: Error | undefined;

  const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

  before(async () => {
    engine = await startDynalite();
  });
  after(async () => {
    sesMock.restore();
    await engine.stop();
  });
  beforeEach(async () => {
    contactTable = await engine.createTable(CONTACT_TABLE, "contacts");
    idempotencyTable = await engine.createTable(IDEMPOTENCY_TABLE, "idempotency");
    sesMock.reset();
    sesMock.on(PutSuppressedDestinationCommand).resolves({});
    failNextIdempotencySave = undefined;
  });

  /** The service as the handlers build it, on dynalite, with an injectable idempotency-save fault. */
  function build(env: Record<string, string> = {}) {
    const send = engine.client.send.bind(engine.client) as (command: unknown) => Promise<unknown>;
    const faulty = Object.create(engine.client) as DynamoDBClient;
    (faulty as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
      const input = (command as { input?: { TableName?: string } }).input;
      if (command instanceof UpdateItemCommand && input?.TableName === idempotencyTable && failNextIdempotencySave) {
        const error = failNextIdempotencySave;
        failNextIdempotencySave = undefined;
        throw error;
      }
      return send(command);
    };
    const config = loadProcessorConfig({ CONTACT_TABLE_NAME: contactTable, IDEMPOTENCY_TABLE_NAME: idempotencyTable, ...env });
    const built = createIdempotentFeedbackService(config, { ses, dynamo: withAllOldOnConditionFailure(faulty) });
    built.idempotencyConfig.registerLambdaContext(context);
    return built.service;
  }

  const contact = async (address: string) =>
    (await engine.client.send(new GetItemCommand({ TableName: contactTable, Key: { emailAddress: { S: address } }, ConsistentRead: true }))).Item;
  const idempotencyItems = async () => (await engine.client.send(new ScanCommand({ TableName: idempotencyTable, ConsistentRead: true }))).Items ?? [];
  const sesAddresses = () => sesMock.commandCalls(PutSuppressedDestinationCommand).map((c) => c.args[0].input.EmailAddress);
  const event = (name: Parameters<typeof notification>[0]): FeedbackEvent => parseSesFeedback(notification(name));

  it("processes a second delivery of the same event as a redelivery, with no side effect", async () => {
    const service = build();
    const before = Math.floor(Date.now() / 1000);
    const first = await service.processEvent(event("bounce-permanent-multi"));
    expect(first.map((o) => o.duplicate)).to.deep.equal([undefined, undefined, undefined]);
    const stored = await idempotencyItems();
    expect(stored.map((i) => i.status.S)).to.deep.equal(["COMPLETED", "COMPLETED", "COMPLETED"]);
    for (const i of stored) {
      expect(i.id.S).to.match(new RegExp(`^${IDEMPOTENCY_KEY_PREFIX}#`));
      expect(Number(i.expiration.N) - before).to.be.within(86_400, 86_402);
    }

    const second = await service.processEvent(event("bounce-permanent-multi"));
    expect(second.map((o) => [o.action, o.duplicate])).to.deep.equal([
      ["suppressed", "redelivery"],
      ["suppressed", "redelivery"],
      ["suppressed", "redelivery"],
    ]);
    expect(sesAddresses()).to.deep.equal(["jane.doe@example.net", "richard.roe@example.net", "mary.major@example.com"]);
    expect((await contact("jane.doe@example.net"))!.eventCount).to.deep.equal({ N: "1" });
  });

  it("lets a recipient whose processing failed be retried: the in-progress record is released", async () => {
    sesMock
      .on(PutSuppressedDestinationCommand, { EmailAddress: "no.such.user@example.net" })
      .rejectsOnce(new TooManyRequestsException({ $metadata: { httpStatusCode: 429 }, message: "Too many requests" }));
    const service = build();
    const failed = await service.processEvent(event("bounce-permanent")).catch((e: unknown) => e);
    expect(failed).to.be.instanceOf(RecipientFailuresError);
    expect(await idempotencyItems()).to.deep.equal([]);
    expect(await contact("no.such.user@example.net")).to.equal(undefined);

    const retried = await service.processEvent(event("bounce-permanent"));
    expect(retried.map((o) => [o.action, o.duplicate])).to.deep.equal([["suppressed", undefined]]);
    expect(sesAddresses()).to.deep.equal(["no.such.user@example.net", "no.such.user@example.net"]);
    expect((await contact("no.such.user@example.net"))!.eventCount).to.deep.equal({ N: "1" });
    expect((await idempotencyItems()).map((i) => i.status.S)).to.deep.equal(["COMPLETED"]);
  });

  it("counts the event once when it is redelivered after the idempotency save failed", async () => {
    const service = build();
    failNextIdempotencySave = Object.assign(new Error("We currently do not have sufficient capacity"), { name: "InternalServerError", $fault: "server" });
    const failed = (await service.processEvent(event("complaint-abuse")).catch((e: unknown) => e)) as RecipientFailuresError;
    expect(failed.failures.map((f) => (f.error as Error).name)).to.deep.equal(["IdempotencyPersistenceLayerError"]);
    expect((await contact("angry.reader@example.net"))!.eventCount).to.deep.equal({ N: "1" });
    const [inProgress] = await idempotencyItems();
    expect(inProgress.status.S).to.equal("INPROGRESS");

    // While the failed invocation could still be running, a redelivery is refused...
    const busy = (await service.processEvent(event("complaint-abuse")).catch((e: unknown) => e)) as RecipientFailuresError;
    expect(busy.failures.map((f) => (f.error as Error).name)).to.deep.equal(["IdempotencyAlreadyInProgressError"]);

    // ...and once its time is up, the redelivery runs again: SES is an upsert, the count stays 1.
    await engine.client.send(
      new UpdateItemCommand({
        TableName: idempotencyTable,
        Key: { id: inProgress.id },
        UpdateExpression: "SET in_progress_expiration = :past",
        ExpressionAttributeValues: { ":past": { N: String(Date.now() - 1000) } },
      }),
    );
    const redelivered = await service.processEvent(event("complaint-abuse"));
    expect(redelivered.map((o) => [o.action, o.duplicate])).to.deep.equal([["suppressed", undefined]]);
    expect(sesAddresses()).to.deep.equal(["angry.reader@example.net", "angry.reader@example.net"]);
    expect((await contact("angry.reader@example.net"))!.eventCount).to.deep.equal({ N: "1" });
    expect((await idempotencyItems()).map((i) => i.status.S)).to.deep.equal(["COMPLETED"]);
  });

  it("suppresses at the transient threshold without counting the bounce twice", async () => {
    const service = build({ TRANSIENT_BOUNCE_THRESHOLD: "2" });
    const second = { ...event("bounce-transient"), sesMessageId: "msg-2", feedbackId: "fb-2", timestamp: hoursAfter("2025-03-14T11:15:40.000Z", 5) };
    expect((await service.processEvent(event("bounce-transient"))).map((o) => o.action)).to.deep.equal(["transient-recorded"]);
    expect((await service.processEvent(second)).map((o) => [o.action, o.transientBounceCount])).to.deep.equal([["suppressed", 2]]);
    expect(sesAddresses()).to.deep.equal(["full.mailbox@example.net"]);
    expect(await contact("full.mailbox@example.net")).to.deep.include({
      status: { S: "SUPPRESSED" },
      lastReason: { S: "BOUNCE" },
      transientBounceCount: { N: "2" },
      eventCount: { N: "2" },
    });
  });
});
