/**
 * Architecture #2's state store (functions/ses-auto-reply/state-store.ts) against a real engine
 * (dynalite): message claims with leases, sender windows, the hourly reply counter and the UNKNOWN
 * final state, with their expressions, reserved words and conditions checked by the engine, and
 * conditional-check races run concurrently. The table is created from AUTO_REPLY_STATE_TABLE, as the
 * component creates it. SES has no local engine: the service tests below use an in-memory sender.
 *
 * dynalite has no TTL (items never expire), so expiry is tested with items whose `expiresAt` is in
 * the past: the store's conditions must treat them as absent. dynalite also ignores
 * `ReturnValuesOnConditionCheckFailure: ALL_OLD`, which `claimMessage` reads to tell a concurrent
 * attempt from a finished one; `withAllOldOnConditionFailure` (test/engines/dynalite.ts) emulates it.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAddressList, senderHash } from "../../functions/ses-auto-reply/addresses";
import { createAutoReplyService, type ReplyOutcome } from "../../functions/ses-auto-reply/auto-reply-service";
import { SesReceiptEventSchema, type SesReceiptRecord } from "../../functions/ses-auto-reply/receipt-event";
import type { OutgoingReply } from "../../functions/ses-auto-reply/render";
import { createDynamoReplyStateStore, hourKey, messageKey, senderKey, type ReplyStateStore } from "../../functions/ses-auto-reply/state-store";
import type { SendGuarantee } from "../../functions/shared/runtime/send-guarantee";
import { AUTO_REPLY_STATE_TABLE } from "../../functions/shared/runtime/tables";
import { startDynalite, withAllOldOnConditionFailure, type DynaliteEngine } from "../engines/dynalite";

const NOW = Date.parse("2026-03-02T14:05:12.000Z");
const NOW_SEC = Math.floor(NOW / 1000);
const HOUR = "2026-03-02T14";
const LATER = NOW_SEC + 3600;

const documentsWithAllOld = (engine: DynaliteEngine) => withAllOldOnConditionFailure(engine.documents, engine.client);

describe("ses-auto-reply on dynalite: state store", () => {
  let engine: DynaliteEngine;
  let table: string;
  let store: ReplyStateStore;

  const read = async (pk: string) => (await engine.documents.send(new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }))).Item;
  const put = (item: Record<string, unknown>) => engine.documents.send(new PutCommand({ TableName: table, Item: item }));

  before(async () => {
    engine = await startDynalite();
  });
  after(async () => engine.stop());
  beforeEach(async () => {
    table = await engine.createTable(AUTO_REPLY_STATE_TABLE, "auto-reply-state");
    store = createDynamoReplyStateStore(documentsWithAllOld(engine), table);
  });

  describe("the ALL_OLD emulation", () => {
    it("attaches the existing item, in wire format, to a failed conditional put that asked for ALL_OLD", async () => {
      await put({ pk: "msg#a", state: "SENT", expiresAt: LATER });
      let caught: unknown;
      try {
        await documentsWithAllOld(engine).send(
          new PutCommand({ TableName: table, Item: { pk: "msg#a" }, ConditionExpression: "attribute_not_exists(pk)", ReturnValuesOnConditionCheckFailure: "ALL_OLD" }),
        );
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(ConditionalCheckFailedException);
      expect((caught as { Item?: unknown }).Item).to.deep.equal({ pk: { S: "msg#a" }, state: { S: "SENT" }, expiresAt: { N: String(LATER) } });
    });

    it("leaves other failures alone", async () => {
      await put({ pk: "msg#b", state: "SENT", expiresAt: LATER });
      let caught: unknown;
      try {
        await documentsWithAllOld(engine).send(new DeleteCommand({ TableName: table, Key: { pk: "msg#b" }, ConditionExpression: "attribute_not_exists(pk)" }));
      } catch (error) {
        caught = error;
      }
      expect((caught as Error).name).to.equal("ConditionalCheckFailedException");
      expect((caught as { Item?: unknown }).Item).to.equal(undefined);
    });
  });

  describe("message claims", () => {
    it("claims a new message as PENDING with its lease, then reports a live lease as in-progress", async () => {
      expect(await store.claimMessage("m1", NOW + 30_000, NOW, LATER)).to.equal("claimed");
      expect(await read(messageKey("m1"))).to.deep.equal({ pk: "msg#m1", state: "PENDING", leaseUntil: NOW + 30_000, expiresAt: LATER });
      expect(await store.claimMessage("m1", NOW + 40_000, NOW + 1_000, LATER)).to.equal("in-progress");
    });

    for (const state of ["SENT", "REJECTED", "SKIPPED", "UNKNOWN"] as const) {
      it(`reports a message in the final state ${state} as a duplicate`, async () => {
        await store.claimMessage("m2", NOW + 30_000, NOW, LATER);
        await store.finishMessage("m2", state, LATER);
        expect(await read(messageKey("m2"))).to.deep.equal({ pk: "msg#m2", state, expiresAt: LATER });
        expect(await store.claimMessage("m2", NOW + 90_000, NOW + 60_000, LATER)).to.equal("duplicate");
      });
    }

    it("takes over a PENDING claim whose lease ran out (the previous attempt died)", async () => {
      await store.claimMessage("m3", NOW + 30_000, NOW, LATER);
      expect(await store.claimMessage("m3", NOW + 90_000, NOW + 30_001, LATER)).to.equal("claimed");
      expect((await read(messageKey("m3")))?.leaseUntil).to.equal(NOW + 90_000);
    });

    it("treats an expired item that TTL has not deleted yet as absent", async () => {
      await put({ pk: messageKey("m4"), state: "SENT", expiresAt: NOW_SEC - 1 });
      expect(await store.claimMessage("m4", NOW + 30_000, NOW, LATER)).to.equal("claimed");
    });

    it("lets exactly one of two concurrent deliveries of one message claim it", async () => {
      const results = await Promise.all([store.claimMessage("m5", NOW + 30_000, NOW, LATER), store.claimMessage("m5", NOW + 30_000, NOW, LATER)]);
      expect([...results].sort()).to.deep.equal(["claimed", "in-progress"]);
    });

    it("releases only a PENDING claim", async () => {
      await store.claimMessage("m6", NOW + 30_000, NOW, LATER);
      await store.releaseMessage("m6");
      expect(await read(messageKey("m6"))).to.equal(undefined);
      await store.claimMessage("m7", NOW + 30_000, NOW, LATER);
      await store.finishMessage("m7", "UNKNOWN", LATER);
      await store.releaseMessage("m7");
      expect((await read(messageKey("m7")))?.state).to.equal("UNKNOWN");
    });
  });

  describe("sender windows", () => {
    const hash = senderHash("jane.doe@customer.example");

    it("gives the window to one message, again to the same message, and not to another", async () => {
      expect(await store.claimSender(hash, "m1", NOW, LATER)).to.equal(true);
      expect(await store.claimSender(hash, "m1", NOW + 1_000, LATER)).to.equal(true);
      expect(await store.claimSender(hash, "m2", NOW + 2_000, LATER)).to.equal(false);
      expect(await read(senderKey(hash))).to.deep.equal({ pk: `sender#${hash}`, messageId: "m1", expiresAt: LATER });
    });

    it("treats an expired window as absent", async () => {
      await put({ pk: senderKey(hash), messageId: "old", expiresAt: NOW_SEC - 1 });
      expect(await store.claimSender(hash, "m3", NOW, LATER)).to.equal(true);
    });

    it("gives the window to exactly one of two messages from one sender arriving together", async () => {
      const results = await Promise.all([store.claimSender(hash, "m4", NOW, LATER), store.claimSender(hash, "m5", NOW, LATER)]);
      expect([...results].sort()).to.deep.equal([false, true]);
    });

    it("releases the window only for the message that holds it", async () => {
      await store.claimSender(hash, "m6", NOW, LATER);
      await store.releaseSender(hash, "other");
      expect((await read(senderKey(hash)))?.messageId).to.equal("m6");
      await store.releaseSender(hash, "m6");
      expect(await read(senderKey(hash))).to.equal(undefined);
    });
  });

  describe("the hourly reply counter", () => {
    const slotsHeld = async () => [...(((await read(hourKey(HOUR)))?.messageIds as Set<string> | undefined) ?? [])].sort();

    it("gives out exactly `cap` slots to concurrent messages at the boundary", async () => {
      const ids = ["a", "b", "c", "d", "e", "f"];
      const results = await Promise.all(ids.map((id) => store.takeHourlySlot(HOUR, id, 4, LATER)));
      expect(results.filter(Boolean)).to.have.length(4);
      expect(await slotsHeld()).to.deep.equal(ids.filter((_, i) => results[i]).sort());
      expect((await read(hourKey(HOUR)))?.expiresAt).to.equal(LATER);
    });

    it("lets a message that holds a slot take it again, even when the hour is full, without counting it twice", async () => {
      expect(await store.takeHourlySlot(HOUR, "a", 2, LATER)).to.equal(true);
      expect(await store.takeHourlySlot(HOUR, "b", 2, LATER)).to.equal(true);
      expect(await store.takeHourlySlot(HOUR, "a", 2, LATER)).to.equal(true);
      expect(await store.takeHourlySlot(HOUR, "c", 2, LATER)).to.equal(false);
      expect(await slotsHeld()).to.deep.equal(["a", "b"]);
    });

    it("counts a take that reaches the table twice (a concurrent duplicate, or an SDK retry after a timeout) once", async () => {
      await Promise.all([store.takeHourlySlot(HOUR, "a", 2, LATER), store.takeHourlySlot(HOUR, "a", 2, LATER)]);
      expect(await store.takeHourlySlot(HOUR, "b", 2, LATER)).to.equal(true);
      expect(await slotsHeld()).to.deep.equal(["a", "b"]);
    });

    it("frees a released slot for another message, including after the last one (the emptied set is removed)", async () => {
      await store.takeHourlySlot(HOUR, "a", 1, LATER);
      expect(await store.takeHourlySlot(HOUR, "b", 1, LATER)).to.equal(false);
      await store.releaseHourlySlot(HOUR, "a");
      expect(await read(hourKey(HOUR))).to.deep.equal({ pk: `hour#${HOUR}`, expiresAt: LATER });
      expect(await store.takeHourlySlot(HOUR, "b", 1, LATER)).to.equal(true);
      expect(await slotsHeld()).to.deep.equal(["b"]);
    });

    it("creates no item when releasing a slot in an hour that has none", async () => {
      await store.releaseHourlySlot("2026-03-02T09", "a");
      expect(await read(hourKey("2026-03-02T09"))).to.equal(undefined);
    });

    it("keeps hours apart", async () => {
      await store.takeHourlySlot(HOUR, "a", 1, LATER);
      expect(await store.takeHourlySlot("2026-03-02T15", "b", 1, LATER + 3600)).to.equal(true);
    });
  });
});

describe("ses-auto-reply on dynalite: the service with the real store", () => {
  const FIXTURE = join(__dirname, "..", "fixtures", "ses-receipt", "customer-reply.json");
  let engine: DynaliteEngine;
  let table: string;
  let clock: number;
  let sent: OutgoingReply[];
  let sendBehaviour: () => Promise<string | undefined>;

  const record = (messageId: string, sender = "jane.doe@customer.example"): SesReceiptRecord => {
    const event = JSON.parse(readFileSync(FIXTURE, "utf8")) as { Records: { ses: { mail: Record<string, unknown> } }[] };
    const mail = event.Records[0]!.ses.mail;
    mail.messageId = messageId;
    mail.source = sender;
    mail.commonHeaders = { ...(mail.commonHeaders as object), from: [sender] };
    mail.headers = (mail.headers as { name: string; value: string }[]).filter((h) => h.name !== "From");
    return SesReceiptEventSchema.parse(event).Records[0]!;
  };

  const service = (maxRepliesPerHour = 100, sendGuarantee: SendGuarantee = "at-most-once") =>
    createAutoReplyService({
      policy: {
        skipOnDmarcFail: true,
        replyFrom: "noreply@example.com",
        allowedReplyFrom: parseAddressList([]).list,
        ownAddresses: parseAddressList([]).list,
        allowExternalReplyTo: false,
      },
      replyWindowSeconds: 86_400,
      maxRepliesPerHour,
      sendGuarantee,
      templates: { getTemplate: async () => ({ subjectPrefix: "Re: ", html: undefined, text: "Ref %%ID%%" }) },
      state: createDynamoReplyStateStore(documentsWithAllOld(engine), table),
      sender: {
        async send(reply) {
          sent.push(reply);
          return sendBehaviour();
        },
      },
      now: () => clock,
      log: { warn: () => undefined },
    });

  const settle = (promise: Promise<ReplyOutcome>) => promise.then((o) => o.status === "skipped" ? o.reason : o.status, (e: Error) => e.name);

  before(async () => {
    engine = await startDynalite();
  });
  after(async () => engine.stop());
  beforeEach(async () => {
    table = await engine.createTable(AUTO_REPLY_STATE_TABLE, "auto-reply-state");
    clock = NOW;
    sent = [];
    sendBehaviour = async () => "reply-id";
  });

  it("sends one reply when two deliveries of one message run at the same time", async () => {
    const s = service();
    const outcomes = await Promise.all([settle(s.handleRecord(record("m1"), 10_000)), settle(s.handleRecord(record("m1"), 10_000))]);
    expect(sent).to.have.length(1);
    expect([...outcomes].sort()).to.deep.equal(["ReplyInProgressError", "sent"]);
    expect(await settle(s.handleRecord(record("m1"), 10_000))).to.equal("duplicate");
  });

  it("replies to one of two messages from one sender within the window", async () => {
    const s = service();
    const outcomes = await Promise.all([settle(s.handleRecord(record("m1"), 10_000)), settle(s.handleRecord(record("m2"), 10_000))]);
    expect([...outcomes].sort()).to.deep.equal(["rate-limited", "sent"]);
    expect(sent).to.have.length(1);
  });

  it("caps concurrent replies to different senders at maxRepliesPerHour, leaving the capped senders' windows free", async () => {
    const s = service(2);
    const outcomes = await Promise.all([1, 2, 3, 4].map((n) => settle(s.handleRecord(record(`m${n}`, `s${n}@customer.example`), 10_000))));
    expect([...outcomes].sort()).to.deep.equal(["hourly-cap", "hourly-cap", "sent", "sent"]);
    expect(sent).to.have.length(2);
    const capped = [1, 2, 3, 4].filter((_, i) => outcomes[i] === "hourly-cap");
    for (const n of capped) {
      const window = await engine.documents.send(new GetCommand({ TableName: table, Key: { pk: senderKey(senderHash(`s${n}@customer.example`)) } }));
      expect(window.Item).to.equal(undefined);
    }
  });

  it("at-most-once: a timed-out send is recorded UNKNOWN and a redelivery does not reply again", async () => {
    sendBehaviour = async () => {
      throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
    };
    const s = service();
    expect(await settle(s.handleRecord(record("m1"), 10_000))).to.equal("unknown");
    const item = await engine.documents.send(new GetCommand({ TableName: table, Key: { pk: messageKey("m1") } }));
    expect(item.Item?.state).to.equal("UNKNOWN");
    sendBehaviour = async () => "reply-id";
    clock += 120_000;
    expect(await settle(s.handleRecord(record("m1"), 10_000))).to.equal("duplicate");
    expect(sent).to.have.length(1);
  });

  it("at-least-once: a timed-out send fails the record, gives its hourly slot back, and the redelivery replies", async () => {
    sendBehaviour = async () => {
      throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
    };
    const s = service(1, "at-least-once");
    expect(await settle(s.handleRecord(record("m1"), 10_000))).to.equal("TimeoutError");
    sendBehaviour = async () => "reply-id";
    expect(await settle(s.handleRecord(record("m1"), 10_000))).to.equal("sent");
    expect(sent).to.have.length(2);
  });
});
