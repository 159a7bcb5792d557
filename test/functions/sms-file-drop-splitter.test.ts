import { Readable } from "node:stream";
import { expect } from "chai";
import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { sdkStreamMixin } from "@smithy/util-stream";
import { mockClient } from "aws-sdk-client-mock";
import { loadSplitterConfig, type SplitterConfig } from "../../functions/sms-file-drop/config";
import { rowIdFor } from "../../functions/sms-file-drop/message";
import type { SplitResult } from "../../functions/sms-file-drop/split-file";
import { fakeContext, FakeDocumentTables, fixtureJson, fixtureText, freezeNow, silentObservability, withEnv } from "./sms-test-helpers";

const ENV = {
  QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/sms-file-drop.fifo",
  CHECKPOINT_TABLE_NAME: "sms-checkpoints",
  EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:sms-events",
  ORIGINATION_IDENTITIES: JSON.stringify([
    { identity: "+12065550199", mps: 1 },
    { identity: "pool-0123456789abcdef", mps: 20 },
  ]),
  ENQUEUE_CONCURRENCY: "1",
};
const BUCKET = "sms-drop-bucket";
const KEY = "files/March campaign(2).csv";
const ETAG = "0123456789abcdef0123456789abcdef";
const FILE = { bucket: BUCKET, key: KEY, etag: ETAG };
const NOW = Date.parse("2026-03-02T17:46:00.000Z");

type Module = typeof import("../../functions/sms-file-drop/splitter.js");

function body(text: string | Buffer) {
  return sdkStreamMixin(Readable.from([typeof text === "string" ? Buffer.from(text, "utf8") : text]));
}

function classicEvent(overrides: { key?: string; size?: number; etag?: string } = {}) {
  const event = fixtureJson<{ Records: Array<{ s3: { object: { key: string; size: number; eTag: string } } }> }>("s3-object-created-notification.json");
  const object = event.Records[0]!.s3.object;
  if (overrides.key !== undefined) object.key = overrides.key;
  if (overrides.size !== undefined) object.size = overrides.size;
  if (overrides.etag !== undefined) object.eTag = overrides.etag;
  return event;
}

const HEADER = "sms_number,message,external_campaign_id,short_code,message_type,id_1,id_2";
function rows(n: number, identity = (i: number) => (i % 2 === 0 ? "pool-0123456789abcdef" : "+12065550199")): string {
  const lines = [HEADER];
  for (let i = 1; i <= n; i++) lines.push(`+1206555${String(100 + (i % 100)).padStart(4, "0")},Message ${i},c-1,${identity(i)},TRANSACTIONAL,a${i},b${i}`);
  return lines.join("\n") + "\n";
}

