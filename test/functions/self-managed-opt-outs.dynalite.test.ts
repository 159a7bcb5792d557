/**
 * #8 against a real DynamoDB engine (dynalite): the preference store, the step journal and the
 * Powertools idempotency layer exactly as the handler configures them, in tables created from the
 * shared definitions (SMS_PREFERENCE_TABLE; IDEMPOTENCY_TABLE, which also holds the journal).
 * SMS, SNS and the opt-out list have no local engine: they are small recording fakes here.
 *
 * dynalite ignores ReturnValuesOnConditionCheckFailure, which Powertools uses to read the stored
 * record of a duplicate: `withAllOldOnConditionFailure` (test/engines/dynalite.ts, tested there)
 * emulates it. dynalite has no TTL: expiry is tested with items whose expiration is in the past.
 */
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import { GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { expect } from "chai";
import { DynamoDbStepJournal, type OptOutEnforcer } from "../../functions/self-managed-opt-outs/adapters";
import { loadInboundConfig, type InboundConfig } from "../../functions/self-managed-opt-outs/config";
import { processInbound, type InboundDeps } from "../../functions/self-managed-opt-outs/process";
import type { EventPublisher, SmsDomainEvent } from "../../functions/shared/sms/sms-domain-events";
import { DynamoDbPreferenceStore } from "../../functions/shared/sms/sms-preferences";
import type { SmsSender, SmsSendOutcome, SmsSendRequest } from "../../functions/shared/sms/sms-send";
import { IDEMPOTENCY_TABLE, SMS_PREFERENCE_TABLE } from "../../functions/shared/runtime/tables";
import { startDynalite, withAllOldOnConditionFailure, type DynaliteEngine } from "../engines/dynalite";
import { fakeContext, silentObservability, withEnv } from "./sms-test-helpers";

const CUSTOMER = "+14255550182";
const OUR_NUMBER = "+12065550142";
const T0 = Date.parse("2026-03-02T17:45:09.000Z");
const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

type Module = typeof import("../../functions/self-managed-opt-outs/inbound.js");

class RecordingSms implements SmsSender {
  readonly sent: SmsSendRequest[] = [];
  /** Called after each send, e.g. to inject a fault into the next write. */
  afterSend: () => void = () => undefined;
  async send(request: SmsSendRequest): Promise<SmsSendOutcome> {
    this.sent.push(request);
    this.afterSend();
    return { status: "SENT", messageId: `m-${this.sent.length}` };
  }
}

class RecordingEvents implements EventPublisher {
  readonly published: SmsDomainEvent[] = [];
  afterPublish: () => void = () => undefined;
  async publish(event: SmsDomainEvent): Promise<void> {
    this.published.push(event);
    this.afterPublish();
  }
}

class RecordingEnforcer implements OptOutEnforcer {
  readonly calls: string[] = [];
  failures = 0;
  async optOut(): Promise<void> {
    this.call("opt-out");
  }
  async optIn(): Promise<void> {
    this.call("opt-in");
  }
  private call(action: string): void {
    if (this.failures > 0) {
      this.failures -= 1;
      throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 429 } });
    }
    this.calls.push(action);
  }
}

/** A document client whose next write to `tableName` fails once `armed` is set (a fault after a side effect). */
function failingNextWrite(documents: DynamoDBDocumentClient, tableName: string): { client: DynamoDBDocumentClient; arm: () => void; failed: () => number } {
  let armed = false;
  let failed = 0;
  const client = Object.create(documents) as DynamoDBDocumentClient;
  const send = documents.send.bind(documents) as (command: unknown) => Promise<unknown>;
  (client as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    const input = (command as { input?: { TableName?: string } }).input;
    if (armed && command instanceof UpdateCommand && input?.TableName === tableName) {
      armed = false;
      failed += 1;
      throw Object.assign(new Error("Throughput exceeded"), { name: "ProvisionedThroughputExceededException", $metadata: { httpStatusCode: 400 } });
    }
    return send(command);
  };
  return { client, arm: () => (armed = true), failed: () => failed };
}

