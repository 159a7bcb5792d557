import { expect } from "chai";
import {
  GetCampaignVersionsCommand,
  GetEmailTemplateCommand,
  GetJourneyCommand,
  GetPushTemplateCommand,
  GetSmsTemplateCommand,
  GetVoiceTemplateCommand,
  NotFoundException,
  PinpointClient,
  type CampaignResponse,
} from "@aws-sdk/client-pinpoint";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import type { SQSRecord } from "aws-lambda";
import PostalMime from "postal-mime";
import { loadArchiverConfig, loadQueuerConfig } from "../../functions/message-archiver/config";
import firehose from "../fixtures/message-archiver/firehose-transformation-event.json";
import seedSqs from "../fixtures/message-archiver/seed-archiver-sqs-event.json";
import { SimulatedBucket } from "./message-archiver-fakes";
import { recordingObservability } from "./recording-observability";
import { fakeContext, withEnv } from "./sms-test-helpers";

type QueuerModule = typeof import("../../functions/message-archiver/queuer.js");
type ArchiverModule = typeof import("../../functions/message-archiver/archiver.js");

const QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/message-archiver-work-queue";
const BUCKET = "archive-bucket";

function recorder() {
  const counts: Record<string, number> = {};
  const logs: { level: string; message: string; attributes: Record<string, unknown> }[] = [];
  const log = (level: string) => (message: string, attributes: Record<string, unknown> = {}) => void logs.push({ level, message, attributes });
  const observability = recordingObservability(
    { addContext: () => undefined, info: log("info"), warn: log("warn"), error: log("error") },
    (name, _dimensions, value) => void (counts[name] = (counts[name] ?? 0) + value),
  );
  return { counts, logs, observability };
}

const text = (data: string) => Buffer.from(data, "base64").toString("utf8");

describe("message archiver queuer (Firehose transformation)", () => {
  let mod: QueuerModule;
  const sqs = mockClient(SQSClient);
  after(() => sqs.restore());

  before(async () => {
    mod = await withEnv({ QUEUE_URL, POWERTOOLS_LOG_LEVEL: "SILENT" }, () => import("../../functions/message-archiver/queuer.js"));
  });
  beforeEach(() => sqs.reset());

  function build(sleeps: number[] = []) {
    const config = loadQueuerConfig({ QUEUE_URL });
    const rec = recorder();
    const handler = mod.createQueuerHandler(config, { ...mod.createQueuerPorts(config), sleep: async (ms) => void sleeps.push(ms) }, rec.observability);
    return { handler: (event: unknown) => handler(event, fakeContext()), ...rec };
  }

  it("returns every record unchanged and queues only the campaign and journey sends, in one SendMessageBatch", async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const { handler, counts } = build();
    const result = await handler(structuredClone(firehose));

    expect(result.records).to.deep.equal(firehose.records.map((r) => ({ recordId: r.recordId, result: "Ok", data: r.data })));
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls).to.deep.equal([
      {
        QueueUrl: QUEUE_URL,
        Entries: [
          { Id: "r0", MessageBody: text(firehose.records[0]!.data).trimEnd() },
          { Id: "r3", MessageBody: text(firehose.records[3]!.data).trimEnd() },
          { Id: "r4", MessageBody: text(firehose.records[4]!.data).trimEnd() },
        ],
      },
    ]);
    // UTF-8 survives (the seed decoded as ASCII).
    expect(calls[0]!.Entries![0]!.MessageBody).to.include("Zoë");
    expect(counts).to.include({ RecordsSeen: 5, RecordsQueued: 3, MalformedRecord: 1, UnqueueableRecord: 0 });
  });

  it("never fails the batch for a malformed record: it passes through and is counted", async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const { handler, counts, logs } = build();
    const bad = { ...firehose, records: [firehose.records[2]!, { recordId: "x", approximateArrivalTimestamp: 1, data: Buffer.from("[1,2]").toString("base64") }] };
    const result = await handler(bad);
    expect(result.records.map((r) => [r.recordId, r.result, r.data])).to.deep.equal(bad.records.map((r) => [r.recordId, "Ok", r.data]));
    expect(sqs.commandCalls(SendMessageBatchCommand)).to.have.length(0);
    expect(counts.MalformedRecord).to.equal(2);
    expect(logs.filter((l) => l.level === "warn").map((l) => l.attributes)).to.deep.equal([
      { recordId: firehose.records[2]!.recordId, reason: "not JSON" },
      { recordId: "x", reason: "not a JSON object" },
    ]);
  });

  it("sends in batches of ten", async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const { handler } = build();
    const records = Array.from({ length: 25 }, (_, i) => ({ ...firehose.records[0]!, recordId: `id${i}` }));
    await handler({ ...firehose, records });
    expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.length)).to.deep.equal([10, 10, 5]);
  });

  it("re-sends only the entries SQS failed for a retryable reason, and counts the ones it refused for good", async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: "r0", SenderFault: false, Code: "InternalError" }, { Id: "r3", SenderFault: true, Code: "InvalidMessageContents" }] })
      .resolves({ Failed: [] });
    const sleeps: number[] = [];
    const { handler, counts } = build(sleeps);
    await handler(structuredClone(firehose));
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.map((e) => e.Id));
    expect(calls).to.deep.equal([["r0", "r3", "r4"], ["r0"]]);
    expect(sleeps).to.deep.equal([200]);
    expect(counts).to.include({ RecordsQueued: 2, UnqueueableRecord: 1 });
  });

  it("fails the invocation (Firehose retries it) when entries still cannot be queued, rather than losing them", async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: "r0", SenderFault: false, Code: "ServiceUnavailable" }] });
    const { handler } = build();
    const error = await handler(structuredClone(firehose)).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.equal("1 send events could not be queued after 4 attempts (ServiceUnavailable)");
    expect(sqs.commandCalls(SendMessageBatchCommand)).to.have.length(4);
  });
});

