import { expect } from "chai";
import { PinpointClient, SendMessagesCommand } from "@aws-sdk/client-pinpoint";
import {
  ConflictException,
  PinpointSMSVoiceV2Client,
  SendTextMessageCommand,
  ThrottlingException,
  ValidationException,
  type SendTextMessageCommandInput,
} from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { loadSenderConfig } from "../../functions/sms-file-drop/config";
import { PERMANENT_FAILURE_CHECK_MAX_AGE_MS, rowIdFor, type QueuedSms } from "../../functions/sms-file-drop/message";
import { AdaptiveLimiter } from "../../functions/shared/rate/adaptive-limiter";
import { LimiterRetryStrategy } from "../../functions/shared/rate/sdk";
import { MAX_THROTTLE_RETRIES } from "../../functions/sms-file-drop/send-record";
import { fakeContext, FakeDocumentTables, fixtureJson, freezeNow, silentObservability, withEnv } from "./sms-test-helpers";

const ENV = {
  ORIGINATION_IDENTITIES: JSON.stringify([
    { identity: "+12065550199", mps: 1 },
    { identity: "pool-0123456789abcdef", mps: 20 },
  ]),
  OUTCOME_TABLE_NAME: "sms-outcomes",
  PREFERENCE_TABLE_NAME: "sms-preferences",
  CONFIGURATION_SET_NAME: "file-drop",
};
const LONG_CODE = "+12065550199";
const POOL = "pool-0123456789abcdef";
const FILE = { bucket: "sms-drop-bucket", key: "files/sample_file.csv", etag: "0123456789abcdef0123456789abcdef" };
const NOW = Date.parse("2026-03-02T17:50:00.000Z");

type Module = typeof import("../../functions/sms-file-drop/sender.js");
type SqsRecordFixture = { messageId: string; body: string; attributes: Record<string, string> };

function queued(row: number, overrides: Partial<QueuedSms> = {}): QueuedSms {
  return {
    destination: `+1206555${String(100 + row).padStart(4, "0")}`,
    body: `Message ${row}`,
    originationIdentity: LONG_CODE,
    messageType: "TRANSACTIONAL",
    context: { external_campaign_id: "12345", id_1: `a${row}`, id_2: "", sourceBucket: FILE.bucket, sourceKey: FILE.key, row },
    rowId: rowIdFor(FILE, row),
    ...overrides,
  };
}

/** A real-shaped SQS FIFO event (from the fixture) carrying `messages` in order. */
function sqsEvent(messages: Array<QueuedSms | { raw: string; group: string }>): { Records: SqsRecordFixture[] } {
  const template = fixtureJson<{ Records: SqsRecordFixture[] }>("sqs-fifo-event.json").Records[0]!;
  return {
    Records: messages.map((m, i) => {
      const raw = "raw" in m;
      return {
        ...structuredClone(template),
        messageId: `msg-${i + 1}`,
        body: raw ? m.raw : JSON.stringify(m),
        attributes: { ...template.attributes, MessageGroupId: raw ? m.group : m.originationIdentity, MessageDeduplicationId: raw ? `dedup-${i}` : m.rowId },
      };
    }),
  };
}

