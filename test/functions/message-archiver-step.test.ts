import { expect } from "chai";
import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import PostalMime from "postal-mime";
import { sendTimeArchiveKey, objectIdFor } from "../../functions/shared/archive/layout";
import { SMS_ARCHIVE_SCHEMA } from "../../functions/shared/archive/record";
import { recipientIdFor } from "../../functions/shared/archive/recipient";
import { S3ArchiveStore } from "../../functions/shared/archive/store";
import { ARCHIVE_STEP_FACTORY, emailArchiveStep, smsArchiveStep } from "../../functions/shared/sending/archive-step";
import type { EmailSendRequest } from "../../functions/shared/sending/channels";
import { formatSendSteps } from "../../functions/shared/sending/contract";
import { SEND_STEP_FACTORIES, sendStepsFromEnv } from "../../functions/shared/sending/registry";
import { withSteps } from "../../functions/shared/sending/steps";
import type { SmsSendOutcome, SmsSendRequest } from "../../functions/shared/sms/sms-send";
import { TokenBucketRegistry } from "../../functions/shared/sms/token-bucket";
import { loadSenderConfig } from "../../functions/sms-file-drop/config";
import { rowIdFor, type QueuedSms } from "../../functions/sms-file-drop/message";
import { SimulatedBucket } from "./message-archiver-fakes";
import { fakeContext, FakeDocumentTables, fixtureJson, freezeNow, silentObservability, withEnv } from "./sms-test-helpers";

const BUCKET = "archive-bucket";
const NOW = new Date("2026-03-02T17:50:00.000Z");
const SMS: SmsSendRequest = { destination: "+14155550123", originationIdentity: "pool-1", body: "Your code is 1234", messageType: "TRANSACTIONAL", context: { campaign: "c1" } };

