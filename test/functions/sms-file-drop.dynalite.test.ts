/**
 * The SMS file drop's DynamoDB adapters (outcome store, checkpoint store) and the sender's send
 * guard, run against dynalite: a real engine that rejects reserved words, bad conditions and key
 * schemas, which the SDK mocks in sms-file-drop-sender.test.ts accept. Tables are created from the
 * shared schemas the component creates its tables from. dynalite has no TTL; nothing here relies
 * on expiry (lease expiry is an attribute the adapters compare themselves).
 */
import { PinpointSMSVoiceV2Client, SendTextMessageCommand, ThrottlingException } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { EndUserMessagingSmsSender } from "../../functions/shared/sms/sms-send";
import { SMS_FILE_CHECKPOINT_TABLE, SMS_OUTCOME_TABLE } from "../../functions/shared/runtime/tables";
import { TokenBucketRegistry } from "../../functions/shared/sms/token-bucket";
import { DynamoDbCheckpointStore, DynamoDbOutcomeStore, type ClaimRequest, type DeadLetterReason } from "../../functions/sms-file-drop/adapters";
import { loadSenderConfig } from "../../functions/sms-file-drop/config";
import { redriveMaxReceiveCount } from "../../functions/sms-file-drop/contract";
import { rowIdFor, type QueuedSms } from "../../functions/sms-file-drop/message";
import { MAX_THROTTLE_RETRIES } from "../../functions/sms-file-drop/send-record";
import { startDynalite, type DynaliteEngine } from "../engines/dynalite";
import { fakeContext, silentObservability, withEnv } from "./sms-test-helpers";

const NOW = Date.parse("2026-03-02T17:50:00.000Z");
const FILE = { bucket: "sms-drop-bucket", key: "files/campaign.csv", etag: "0123456789abcdef0123456789abcdef" };
const LONG_CODE = "+12065550199";
const TTL = 90 * 86_400;

function queued(row: number, overrides: Partial<QueuedSms> = {}): QueuedSms {
  return {
    destination: `+1206555${String(100 + row).padStart(4, "0")}`,
    body: `Message ${row}`,
    originationIdentity: LONG_CODE,
    messageType: "TRANSACTIONAL",
    context: { external_campaign_id: "c", id_1: "", id_2: "", sourceBucket: FILE.bucket, sourceKey: FILE.key, row },
    rowId: rowIdFor(FILE, row),
    ...overrides,
  };
}

type SenderModule = typeof import("../../functions/sms-file-drop/sender.js");