// ---------------------------------------------------------------------------------------------

const APP = "app1";
const T = Date.parse("2026-03-02T10:00:00.000Z");

function sendEvent(overrides: { attributes: Record<string, string>; eventType?: string; endpoint?: Record<string, unknown>; clientId?: string; timestamp?: number }) {
  return {
    event_type: overrides.eventType ?? "_campaign.send",
    event_timestamp: overrides.timestamp ?? T,
    arrival_timestamp: (overrides.timestamp ?? T) + 500,
    event_version: "3.1",
    application: { app_id: APP, sdk: {} },
    client: { client_id: overrides.clientId ?? "endpoint-1" },
    device: { platform: {} },
    session: {},
    attributes: overrides.attributes,
    client_context: { custom: { endpoint: JSON.stringify(overrides.endpoint ?? { ChannelType: "EMAIL", User: { UserAttributes: { FirstName: ["Ana"] } } }) } },
    awsAccountId: "123456789012",
  };
}

function sqsEvent(bodies: unknown[]): { Records: SQSRecord[] } {
  const template = seedSqs.Records[0]!;
  return { Records: bodies.map((b, i) => ({ ...structuredClone(template), messageId: `m${i + 1}`, body: JSON.stringify(b) }) as unknown as SQSRecord) };
}

const campaignVersion = (version: number, modified: number, overrides: Partial<CampaignResponse> = {}): CampaignResponse =>
  ({
    ApplicationId: APP,
    Id: "camp1",
    Arn: "arn",
    CreationDate: new Date(T - 86_400_000).toISOString(),
    LastModifiedDate: new Date(modified).toISOString(),
    SegmentId: "seg",
    SegmentVersion: 1,
    Version: version,
    ...overrides,
  }) as CampaignResponse;

async function parse(bucket: SimulatedBucket, key: string) {
  const stored = bucket.current(key);
  expect(stored, `an archive at ${key}`).to.not.equal(undefined);
  return PostalMime.parse(stored!.body!);
}

const header = (mail: { headers: { key: string; value: string }[] }, name: string) => mail.headers.filter((h) => h.key === name.toLowerCase()).map((h) => h.value);