describe("archive send step", () => {
  const s3 = mockClient(S3Client);
  after(() => s3.restore());
  let bucket: SimulatedBucket;
  let store: S3ArchiveStore;

  beforeEach(() => {
    s3.reset();
    bucket = new SimulatedBucket(BUCKET).attach(s3);
    store = new S3ArchiveStore(new S3Client({}), BUCKET);
  });

  const sms = (outcome: SmsSendOutcome, key = "row-1") => {
    const sender = { send: async () => outcome };
    return withSteps(sender, [smsArchiveStep({ bucket: BUCKET, prefix: "archive" }, { store, clock: () => NOW })]).send(SMS, { idempotencyKey: key });
  };

  it("writes one record per SMS sent, at a key derived from the idempotency key under the recipient's prefix", async () => {
    await sms({ status: "SENT", messageId: "eum-1" });
    const recipientId = recipientIdFor("phone", SMS.destination);
    const key = sendTimeArchiveKey("archive", recipientId, objectIdFor(["sms", "row-1", recipientId]), "json");
    expect(bucket.objectKeys()).to.deep.equal([key]);
    expect(JSON.parse(bucket.current(key)!.body!.toString())).to.deep.equal({
      schema: SMS_ARCHIVE_SCHEMA,
      channel: "sms",
      status: "SENT",
      messageId: "eum-1",
      archivedAt: NOW.toISOString(),
      idempotencyKey: "row-1",
      recipientId,
      destination: "+14155550123",
      originationIdentity: "pool-1",
      messageType: "TRANSACTIONAL",
      body: "Your code is 1234",
      context: { campaign: "c1" },
    });
    expect(bucket.current(key)!.metadata).to.deep.equal({ channel: "sms", status: "SENT" });
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).to.include({ Bucket: BUCKET, Key: key, ContentType: "application/json; charset=utf-8", IfNoneMatch: "*" });
  });

  it("writes nothing more when the same message comes again (one version; the redelivery's conditional PUT is refused)", async () => {
    await sms({ status: "SENT", messageId: "eum-1" });
    await sms({ status: "SENT", messageId: "eum-1" });
    expect(bucket.versions).to.have.length(1);
    expect(bucket.writes).to.equal(1);
    // The redelivery reads the existing record's status once (is it an UNKNOWN to replace?).
    expect(bucket.requests).to.deep.equal({ put: 2, head: 1, list: 0, delete: 0 });
  });

  it("archives a possibly-sent (UNKNOWN) SMS, and replaces it once by the SENT record of the re-send", async () => {
    await sms({ status: "UNKNOWN", errorName: "TimeoutError", errorMessage: "" });
    await sms({ status: "SENT", messageId: "eum-2" });
    await sms({ status: "SENT", messageId: "eum-2" });
    const [key] = bucket.objectKeys();
    expect(JSON.parse(bucket.current(key!)!.body!.toString())).to.include({ status: "SENT", messageId: "eum-2" });
    expect(bucket.versions).to.have.length(2);
    expect(s3.commandCalls(PutObjectCommand).map((c) => [c.args[0].input.IfNoneMatch, c.args[0].input.IfMatch])).to.deep.equal([
      ["*", undefined],
      ["*", undefined],
      [undefined, '"e1"'],
      ["*", undefined],
    ]);
    expect(s3.commandCalls(HeadObjectCommand)).to.have.length(2);
  });

  it("archives nothing for messages that were not sent", async () => {
    await sms({ status: "OPTED_OUT", errorName: "ConflictException", errorMessage: "" });
    await sms({ status: "FAILED", retryable: false, throttled: false, errorName: "ValidationException", errorMessage: "" });
    await sms({ status: "SKIPPED", step: "x", reason: "y" });
    expect(bucket.requests.put).to.equal(0);
  });

  it("never throws into the send path: a failed write is reported and the outcome stands", async () => {
    bucket.onPut = () => {
      throw Object.assign(new Error("denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    };
    const reported: string[] = [];
    const sender = withSteps({ send: async (): Promise<SmsSendOutcome> => ({ status: "SENT", messageId: "eum-1" }) }, [smsArchiveStep({ bucket: BUCKET, prefix: "archive" }, { store })], {
      onAfterStepError: (step, error) => reported.push(`${step}:${(error as Error).name}`),
    });
    expect(await sender.send(SMS, { idempotencyKey: "row-9" })).to.deep.equal({ status: "SENT", messageId: "eum-1" });
    expect(reported).to.deep.equal(["archive:AccessDenied"]);
  });

  it("archives an email the senders send as MIME under the address's recipient id", async () => {
    const request: EmailSendRequest = {
      from: "support@example.com",
      to: "Jane.Doe@Example.com",
      subject: "Re: your question",
      html: "<p>Thanks</p>",
      text: "Thanks",
      headers: [{ name: "Auto-Submitted", value: "auto-replied" }],
    };
    const step = emailArchiveStep({ bucket: BUCKET, prefix: "archive" }, { store, clock: () => NOW });
    await withSteps({ send: async () => ({ status: "SENT" as const, messageId: "ses-1" }) }, [step]).send(request, { idempotencyKey: "inbound-1" });
    const [key] = bucket.objectKeys();
    expect(key!.startsWith(`archive/${recipientIdFor("email", "jane.doe@example.com")}/`)).to.equal(true);
    expect(key!.endsWith(".eml")).to.equal(true);
    const mail = await PostalMime.parse(bucket.current(key!)!.body!);
    expect([mail.from?.address, mail.to?.[0]?.address, mail.subject, mail.text?.trim(), mail.html?.trim()]).to.deep.equal([
      "support@example.com",
      // MailComposer lower-cases the domain.
      "Jane.Doe@example.com",
      "Re: your question",
      "Thanks",
      "<p>Thanks</p>",
    ]);
    const headers = Object.fromEntries(mail.headers.map((h) => [h.key, h.value]));
    expect(headers).to.include({ "auto-submitted": "auto-replied", "x-archive-ses-message-id": "ses-1", "x-archive-status": "SENT", "x-archive-idempotency-key": "inbound-1" });
  });

  it("is registered for SMS and email, and rejects bad settings at cold start", () => {
    expect(SEND_STEP_FACTORIES).to.include(ARCHIVE_STEP_FACTORY);
    const env = { SEND_STEPS: formatSendSteps([{ name: "archive", settings: { bucket: BUCKET, bucketArn: `arn:aws:s3:::${BUCKET}`, prefix: "msgs", kmsKeyArn: "arn:aws:kms:us-east-1:1:key/k" } }]) };
    expect(sendStepsFromEnv(env, "sms").map((s) => s.name)).to.deep.equal(["archive"]);
    expect(sendStepsFromEnv(env, "email").map((s) => s.name)).to.deep.equal(["archive"]);
    expect(() => sendStepsFromEnv({ SEND_STEPS: formatSendSteps([{ name: "archive", settings: { bucket: "Bad_Bucket", prefix: "/x" } }]) }, "sms")).to.throw(
      'SEND_STEPS[0]: send step "archive": bucket: must be an S3 bucket name; prefix: must be a key prefix without leading or trailing "/"',
    );
  });
});

describe("the SMS archive record as written by the file-drop sender (#9's real sender with SEND_STEPS)", () => {
  const s3 = mockClient(S3Client);
  after(() => s3.restore());
  const smsV2 = mockClient(PinpointSMSVoiceV2Client);
  after(() => smsV2.restore());
  const documents = mockClient(DynamoDBDocumentClient);
  after(() => documents.restore());
  const FILE = { bucket: "sms-drop-bucket", key: "files/sample_file.csv", etag: "0123456789abcdef0123456789abcdef" };
  const ENV = {
    ORIGINATION_IDENTITIES: JSON.stringify([{ identity: "pool-0123456789abcdef", mps: 20 }]),
    OUTCOME_TABLE_NAME: "sms-outcomes",
    CONFIGURATION_SET_NAME: "file-drop",
    SEND_STEPS: formatSendSteps([{ name: "archive", settings: { bucket: BUCKET, bucketArn: `arn:aws:s3:::${BUCKET}`, prefix: "archive" } }]),
  };
  let bucket: SimulatedBucket;
  let unfreeze: () => void;

  beforeEach(() => {
    for (const m of [s3, smsV2, documents]) m.reset();
    bucket = new SimulatedBucket(BUCKET).attach(s3);
    new FakeDocumentTables(documents, { "sms-outcomes": "rowId" });
    smsV2.on(SendTextMessageCommand).resolves({ MessageId: "eum-msg-1" });
    unfreeze = freezeNow(NOW.getTime());
  });
  afterEach(() => unfreeze());

  it("writes the body, origination, destination, time, message id and context of the row it sent, once across a redelivery", async () => {
    const mod = await withEnv({ ...ENV, POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" }, () => import("../../functions/sms-file-drop/sender.js"));
    // The sender reads SEND_STEPS from the environment when its ports are built.
    const ports = await withEnv(ENV, () => mod.createSenderPorts(loadSenderConfig(ENV)));
    const config = loadSenderConfig(ENV);
    let simulated = NOW.getTime();
    const buckets = new TokenBucketRegistry(config.identityRates, { clock: () => simulated, sleep: async (ms) => void (simulated += ms) });
    let token = 0;
    const handler = mod.createSenderHandler(config, { ...ports, buckets, sleep: async () => undefined, newClaimToken: () => `claim-${++token}` }, silentObservability());

    const message: QueuedSms = {
      destination: "+12065550101",
      body: "Hello from the file drop",
      originationIdentity: "pool-0123456789abcdef",
      messageType: "TRANSACTIONAL",
      context: { external_campaign_id: "12345", id_1: "a1", id_2: "", sourceBucket: FILE.bucket, sourceKey: FILE.key, row: 1 },
      rowId: rowIdFor(FILE, 1),
    };
    const template = fixtureJson<{ Records: { attributes: Record<string, string> }[] }>("sqs-fifo-event.json").Records[0]!;
    const event = { Records: [{ ...structuredClone(template), messageId: "msg-1", body: JSON.stringify(message), attributes: { ...template.attributes, MessageGroupId: message.originationIdentity, MessageDeduplicationId: message.rowId } }] };

    expect(await handler(event, fakeContext())).to.deep.equal({ batchItemFailures: [] });
    expect(await handler(structuredClone(event), fakeContext())).to.deep.equal({ batchItemFailures: [] });

    const recipientId = recipientIdFor("phone", message.destination);
    const key = sendTimeArchiveKey("archive", recipientId, objectIdFor(["sms", message.rowId, recipientId]), "json");
    expect(bucket.objectKeys()).to.deep.equal([key]);
    expect(bucket.versions).to.have.length(1);
    expect(JSON.parse(bucket.current(key)!.body!.toString())).to.deep.equal({
      schema: SMS_ARCHIVE_SCHEMA,
      channel: "sms",
      status: "SENT",
      messageId: "eum-msg-1",
      archivedAt: NOW.toISOString(),
      idempotencyKey: message.rowId,
      recipientId,
      destination: "+12065550101",
      originationIdentity: "pool-0123456789abcdef",
      messageType: "TRANSACTIONAL",
      configurationSetName: "file-drop",
      body: "Hello from the file drop",
      context: { external_campaign_id: "12345", id_1: "a1", rowId: message.rowId, source: `s3://${FILE.bucket}/${FILE.key}#1` },
    });
  });
});