describe("SMS file drop on DynamoDB (dynalite)", () => {
  let engine: DynaliteEngine;
  let outcomeTable: string;
  let checkpointTable: string;
  let clock: number;
  const now = () => clock;

  before(async () => {
    engine = await startDynalite();
  });
  after(async () => engine.stop());
  beforeEach(async () => {
    clock = NOW;
    outcomeTable = await engine.createTable(SMS_OUTCOME_TABLE, "outcomes");
    checkpointTable = await engine.createTable(SMS_FILE_CHECKPOINT_TABLE, "checkpoints");
  });

  const item = async (table: string, key: Record<string, string>) =>
    (await engine.documents.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;

  describe("outcome store", () => {
    const store = () => new DynamoDbOutcomeStore(engine.documents, outcomeTable, TTL, now);
    const claimOf = (row: number, claimToken: string, leaseUntil = NOW + 60_000): ClaimRequest => ({ rowId: rowIdFor(FILE, row), claimToken, leaseUntil, message: queued(row) });

    it("claims a new row, then records SENT with its segments (a reserved word) and releases the claim", async () => {
      expect(await store().claim(claimOf(1, "t1"))).to.deep.equal({ claimed: true, attempts: 1, takenOver: false });
      expect(await store().finish({ rowId: rowIdFor(FILE, 1), claimToken: "t1", status: "SENT", messageId: "m-1", segments: 2 })).to.equal(true);
      expect(await item(outcomeTable, { rowId: rowIdFor(FILE, 1) })).to.deep.equal({
        rowId: rowIdFor(FILE, 1),
        status: "SENT",
        messageId: "m-1",
        segments: 2,
        attempts: 1,
        originationIdentity: LONG_CODE,
        messageType: "TRANSACTIONAL",
        sourceBucket: FILE.bucket,
        sourceKey: FILE.key,
        row: 1,
        updatedAt: "2026-03-02T17:50:00.000Z",
        expiration: Math.floor(NOW / 1000) + TTL,
      });
    });

    it("never claims a row in a final status again", async () => {
      for (const [row, status] of [[1, "SENT"], [2, "FAILED"], [3, "SKIPPED_OPTED_OUT"], [4, "REJECTED"], [5, "UNKNOWN"]] as const) {
        await store().claim(claimOf(row, `a${row}`));
        await store().finish({ rowId: rowIdFor(FILE, row), claimToken: `a${row}`, status, errorName: "E", errorMessage: "m" });
        expect(await store().claim(claimOf(row, `b${row}`)), status).to.deep.equal({ claimed: false, status });
      }
    });

    it("lets exactly one of two racing deliveries claim a row", async () => {
      const results = await Promise.all(["x", "y", "z"].map((token) => store().claim(claimOf(1, token))));
      expect(results.filter((r) => r.claimed)).to.have.length(1);
      expect(results.filter((r) => !r.claimed)).to.deep.equal([
        { claimed: false, status: "SENDING" },
        { claimed: false, status: "SENDING" },
      ]);
    });

    it("refuses a live lease, takes over an expired one (reporting the takeover), and ignores the dead holder's late write", async () => {
      await store().claim(claimOf(1, "dead", NOW + 1000));
      expect(await store().claim(claimOf(1, "early"))).to.deep.equal({ claimed: false, status: "SENDING" });
      clock = NOW + 1001;
      expect(await store().claim(claimOf(1, "next", clock + 60_000))).to.deep.equal({ claimed: true, attempts: 2, takenOver: true });
      expect(await store().finish({ rowId: rowIdFor(FILE, 1), claimToken: "dead", status: "SENT", messageId: "late" })).to.equal(false);
      expect(await store().finish({ rowId: rowIdFor(FILE, 1), claimToken: "next", status: "UNKNOWN", errorName: "PreviousDeliveryUnfinished", errorMessage: "m" })).to.equal(true);
      expect(await item(outcomeTable, { rowId: rowIdFor(FILE, 1) })).to.include({ status: "UNKNOWN", attempts: 2 }).and.not.have.property("messageId");
    });

    it("re-claims a RETRYING row without a takeover, counting attempts, and resets the count when asked", async () => {
      for (let attempt = 1; attempt <= 3; attempt++) {
        expect(await store().claim(claimOf(1, `t${attempt}`))).to.deep.equal({ claimed: true, attempts: attempt, takenOver: false });
        await store().finish({ rowId: rowIdFor(FILE, 1), claimToken: `t${attempt}`, status: "RETRYING", errorName: "ThrottlingException", errorMessage: "slow down", resetAttempts: attempt === 3 });
      }
      expect(await item(outcomeTable, { rowId: rowIdFor(FILE, 1) })).to.include({ status: "RETRYING", attempts: 0, errorName: "ThrottlingException" });
      expect(await store().claim(claimOf(1, "t4"))).to.deep.equal({ claimed: true, attempts: 1, takenOver: false });
    });
  });

  describe("checkpoint store", () => {
    const store = () => new DynamoDbCheckpointStore(engine.documents, checkpointTable, 30 * 86_400, now);
    const fileId = `${FILE.bucket}/${FILE.key}/${FILE.etag}`;

    it("saves progress that never moves backwards, even when saves race", async () => {
      expect(await store().get(fileId)).to.equal(undefined);
      await store().saveProgress(fileId, FILE, 10);
      await store().saveProgress(fileId, FILE, 5);
      expect(await store().get(fileId)).to.deep.equal({ fileId, status: "IN_PROGRESS", lastRow: 10 });
      await Promise.all([30, 20, 25, 10].map((row) => store().saveProgress(fileId, FILE, row)));
      expect(await store().get(fileId)).to.deep.equal({ fileId, status: "IN_PROGRESS", lastRow: 30 });
    });

    it("completes a file with its totals, after which progress is ignored", async () => {
      await store().saveProgress(fileId, FILE, 10);
      await store().complete(fileId, FILE, 12, { rowsTotal: 13, rowsQueued: 12, rowsInvalid: 1, errorReportKey: null, fileStatus: "COMPLETED" });
      await store().saveProgress(fileId, FILE, 50);
      expect(await store().get(fileId)).to.deep.equal({ fileId, status: "COMPLETE", lastRow: 12 });
      expect(await item(checkpointTable, { fileId })).to.deep.equal({
        fileId,
        status: "COMPLETE",
        fileStatus: "COMPLETED",
        lastRow: 12,
        rowsTotal: 13,
        rowsQueued: 12,
        rowsInvalid: 1,
        errorReportKey: null,
        bucket: FILE.bucket,
        key: FILE.key,
        etag: FILE.etag,
        updatedAt: "2026-03-02T17:50:00.000Z",
        expiration: Math.floor(NOW / 1000) + 30 * 86_400,
      });
    });
  });

  describe("sender", () => {
    let mod: SenderModule;
    const smsV2 = mockClient(PinpointSMSVoiceV2Client);
    let metricNames: string[];
    let deadLettered: Array<{ messageId: string; reason: DeadLetterReason }>;

    before(async () => {
      mod = await withEnv({ POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true", ORIGINATION_IDENTITIES: JSON.stringify([{ identity: LONG_CODE, mps: 1000 }]), OUTCOME_TABLE_NAME: "x" }, () =>
        import("../../functions/sms-file-drop/sender.js"),
      );
    });
    beforeEach(() => {
      smsV2.reset();
      let n = 0;
      smsV2.on(SendTextMessageCommand).callsFake(() => ({ MessageId: `sms-${++n}` }));
      deadLettered = [];
    });
    after(() => smsV2.restore());

    function build(env: Record<string, string> = {}, deadLetters?: { send(record: SQSRecord, reason: DeadLetterReason): Promise<void> }) {
      const config = loadSenderConfig({ ORIGINATION_IDENTITIES: JSON.stringify([{ identity: LONG_CODE, mps: 1000 }]), OUTCOME_TABLE_NAME: outcomeTable, ...env });
      const observability = silentObservability();
      metricNames = observability.metricNames;
      const handler = mod.createSenderHandler(
        config,
        {
          outcomes: new DynamoDbOutcomeStore(engine.documents, outcomeTable, config.outcomeTtlSeconds),
          sms: new EndUserMessagingSmsSender(new PinpointSMSVoiceV2Client({ region: "us-east-1" })),
          buckets: new TokenBucketRegistry(config.identityRates, { clock: () => 0, sleep: async () => undefined }),
          sleep: async () => undefined,
          deadLetters: deadLetters ?? {
            send: async (record: SQSRecord, reason: DeadLetterReason) => {
              deadLettered.push({ messageId: record.messageId, reason });
            },
          },
        },
        observability,
      );
      return (records: Array<{ messageId: string; message: QueuedSms; receiveCount?: number }>) =>
        handler(
          {
            Records: records.map(({ messageId, message, receiveCount }) => ({
              messageId,
              body: JSON.stringify(message),
              attributes: { MessageGroupId: message.originationIdentity, ApproximateReceiveCount: String(receiveCount ?? 1) },
            })),
          },
          fakeContext(60_000),
        );
    }
    const sends = () => smsV2.commandCalls(SendTextMessageCommand).map((c) => c.args[0].input.DestinationPhoneNumber);

    it("records SENT and does not text a redelivered row again", async () => {
      const invoke = build();
      expect(await invoke([{ messageId: "m1", message: queued(1) }])).to.deep.equal({ batchItemFailures: [] });
      expect(await item(outcomeTable, { rowId: rowIdFor(FILE, 1) })).to.include({ status: "SENT", messageId: "sms-1", segments: 1 });
      expect(await invoke([{ messageId: "m1", message: queued(1) }])).to.deep.equal({ batchItemFailures: [] });
      expect(sends()).to.deep.equal([queued(1).destination]);
      expect(metricNames).to.include("DuplicateSkipped");
    });

    const expiredClaim = (row: number) =>
      engine.documents.send(new PutCommand({ TableName: outcomeTable, Item: { rowId: rowIdFor(FILE, row), status: "SENDING", claimToken: "dead", leaseUntil: Date.now() - 1000, attempts: 1 } }));

    it("at-most-once: records UNKNOWN instead of sending a row whose earlier delivery died while sending", async () => {
      await expiredClaim(1);
      expect(await build()([{ messageId: "m1", message: queued(1) }])).to.deep.equal({ batchItemFailures: [] });
      expect(sends()).to.deep.equal([]);
      expect(await item(outcomeTable, { rowId: rowIdFor(FILE, 1) })).to.include({ status: "UNKNOWN", errorName: "PreviousDeliveryUnfinished", attempts: 2 });
      expect(metricNames).to.include("SendOutcomeUnknown");
    });

    it("at-least-once: sends a row whose earlier delivery died while sending", async () => {
      await expiredClaim(1);
      expect(await build({ SEND_GUARANTEE: "at-least-once" })([{ messageId: "m1", message: queued(1) }])).to.deep.equal({ batchItemFailures: [] });
      expect(sends()).to.deep.equal([queued(1).destination]);
      expect(await item(outcomeTable, { rowId: rowIdFor(FILE, 1) })).to.include({ status: "SENT" });
      expect(metricNames).to.include("ClaimTakenOver");
    });

    /**
     * SQS FIFO as Lambda's poller sees it, for one message group: each receive hands out up to 10
     * messages from the front of the group and counts a receive for each; failed ones stay; a
     * message whose receive count has reached the redrive policy's maxReceiveCount is moved to the
     * DLQ instead of being received again.
     */
    async function simulate(invoke: ReturnType<typeof build>, messages: QueuedSms[], maxReceiveCount: number) {
      const queue = messages.map((message, i) => ({ messageId: `msg-${i + 1}`, message, receiveCount: 0 }));
      const movedBySqs: string[] = [];
      for (let receive = 0; queue.length > 0 && receive < 1000; receive++) {
        const batch: typeof queue = [];
        while (batch.length < 10 && batch.length < queue.length) {
          const next = queue[batch.length]!;
          if (next.receiveCount >= maxReceiveCount) {
            movedBySqs.push(next.messageId);
            queue.splice(batch.length, 1);
            continue;
          }
          next.receiveCount += 1;
          batch.push(next);
        }
        if (batch.length === 0) continue;
        const failed = new Set((await invoke(batch)).batchItemFailures.map((f) => f.itemIdentifier));
        for (const m of batch) if (!failed.has(m.messageId)) queue.splice(queue.indexOf(m), 1);
      }
      return movedBySqs;
    }

    it("moves only the failing head of a group to the DLQ, after its own attempts, and sends every message behind it", async () => {
      const messages = Array.from({ length: 10 }, (_, i) => queued(i + 1));
      smsV2.on(SendTextMessageCommand, { DestinationPhoneNumber: messages[0]!.destination }).rejects(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }));
      const movedBySqs = await simulate(build({ MAX_ATTEMPTS: "5" }), messages, redriveMaxReceiveCount(5, 10));

      const attempts = (destination: string) => sends().filter((d) => d === destination).length;
      expect(movedBySqs, "moved to the DLQ by SQS, untried").to.deep.equal([]);
      expect(deadLettered).to.deep.equal([{ messageId: "msg-1", reason: "MaxAttemptsExceeded" }]);
      // 5 attempts (claims), each sending once and retrying the throttle MAX_THROTTLE_RETRIES times in the invocation.
      expect(attempts(messages[0]!.destination)).to.equal(5 * (MAX_THROTTLE_RETRIES + 1));
      expect(messages.slice(1).map((m) => attempts(m.destination))).to.deep.equal(Array(9).fill(1));
      expect(metricNames).to.include("MovedToDeadLetterQueue");
      // The DLQ'd row can be redriven: it is RETRYING with a fresh attempt count.
      expect(await item(outcomeTable, { rowId: messages[0]!.rowId })).to.include({ status: "RETRYING", attempts: 0 });
    });

    it("keeps the head for another receive when moving it to the DLQ fails, losing nothing", async () => {
      smsV2.on(SendTextMessageCommand).rejects(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }));
      const down = { send: async () => Promise.reject(Object.assign(new Error("down"), { name: "InternalError" })) };
      const response = await build({ MAX_ATTEMPTS: "1" }, down)([1, 2].map((row) => ({ messageId: `m${row}`, message: queued(row) })));
      expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m1" }, { itemIdentifier: "m2" }] });
      expect(await item(outcomeTable, { rowId: rowIdFor(FILE, 1) })).to.include({ status: "RETRYING" });
    });
  });
});