describe("message archiver (legacy: re-render from the event stream)", () => {
  let mod: ArchiverModule;
  const pinpoint = mockClient(PinpointClient);
  after(() => pinpoint.restore());
  const s3 = mockClient(S3Client);
  after(() => s3.restore());
  let bucket: SimulatedBucket;

  before(async () => {
    mod = await withEnv({ BUCKET_NAME: BUCKET, ARCHIVE_PREFIX: "archive", POWERTOOLS_LOG_LEVEL: "SILENT" }, () => import("../../functions/message-archiver/archiver.js"));
  });
  beforeEach(() => {
    pinpoint.reset();
    s3.reset();
    bucket = new SimulatedBucket(BUCKET).attach(s3);
  });

  function build() {
    const config = loadArchiverConfig({ BUCKET_NAME: BUCKET, ARCHIVE_PREFIX: "archive" });
    const rec = recorder();
    const handler = mod.createArchiverHandler(config, mod.createArchiverPorts(config), rec.observability);
    return { handler: (event: { Records: SQSRecord[] }) => handler(event, fakeContext()), ...rec };
  }

  describe("campaigns", () => {
    beforeEach(() => {
      // v1 was in force at T; v2 was saved after the event and must not be used.
      pinpoint.on(GetCampaignVersionsCommand, { ApplicationId: APP, CampaignId: "camp1" }).resolves({
        CampaignsResponse: {
          Item: [
            campaignVersion(2, T + 60_000, { TemplateConfiguration: { EmailTemplate: { Name: "offer", Version: "9" } } }),
            campaignVersion(1, T - 3 * 3_600_000, {
              TemplateConfiguration: { EmailTemplate: { Name: "offer", Version: "3" } },
              AdditionalTreatments: [
                { Id: "1", SizePercent: 25, TemplateConfiguration: { EmailTemplate: { Name: "offer-b", Version: "1" } } },
                { Id: "2", SizePercent: 25, TemplateConfiguration: { EmailTemplate: { Name: "offer-c", Version: "5" } } },
              ],
            }),
          ],
        },
      });
      const template = (name: string, version: string) => ({
        EmailTemplateResponse: {
          TemplateName: name,
          TemplateType: "EMAIL" as const,
          CreationDate: "",
          LastModifiedDate: "",
          Version: version,
          Subject: `${name} v${version} for {{User.UserAttributes.FirstName}}`,
          HtmlPart: `<p>${name} v${version} {{User.UserAttributes.FirstName}} {{Attributes.City}}</p>`,
          TextPart: `${name} v${version} {{User.UserAttributes.FirstName}} from {{Attributes.City}}`,
          DefaultSubstitutions: JSON.stringify({ "User.UserAttributes.FirstName": "friend", Attributes: { City: "Lisbon" } }),
        },
      });
      for (const [name, version] of [["offer", "3"], ["offer", "9"], ["offer-b", "1"], ["offer-c", "5"]] as const) {
        pinpoint.on(GetEmailTemplateCommand, { TemplateName: name, Version: version }).resolves(template(name, version));
      }
    });

    it("archives the A/B treatment the event names (not the first variant), from the version in force at the event's time", async () => {
      const { handler, counts } = build();
      const event = sendEvent({ attributes: { campaign_id: "camp1", treatment_id: "2", campaign_activity_id: "act1" } });
      expect(await handler(sqsEvent([event]))).to.deep.equal({ batchItemFailures: [] });

      expect(pinpoint.commandCalls(GetEmailTemplateCommand).map((c) => c.args[0].input)).to.deep.equal([{ TemplateName: "offer-c", Version: "5" }]);
      const [key] = bucket.objectKeys();
      expect(key).to.match(/^archive\/endpoint-1\/2026\/03\/02\/10\/[0-9a-f]{32}\.eml$/);
      const mail = await parse(bucket, key!);
      expect(mail.subject).to.equal("offer-c v5 for Ana");
      expect(mail.html?.trim()).to.equal("<p>offer-c v5 Ana Lisbon</p>");
      expect(mail.text?.trim()).to.equal("offer-c v5 Ana from Lisbon");
      expect(header(mail, "CampaignId")).to.deep.equal(["camp1"]);
      expect(header(mail, "CampaignVersion")).to.deep.equal(["1"]);
      expect(header(mail, "TreatmentId")).to.deep.equal(["2"]);
      expect(header(mail, "TemplateName")).to.deep.equal(["offer-c"]);
      expect(header(mail, "TemplateVersion")).to.deep.equal(["5"]);
      expect(counts).to.include({ Archived: 1, Duplicate: 0, FetchFailed: 0 });
    });

    it("writes standard MIME with the seed's headers, a Date, and UTF-8 parts of their real types (parsed back with postal-mime)", async () => {
      const { handler } = build();
      const event = sendEvent({ attributes: { campaign_id: "camp1", treatment_id: "0" }, endpoint: { ChannelType: "EMAIL", User: { UserAttributes: { FirstName: ["Zoë"] } } } });
      await handler(sqsEvent([event]));
      const key = bucket.objectKeys()[0]!;
      expect(bucket.current(key)!.contentType).to.equal("message/rfc822");
      const mail = await parse(bucket, key);
      expect(header(mail, "EndpointId")).to.deep.equal(["endpoint-1"]);
      expect(header(mail, "ApplicationId")).to.deep.equal([APP]);
      expect(header(mail, "EventTimestamp")).to.deep.equal([String(T)]);
      expect(header(mail, "Channel")).to.deep.equal(["EMAIL"]);
      expect(header(mail, "Content-Pieces")).to.deep.equal(["TITLE,HTML,TEXT"]);
      expect(header(mail, "mime-version")).to.deep.equal(["1.0"]);
      expect(new Date(mail.date!).getTime()).to.equal(T);
      expect(mail.subject).to.equal("offer v3 for Zoë");
      const raw = bucket.current(key)!.body!.toString("utf8");
      expect(raw).to.match(/Content-Type: multipart\/alternative;/);
      expect(raw).to.match(/Content-Type: text\/plain; charset=utf-8/);
      expect(raw).to.match(/Content-Type: text\/html; charset=utf-8/);
      expect(mail.html?.trim()).to.equal("<p>offer v3 Zoë Lisbon</p>");
    });

    it("uses the template's defaults only where the endpoint has no value", async () => {
      const { handler } = build();
      await handler(sqsEvent([sendEvent({ attributes: { campaign_id: "camp1", treatment_id: "0" }, endpoint: { ChannelType: "EMAIL", Attributes: { City: ["Porto"] } } })]));
      const mail = await parse(bucket, bucket.objectKeys()[0]!);
      expect(mail.text?.trim()).to.equal("offer v3 friend from Porto");
    });

    it("writes one archive for a duplicated event, in one batch and on redelivery", async () => {
      const { handler, counts } = build();
      const event = sendEvent({ attributes: { campaign_id: "camp1", treatment_id: "0" } });
      // Twice in one batch, then queued again (a Firehose retry: a new message), then redelivered by SQS.
      expect(await handler(sqsEvent([event, event]))).to.deep.equal({ batchItemFailures: [] });
      expect(await handler(sqsEvent([event]))).to.deep.equal({ batchItemFailures: [] });
      const redelivery = sqsEvent([event]);
      redelivery.Records[0]!.attributes.ApproximateReceiveCount = "2";
      expect(await handler(redelivery)).to.deep.equal({ batchItemFailures: [] });
      expect(bucket.versions).to.have.length(1);
      expect(bucket.writes).to.equal(1);
      // One conditional PUT per new message (the second refused with 412); the redelivery HEADs and writes nothing.
      expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.IfNoneMatch)).to.deep.equal(["*", "*"]);
      expect(bucket.requests).to.deep.equal({ put: 2, head: 1, list: 0, delete: 0 });
      expect(counts).to.include({ Archived: 1, Duplicate: 3 });
    });

    it("fails the record (retry, then DLQ) when a fetch fails, and writes nothing", async () => {
      pinpoint.on(GetCampaignVersionsCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } }));
      const { handler, counts, logs } = build();
      const result = await handler(sqsEvent([sendEvent({ attributes: { campaign_id: "camp1", treatment_id: "0" } })]));
      expect(result).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m1" }] });
      expect(bucket.versions).to.have.length(0);
      expect(counts).to.include({ FetchFailed: 1, Archived: 0 });
      expect(logs.find((l) => l.level === "error")?.attributes).to.include({ errorName: "TooManyRequestsException", campaignId: "camp1" });
    });

    it("fails the record when the treatment or template is gone (NotFound), never reporting success", async () => {
      pinpoint.on(GetEmailTemplateCommand, { TemplateName: "offer-b", Version: "1" }).rejects(new NotFoundException({ message: "Template not found", $metadata: {} }));
      const { handler } = build();
      const result = await handler(
        sqsEvent([
          sendEvent({ attributes: { campaign_id: "camp1", treatment_id: "1" } }),
          sendEvent({ attributes: { campaign_id: "camp1", treatment_id: "7" }, clientId: "endpoint-2" }),
          sendEvent({ attributes: { campaign_id: "camp1", treatment_id: "0" }, clientId: "endpoint-3" }),
        ]),
      );
      expect(result.batchItemFailures).to.have.deep.members([{ itemIdentifier: "m1" }, { itemIdentifier: "m2" }]);
      expect(bucket.objectKeys().map((k) => k.split("/")[1])).to.deep.equal(["endpoint-3"]);
    });

    it("notes when the version in force was saved shortly before the event", async () => {
      pinpoint.on(GetCampaignVersionsCommand).resolves({
        CampaignsResponse: { Item: [campaignVersion(1, T - 86_000_000, { TemplateConfiguration: { EmailTemplate: { Name: "offer", Version: "3" } } }), campaignVersion(2, T - 600_000, { TemplateConfiguration: { EmailTemplate: { Name: "offer", Version: "9" } } })] },
      });
      const { handler, counts } = build();
      await handler(sqsEvent([sendEvent({ attributes: { campaign_id: "camp1", treatment_id: "0" } })]));
      const mail = await parse(bucket, bucket.objectKeys()[0]!);
      expect(header(mail, "CampaignVersion")).to.deep.equal(["2"]);
      expect(header(mail, "Archive-Uncertainty-1")[0]).to.match(/^campaign version 2 was saved less than 60 minutes before the event/);
      expect(counts.VersionUncertain).to.equal(1);
    });

    it("fails a malformed record so it reaches the DLQ, and archives the rest of the batch", async () => {
      const { handler, counts } = build();
      const event = sqsEvent([sendEvent({ attributes: { campaign_id: "camp1", treatment_id: "0" } })]);
      event.Records.unshift({ ...event.Records[0]!, messageId: "bad", body: "{not json" });
      expect(await handler(event)).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "bad" }] });
      expect(bucket.objectKeys()).to.have.length(1);
      expect(counts.MalformedRecord).to.equal(1);
    });
  });

  describe("journeys, channels", () => {
    it("keeps two email activities of one journey apart within a batch", async () => {
      pinpoint.on(GetJourneyCommand, { ApplicationId: APP, JourneyId: "journey1" }).resolves({
        JourneyResponse: {
          ApplicationId: APP,
          Id: "journey1",
          Name: "Welcome",
          Activities: {
            emailA: { Description: "first", EMAIL: { TemplateName: "welcome", TemplateVersion: "1" } },
            emailB: { Description: "second", EMAIL: { TemplateName: "welcome", TemplateVersion: "2" } },
          },
        },
      });
      for (const version of ["1", "2"]) {
        pinpoint.on(GetEmailTemplateCommand, { TemplateName: "welcome", Version: version }).resolves({
          EmailTemplateResponse: { TemplateName: "welcome", TemplateType: "EMAIL", CreationDate: "", LastModifiedDate: "", Version: version, Subject: `Step ${version}`, TextPart: `Body of step ${version}` },
        });
      }
      const { handler } = build();
      const journeyEvent = (activity: string, client: string) =>
        sendEvent({ eventType: "_journey.send", clientId: client, attributes: { journey_id: "journey1", journey_activity_id: activity, journey_run_id: "run1", journey_activity_type: "EMAIL" } });
      await handler(sqsEvent([journeyEvent("emailA", "e1"), journeyEvent("emailB", "e2"), journeyEvent("emailA", "e3")]));

      const byEndpoint = new Map<string, { subject?: string; text?: string; activity: string[] }>();
      for (const key of bucket.objectKeys()) {
        const mail = await parse(bucket, key);
        byEndpoint.set(key.split("/")[1]!, { subject: mail.subject, text: mail.text?.trim(), activity: header(mail, "JourneyActivityId") });
      }
      expect(Object.fromEntries(byEndpoint)).to.deep.equal({
        e1: { subject: "Step 1", text: "Body of step 1", activity: ["emailA"] },
        e2: { subject: "Step 2", text: "Body of step 2", activity: ["emailB"] },
        e3: { subject: "Step 1", text: "Body of step 1", activity: ["emailA"] },
      });
      // Fetched once per journey and template version, not per record.
      expect(pinpoint.commandCalls(GetJourneyCommand)).to.have.length(1);
      expect(pinpoint.commandCalls(GetEmailTemplateCommand)).to.have.length(2);
    });

    it("archives voice and push content, and reports an unsupported channel without failing", async () => {
      pinpoint.on(GetCampaignVersionsCommand, { CampaignId: "voice" }).resolves({
        CampaignsResponse: { Item: [campaignVersion(1, T - 86_400_000, { Id: "voice", TemplateConfiguration: { VoiceTemplate: { Name: "call", Version: "2" } } })] },
      });
      pinpoint.on(GetCampaignVersionsCommand, { CampaignId: "push" }).resolves({
        CampaignsResponse: { Item: [campaignVersion(1, T - 86_400_000, { Id: "push", TemplateConfiguration: { PushTemplate: { Name: "note", Version: "4" } } })] },
      });
      pinpoint.on(GetVoiceTemplateCommand).resolves({
        VoiceTemplateResponse: { TemplateName: "call", TemplateType: "VOICE", CreationDate: "", LastModifiedDate: "", Version: "2", Body: "Hello {{User.UserId}}", LanguageCode: "en-US", VoiceId: "Joanna" },
      });
      pinpoint.on(GetPushTemplateCommand).resolves({
        PushNotificationTemplateResponse: {
          TemplateName: "note",
          TemplateType: "PUSH",
          CreationDate: "",
          LastModifiedDate: "",
          Version: "4",
          Default: { Title: "Default title", Body: "Default body" },
          GCM: { Title: "Android title", Body: "Android body for {{User.UserId}}" },
        },
      });
      pinpoint.on(GetSmsTemplateCommand).rejects(new Error("not used"));
      const { handler, counts, logs } = build();
      const result = await handler(
        sqsEvent([
          sendEvent({ clientId: "v", attributes: { campaign_id: "voice", treatment_id: "0" }, endpoint: { ChannelType: "VOICE", User: { UserId: "u1" } } }),
          sendEvent({ clientId: "g", attributes: { campaign_id: "push", treatment_id: "0" }, endpoint: { ChannelType: "GCM", User: { UserId: "u2" } } }),
          sendEvent({ clientId: "a", attributes: { campaign_id: "push", treatment_id: "0" }, endpoint: { ChannelType: "APNS" } }),
          sendEvent({ clientId: "c", attributes: { campaign_id: "push", treatment_id: "0" }, endpoint: { ChannelType: "CUSTOM" } }),
        ]),
      );
      expect(result).to.deep.equal({ batchItemFailures: [] });
      const mails = Object.fromEntries(await Promise.all(bucket.objectKeys().map(async (k) => [k.split("/")[1]!, await parse(bucket, k)] as const)));
      expect(Object.keys(mails).sort()).to.deep.equal(["a", "g", "v"]);
      expect(mails.v!.text?.trim()).to.equal("Hello u1");
      expect(header(mails.v!, "Voice-Id")).to.deep.equal(["Joanna"]);
      expect(header(mails.v!, "Channel")).to.deep.equal(["VOICE"]);
      expect([mails.g!.subject, mails.g!.text?.trim()]).to.deep.equal(["Android title", "Android body for u2"]);
      expect([mails.a!.subject, mails.a!.text?.trim()]).to.deep.equal(["Default title", "Default body"]);
      expect(counts.UnsupportedChannel).to.equal(1);
      expect(logs.find((l) => l.level === "warn")?.attributes).to.include({ channelType: "CUSTOM", endpointId: "c" });
    });

    it("archives the seed's SMS campaign event (inline message) under the seed's path", async () => {
      const body = JSON.parse(seedSqs.Records[0]!.body) as { attributes: { campaign_id: string } };
      pinpoint.on(GetCampaignVersionsCommand).resolves({
        CampaignsResponse: {
          Item: [campaignVersion(1, 1591990000000, { ApplicationId: "xxxx", Id: body.attributes.campaign_id, MessageConfiguration: { SMSMessage: { Body: "Your {{Attributes.Item}} cost {{Attributes.PricePaid}}" } } })],
        },
      });
      const { handler } = build();
      expect(await handler(structuredClone(seedSqs) as unknown as { Records: SQSRecord[] })).to.deep.equal({ batchItemFailures: [] });
      const [key] = bucket.objectKeys();
      expect(key!.startsWith("archive/updatemesms3/2020/06/12/21/")).to.equal(true);
      const mail = await parse(bucket, key!);
      expect(mail.text?.trim()).to.equal("Your Taco cost 23");
      expect(header(mail, "ContentSource")).to.deep.equal(["inline"]);
      expect(header(mail, "Channel")).to.deep.equal(["SMS"]);
    });
  });
});
