import { Readable } from "node:stream";
import { BatchGetCommand, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { expect } from "chai";
import { SMS_FILE_CHECKPOINT_TABLE, SMS_OUTCOME_TABLE, SMS_PREFERENCE_TABLE } from "../../functions/shared/runtime/tables";
import {
  classifyDeliveryEvent,
  CONSUMED_EVENT_TYPES,
  DELIVERY_EVENT_TYPES,
  deliveryEventFromBody,
  type SmsDeliveryEvent,
} from "../../functions/shared/sms/sms-delivery-events";
import { DynamoDbPreferenceStore } from "../../functions/shared/sms/sms-preferences";
import {
  DynamoDbCheckpointStore,
  DynamoDbDeliveryStore,
  DynamoDbOutcomeStore,
  DynamoDbReportStateStore,
  type FileForReport,
  type RowOutcome,
} from "../../functions/sms-file-drop/adapters";
import { loadDeliveryConfig, loadReporterConfig, loadSplitterConfig } from "../../functions/sms-file-drop/config";
import { applyDeliveryEvent } from "../../functions/sms-file-drop/delivery";
import { buildDeliveryReport, categorize, nextCheckAt } from "../../functions/sms-file-drop/delivery-report";
import { fileIdFor, parseQueuedMessage, rowIdFor, type QueuedSms } from "../../functions/sms-file-drop/message";
import { splitFile } from "../../functions/sms-file-drop/split-file";
import { reportFile } from "../../functions/sms-file-drop/report";
import { sendQueuedMessage } from "../../functions/sms-file-drop/send-record";
import { TokenBucketRegistry } from "../../functions/shared/sms/token-bucket";
import { startDynalite, type DynaliteEngine } from "../engines/dynalite";
import { fakeContext, fixtureJson, fixtureText, silentObservability, withEnv } from "./sms-test-helpers";

const FILE = { bucket: "sms-drop-bucket", key: "files/march.csv", etag: "0123456789abcdef0123456789abcdef" };
const CUSTOMER = "+14255550156";
const T0 = 1_686_975_103_470;

/** AWS's documented example event, re-addressed to one of our rows. */
function event(overrides: Partial<SmsDeliveryEvent> & { row?: number } = {}): SmsDeliveryEvent {
  const { row = 1, ...rest } = overrides;
  const example = fixtureJson<SmsDeliveryEvent>("delivery-event-text-successful.json");
  return { ...example, context: { external_campaign_id: "12345", rowId: rowIdFor(FILE, row), source: `s3://${FILE.bucket}/${FILE.key}#${row}` }, ...rest };
}

function queued(row: number): QueuedSms {
  return {
    destination: CUSTOMER,
    body: `Message ${row}`,
    originationIdentity: "+12065550152",
    messageType: "TRANSACTIONAL",
    context: { external_campaign_id: "12345", id_1: "", id_2: "", sourceBucket: FILE.bucket, sourceKey: FILE.key, row },
    rowId: rowIdFor(FILE, row),
  };
}

describe("SMS file drop delivery outcomes", () => {
  describe("event types (AWS: Event types for SMS, MMS, and voice)", () => {
    it("classifies every documented SMS type as final success, final failure, temporary or in progress", () => {
      const byClass = (c: string) =>
        Object.entries(DELIVERY_EVENT_TYPES)
          .filter(([, info]) => info.class === c)
          .map(([type]) => type)
          .sort();
      expect(byClass("FINAL_SUCCESS")).to.deep.equal(["TEXT_DELIVERED", "TEXT_SUCCESSFUL"]);
      expect(byClass("FINAL_FAILURE")).to.deep.equal([
        "TEXT_BLOCKED",
        "TEXT_CARRIER_BLOCKED",
        "TEXT_INVALID",
        "TEXT_INVALID_MESSAGE",
        "TEXT_PROTECT_BLOCKED",
        "TEXT_SPAM",
        "TEXT_TTL_EXPIRED",
        "TEXT_UNKNOWN",
      ]);
      expect(byClass("TEMPORARY")).to.deep.equal(["TEXT_CARRIER_UNREACHABLE", "TEXT_UNREACHABLE"]);
      expect(byClass("IN_PROGRESS")).to.deep.equal(["TEXT_PENDING", "TEXT_QUEUED"]);
      // Only the recipient-level failures count against the number; never a temporary type.
      expect(
        Object.entries(DELIVERY_EVENT_TYPES)
          .filter(([, i]) => i.permanentForNumber)
          .map(([t]) => t)
          .sort(),
      ).to.deep.equal(["TEXT_BLOCKED", "TEXT_INVALID"]);
      expect(CONSUMED_EVENT_TYPES).to.have.length(12);
      expect(CONSUMED_EVENT_TYPES).not.to.include("TEXT_QUEUED");
    });

    it("lets the event's isFinal decide finality, and treats an unknown type as in progress", () => {
      expect(classifyDeliveryEvent({ eventType: "TEXT_DELIVERED" })).to.deep.equal({ class: "FINAL_SUCCESS", outcome: "DELIVERED", final: true, permanentForNumber: false });
      expect(classifyDeliveryEvent({ eventType: "TEXT_SUCCESSFUL", isFinal: false })).to.include({ outcome: "PENDING", final: false });
      expect(classifyDeliveryEvent({ eventType: "TEXT_UNREACHABLE" })).to.include({ class: "TEMPORARY", outcome: "PENDING", final: false });
      expect(classifyDeliveryEvent({ eventType: "TEXT_UNREACHABLE", isFinal: true })).to.include({ outcome: "FAILED", final: true, permanentForNumber: false });
      expect(classifyDeliveryEvent({ eventType: "TEXT_INVALID" })).to.include({ outcome: "FAILED", final: true, permanentForNumber: true });
      expect(classifyDeliveryEvent({ eventType: "TEXT_SOMETHING_NEW" })).to.include({ class: "IN_PROGRESS", final: false, permanentForNumber: false });
    });

    it("parses AWS's example event, raw or inside an SNS notification, and rejects anything else", () => {
      const raw = deliveryEventFromBody(fixtureText("delivery-event-text-successful.json"));
      const wrapped = deliveryEventFromBody(fixtureText("delivery-event-sns-notification.json"));
      expect(wrapped).to.deep.equal(raw);
      expect(raw).to.include({ eventType: "TEXT_SUCCESSFUL", messageId: "862a8790-60c0-4430-9b2b-658bdexample", isFinal: true });
      expect(() => deliveryEventFromBody('{"eventType":"EMAIL_SENT","eventTimestamp":1,"messageId":"m"}')).to.throw("must be an SMS event type");
      expect(() => deliveryEventFromBody("not json")).to.throw(SyntaxError);
    });
  });

  describe("on DynamoDB (dynalite)", () => {
    let engine: DynaliteEngine;
    let outcomes: string;
    let preferences: string;
    let checkpoints: string;
    let outcomeStore: DynamoDbOutcomeStore;
    let deliveries: DynamoDbDeliveryStore;
    let preferenceStore: DynamoDbPreferenceStore;

    before(async () => {
      engine = await startDynalite();
    });
    after(async () => engine.stop());
    beforeEach(async () => {
      outcomes = await engine.createTable(SMS_OUTCOME_TABLE, "outcomes");
      preferences = await engine.createTable(SMS_PREFERENCE_TABLE, "preferences");
      checkpoints = await engine.createTable(SMS_FILE_CHECKPOINT_TABLE, "checkpoints");
      outcomeStore = new DynamoDbOutcomeStore(engine.documents, outcomes, 86_400, () => T0 - 10_000);
      deliveries = new DynamoDbDeliveryStore(engine.documents, outcomes, async () => undefined);
      preferenceStore = new DynamoDbPreferenceStore(engine.documents, preferences);
    });

    const row = async (n: number) => (await engine.documents.send(new GetCommand({ TableName: outcomes, Key: { rowId: rowIdFor(FILE, n) } }))).Item;
    const preference = async () => (await engine.documents.send(new GetCommand({ TableName: preferences, Key: { phoneNumber: CUSTOMER } }))).Item;

    async function sent(n: number, messageId = "862a8790-60c0-4430-9b2b-658bdexample"): Promise<void> {
      await outcomeStore.claim({ rowId: rowIdFor(FILE, n), claimToken: `c${n}`, leaseUntil: T0 + 60_000, message: queued(n) });
      await outcomeStore.finish({ rowId: rowIdFor(FILE, n), claimToken: `c${n}`, status: "SENT", messageId, segments: 1 });
    }

    function apply(e: SmsDeliveryEvent, record = true) {
      return applyDeliveryEvent(e, { recordPermanentFailures: record }, { deliveries, failures: preferenceStore, ...silentObservability(), now: () => T0 });
    }

    it("records AWS's example event on the row it names, by the message id of the send", async () => {
      await sent(1);
      expect(await apply(event())).to.deep.equal({ row: "recorded", numberRecorded: false });
      expect(await row(1)).to.include({
        status: "SENT",
        messageId: "862a8790-60c0-4430-9b2b-658bdexample",
        deliveryOutcome: "DELIVERED",
        deliveryStatus: "TEXT_SUCCESSFUL",
        deliveryFinal: true,
        deliveryEventAt: T0,
        deliveryDescription: "Message has been accepted by phone carrier",
      });
    });

    it("records an event that arrives before the send was recorded, and keeps it when the send record lands", async () => {
      await outcomeStore.claim({ rowId: rowIdFor(FILE, 1), claimToken: "c1", leaseUntil: T0 + 60_000, message: queued(1) });
      expect((await apply(event())).row).to.equal("recorded");
      expect(await outcomeStore.finish({ rowId: rowIdFor(FILE, 1), claimToken: "c1", status: "SENT", messageId: "862a8790-60c0-4430-9b2b-658bdexample", segments: 1 })).to.equal(true);
      expect(await row(1)).to.include({ status: "SENT", deliveryOutcome: "DELIVERED", deliveryFinal: true });
    });

    it("ignores a duplicated event, anything after the final one, and an older event arriving late", async () => {
      await sent(1);
      await sent(2);
      const unreachable = event({ eventType: "TEXT_UNREACHABLE", isFinal: false, eventTimestamp: T0, messageStatusDescription: "Phone is off" });
      const delivered = event({ eventType: "TEXT_DELIVERED", isFinal: true, eventTimestamp: T0 + 60_000 });
      // Row 1 in order, each event twice.
      expect((await apply(unreachable)).row).to.equal("recorded");
      expect((await apply(unreachable)).row).to.equal("recorded"); // same values again: harmless
      expect((await apply(delivered)).row).to.equal("recorded");
      expect((await apply(delivered)).row).to.equal("ignored");
      expect(await row(1)).to.include({ deliveryOutcome: "DELIVERED", deliveryStatus: "TEXT_DELIVERED", deliveryEventAt: T0 + 60_000 });
      // Row 2 out of order: the final event first, the temporary one after it.
      expect((await apply({ ...delivered, context: event({ row: 2 }).context })).row).to.equal("recorded");
      expect((await apply({ ...unreachable, context: event({ row: 2 }).context })).row).to.equal("ignored");
      expect(await row(2)).to.include({ deliveryOutcome: "DELIVERED", deliveryStatus: "TEXT_DELIVERED" });
      // Two temporary events out of order: the newer one stays.
      await sent(3);
      const r3 = event({ row: 3 }).context;
      expect((await apply({ ...unreachable, eventType: "TEXT_CARRIER_UNREACHABLE", eventTimestamp: T0 + 5_000, context: r3 })).row).to.equal("recorded");
      expect((await apply({ ...unreachable, context: r3 })).row).to.equal("ignored");
      expect(await row(3)).to.include({ deliveryOutcome: "PENDING", deliveryStatus: "TEXT_CARRIER_UNREACHABLE", deliveryFinal: false });
    });

    it("ignores an event of an earlier send of the row and an event for a row it does not hold, and counts one without a row id", async () => {
      await sent(1, "second-send");
      expect((await apply(event())).row).to.equal("ignored");
      expect((await apply(event({ row: 99 }))).row).to.equal("ignored");
      const observability = silentObservability();
      const result = await applyDeliveryEvent(fixtureJson<SmsDeliveryEvent>("delivery-event-text-successful.json"), { recordPermanentFailures: true }, { deliveries, failures: preferenceStore, ...observability });
      expect(result).to.deep.equal({ row: "unmatched", numberRecorded: false });
      expect(observability.metricNames).to.deep.equal(["DeliveryEventUnmatched"]);
      expect(await row(99)).to.equal(undefined);
    });

    it("records a number that failed permanently, never for a temporary type, and not when turned off", async () => {
      await sent(1);
      expect((await apply(event({ eventType: "TEXT_UNREACHABLE", isFinal: true }))).numberRecorded).to.equal(false);
      expect((await apply(event({ eventType: "TEXT_CARRIER_BLOCKED" }))).numberRecorded).to.equal(false);
      expect(await preference()).to.equal(undefined);
      expect((await apply(event({ eventType: "TEXT_INVALID", eventTimestamp: T0 + 1 }), false)).numberRecorded).to.equal(false);
      expect(await preference()).to.equal(undefined);
      expect((await apply(event({ eventType: "TEXT_INVALID", eventTimestamp: T0 + 1 }))).numberRecorded).to.equal(true);
      expect(await preference()).to.deep.include({
        phoneNumber: CUSTOMER,
        permanentFailureAt: T0 + 1,
        permanentFailureType: "TEXT_INVALID",
        permanentFailureMessageId: "862a8790-60c0-4430-9b2b-658bdexample",
      });
      expect(await preferenceStore.get(CUSTOMER)).to.deep.include({ permanentFailureAt: T0 + 1, permanentFailureType: "TEXT_INVALID" });
    });

    it("an opt-in (START, #8) clears the recorded failure, and an older failure event cannot bring it back", async () => {
      await apply(event({ eventType: "TEXT_BLOCKED", eventTimestamp: T0 }));
      expect(await preference()).to.include({ permanentFailureType: "TEXT_BLOCKED" });
      await preferenceStore.record({ phoneNumber: CUSTOMER, status: "OPTED_IN", source: "OPT_IN", keyword: "START", inboundMessageId: "in-1", eventAt: T0 + 1_000, updatedAt: "2026-03-02T18:00:00.000Z" });
      const item = await preference();
      expect(item).to.include({ status: "OPTED_IN", keyword: "START" });
      expect(item).not.to.have.property("permanentFailureAt");
      expect(item).not.to.have.property("permanentFailureType");
      // A late duplicate of the failure (older than the START) is not recorded again; a newer one is.
      expect((await apply(event({ eventType: "TEXT_BLOCKED", eventTimestamp: T0 }))).numberRecorded).to.equal(false);
      expect((await apply(event({ eventType: "TEXT_BLOCKED", eventTimestamp: T0 + 2_000 }))).numberRecorded).to.equal(true);
      // A STOP keeps it (only START says the number receives SMS again).
      await preferenceStore.record({ phoneNumber: CUSTOMER, status: "OPTED_OUT", source: "OPT_OUT", keyword: "STOP", inboundMessageId: "in-2", eventAt: T0 + 3_000, updatedAt: "2026-03-02T18:01:00.000Z" });
      expect(await preference()).to.include({ status: "OPTED_OUT", permanentFailureType: "TEXT_BLOCKED" });
    });

    it("reads a batch's preference items in one strongly consistent BatchGetItem, leaving out numbers without one", async () => {
      await apply(event({ eventType: "TEXT_INVALID" }));
      const found = await preferenceStore.getMany([CUSTOMER, "+14255550157", CUSTOMER]);
      expect([...found.keys()]).to.deep.equal([CUSTOMER]);
      expect(found.get(CUSTOMER)).to.deep.include({ phoneNumber: CUSTOMER, permanentFailureType: "TEXT_INVALID" });
    });

    it("the sender skips a number recorded as failing permanently, unless the setting is off", async () => {
      await apply(event({ eventType: "TEXT_INVALID" }));
      const sentTo: string[] = [];
      const send = (skip: boolean, n: number) =>
        sendQueuedMessage(
          queued(n),
          { leaseUntil: T0 + 60_000 },
          { identityRates: new Map([["+12065550152", 10]]), configurationSetName: undefined, sendGuarantee: "at-most-once", maxAttempts: 5, skipPermanentFailures: skip },
          {
            outcomes: outcomeStore,
            preferences: preferenceStore,
            sms: { send: async (r: { destination: string }) => (sentTo.push(r.destination), { status: "SENT" as const, messageId: `m${n}` }) },
            buckets: new TokenBucketRegistry(new Map([["+12065550152", 10]]), { clock: () => 0, sleep: async () => undefined }),
            ...silentObservability(),
          },
        );
      expect(await send(true, 5)).to.equal("SKIPPED_PERMANENT_FAILURE");
      expect(await row(5)).to.include({ status: "SKIPPED_PERMANENT_FAILURE", errorName: "PermanentDeliveryFailure" });
      expect(await send(false, 6)).to.equal("SENT");
      expect(sentTo).to.deep.equal([CUSTOMER]);
    });

    it("the splitter checks TRANSACTIONAL numbers 100 per BatchGetItem (over 100 rows) and marks only rows without a recorded failure", async () => {
      await apply(event({ eventType: "TEXT_INVALID" })); // CUSTOMER failed permanently
      let batchGets = 0;
      const counting = {
        send: (command: object) => {
          if (command instanceof BatchGetCommand) batchGets++;
          return engine.documents.send(command as GetCommand);
        },
      } as unknown as typeof engine.documents;
      const lines = ["sms_number,message,external_campaign_id,short_code,message_type,id_1,id_2"];
      // 250 distinct TRANSACTIONAL numbers (row 150 is CUSTOMER's) and every 10th row PROMOTIONAL.
      for (let i = 1; i <= 275; i++) {
        const number = i === 150 ? CUSTOMER : `+1206${300 + i}0142`;
        lines.push(`${number},Message ${i},c-1,+12065550152,${i % 11 === 0 ? "PROMOTIONAL" : "TRANSACTIONAL"},,`);
      }
      const bodies: string[] = [];
      const config = loadSplitterConfig({
        QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/drop.fifo",
        CHECKPOINT_TABLE_NAME: checkpoints,
        EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:events",
        ORIGINATION_IDENTITIES: JSON.stringify([{ identity: "+12065550152", mps: 10 }]),
        PREFERENCE_TABLE_NAME: preferences,
      });
      const result = await splitFile({ ...FILE, size: 1 }, config, {
        objects: { open: async () => ({ status: "open", body: Readable.from([lines.join("\n") + "\n"]) }), putErrorReport: async () => undefined },
        queue: {
          sendBatch: async (entries) => {
            bodies.push(...entries.map((e) => e.body));
            return [];
          },
        },
        checkpoints: new DynamoDbCheckpointStore(engine.documents, checkpoints, 86_400),
        events: { publish: async () => undefined },
        ...silentObservability(),
        remainingMs: () => 600_000,
        clock: () => T0,
        preferences: new DynamoDbPreferenceStore(counting, preferences),
      });
      expect(result.status).to.equal("processed");
      const messages = bodies.map((b) => parseQueuedMessage(b));
      expect(messages.map((m) => m.context.row)).to.deep.equal(Array.from({ length: 275 }, (_, i) => i + 1));
      const transactional = messages.filter((m) => m.messageType === "TRANSACTIONAL");
      expect(transactional).to.have.length(250);
      expect(batchGets).to.equal(3); // 100 + 100 + 50 numbers
      expect(messages.filter((m) => m.permanentFailureCheckedAt === T0).map((m) => m.context.row)).to.deep.equal(
        transactional.filter((m) => m.destination !== CUSTOMER).map((m) => m.context.row),
      );
      expect(messages.find((m) => m.context.row === 150)?.permanentFailureCheckedAt).to.equal(undefined);

      // The sender skips CUSTOMER's unmarked row after its own read, recording it as before.
      const sendOne = (message: QueuedSms) =>
        sendQueuedMessage(
          message,
          { leaseUntil: T0 + 60_000 },
          { identityRates: new Map([["+12065550152", 10]]), configurationSetName: undefined, sendGuarantee: "at-most-once", maxAttempts: 5, skipPermanentFailures: true },
          {
            outcomes: outcomeStore,
            preferences: preferenceStore,
            sms: { send: async () => ({ status: "SENT" as const, messageId: "m" }) },
            buckets: new TokenBucketRegistry(new Map([["+12065550152", 10]]), { clock: () => 0, sleep: async () => undefined }),
            ...silentObservability(),
          },
        );
      const realNow = Date.now;
      Date.now = () => T0 + 60_000;
      try {
        expect(await sendOne(messages[149]!)).to.equal("SKIPPED_PERMANENT_FAILURE");
        expect(await sendOne(messages[0]!)).to.equal("SENT");
      } finally {
        Date.now = realNow;
      }
      expect(await row(150)).to.include({ status: "SKIPPED_PERMANENT_FAILURE", errorName: "PermanentDeliveryFailure" });
    });

    it("the consumer handler returns partial batch failures: a malformed record fails alone", async () => {
      await sent(1);
      const env = { OUTCOME_TABLE_NAME: outcomes, PREFERENCE_TABLE_NAME: preferences, POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" };
      const mod = await withEnv(env, () => import("../../functions/sms-file-drop/delivery-events.js"));
      const config = loadDeliveryConfig(env);
      expect(config).to.deep.equal({ outcomeTableName: outcomes, preferenceTableName: preferences, recordPermanentFailures: true });
      const observability = silentObservability();
      const handler = mod.createDeliveryHandler(config, { deliveries, failures: preferenceStore }, observability);
      const response = await handler(
        {
          Records: [
            { messageId: "r1", body: JSON.stringify(event()) },
            { messageId: "r2", body: '{"eventType":"TEXT_DELIVERED"}' },
            { messageId: "r3", body: JSON.stringify({ Type: "Notification", Message: JSON.stringify(event({ eventType: "TEXT_INVALID", row: 2 })) }) },
          ],
        },
        fakeContext(),
      );
      expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "r2" }] });
      expect(await row(1)).to.include({ deliveryOutcome: "DELIVERED" });
      expect(await preference()).to.include({ permanentFailureType: "TEXT_INVALID" });
      expect(observability.metricNames).to.include.members(["DeliveryEventRecorded", "MessageDelivered", "MalformedDeliveryEvent", "DeliveryEventIgnored", "PermanentFailureRecorded"]);
    });

    describe("per-file delivery report", () => {
      const fileOf = (overrides: Partial<FileForReport> = {}): FileForReport => ({
        fileId: fileIdFor(FILE),
        ...FILE,
        rowsTotal: 6,
        rowsQueued: 5,
        rowsInvalid: 1,
        errorReportKey: `reports/${FILE.key}.errors.csv`,
        completedAt: T0,
        ...overrides,
      });

      async function setUp(): Promise<void> {
        // Row 3 was invalid (never queued). 1 delivered, 2 failed (invalid number), 4 opted out, 5 sent with a temporary event, 6 sent.
        for (const n of [1, 2, 5, 6]) await sent(n, `m${n}`);
        await outcomeStore.claim({ rowId: rowIdFor(FILE, 4), claimToken: "c4", leaseUntil: T0 + 60_000, message: queued(4) });
        await outcomeStore.finish({ rowId: rowIdFor(FILE, 4), claimToken: "c4", status: "SKIPPED_OPTED_OUT", errorName: "PreferenceOptedOut" });
        await apply(event({ messageId: "m1", eventType: "TEXT_DELIVERED" }));
        await apply(event({ row: 2, messageId: "m2", eventType: "TEXT_INVALID", messageStatusDescription: "Invalid destination" }));
        await apply(event({ row: 5, messageId: "m5", eventType: "TEXT_UNREACHABLE", isFinal: false }));
        await apply(event({ row: 6, messageId: "m6", eventType: "TEXT_SUCCESSFUL" }));
      }

      function deps(now: number) {
        const puts: Array<{ bucket: string; key: string; json: string }> = [];
        const published: unknown[] = [];
        return {
          puts,
          published,
          deps: {
            files: new DynamoDbReportStateStore(engine.documents, checkpoints),
            rows: deliveries,
            putReport: async (bucket: string, key: string, json: string) => void puts.push({ bucket, key, json }),
            events: { publish: async (e: unknown) => void published.push(e) },
            ...silentObservability(),
            now: () => now,
          },
        };
      }

      async function completeFile(): Promise<void> {
        await new DynamoDbCheckpointStore(engine.documents, checkpoints, 86_400, () => T0).complete(fileIdFor(FILE), FILE, 6, {
          rowsTotal: 6,
          rowsQueued: 5,
          rowsInvalid: 1,
          errorReportKey: `reports/${FILE.key}.errors.csv`,
          fileStatus: "COMPLETED",
        });
      }

      it("counts rows by final status and by reason and lists the rows that failed (the report format)", async () => {
        await setUp();
        const items = await deliveries.readRows(Array.from({ length: 6 }, (_, i) => rowIdFor(FILE, i + 1)));
        expect(items).to.have.length(5);
        const report = buildDeliveryReport(fileOf(), items, T0 + 3_600_000, false);
        expect(report).to.deep.equal({
          reportType: "sms.file.delivery-report",
          ...FILE,
          status: "OPEN",
          generatedAt: new Date(T0 + 3_600_000).toISOString(),
          rows: { total: 6, invalid: 1, queued: 5 },
          counts: { DELIVERED: 2, FAILED: 1, NOT_SENT: 1, PENDING: 1, IN_FLIGHT: 0, NOT_PROCESSED: 0 },
          reasons: {
            "DELIVERED:TEXT_DELIVERED": 1,
            "DELIVERED:TEXT_SUCCESSFUL": 1,
            "FAILED:TEXT_INVALID": 1,
            "NOT_SENT:SKIPPED_OPTED_OUT": 1,
            "PENDING:TEXT_UNREACHABLE": 1,
          },
          failedRows: [
            { row: 2, category: "FAILED", reason: "TEXT_INVALID", description: "Invalid destination" },
            { row: 4, category: "NOT_SENT", reason: "SKIPPED_OPTED_OUT" },
          ],
          failedRowsOmitted: 0,
          errorReportKey: `reports/${FILE.key}.errors.csv`,
        });
      });

      it("keeps the report open while a row is pending and looks again later; publishes it (report object, then event) when every row is final", async () => {
        await setUp();
        await completeFile();
        const files = new DynamoDbReportStateStore(engine.documents, checkpoints);
        const [open] = await files.openFiles();
        expect(open).to.deep.equal(fileOf());
        const first = deps(T0 + 3_600_000);
        expect(await reportFile(open!, { deadlineMs: 72 * 3_600_000, reportPrefix: "reports/" }, first.deps)).to.equal("scheduled");
        expect(first.puts).to.deep.equal([]);
        const [scheduled] = await files.openFiles();
        expect(scheduled!.nextReportCheckAt).to.equal(T0 + 3_600_000 + 30 * 60_000);
        expect(await reportFile(scheduled!, { deadlineMs: 72 * 3_600_000, reportPrefix: "reports/" }, deps(T0 + 3_600_000 + 60_000).deps)).to.equal("not-due");

        // The temporary row is delivered at last (isFinal).
        await apply(event({ row: 5, messageId: "m5", eventType: "TEXT_DELIVERED", eventTimestamp: T0 + 7_200_000 }));
        const second = deps(T0 + 4 * 3_600_000);
        expect(await reportFile(scheduled!, { deadlineMs: 72 * 3_600_000, reportPrefix: "reports/" }, second.deps)).to.equal("published");
        expect(second.puts.map((p) => [p.bucket, p.key])).to.deep.equal([[FILE.bucket, `reports/${FILE.key}.delivery.json`]]);
        const report = JSON.parse(second.puts[0]!.json) as { status: string; counts: Record<string, number> };
        expect(report.status).to.equal("FINAL");
        expect(report.counts).to.deep.equal({ DELIVERED: 3, FAILED: 1, NOT_SENT: 1, PENDING: 0, IN_FLIGHT: 0, NOT_PROCESSED: 0 });
        expect(second.published).to.deep.equal([
          {
            eventType: "sms.file.delivery-report",
            eventId: fileIdFor(FILE),
            status: "FINAL",
            ...FILE,
            reportKey: `reports/${FILE.key}.delivery.json`,
            counts: report.counts,
            reasons: { "DELIVERED:TEXT_DELIVERED": 2, "DELIVERED:TEXT_SUCCESSFUL": 1, "FAILED:TEXT_INVALID": 1, "NOT_SENT:SKIPPED_OPTED_OUT": 1 },
          },
        ]);
        // Closed: the next run does not see the file again.
        expect(await files.openFiles()).to.deep.equal([]);
      });

      it("publishes at the deadline with the rows still open, never before 72 hours by default", async () => {
        await setUp();
        await completeFile();
        const files = new DynamoDbReportStateStore(engine.documents, checkpoints);
        const config = loadReporterConfig({ CHECKPOINT_TABLE_NAME: checkpoints, OUTCOME_TABLE_NAME: outcomes, EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:t" });
        expect(config.deadlineMs).to.equal(72 * 3_600_000);
        expect(() => loadReporterConfig({ CHECKPOINT_TABLE_NAME: "c", OUTCOME_TABLE_NAME: "o", EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:t", REPORT_DEADLINE_HOURS: "24" })).to.throw("REPORT_DEADLINE_HOURS");
        const [open] = await files.openFiles();
        const beforeDeadline = deps(T0 + 72 * 3_600_000 - 1);
        expect(await reportFile(open!, config, beforeDeadline.deps)).to.equal("scheduled");
        expect((await files.openFiles())[0]!.nextReportCheckAt).to.equal(T0 + 72 * 3_600_000);
        const atDeadline = deps(T0 + 72 * 3_600_000);
        expect(await reportFile(open!, config, atDeadline.deps)).to.equal("deadline");
        expect(atDeadline.published).to.have.length(1);
        expect(atDeadline.published[0]).to.include({ status: "DEADLINE_PASSED" });
        expect((atDeadline.published[0] as { counts: Record<string, number> }).counts).to.include({ PENDING: 1 });
        expect(await files.openFiles()).to.deep.equal([]);
      });

      it("looks at an open file at half its age, between 10 minutes and 12 hours, never after its deadline", () => {
        const hour = 3_600_000;
        expect(nextCheckAt({ completedAt: 0 }, 60_000, 72 * hour)).to.equal(60_000 + 10 * 60_000);
        expect(nextCheckAt({ completedAt: 0 }, 4 * hour, 72 * hour)).to.equal(6 * hour);
        expect(nextCheckAt({ completedAt: 0 }, 48 * hour, 72 * hour)).to.equal(60 * hour);
        expect(nextCheckAt({ completedAt: 0 }, 70 * hour, 72 * hour)).to.equal(72 * hour);
      });

      it("resolves an UNKNOWN send with its delivery event, and counts rows not yet claimed", () => {
        const base: RowOutcome = { rowId: "r", row: 1, status: "UNKNOWN" };
        expect(categorize(base)).to.deep.equal({ category: "NOT_SENT", reason: "UNKNOWN" });
        expect(categorize({ ...base, deliveryOutcome: "DELIVERED", deliveryStatus: "TEXT_DELIVERED" })).to.deep.equal({ category: "DELIVERED", reason: "TEXT_DELIVERED" });
        expect(categorize({ ...base, status: "RETRYING" })).to.deep.equal({ category: "IN_FLIGHT", reason: "RETRYING" });
        expect(categorize({ ...base, status: "FAILED", errorName: "ValidationException" })).to.deep.equal({ category: "NOT_SENT", reason: "FAILED:ValidationException" });
        const report = buildDeliveryReport(fileOf({ rowsQueued: 3 }), [{ ...base, status: "SENT", deliveryOutcome: "DELIVERED", deliveryStatus: "TEXT_DELIVERED" }], T0, true);
        expect(report).to.deep.include({ status: "DEADLINE_PASSED" });
        expect(report.counts).to.include({ DELIVERED: 1, NOT_PROCESSED: 2 });
        expect(report.reasons).to.include({ "NOT_PROCESSED:NOT_CLAIMED": 2 });
      });
    });

    it("records a final failure type on a sent row as FAILED with its reason", async () => {
      await engine.documents.send(new PutCommand({ TableName: outcomes, Item: { rowId: rowIdFor(FILE, 7), status: "SENT", messageId: "m7" } }));
      expect((await apply(event({ row: 7, messageId: "m7", eventType: "TEXT_SPAM" }))).row).to.equal("recorded");
      expect(await row(7)).to.include({ deliveryOutcome: "FAILED", deliveryStatus: "TEXT_SPAM" });
    });
  });
});