describe("SMS file drop splitter", () => {
  let mod: Module;
  const s3 = mockClient(S3Client);
  after(() => s3.restore());
  const sqs = mockClient(SQSClient);
  after(() => sqs.restore());
  const sns = mockClient(SNSClient);
  after(() => sns.restore());
  const documents = mockClient(DynamoDBDocumentClient);
  after(() => documents.restore());
  let tables: FakeDocumentTables;
  let unfreeze: () => void;
  let metricNames: string[];

  before(async () => {
    mod = await withEnv({ ...ENV, POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" }, () => import("../../functions/sms-file-drop/splitter.js"));
  });

  beforeEach(() => {
    for (const m of [s3, sqs, sns, documents]) m.reset();
    tables = new FakeDocumentTables(documents, { "sms-checkpoints": "fileId" });
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: "x" })),
      Failed: [],
    }));
    s3.on(PutObjectCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: "summary" });
    unfreeze = freezeNow(NOW);
  });

  afterEach(() => unfreeze());

  function build(overrides: Record<string, string> = {}, remainingMs = 600_000, constants: Partial<SplitterConfig> = {}) {
    const config = { ...loadSplitterConfig({ ...ENV, ...overrides }), ...constants };
    const observability = silentObservability();
    metricNames = observability.metricNames;
    const handler = mod.createSplitterHandler(config, { ...mod.createSplitterPorts(config), sleep: async () => undefined, random: () => 0.5 }, observability);
    return (event: unknown) => handler(event, fakeContext(remainingMs));
  }

  function sentEntries(): SendMessageBatchRequestEntry[] {
    return sqs.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries ?? []);
  }

  function summary(): Record<string, unknown> {
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).to.have.length(1);
    return JSON.parse(calls[0]!.args[0].input.Message!) as Record<string, unknown>;
  }

  it("queues the seed sample file: two identical rows become two messages with distinct de-duplication ids", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(fixtureText("sample_file.csv")), ContentLength: 196, ETag: `"${ETAG}"` });
    const results = await build()(classicEvent());

    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).to.deep.equal([{ Bucket: BUCKET, Key: KEY, IfMatch: `"${ETAG}"` }]);
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).to.have.length(1);
    const message = (row: number) => ({
      destination: "+12065550100",
      body: "Here is a long message, with a comma",
      originationIdentity: "+12065550199",
      messageType: "TRANSACTIONAL",
      context: { external_campaign_id: "12345", id_1: "tracking 1", id_2: "tracking2", sourceBucket: BUCKET, sourceKey: KEY, row },
      rowId: rowIdFor(FILE, row),
    });
    expect(calls[0]!.args[0].input).to.deep.equal({
      QueueUrl: ENV.QUEUE_URL,
      Entries: [1, 2].map((row) => ({
        Id: `row-${row}`,
        MessageBody: JSON.stringify(message(row)),
        MessageGroupId: "+12065550199",
        MessageDeduplicationId: rowIdFor(FILE, row),
      })),
    });
    expect(rowIdFor(FILE, 1)).not.to.equal(rowIdFor(FILE, 2));
    expect(s3.commandCalls(PutObjectCommand)).to.have.length(0);
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.MessageAttributes).to.deep.equal({
      eventType: { DataType: "String", StringValue: "sms.file.processed" },
    });
    expect(summary()).to.deep.equal({
      eventType: "sms.file.processed",
      eventId: `${BUCKET}/${KEY}/${ETAG}`,
      status: "COMPLETED",
      bucket: BUCKET,
      key: KEY,
      etag: ETAG,
      rowsTotal: 2,
      rowsQueued: 2,
      rowsInvalid: 0,
      errorReportKey: null,
    });
    expect(tables.get("sms-checkpoints", `${BUCKET}/${KEY}/${ETAG}`)).to.include({ status: "COMPLETE", lastRow: 2, rowsQueued: 2 });
    expect((results[0] as Extract<SplitResult, { status: "processed" }>).status).to.equal("processed");
  });

  it("gives a redelivered file version the same de-duplication ids, and a new version new ones", async () => {
    s3.on(GetObjectCommand).callsFake(() => ({ Body: body(fixtureText("sample_file.csv")) }));
    const invoke = build();
    await invoke(classicEvent());
    tables.tables.clear(); // as if the checkpoint were lost: the same ids come out again
    await invoke(classicEvent());
    await invoke(classicEvent({ etag: "fedcba9876543210fedcba9876543210" }));
    const ids = sentEntries().map((e) => e.MessageDeduplicationId);
    expect(ids.slice(0, 2)).to.deep.equal(ids.slice(2, 4));
    expect(ids.slice(4)).to.deep.equal([1, 2].map((row) => rowIdFor({ ...FILE, etag: "fedcba9876543210fedcba9876543210" }, row)));
    expect(new Set(ids).size).to.equal(4);
  });

  it("parses quoted commas, embedded newlines, CRLF, a BOM and blank lines", async () => {
    const csv =
      "\uFEFF" +
      HEADER +
      "\r\n" +
      '+12065550100,"Hello, world",c,+12065550199,TRANSACTIONAL,a,b\r\n' +
      "\r\n" +
      '+12065550101,"Line one\nLine two ""quoted""",c,+12065550199,PROMOTIONAL,,\r\n' +
      "   \r\n" +
      "+12065550102,Plain,c,pool-0123456789abcdef,TRANSACTIONAL,a,b\r\n" +
      "\r\n\r\n";
    s3.on(GetObjectCommand).resolves({ Body: body(csv) });
    await build()(classicEvent());
    const messages = sentEntries().map((e) => JSON.parse(e.MessageBody!) as { body: string; context: { row: number; id_1: string } });
    expect(messages.map((m) => [m.context.row, m.body])).to.deep.equal([
      [1, "Hello, world"],
      [2, 'Line one\nLine two "quoted"'],
      [3, "Plain"],
    ]);
    expect(messages[1]!.context.id_1).to.equal("");
    expect(summary()).to.include({ rowsTotal: 3, rowsQueued: 3, rowsInvalid: 0 });
  });

  it("reports a bad phone number and a disallowed origination identity next to the file and queues the rest", async () => {
    const csv = [
      HEADER,
      "+12065550100,ok,c,+12065550199,TRANSACTIONAL,a,b",
      "+1[CUSTOMER_NUMBER_HERE],bad number,c,+12065550199,TRANSACTIONAL,a,b",
      "+12065550101,bad sender,c,+18005550100,TRANSACTIONAL,a,b",
      "+12065550102,ok again,c,pool-0123456789abcdef,PROMOTIONAL,a,b",
    ].join("\n");
    s3.on(GetObjectCommand).resolves({ Body: body(csv) });
    await build()(classicEvent());

    expect(sentEntries().map((e) => e.Id)).to.deep.equal(["row-1", "row-4"]);
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).to.deep.equal([
      {
        Bucket: BUCKET,
        Key: `reports/${KEY}.errors.csv`,
        Body: 'row,column,reason\r\n2,sms_number,is not a valid phone number (TOO_SHORT)\r\n3,short_code,"""+18005550100"" is not an allowed origination identity"\r\n',
        ContentType: "text/csv; charset=utf-8",
      },
    ]);
    expect(summary()).to.include({ status: "COMPLETED", rowsTotal: 4, rowsQueued: 2, rowsInvalid: 2, errorReportKey: `reports/${KEY}.errors.csv` });
  });

  it("sends batches of 10 with each row's own origination identity as its message group", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(rows(25)) });
    await build()(classicEvent());
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries!.length)).to.deep.equal([10, 10, 5]);
    expect(sentEntries().slice(0, 4).map((e) => e.MessageGroupId)).to.deep.equal([
      "+12065550199",
      "pool-0123456789abcdef",
      "+12065550199",
      "pool-0123456789abcdef",
    ]);
  });

  it("re-sends only the entries SQS reported as failed, after a backoff", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(rows(12)) });
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [{ Id: "row-3", Code: "InternalError", SenderFault: false }, { Id: "row-7", Code: "InternalError", SenderFault: false }] })
      .callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => ({ Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: "m", MD5OfMessageBody: "x" })), Failed: [] }));
    await build()(classicEvent());
    expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.map((e) => e.Id))).to.deep.equal([
      ["row-1", "row-2", "row-3", "row-4", "row-5", "row-6", "row-7", "row-8", "row-9", "row-10"],
      ["row-3", "row-7"],
      ["row-11", "row-12"],
    ]);
    expect(summary()).to.include({ rowsQueued: 12 });
  });

  it("fails the invocation after bounded retries, keeping the checkpoint at the last fully queued batch", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(rows(30)) });
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
      const failing = input.Entries[0]!.Id === "row-11" || input.Entries[0]!.Id === "row-15";
      return {
        Successful: input.Entries.filter((e) => !(failing && e.Id === "row-15")).map((e) => ({ Id: e.Id, MessageId: "m", MD5OfMessageBody: "x" })),
        Failed: failing ? [{ Id: "row-15", Code: "ServiceUnavailable", SenderFault: false }] : [],
      };
    });
    let error: unknown;
    await build({}, undefined, { enqueueMaxAttempts: 2 })(classicEvent()).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal("1 entries still failing after 2 attempts: ServiceUnavailable x1");
    expect(tables.get("sms-checkpoints", `${BUCKET}/${KEY}/${ETAG}`)).to.include({ status: "IN_PROGRESS", lastRow: 10 });
    expect(sns.commandCalls(PublishCommand)).to.have.length(0);
    expect(metricNames).to.include("FileFailed");
  });

  it("resumes after the checkpoint without queueing any row twice, and still reports the whole file", async () => {
    const csv = rows(25).replace("Message 3,", "ж".repeat(700) + ",");
    s3.on(GetObjectCommand).callsFake(() => ({ Body: body(csv) }));
    let failures = 1;
    const accepted: string[] = [];
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
      if (input.Entries[0]!.Id === "row-12" && failures-- > 0) throw Object.assign(new Error("socket hang up"), { name: "TimeoutError", $metadata: {} });
      accepted.push(...input.Entries.map((e) => e.Id!));
      return { Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: "m", MD5OfMessageBody: "x" })), Failed: [] };
    });
    const invoke = build();
    let error: unknown;
    await invoke(classicEvent()).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal("socket hang up");
    expect(tables.get("sms-checkpoints", `${BUCKET}/${KEY}/${ETAG}`)).to.include({ lastRow: 11 });
    expect(sns.commandCalls(PublishCommand)).to.have.length(0);

    await invoke(classicEvent());
    expect(accepted).to.deep.equal(Array.from({ length: 25 }, (_, i) => `row-${i + 1}`).filter((id) => id !== "row-3"));
    const ids = sentEntries().map((e) => e.Id);
    expect(ids.filter((id) => id === "row-1")).to.have.length(1);
    expect(summary()).to.include({ rowsTotal: 25, rowsQueued: 24, rowsInvalid: 1, errorReportKey: `reports/${KEY}.errors.csv` });
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body).to.equal(
      'row,column,reason\r\n3,message,"needs 11 message parts as UCS-2 (maximum 10); UCS-2 because of ""ж"""\r\n',
    );
  });

  it("skips a file version whose checkpoint is complete (a redelivered event)", async () => {
    tables.put("sms-checkpoints", { fileId: `${BUCKET}/${KEY}/${ETAG}`, status: "COMPLETE", lastRow: 2 });
    const results = await build()(classicEvent());
    expect(results).to.deep.equal([{ status: "skipped", reason: "already-complete" }]);
    expect(s3.commandCalls(GetObjectCommand)).to.have.length(0);
    expect(sqs.calls()).to.have.length(0);
  });

  it("skips 0-byte objects", async () => {
    expect(await build()(classicEvent({ size: 0 }))).to.deep.equal([{ status: "skipped", reason: "empty" }]);
    expect(s3.calls()).to.have.length(0);
  });

  it("processes a customer file named *.errors.csv, and writes its report under the configured report prefix", async () => {
    const key = "files/march.errors.csv";
    s3.on(GetObjectCommand).resolves({ Body: body(`${HEADER}\n+12065550100,ok,c,+12065550199,TRANSACTIONAL,a,b\n+12065550101,bad,c,+18005550100,TRANSACTIONAL,a,b\n`) });
    await build({ REPORT_PREFIX: "drop-reports/" })(classicEvent({ key }));
    expect(sentEntries().map((e) => e.Id)).to.deep.equal(["row-1"]);
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).to.deep.equal([`drop-reports/${key}.errors.csv`]);
    expect(summary()).to.include({ key, errorReportKey: `drop-reports/${key}.errors.csv` });
  });

  it("rejects a file that is not UTF-8 (Latin-1) at its first invalid byte instead of sending replacement characters", async () => {
    const utf8 = `${HEADER}\n+12065550100,ok,c,+12065550199,TRANSACTIONAL,a,b\n`;
    // "café" in Latin-1: é is the single byte 0xE9, which is not UTF-8.
    const latin1 = Buffer.concat([Buffer.from(utf8, "utf8"), Buffer.from("+12065550101,caf\xe9 ouvert,c,+12065550199,TRANSACTIONAL,a,b\n", "latin1")]);
    s3.on(GetObjectCommand).resolves({ Body: body(latin1) });
    await build()(classicEvent());
    const offset = Buffer.byteLength(utf8) + "+12065550101,caf".length;
    // One chunk: the stream fails before the parser hands out any record, so nothing is queued.
    expect(sqs.calls()).to.have.length(0);
    const event = summary();
    expect(event).to.include({ status: "REJECTED", rowsTotal: 0, rowsQueued: 0, errorReportKey: `reports/${KEY}.errors.csv` });
    expect(event.fileError).to.equal(
      `the file is not UTF-8 (invalid byte sequence at byte ${offset}, after data row 0); save it as UTF-8 (for example "CSV UTF-8") and upload it again. Later rows were not read.`,
    );
    expect(tables.get("sms-checkpoints", `${BUCKET}/${KEY}/${ETAG}`)).to.include({ status: "COMPLETE", fileStatus: "REJECTED" });
    expect(metricNames).to.include("FileNotUtf8");
  });

  it("accepts a UTF-8 file with a BOM and multi-byte characters split across chunks", async () => {
    const bytes = Buffer.from(`\uFEFF${HEADER}\n+12065550100,Grüße 👋,c,+12065550199,TRANSACTIONAL,a,b\n`, "utf8");
    const split = bytes.indexOf(Buffer.from("👋")) + 2; // in the middle of the emoji
    s3.on(GetObjectCommand).resolves({ Body: sdkStreamMixin(Readable.from([bytes.subarray(0, split), bytes.subarray(split)])) });
    await build()(classicEvent());
    expect(sentEntries().map((e) => (JSON.parse(e.MessageBody!) as { body: string }).body)).to.deep.equal(["Grüße 👋"]);
    expect(summary()).to.include({ status: "COMPLETED" });
  });

  it("keeps the error report small when rows carry huge cells, and rejects a record over the size cap", async () => {
    const huge = "Z".repeat(50_000);
    const bad = Array.from({ length: 20 }, (_, i) => `+1206555${String(1000 + i)},hi,c,${huge},TRANSACTIONAL,a,b`);
    s3.on(GetObjectCommand).resolves({ Body: body([HEADER, ...bad, `+12065550100,x,c,+12065550199,TRANSACTIONAL,${"y".repeat(100_001)},b`].join("\n")) });
    await build()(classicEvent());
    const report = s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body as string;
    const lines = report.trimEnd().split("\r\n");
    expect(lines).to.have.length(1 + 20 + 1);
    expect(lines[1]).to.equal(`1,short_code,"""${"Z".repeat(200)}… (truncated, 50000 characters)"" is not an allowed origination identity"`);
    expect(report.length).to.be.below(20 * 300);
    expect(summary().fileError).to.match(/^CSV syntax error after data row 20 \(CSV_MAX_RECORD_SIZE at line 22\)\. Later rows were not read\.$/);
  });

  it("skips an object overwritten since the event (its ETag no longer matches)", async () => {
    s3.on(GetObjectCommand).rejects(new S3ServiceException({ name: "PreconditionFailed", $fault: "client", $metadata: { httpStatusCode: 412 }, message: "At least one of the pre-conditions you specified did not hold" }));
    expect(await build()(classicEvent())).to.deep.equal([{ status: "skipped", reason: "changed" }]);
  });

  it("accepts an EventBridge Object Created event for an existing bucket", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(fixtureText("sample_file.csv")) });
    await build()(fixtureJson("s3-object-created-eventbridge.json"));
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).to.deep.equal({ Bucket: "existing-bucket", Key: "files/March campaign.csv", IfMatch: `"${ETAG}"` });
    expect(sentEntries()).to.have.length(2);
  });

  it("sends VOICE rows to the dialer queue as dial requests and the other rows to the SMS queue, from the same file", async () => {
    const dialer = "https://sqs.us-east-1.amazonaws.com/123456789012/connect-channel-calls-queue";
    s3.on(GetObjectCommand).resolves({
      Body: body("sms_number,message,external_campaign_id,short_code,message_type,id_1,id_2,channel\n+12065550100,Text me,,+12065550199,TRANSACTIONAL,,,\n+12065550101,Call me,spring,,,order-1,,VOICE\n"),
    });
    await build({ VOICE_DIALER_QUEUE_URL: dialer })(classicEvent());
    const byQueue = sqs.commandCalls(SendMessageBatchCommand).map((c) => [c.args[0].input.QueueUrl, c.args[0].input.Entries]);
    expect(byQueue.map(([url]) => url)).to.have.members([ENV.QUEUE_URL, dialer]);
    const calls = byQueue.find(([url]) => url === dialer)![1] as SendMessageBatchRequestEntry[];
    expect(calls.map((e) => ({ Id: e.Id, MessageGroupId: e.MessageGroupId, MessageDeduplicationId: e.MessageDeduplicationId }))).to.deep.equal([
      { Id: "row-2", MessageGroupId: undefined, MessageDeduplicationId: undefined },
    ]);
    expect(JSON.parse(calls[0]!.MessageBody!)).to.deep.equal({
      version: 1,
      campaignKey: "campaign:spring",
      recipientKey: "+12065550101",
      destination: "+12065550101",
      message: "Call me",
      attributes: { external_campaign_id: "spring", id_1: "order-1" },
      source: { kind: "sms-file-drop", ref: `s3://${BUCKET}/${KEY}#2` },
    });
    expect(summary()).to.include({ rowsQueued: 2, rowsInvalid: 0 });
  });

  it("maps renamed columns through COLUMN_MAP", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body("phone,text,short_code,message_type\n+12065550100,Hi,+12065550199,TRANSACTIONAL\n") });
    await build({ COLUMN_MAP: JSON.stringify({ sms_number: "phone", message: "text" }) })(classicEvent());
    expect(JSON.parse(sentEntries()[0]!.MessageBody!)).to.deep.include({ destination: "+12065550100", body: "Hi" });
  });

  it("rejects a file whose header lacks a required column, with a report and a REJECTED summary", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body("phone,message,short_code,message_type\n+12065550100,Hi,+12065550199,TRANSACTIONAL\n") });
    await build()(classicEvent());
    expect(sqs.calls()).to.have.length(0);
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body).to.equal(
      'row,column,reason\r\n,(file),"header: required column ""sms_number"" is missing from the header"\r\n',
    );
    expect(summary()).to.include({ status: "REJECTED", rowsTotal: 0, rowsQueued: 0 });
    expect(tables.get("sms-checkpoints", `${BUCKET}/${KEY}/${ETAG}`)).to.include({ status: "COMPLETE", fileStatus: "REJECTED" });
  });

  it("stops at a CSV syntax error, keeps the rows before it and marks the file REJECTED", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(`${HEADER}\n+12065550100,ok,c,+12065550199,TRANSACTIONAL,a,b\n+12065550101,"broken"quote,c,+12065550199,TRANSACTIONAL,a,b\n+12065550102,never read,c,+12065550199,TRANSACTIONAL,a,b\n`) });
    await build()(classicEvent());
    expect(sentEntries().map((e) => e.Id)).to.deep.equal(["row-1"]);
    const event = summary();
    expect(event).to.include({ status: "REJECTED", rowsTotal: 1, rowsQueued: 1 });
    expect(event.fileError).to.match(/^CSV syntax error after data row 1 \(CSV_INVALID_CLOSING_QUOTE at line \d+\)\. Later rows were not read\.$/);
  });

  it("stops before the timeout, checkpoints what was queued and throws so the retry resumes", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(rows(5)) });
    let error: unknown;
    await build({}, 10_000)(classicEvent()).catch((e: unknown) => (error = e));
    expect((error as Error).name).to.equal("TimeBudgetExceededError");
    expect(sqs.calls()).to.have.length(0);
    expect(metricNames).to.include("SplitterTimeBudgetExceeded");
  });

  it("writes checkpoints that never move backwards", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(rows(10)) });
    await build()(classicEvent());
    const progress = documents.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(progress[0]).to.deep.equal({
      TableName: "sms-checkpoints",
      Key: { fileId: `${BUCKET}/${KEY}/${ETAG}` },
      UpdateExpression:
        "SET lastRow = :lastRow, #status = :inProgress, #bucket = :bucket, #key = :key, etag = :etag, updatedAt = :updatedAt, expiration = :expiration",
      ConditionExpression: "attribute_not_exists(lastRow) OR (lastRow < :lastRow AND #status <> :complete)",
      ExpressionAttributeNames: { "#status": "status", "#bucket": "bucket", "#key": "key" },
      ExpressionAttributeValues: {
        ":bucket": BUCKET,
        ":key": KEY,
        ":etag": ETAG,
        ":updatedAt": "2026-03-02T17:46:00.000Z",
        ":expiration": Math.floor(NOW / 1000) + 30 * 86_400,
        ":lastRow": 10,
        ":inProgress": "IN_PROGRESS",
        ":complete": "COMPLETE",
      },
    });
  });

  it("names the variable in a configuration error", () => {
    expect(() => loadSplitterConfig({ ...ENV, QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123/standard" })).to.throw(
      "Invalid sms-file-drop splitter configuration: QUEUE_URL: must be the https URL of a FIFO queue (ending in .fifo)",
    );
    expect(() => loadSplitterConfig({ ...ENV, ORIGINATION_IDENTITIES: "[]" })).to.throw("ORIGINATION_IDENTITIES: at least one origination identity is required");
    expect(() => loadSplitterConfig({ ...ENV, ORIGINATION_IDENTITIES: '[{"identity":"+12065550199","mps":0}]' })).to.throw(
      "ORIGINATION_IDENTITIES (at 0.mps): mps must be greater than 0",
    );
    expect(() => loadSplitterConfig({ ...ENV, COLUMN_MAP: '{"sms_numbr":"phone"}' })).to.throw('COLUMN_MAP: Unrecognized key: "sms_numbr"');
    expect(() => loadSplitterConfig({ ...ENV, MAX_SEGMENTS: "ten" })).to.throw("MAX_SEGMENTS: must be a whole number");
  });
});