function inbound(body: string, inboundMessageId: string) {
  return {
    originationNumber: CUSTOMER,
    destinationNumber: OUR_NUMBER,
    messageKeyword: "KEYWORD_123456789012",
    messageBody: body,
    inboundMessageId,
  };
}

describe("self-managed opt-outs against dynalite", () => {
  let engine: DynaliteEngine;
  let preferenceTable: string;
  let idempotencyTable: string;
  let config: InboundConfig;

  let mod: Module;

  before(async () => {
    engine = await startDynalite();
    // The module builds its own handler from the environment at import time.
    mod = await withEnv(
      {
        PREFERENCE_TABLE_NAME: "unused",
        IDEMPOTENCY_TABLE_NAME: "unused",
        EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:unused",
        OPT_OUT_LIST_NAME: "unused",
        POWERTOOLS_LOG_LEVEL: "SILENT",
        POWERTOOLS_METRICS_DISABLED: "true",
      },
      () => import("../../functions/self-managed-opt-outs/inbound.js"),
    );
    expect(mod.IDEMPOTENCY_TTL_SECONDS).to.equal(IDEMPOTENCY_TTL_SECONDS);
  });
  after(async () => engine.stop());

  beforeEach(async () => {
    preferenceTable = await engine.createTable(SMS_PREFERENCE_TABLE, "sms-preferences");
    idempotencyTable = await engine.createTable(IDEMPOTENCY_TABLE, "sms-idempotency");
    config = loadInboundConfig({
      PREFERENCE_TABLE_NAME: preferenceTable,
      IDEMPOTENCY_TABLE_NAME: idempotencyTable,
      EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:sms-events",
      OPT_OUT_LIST_NAME: "self-managed-opt-outs",
    });
  });

  function deps(overrides: Partial<InboundDeps> = {}): InboundDeps & { sms: RecordingSms; events: RecordingEvents; enforcer: RecordingEnforcer } {
    const { logger, metrics } = silentObservability();
    return {
      preferences: new DynamoDbPreferenceStore(engine.documents, preferenceTable),
      enforcer: new RecordingEnforcer(),
      events: new RecordingEvents(),
      sms: new RecordingSms(),
      journal: new DynamoDbStepJournal(engine.documents, idempotencyTable, IDEMPOTENCY_TTL_SECONDS, () => T0),
      logger,
      metrics,
      now: () => T0 + 1000,
      sleep: async () => undefined,
      ...overrides,
    } as InboundDeps & { sms: RecordingSms; events: RecordingEvents; enforcer: RecordingEnforcer };
  }

  async function preference(): Promise<Record<string, unknown> | undefined> {
    const { Item } = await engine.documents.send(new GetCommand({ TableName: preferenceTable, Key: { phoneNumber: CUSTOMER }, ConsistentRead: true }));
    return Item;
  }

  describe("preference store", () => {
    it("records and reads a preference with the reserved words status and source, and clears an owed confirmation", async () => {
      const store = new DynamoDbPreferenceStore(engine.documents, preferenceTable);
      await engine.documents.send(
        new PutCommand({ TableName: preferenceTable, Item: { phoneNumber: CUSTOMER, crmId: "c-1", confirmationOwedSince: "x", confirmationOwedFor: "old" } }),
      );
      const result = await store.record({
        phoneNumber: CUSTOMER,
        status: "OPTED_OUT",
        source: "OPT_OUT",
        keyword: "STOP",
        inboundMessageId: "in-1",
        eventAt: T0,
        updatedAt: "2026-03-02T17:45:10.000Z",
      });
      expect(result).to.deep.equal({ outcome: "recorded" });
      expect(await preference()).to.deep.equal({
        phoneNumber: CUSTOMER,
        crmId: "c-1",
        status: "OPTED_OUT",
        source: "OPT_OUT",
        keyword: "STOP",
        lastInboundMessageId: "in-1",
        lastEventAt: T0,
        updatedAt: "2026-03-02T17:45:10.000Z",
      });
      expect(await store.get(CUSTOMER)).to.deep.equal({ phoneNumber: CUSTOMER, status: "OPTED_OUT", lastEventAt: T0, lastInboundMessageId: "in-1" });
      expect(await store.get("+10000000000")).to.equal(undefined);
    });

    it("lets the newer message win whichever arrives first, and reports the newer one to the loser", async () => {
      const store = new DynamoDbPreferenceStore(engine.documents, preferenceTable);
      const update = (status: "OPTED_OUT" | "OPTED_IN", id: string, eventAt: number) =>
        store.record({ phoneNumber: CUSTOMER, status, source: status === "OPTED_OUT" ? "OPT_OUT" : "OPT_IN", keyword: "K", inboundMessageId: id, eventAt, updatedAt: "u" });
      expect(await update("OPTED_IN", "newer-start", T0 + 5000)).to.deep.equal({ outcome: "recorded" });
      expect(await update("OPTED_OUT", "older-stop", T0)).to.deep.equal({
        outcome: "stale",
        current: { phoneNumber: CUSTOMER, status: "OPTED_IN", lastEventAt: T0 + 5000, lastInboundMessageId: "newer-start" },
      });
      // The same message again (a retry) is not stale: equal publish time passes the condition.
      expect(await update("OPTED_IN", "newer-start", T0 + 5000)).to.deep.equal({ outcome: "recorded" });
      expect(await preference()).to.include({ status: "OPTED_IN", lastInboundMessageId: "newer-start" });
    });

    it("marks a confirmation owed only while the STOP is still the number's latest message", async () => {
      const store = new DynamoDbPreferenceStore(engine.documents, preferenceTable);
      expect(await store.markConfirmationOwed({ phoneNumber: CUSTOMER, inboundMessageId: "stop-1", since: "s" })).to.equal(false);
      await store.record({ phoneNumber: CUSTOMER, status: "OPTED_OUT", source: "OPT_OUT", keyword: "STOP", inboundMessageId: "stop-1", eventAt: T0, updatedAt: "u" });
      expect(await store.markConfirmationOwed({ phoneNumber: CUSTOMER, inboundMessageId: "stop-1", since: "2026-03-02T17:45:10.000Z" })).to.equal(true);
      expect(await preference()).to.include({ confirmationOwedSince: "2026-03-02T17:45:10.000Z", confirmationOwedFor: "stop-1" });
      await store.record({ phoneNumber: CUSTOMER, status: "OPTED_IN", source: "OPT_IN", keyword: "START", inboundMessageId: "start-2", eventAt: T0 + 1, updatedAt: "u" });
      expect(await preference()).not.to.have.any.keys("confirmationOwedSince", "confirmationOwedFor");
      expect(await store.markConfirmationOwed({ phoneNumber: CUSTOMER, inboundMessageId: "stop-1", since: "s" })).to.equal(false);
    });
  });

  describe("step journal", () => {
    it("claims a step before its side effect, refuses a second claim, and reads every state back", async () => {
      const journal = new DynamoDbStepJournal(engine.documents, idempotencyTable, IDEMPOTENCY_TTL_SECONDS, () => T0);
      expect(await journal.read("in-1")).to.deep.equal(new Map());
      expect(await journal.begin("in-1", "publish", undefined)).to.equal(true);
      expect(await journal.begin("in-1", "publish", undefined)).to.equal(false);
      await journal.finish("in-1", "publish", "DONE");
      expect(await journal.begin("in-1", "reply", undefined)).to.equal(true);
      await journal.finish("in-1", "reply", "NOT_SENT");
      expect(await journal.begin("in-1", "reply", "ATTEMPTING")).to.equal(false);
      expect(await journal.begin("in-1", "reply", "NOT_SENT")).to.equal(true);
      expect(await journal.read("in-1")).to.deep.equal(new Map([["publish", "DONE"], ["reply", "ATTEMPTING"]]));
      const { Item } = await engine.documents.send(new GetCommand({ TableName: idempotencyTable, Key: { id: "steps#in-1" } }));
      expect(Item).to.deep.equal({ id: "steps#in-1", step_publish: "DONE", step_reply: "ATTEMPTING", expiration: Math.floor(T0 / 1000) + 86_400 });
    });

    it("reads an item of the previous version (a steps string set) as DONE", async () => {
      await engine.documents.send(new PutCommand({ TableName: idempotencyTable, Item: { id: "steps#old-1", steps: new Set(["publish", "reply"]) } }));
      const journal = new DynamoDbStepJournal(engine.documents, idempotencyTable, IDEMPOTENCY_TTL_SECONDS);
      expect(await journal.read("old-1")).to.deep.equal(new Map([["publish", "DONE"], ["reply", "DONE"]]));
    });
  });

  describe("processing", () => {
    it("sends exactly one confirmation and one event when the journal write after each fails and a later step throws, then the message is redelivered", async () => {
      const faulty = failingNextWrite(engine.documents, idempotencyTable);
      const d = deps({ journal: new DynamoDbStepJournal(faulty.client, idempotencyTable, IDEMPOTENCY_TTL_SECONDS, () => T0) });
      d.sms.afterSend = faulty.arm;
      d.events.afterPublish = faulty.arm;
      d.enforcer.failures = 1; // PutOptedOutNumber, after the confirmation, fails once
      const input = { message: inbound("STOP", "fault-1"), eventAt: T0 };

      let error: unknown;
      await processInbound(input, config, d).catch((e: unknown) => (error = e));
      expect((error as Error).name).to.equal("ThrottlingException");
      expect(faulty.failed()).to.equal(2);

      const result = await processInbound(input, config, d);
      expect(d.sms.sent).to.have.length(1);
      expect(d.events.published).to.have.length(1);
      expect(d.enforcer.calls).to.deep.equal(["opt-out"]);
      expect(result).to.deep.equal({ inboundMessageId: "fault-1", keywordClass: "OPT_OUT", outcome: "processed", reply: "unknown" });
      expect(await new DynamoDbStepJournal(engine.documents, idempotencyTable, 1).read("fault-1")).to.deep.equal(
        new Map([["publish", "UNKNOWN"], ["reply", "UNKNOWN"]]),
      );
    });

    it("under at-least-once repeats a side effect whose journal write failed (the documented price: a possible duplicate)", async () => {
      const faulty = failingNextWrite(engine.documents, idempotencyTable);
      const d = deps({ journal: new DynamoDbStepJournal(faulty.client, idempotencyTable, IDEMPOTENCY_TTL_SECONDS, () => T0) });
      d.sms.afterSend = faulty.arm;
      d.enforcer.failures = 1;
      const atLeastOnce = { ...config, sendGuarantee: "at-least-once" as const };
      const input = { message: inbound("STOP", "fault-2"), eventAt: T0 };
      await processInbound(input, atLeastOnce, d).catch(() => undefined);
      const result = await processInbound(input, atLeastOnce, d);
      expect(result.reply).to.equal("sent");
      expect(d.sms.sent).to.have.length(2);
      expect(d.events.published).to.have.length(1);
    });

    it("applies two messages for one number that arrive out of order: the newer wins, the older changes nothing and gets no reply", async () => {
      const d = deps();
      const start = await processInbound({ message: inbound("START", "start-new"), eventAt: T0 + 60_000 }, config, d);
      const stop = await processInbound({ message: inbound("STOP", "stop-old"), eventAt: T0 }, config, d);
      expect(start.outcome).to.equal("processed");
      expect(stop.outcome).to.equal("stale");
      expect(await preference()).to.include({ status: "OPTED_IN", lastInboundMessageId: "start-new" });
      expect(d.sms.sent.map((s) => s.body)).to.deep.equal([config.replies.OPT_IN]);
      expect(d.enforcer.calls).to.deep.equal(["opt-in"]);
    });

    it("re-aligns the opt-out list when a newer START is written between the STOP's read and its write", async () => {
      const d = deps();
      const store = d.preferences;
      const racing: InboundDeps["preferences"] = {
        get: (phone) => store.get(phone),
        markConfirmationOwed: (owed) => store.markConfirmationOwed(owed),
        record: async (update) => {
          // A newer START lands first (another invocation).
          await store.record({ ...update, status: "OPTED_IN", source: "OPT_IN", keyword: "START", inboundMessageId: "start-newer", eventAt: update.eventAt + 1 });
          return store.record(update);
        },
      };
      const afterList = { ...config, replyOrder: "after-opt-out-list" as const };
      const result = await processInbound({ message: inbound("STOP", "stop-racing"), eventAt: T0 }, afterList, { ...d, preferences: racing });
      expect(result.outcome).to.equal("stale");
      expect(d.enforcer.calls).to.deep.equal(["opt-out", "opt-in"]);
      expect(d.sms.sent).to.have.length(0);
      expect(await preference()).to.include({ status: "OPTED_IN", lastInboundMessageId: "start-newer" });
    });
  });

  describe("Powertools idempotency as the handler configures it", () => {
    function handlerFor(d: InboundDeps) {
      const persistenceStore = new DynamoDBPersistenceLayer({
        tableName: idempotencyTable,
        keyAttr: "id",
        expiryAttr: "expiration",
        awsSdkV3Client: withAllOldOnConditionFailure(engine.client),
      });
      const observability = silentObservability();
      const handler = mod.createInboundHandler(config, { ...d, persistenceStore }, observability);
      return { invoke: (event: unknown) => handler(event, fakeContext()), metricNames: observability.metricNames };
    }

    function snsEvent(body: string, inboundMessageId: string) {
      return {
        Records: [
          {
            EventSource: "aws:sns",
            EventVersion: "1.0",
            EventSubscriptionArn: "arn:aws:sns:us-east-1:123456789012:two-way:0b5c5a49-3a2b-4c4e-9a55-1b2d3c4e5f60",
            Sns: {
              Type: "Notification",
              MessageId: `sns-${inboundMessageId}`,
              TopicArn: "arn:aws:sns:us-east-1:123456789012:two-way",
              Subject: null,
              Message: JSON.stringify(inbound(body, inboundMessageId)),
              Timestamp: new Date(T0).toISOString(),
              SignatureVersion: "1",
              Signature: "EXAMPLE",
              SigningCertUrl: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
              UnsubscribeUrl: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
              MessageAttributes: {},
            },
          },
        ],
      };
    }

    it("answers a redelivered message from the stored record, with no second reply or event", async () => {
      const d = deps();
      const { invoke, metricNames } = handlerFor(d);
      const first = await invoke(snsEvent("STOP", "pt-1"));
      const second = await invoke(snsEvent("STOP", "pt-1"));
      expect(second).to.deep.equal(first);
      expect(d.sms.sent).to.have.length(1);
      expect(d.events.published).to.have.length(1);
      expect(metricNames).to.include("DuplicateInboundSkipped");
    });

    it("processes the message again after a failure (Powertools deletes its record), without repeating settled steps", async () => {
      const d = deps();
      d.enforcer.failures = 1;
      const { invoke } = handlerFor(d);
      let error: unknown;
      await invoke(snsEvent("STOP", "pt-2")).catch((e: unknown) => (error = e));
      expect((error as Error).name).to.equal("ThrottlingException");
      const [result] = await invoke(snsEvent("STOP", "pt-2"));
      expect(result).to.deep.include({ outcome: "processed", reply: "already-sent" });
      expect(d.sms.sent).to.have.length(1);
      expect(d.enforcer.calls).to.deep.equal(["opt-out"]);
    });

    it("treats an expired record as absent (dynalite has no TTL: the record's expiration is in the past)", async () => {
      const d = deps();
      const { invoke } = handlerFor(d);
      await invoke(snsEvent("HELP", "pt-3"));
      const { Items } = await engine.documents.send(new ScanCommand({ TableName: idempotencyTable }));
      const record = Items!.find((i) => String(i.id).startsWith("self-managed-opt-outs"))!;
      await engine.documents.send(
        new UpdateCommand({ TableName: idempotencyTable, Key: { id: record.id }, UpdateExpression: "SET expiration = :past", ExpressionAttributeValues: { ":past": 1 } }),
      );
      // The journal still says the reply was sent, so the reprocessed message does not text again.
      const [result] = await invoke(snsEvent("HELP", "pt-3"));
      expect(result).to.deep.include({ reply: "already-sent" });
      expect(d.sms.sent).to.have.length(1);
    });
  });
});