describe("SMS file drop sender", () => {
  let mod: Module;
  const smsV2 = mockClient(PinpointSMSVoiceV2Client);
  const pinpoint = mockClient(PinpointClient);
  const documents = mockClient(DynamoDBDocumentClient);
  const sqs = mockClient(SQSClient);
  let tables: FakeDocumentTables;
  let unfreeze: () => void;
  let sleeps: number[];
  let writeSleeps: number[];
  let metricNames: string[];

  before(async () => {
    mod = await withEnv({ ...ENV, POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" }, () => import("../../functions/sms-file-drop/sender.js"));
  });

  beforeEach(() => {
    for (const m of [smsV2, pinpoint, documents, sqs]) m.reset();
    tables = new FakeDocumentTables(documents, { "sms-outcomes": "rowId", "sms-preferences": "phoneNumber" });
    let n = 0;
    smsV2.on(SendTextMessageCommand).callsFake(() => ({ MessageId: `sms-${++n}` }));
    unfreeze = freezeNow(NOW);
  });

  afterEach(() => unfreeze());
  // The mocks stub the clients' prototypes: restore them, or later files' clients (a send step's
  // DynamoDB reads in another architecture's test) talk to these stubs.
  after(() => {
    for (const m of [smsV2, pinpoint, documents, sqs]) m.restore();
  });

  function build(overrides: Record<string, string> = {}) {
    const config = loadSenderConfig({ ...ENV, ...overrides });
    const observability = silentObservability();
    metricNames = observability.metricNames;
    sleeps = [];
    let simulated = NOW;
    // The production limiter, on a simulated clock (its sleeps advance it at once).
    const buckets = new AdaptiveLimiter({
      namespace: "sms",
      ceilings: config.identityRates,
      clock: () => simulated,
      sleep: async (ms) => {
        sleeps.push(ms);
        simulated += ms;
      },
    });
    let token = 0;
    writeSleeps = [];
    const sleep = async (ms: number) => {
      writeSleeps.push(ms);
    };
    const handler = mod.createSenderHandler(config, { ...mod.createSenderPorts(config), buckets, sleep, newClaimToken: () => `claim-${++token}` }, observability);
    return (event: unknown) => handler(event, fakeContext(60_000));
  }

  function sentTo(): Array<[string | undefined, string | undefined]> {
    return smsV2.commandCalls(SendTextMessageCommand).map((c) => [c.args[0].input.DestinationPhoneNumber, c.args[0].input.OriginationIdentity]);
  }

  function outcome(row: number): Record<string, unknown> | undefined {
    return tables.get("sms-outcomes", rowIdFor(FILE, row));
  }

  it("sends each record from its own origination identity with its own message type", async () => {
    const messages = [queued(1), queued(2, { originationIdentity: POOL, messageType: "PROMOTIONAL" }), queued(3)];
    const response = await build()(sqsEvent(messages));

    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(smsV2.commandCalls(SendTextMessageCommand).map((c) => c.args[0].input)).to.deep.equal(
      messages.map(
        (m): SendTextMessageCommandInput => ({
          DestinationPhoneNumber: m.destination,
          OriginationIdentity: m.originationIdentity,
          MessageBody: m.body,
          MessageType: m.messageType,
          ConfigurationSetName: "file-drop",
          Context: { external_campaign_id: "12345", id_1: m.context.id_1, rowId: m.rowId, source: `s3://${FILE.bucket}/${FILE.key}#${m.context.row}` },
        }),
      ),
    );
    expect(outcome(2)).to.include({ status: "SENT", messageId: "sms-2", segments: 1, originationIdentity: POOL });
  });

  it("records the claim and the outcome with conditional writes", async () => {
    await build()(sqsEvent([queued(1)]));
    const writes = documents.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(writes).to.deep.equal([
      {
        TableName: "sms-outcomes",
        Key: { rowId: rowIdFor(FILE, 1) },
        UpdateExpression:
          "SET #status = :sending, claimToken = :claimToken, leaseUntil = :leaseUntil, attempts = if_not_exists(attempts, :zero) + :one, originationIdentity = :identity, messageType = :messageType, sourceBucket = :sourceBucket, sourceKey = :sourceKey, #row = :row, updatedAt = :updatedAt, expiration = :expiration",
        ConditionExpression: "attribute_not_exists(rowId) OR #status = :retrying OR (#status = :sending AND leaseUntil < :now)",
        ExpressionAttributeNames: { "#status": "status", "#row": "row" },
        ExpressionAttributeValues: {
          ":sending": "SENDING",
          ":retrying": "RETRYING",
          ":claimToken": "claim-1",
          ":leaseUntil": NOW + 60_000 + 5_000,
          ":now": NOW,
          ":zero": 0,
          ":one": 1,
          ":identity": LONG_CODE,
          ":messageType": "TRANSACTIONAL",
          ":sourceBucket": FILE.bucket,
          ":sourceKey": FILE.key,
          ":row": 1,
          ":updatedAt": "2026-03-02T17:50:00.000Z",
          ":expiration": Math.floor(NOW / 1000) + 90 * 86_400,
        },
        ReturnValues: "UPDATED_OLD",
      },
      {
        TableName: "sms-outcomes",
        Key: { rowId: rowIdFor(FILE, 1) },
        // segments is a DynamoDB reserved word: it must go through a name placeholder.
        UpdateExpression: "SET #status = :status, updatedAt = :updatedAt, #messageId = :messageId, #segments = :segments REMOVE claimToken, leaseUntil",
        ConditionExpression: "claimToken = :claimToken",
        ExpressionAttributeNames: { "#status": "status", "#messageId": "messageId", "#segments": "segments" },
        ExpressionAttributeValues: { ":status": "SENT", ":updatedAt": "2026-03-02T17:50:00.000Z", ":claimToken": "claim-1", ":messageId": "sms-1", ":segments": 1 },
      },
    ]);
    expect(outcome(1)).to.include({ status: "SENT", attempts: 1 });
    expect(outcome(1)).not.to.have.property("claimToken");
  });

  it("when a record is still throttled after its in-invocation retries, fails it and the later records of its group, and keeps sending other groups", async () => {
    // Group a is the 20 MPS pool, so its 21 lowered-rate retries fit the invocation's send deadline.
    const a1 = queued(1, { originationIdentity: POOL });
    const b1 = queued(2);
    const a2 = queued(3, { originationIdentity: POOL });
    const a3 = queued(4, { originationIdentity: POOL });
    const b2 = queued(5);
    smsV2.on(SendTextMessageCommand, { DestinationPhoneNumber: a2.destination }).rejects(
      new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }),
    );
    const response = await build()(sqsEvent([a1, b1, a2, a3, b2]));

    expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "msg-3" }, { itemIdentifier: "msg-4" }] });
    expect(sentTo()).to.deep.equal([
      [a1.destination, POOL],
      [b1.destination, LONG_CODE],
      ...Array.from({ length: MAX_THROTTLE_RETRIES + 1 }, () => [a2.destination, POOL] as [string, string]),
      [b2.destination, LONG_CODE],
    ]);
    expect(outcome(3)).to.include({ status: "RETRYING", errorName: "ThrottlingException" });
    expect(outcome(4)).to.equal(undefined);
    expect(outcome(5)).to.include({ status: "SENT" });
    expect(metricNames).to.include("SmsThrottled");
  });

  it("waits out a throttle inside the invocation at the lowered rate and sends the record, instead of returning it to SQS", async () => {
    smsV2
      .on(SendTextMessageCommand)
      .rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }))
      .resolves({ MessageId: "later" });
    const invoke = build();
    expect(await invoke(sqsEvent([queued(1)]))).to.deep.equal({ batchItemFailures: [] });
    expect(outcome(1)).to.include({ status: "SENT", messageId: "later", attempts: 1 });
    // 1 MPS lowered to 0.9: the retry waits one interval at the new rate (1111 ms), not a visibility timeout.
    expect(sleeps).to.deep.equal([1112]);
    expect(metricNames).to.include("SmsThrottled");
  });

  it("hands a record back to SQS, unsent, when the rate wait would pass the invocation's send deadline", async () => {
    const config = loadSenderConfig(ENV);
    const observability = silentObservability();
    // The long code's next slot is 4 s away (a 4-part message just went at 1 MPS); the invocation
    // has 4 s left, so its send deadline (a quarter of that earlier) comes first.
    const buckets = new AdaptiveLimiter({ namespace: "sms", ceilings: config.identityRates, clock: () => Date.now(), sleep: async () => undefined });
    await buckets.acquire(LONG_CODE, 4);
    const handler = mod.createSenderHandler(config, { ...mod.createSenderPorts(config), buckets, newClaimToken: () => "claim-1" }, observability);
    const response = await handler(sqsEvent([queued(1), queued(2, { originationIdentity: POOL })]), fakeContext(4_000));
    expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "msg-1" }] });
    expect(sentTo()).to.deep.equal([[queued(2).destination, POOL]]);
    expect(outcome(1)).to.include({ status: "RETRYING", errorName: "RateWaitExceeded" });
    expect(observability.metricNames).to.include("RateWaitExceeded");
  });

  it("records a non-retryable error and does not retry it", async () => {
    smsV2.on(SendTextMessageCommand, { DestinationPhoneNumber: queued(1).destination }).rejects(
      new ValidationException({ message: "Invalid destination", $metadata: { httpStatusCode: 400 }, Reason: "INVALID_PARAMETER" }),
    );
    const response = await build()(sqsEvent([queued(1), queued(2)]));
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(outcome(1)).to.include({ status: "FAILED", errorName: "ValidationException", errorMessage: "Invalid destination" });
    expect(outcome(2)).to.include({ status: "SENT" });
  });

  it("does not send a redelivered row that was already sent (a resumed file re-queued it)", async () => {
    tables.put("sms-outcomes", { rowId: rowIdFor(FILE, 1), status: "SENT", messageId: "earlier" });
    const response = await build()(sqsEvent([queued(1), queued(2)]));
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(sentTo()).to.deep.equal([[queued(2).destination, LONG_CODE]]);
    expect(outcome(1)).to.include({ status: "SENT", messageId: "earlier" });
    expect(metricNames).to.include("DuplicateSkipped");
  });

  // Takeovers of expired leases need the claim's UPDATED_OLD attributes: see sms-file-drop.dynalite.test.ts.
  it("retries later a row another delivery is still sending", async () => {
    tables.put("sms-outcomes", { rowId: rowIdFor(FILE, 1), status: "SENDING", leaseUntil: NOW + 1000, claimToken: "other" });
    const response = await build()(sqsEvent([queued(1), queued(2, { originationIdentity: POOL })]));
    expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "msg-1" }] });
    expect(sentTo()).to.deep.equal([[queued(2).destination, POOL]]);
  });

  const timeout = () => Object.assign(new Error("socket timed out after the request was sent"), { name: "TimeoutError", $metadata: {} });

  it("at-most-once (the default) records a timed-out send UNKNOWN, counts it, and never sends that row again", async () => {
    smsV2.on(SendTextMessageCommand, { DestinationPhoneNumber: queued(1).destination }).rejects(timeout());
    const invoke = build();
    expect(await invoke(sqsEvent([queued(1), queued(2)]))).to.deep.equal({ batchItemFailures: [] });
    expect(outcome(1)).to.include({ status: "UNKNOWN", errorName: "TimeoutError" });
    expect(outcome(2)).to.include({ status: "SENT" });
    expect(metricNames).to.include("SendOutcomeUnknown");
    expect(await invoke(sqsEvent([queued(1)]))).to.deep.equal({ batchItemFailures: [] });
    expect(sentTo().filter(([to]) => to === queued(1).destination)).to.have.length(1);
  });

  it("at-least-once retries a timed-out send like a throttle and sends it on redelivery", async () => {
    smsV2.on(SendTextMessageCommand).rejectsOnce(timeout()).resolves({ MessageId: "again" });
    const invoke = build({ SEND_GUARANTEE: "at-least-once" });
    expect(await invoke(sqsEvent([queued(1), queued(2)]))).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "msg-1" }, { itemIdentifier: "msg-2" }] });
    expect(outcome(1)).to.include({ status: "RETRYING", errorName: "TimeoutError" });
    expect(metricNames).to.include("SendOutcomeUnknown");
    expect(await invoke(sqsEvent([queued(1), queued(2)]))).to.deep.equal({ batchItemFailures: [] });
    expect(outcome(1)).to.include({ status: "SENT", messageId: "again", attempts: 2 });
  });

  it("retries the outcome write after a delivered SMS, and never re-sends it", async () => {
    const invoke = build();
    let failures = 2;
    const failing = documents.on(UpdateCommand, { ExpressionAttributeValues: { ":status": "SENT" } } as never);
    failing.callsFake(() => {
      if (failures-- > 0) throw Object.assign(new Error("busy"), { name: "InternalServerError", $metadata: { httpStatusCode: 500 } });
      tables.put("sms-outcomes", { rowId: rowIdFor(FILE, 1), status: "SENT", messageId: "sms-1" });
      return {};
    });
    expect(await invoke(sqsEvent([queued(1)]))).to.deep.equal({ batchItemFailures: [] });
    expect(documents.commandCalls(UpdateCommand).filter((c) => c.args[0].input.ExpressionAttributeValues?.[":status"] === "SENT")).to.have.length(3);
    expect(writeSleeps).to.deep.equal([100, 200]);
    expect(outcome(1)).to.include({ status: "SENT" });
    expect(metricNames).not.to.include("OutcomeWriteLost");
  });

  it("counts a finally lost outcome write after a delivered SMS and still acknowledges it", async () => {
    const invoke = build();
    documents
      .on(UpdateCommand, { ExpressionAttributeValues: { ":status": "SENT" } } as never)
      .rejects(Object.assign(new Error("busy"), { name: "InternalServerError", $metadata: { httpStatusCode: 500 } }));
    expect(await invoke(sqsEvent([queued(1)]))).to.deep.equal({ batchItemFailures: [] });
    expect(documents.commandCalls(UpdateCommand).filter((c) => c.args[0].input.ExpressionAttributeValues?.[":status"] === "SENT")).to.have.length(4);
    expect(writeSleeps).to.deep.equal([100, 200, 400]);
    expect(metricNames).to.include("OutcomeWriteLost");
    expect(sentTo()).to.have.length(1);
  });

  it("builds the SMS clients with the limiter's retry strategy (send-safe, and throttles surfaced to the limiter)", async () => {
    for (const overrides of [{}, { TARGET: "pinpoint", PINPOINT_APPLICATION_ID: "abc123" }]) {
      const ports = mod.createSenderPorts(loadSenderConfig({ ...ENV, ...overrides }));
      const client = (ports.sms as unknown as { client: { config: { retryStrategy: () => Promise<unknown> } } }).client;
      expect(await client.config.retryStrategy()).to.be.instanceOf(LimiterRetryStrategy);
    }
  });

  it("skips a PROMOTIONAL row to an opted-out number but still sends TRANSACTIONAL ones", async () => {
    const optedOut = queued(1).destination;
    tables.put("sms-preferences", { phoneNumber: optedOut, status: "OPTED_OUT" });
    const response = await build()(sqsEvent([queued(1, { messageType: "PROMOTIONAL" }), queued(2, { destination: optedOut })]));
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(outcome(1)).to.include({ status: "SKIPPED_OPTED_OUT", errorName: "PreferenceOptedOut" });
    expect(sentTo()).to.deep.equal([[optedOut, LONG_CODE]]);
    const read = {
      TableName: "sms-preferences",
      Key: { phoneNumber: optedOut },
      ConsistentRead: true,
      ProjectionExpression: "phoneNumber, #status, lastEventAt, lastInboundMessageId, permanentFailureAt, permanentFailureType",
      ExpressionAttributeNames: { "#status": "status" },
    };
    const preferenceReads = () => documents.commandCalls(GetCommand).filter((c) => c.args[0].input.TableName === "sms-preferences").map((c) => c.args[0].input);
    // The PROMOTIONAL row reads afresh; the TRANSACTIONAL ones are read once for the whole batch, for
    // a recorded permanent delivery failure (SKIP_PERMANENT_FAILURES, default on).
    expect(preferenceReads()).to.deep.equal([read]);
    expect(documents.commandCalls(BatchGetCommand).map((c) => c.args[0].input)).to.deep.equal([
      {
        RequestItems: {
          "sms-preferences": {
            Keys: [{ phoneNumber: optedOut }],
            ConsistentRead: true,
            ProjectionExpression: "phoneNumber, #status, lastEventAt, lastInboundMessageId, permanentFailureAt, permanentFailureType",
            ExpressionAttributeNames: { "#status": "status" },
          },
        },
      },
    ]);
    // With the check off, only PROMOTIONAL rows read the table, as before.
    documents.resetHistory();
    await build({ SKIP_PERMANENT_FAILURES: "false" })(sqsEvent([queued(3, { destination: optedOut, messageType: "PROMOTIONAL" }), queued(4, { destination: optedOut })]));
    expect(preferenceReads()).to.deep.equal([read]);
    expect(documents.commandCalls(BatchGetCommand)).to.have.length(0);
  });

  it("skips a row to a number recorded as failing permanently, read once per batch, and sends the others", async () => {
    tables.put("sms-preferences", { phoneNumber: queued(2).destination, permanentFailureAt: NOW - 1_000, permanentFailureType: "TEXT_INVALID" });
    const response = await build()(sqsEvent([queued(1), queued(2), queued(3)]));
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(outcome(2)).to.include({ status: "SKIPPED_PERMANENT_FAILURE", errorName: "PermanentDeliveryFailure" });
    expect(sentTo().map(([d]) => d)).to.deep.equal([queued(1).destination, queued(3).destination]);
    expect(documents.commandCalls(BatchGetCommand)).to.have.length(1);
    expect(documents.commandCalls(GetCommand).filter((c) => c.args[0].input.TableName === "sms-preferences")).to.have.length(0);
    expect(metricNames).to.include("SkippedPermanentFailure");
  });

  it("a transactional batch needs no preference read when the splitter checked its numbers", async () => {
    // Checked by the splitter 10 minutes ago (within PERMANENT_FAILURE_CHECK_MAX_AGE_MS).
    const checked = NOW - 10 * 60_000;
    const response = await build()(sqsEvent([1, 2, 3].map((row) => queued(row, { permanentFailureCheckedAt: checked }))));
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(sentTo()).to.have.length(3);
    expect(documents.commandCalls(BatchGetCommand)).to.have.length(0);
    expect(documents.commandCalls(GetCommand).filter((c) => c.args[0].input.TableName === "sms-preferences")).to.have.length(0);

    // A PROMOTIONAL row still reads afresh (#8's opt-outs); a stale check and an unchecked row are
    // read once for the batch, and a failure recorded since the (stale) check is honoured.
    documents.resetHistory();
    tables.put("sms-preferences", { phoneNumber: queued(5).destination, permanentFailureAt: NOW - 1_000, permanentFailureType: "TEXT_BLOCKED" });
    await build()(
      sqsEvent([
        queued(4, { messageType: "PROMOTIONAL", permanentFailureCheckedAt: checked }),
        queued(5, { permanentFailureCheckedAt: NOW - PERMANENT_FAILURE_CHECK_MAX_AGE_MS - 1 }),
        queued(6),
        queued(7, { permanentFailureCheckedAt: checked }),
      ]),
    );
    expect(documents.commandCalls(GetCommand).filter((c) => c.args[0].input.TableName === "sms-preferences").map((c) => c.args[0].input.Key)).to.deep.equal([
      { phoneNumber: queued(4).destination },
    ]);
    expect(documents.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems!["sms-preferences"]!.Keys)).to.deep.equal([
      [{ phoneNumber: queued(5).destination }, { phoneNumber: queued(6).destination }],
    ]);
    expect(outcome(5)).to.include({ status: "SKIPPED_PERMANENT_FAILURE", errorName: "PermanentDeliveryFailure" });
    expect(sentTo().slice(3).map(([d]) => d)).to.deep.equal([queued(4).destination, queued(6).destination, queued(7).destination]);
  });

  it("records a send the opt-out list refuses as opted out, without retrying", async () => {
    smsV2.on(SendTextMessageCommand).rejects(new ConflictException({ message: "opted out", $metadata: {}, Reason: "DESTINATION_PHONE_NUMBER_OPTED_OUT" }));
    expect(await build()(sqsEvent([queued(1)]))).to.deep.equal({ batchItemFailures: [] });
    expect(outcome(1)).to.include({ status: "SKIPPED_OPTED_OUT", errorName: "ConflictException" });
  });

  it("rejects a row whose origination identity is not allowed here", async () => {
    const response = await build()(sqsEvent([queued(1, { originationIdentity: "+18005550100" })]));
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(smsV2.calls()).to.have.length(0);
    expect(outcome(1)).to.include({ status: "REJECTED", errorName: "IdentityNotAllowed" });
  });

  it("without a DLQ URL, fails a malformed message and the later records of its group so it reaches the DLQ in order", async () => {
    const response = await build()(sqsEvent([{ raw: "{not json", group: LONG_CODE }, queued(2), queued(3, { originationIdentity: POOL })]));
    expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "msg-1" }, { itemIdentifier: "msg-2" }] });
    expect(sentTo()).to.deep.equal([[queued(3).destination, POOL]]);
    expect(metricNames).to.include("MalformedMessage");
  });

  it("moves a malformed message to the DLQ at once, so the rest of its group is sent", async () => {
    const dlq = "https://sqs.us-east-1.amazonaws.com/123456789012/sms-dlq.fifo";
    sqs.on(SendMessageCommand).resolves({ MessageId: "dlq-1" });
    const response = await build({ DEAD_LETTER_QUEUE_URL: dlq })(sqsEvent([{ raw: "{not json", group: LONG_CODE }, queued(2)]));
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).to.deep.equal([
      {
        QueueUrl: dlq,
        MessageBody: "{not json",
        MessageGroupId: LONG_CODE,
        MessageDeduplicationId: "msg-1",
        MessageAttributes: { reason: { DataType: "String", StringValue: "MalformedMessage" } },
      },
    ]);
    expect(sentTo()).to.deep.equal([[queued(2).destination, LONG_CODE]]);
  });

  it("moves a message that failed on its last attempt to the DLQ itself, so the rest of its group is sent", async () => {
    const dlq = "https://sqs.us-east-1.amazonaws.com/123456789012/sms-dlq.fifo";
    sqs.on(SendMessageCommand).resolves({ MessageId: "dlq-1" });
    smsV2.on(SendTextMessageCommand, { DestinationPhoneNumber: queued(1).destination }).rejects(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }));
    const onPool = (row: number) => queued(row, { originationIdentity: POOL });
    const response = await build({ DEAD_LETTER_QUEUE_URL: dlq, MAX_ATTEMPTS: "1" })(sqsEvent([onPool(1), onPool(2)]));
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).to.deep.equal([
      {
        QueueUrl: dlq,
        MessageBody: JSON.stringify(onPool(1)),
        MessageGroupId: POOL,
        MessageDeduplicationId: "msg-1",
        MessageAttributes: { reason: { DataType: "String", StringValue: "MaxAttemptsExceeded" } },
      },
    ]);
    expect(outcome(1)).to.include({ status: "RETRYING", attempts: 0 });
    expect(outcome(2)).to.include({ status: "SENT" });
  });

  it("fails the malformed message and its group, losing nothing, when the move to the DLQ fails", async () => {
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error("boom"), { name: "InternalError", $metadata: { httpStatusCode: 500 } }));
    const response = await build({ DEAD_LETTER_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/sms-dlq.fifo" })(
      sqsEvent([{ raw: "{not json", group: LONG_CODE }, queued(2)]),
    );
    expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "msg-1" }, { itemIdentifier: "msg-2" }] });
    expect(sentTo()).to.deep.equal([]);
  });

  it("keeps a message for retry when the account cannot send (quota, access, missing configuration set)", async () => {
    for (const name of ["ServiceQuotaExceededException", "AccessDeniedException", "ResourceNotFoundException"]) {
      smsV2.reset();
      smsV2.on(SendTextMessageCommand).rejects(Object.assign(new Error("cannot send"), { name, $metadata: { httpStatusCode: 400 } }));
      const response = await build()(sqsEvent([queued(1)]));
      expect(response, name).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "msg-1" }] });
      expect(outcome(1), name).to.include({ status: "RETRYING", errorName: name });
    }
  });

  it("holds each identity to its configured message parts per second", async () => {
    const long = "a".repeat(200); // 2 parts
    await build()(sqsEvent([queued(1), queued(2, { body: long }), queued(3), queued(4, { originationIdentity: POOL })]));
    // 1 MPS: row 2 waits 1 s for its 2 parts, row 3 waits for both of them; the pool (20 MPS) is not delayed.
    expect(sleeps).to.deep.equal([1000, 2000]);
    expect(outcome(2)).to.include({ segments: 2 });
  });

  it("uses Pinpoint SendMessages with one address and maps the per-address result on the pinpoint target", async () => {
    // The always-throttled row is on the 20 MPS pool, so its lowered-rate retries fit the send deadline.
    const rows = [queued(1), queued(2), queued(3, { originationIdentity: POOL }), queued(4)];
    const status = ["SUCCESSFUL", "PERMANENT_FAILURE", "THROTTLED", "OPT_OUT"];
    pinpoint.on(SendMessagesCommand).callsFake((input: { MessageRequest: { Addresses: Record<string, unknown> } }) => {
      const address = Object.keys(input.MessageRequest.Addresses)[0]!;
      const i = rows.findIndex((r) => r.destination === address);
      return { MessageResponse: { ApplicationId: "abc123", Result: { [address]: { DeliveryStatus: status[i], StatusCode: 200, MessageId: `pp-${i + 1}` } } } };
    });
    const response = await build({ TARGET: "pinpoint", PINPOINT_APPLICATION_ID: "abc123" })(sqsEvent(rows));

    expect(pinpoint.commandCalls(SendMessagesCommand)[0]!.args[0].input).to.deep.equal({
      ApplicationId: "abc123",
      MessageRequest: {
        Addresses: {
          [rows[0]!.destination]: {
            ChannelType: "SMS",
            Context: { external_campaign_id: "12345", id_1: "a1", rowId: rows[0]!.rowId, source: `s3://${FILE.bucket}/${FILE.key}#1` },
          },
        },
        MessageConfiguration: { SMSMessage: { Body: "Message 1", MessageType: "TRANSACTIONAL", OriginationNumber: LONG_CODE } },
      },
    });
    expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "msg-3" }] });
    expect(outcome(1)).to.include({ status: "SENT", messageId: "pp-1" });
    expect(outcome(2)).to.include({ status: "FAILED", errorName: "PERMANENT_FAILURE" });
    expect(outcome(3)).to.include({ status: "RETRYING", errorName: "THROTTLED" });
    expect(outcome(4)).to.include({ status: "SKIPPED_OPTED_OUT", errorName: "OPT_OUT" });
    expect(smsV2.calls()).to.have.length(0);
  });

  it("names the variable in a configuration error", () => {
    expect(() => loadSenderConfig({ ORIGINATION_IDENTITIES: ENV.ORIGINATION_IDENTITIES, TARGET: "pinpoint" })).to.throw(
      "Invalid sms-file-drop sender configuration: OUTCOME_TABLE_NAME: is required; PINPOINT_APPLICATION_ID: is required when TARGET is pinpoint",
    );
    expect(() => loadSenderConfig({ ...ENV, ORIGINATION_IDENTITIES: "not json" })).to.throw("ORIGINATION_IDENTITIES: is not valid JSON");
    expect(() => loadSenderConfig({ ...ENV, ORIGINATION_IDENTITIES: '[{"identity":"my number","mps":1}]' })).to.throw(
      "ORIGINATION_IDENTITIES (at 0.identity): identity must be 1-128 characters without spaces (it is used as the SQS FIFO MessageGroupId)",
    );
  });
});
