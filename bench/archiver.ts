/**
 * Benchmark for #6, the Message Archiver (run with `npm run bench:archiver`). Not a test: it prints
 * numbers. S3 is simulated in memory (test/functions/message-archiver-fakes.ts behind
 * aws-sdk-client-mock): conditional writes (If-None-Match / If-Match), versions, every request
 * counted. The real code runs on it: the S3 SDK client, S3ArchiveStore, the archive step, the
 * legacy archiver handler (Powertools batch, content resolution, Handlebars, MailComposer).
 *
 * 1. Send time (default target): 10,000 generated SMS sends through the archive step (withSteps
 *    around a sender that answers SENT), then 1,000 of them again, as a caller re-running its
 *    sends would (same idempotency keys). (#9's sender never re-runs the steps of a row it recorded
 *    as sent; this is the worst case for callers without such a record.)
 * 2. Legacy target: 10,000 generated `_campaign.send` / `_journey.send` events (email, SMS, push;
 *    A/B treatments; two campaign versions each) in SQS batches of 10 through the archiver handler,
 *    with in-batch duplicates (2 %) and SQS redeliveries of whole batches after they succeeded
 *    (10 %, ApproximateReceiveCount 2). Pinpoint reads are answered from memory.
 *
 * Reports archive objects written per second (wall clock, this machine), and per archived message:
 * PUTs that stored an object (target 1.0: no duplicates, no extra writes), PUT requests issued
 * (a refused conditional PUT stores nothing but is a request), HEADs, and object versions stored.
 * The process exits non-zero when a target is missed.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { S3Client } from "@aws-sdk/client-s3";
import type { CampaignResponse, JourneyResponse } from "@aws-sdk/client-pinpoint";
import type { Context, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { S3ArchiveStore } from "../functions/shared/archive/store";
import { smsArchiveStep } from "../functions/shared/sending/archive-step";
import { withSteps } from "../functions/shared/sending/steps";
import type { SmsSendOutcome, SmsSendRequest } from "../functions/shared/sms/sms-send";
import type { PinpointReader, TemplateChannel, TemplateContent } from "../functions/message-archiver/content";
import { SimulatedBucket } from "../test/functions/message-archiver-fakes";

const MESSAGES = 10_000;
const BUCKET = "bench-archive";

process.env.POWERTOOLS_METRICS_DISABLED = "true";
const observability = { logger: new Logger({ serviceName: "bench", logLevel: "SILENT" }), metrics: new Metrics({ namespace: "Bench", serviceName: "bench" }) };

/** Deterministic pseudo-random numbers (mulberry32), so runs are comparable. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Result {
  scenario: string;
  archived: number;
  seconds: number;
  bucket: SimulatedBucket;
}

function report({ scenario, archived, seconds, bucket }: Result): boolean {
  const per = (n: number) => (n / archived).toFixed(3);
  const writesPer = bucket.writes / archived;
  const ok = bucket.objectKeys().length === archived && writesPer === 1 && bucket.versions.length === archived;
  console.log(
    [
      `${scenario}`,
      `  archived messages ${archived}, objects ${bucket.objectKeys().length}, versions ${bucket.versions.length}`,
      `  objects written per second ${(bucket.writes / seconds).toFixed(0)} (${seconds.toFixed(2)} s)`,
      `  per archived message: PUTs that stored an object ${per(bucket.writes)} (target 1.000) · PUT requests ${per(bucket.requests.put)} · HEADs ${per(bucket.requests.head)} · versions ${per(bucket.versions.length)}`,
      `  ${ok ? "target met" : "TARGET MISSED"}`,
    ].join("\n"),
  );
  return ok;
}

async function sendTime(): Promise<Result> {
  const s3 = mockClient(S3Client);
  const bucket = new SimulatedBucket(BUCKET).attach(s3);
  const store = new S3ArchiveStore(new S3Client({ region: "us-east-1" }), BUCKET);
  let n = 0;
  const sender = withSteps({ send: async (): Promise<SmsSendOutcome> => ({ status: "SENT", messageId: `eum-${++n}` }) }, [smsArchiveStep({ bucket: BUCKET, prefix: "archive" }, { store })], {
    onAfterStepError: (_step, error) => {
      throw error;
    },
  });
  const request = (i: number): SmsSendRequest => ({
    destination: `+1206555${String(i % 9000).padStart(4, "0")}`,
    originationIdentity: "pool-0123456789abcdef",
    body: `Your order ${i} has shipped. Reply STOP to opt out.`,
    messageType: "TRANSACTIONAL",
    context: { orderId: String(i) },
  });
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, MESSAGES - i) }, (_, j) => sender.send(request(i + j), { idempotencyKey: `row-${i + j}` })));
  }
  // A caller re-running 10 % of its sends (same idempotency keys), e.g. after losing its own outcome records.
  for (let i = 0; i < MESSAGES; i += 500) {
    await Promise.all(Array.from({ length: 50 }, (_, j) => sender.send(request(i + j), { idempotencyKey: `row-${i + j}` })));
  }
  const seconds = (performance.now() - started) / 1000;
  s3.restore();
  return { scenario: `1. send time: ${MESSAGES} SMS through the archive step, then 10 % of them again (same idempotency keys)`, archived: MESSAGES, seconds, bucket };
}

/** Campaigns with two versions (the second saved after every event) and three treatments; journeys with two email steps. */
class MemoryPinpoint implements PinpointReader {
  async campaignVersions(applicationId: string, campaignId: string): Promise<CampaignResponse[]> {
    const version = (v: number, modified: string): CampaignResponse =>
      ({
        ApplicationId: applicationId,
        Id: campaignId,
        Arn: "arn",
        CreationDate: "2026-01-01T00:00:00.000Z",
        LastModifiedDate: modified,
        SegmentId: "s",
        SegmentVersion: 1,
        Version: v,
        TemplateConfiguration: { EmailTemplate: { Name: `${campaignId}-email`, Version: String(v) }, SMSTemplate: { Name: `${campaignId}-sms`, Version: String(v) }, PushTemplate: { Name: `${campaignId}-push`, Version: String(v) } },
        AdditionalTreatments: ["1", "2"].map((id) => ({ Id: id, SizePercent: 25, TemplateConfiguration: { EmailTemplate: { Name: `${campaignId}-email-${id}`, Version: String(v) }, SMSTemplate: { Name: `${campaignId}-sms`, Version: String(v) }, PushTemplate: { Name: `${campaignId}-push`, Version: String(v) } } })),
      }) as CampaignResponse;
    return [version(1, "2026-02-01T00:00:00.000Z"), version(2, "2026-12-01T00:00:00.000Z")];
  }

  async journey(applicationId: string, journeyId: string): Promise<JourneyResponse> {
    return {
      ApplicationId: applicationId,
      Id: journeyId,
      Name: journeyId,
      Activities: { a: { EMAIL: { TemplateName: `${journeyId}-a`, TemplateVersion: "1" } }, b: { EMAIL: { TemplateName: `${journeyId}-b`, TemplateVersion: "2" } } },
    };
  }

  async template(channel: TemplateChannel, name: string, version: string | undefined): Promise<TemplateContent> {
    const defaultSubstitutions = JSON.stringify({ "User.UserAttributes.FirstName": "there" });
    if (channel === "EMAIL") {
      return { channel, version, defaultSubstitutions, email: { subject: `${name} v${version}: hello {{User.UserAttributes.FirstName}}`, html: `<h1>${name}</h1><p>Hi {{User.UserAttributes.FirstName}}, your {{Attributes.Item}}</p>`, text: `${name}: Hi {{User.UserAttributes.FirstName}}` } };
    }
    if (channel === "PUSH") return { channel, version, defaultSubstitutions, push: { Default: { Title: name, Body: "Hi {{User.UserAttributes.FirstName}}" } } };
    return { channel: channel as "SMS", version, defaultSubstitutions, body: `${name}: your {{Attributes.Item}} is ready` };
  }
}

async function legacy(): Promise<Result> {
  const s3 = mockClient(S3Client);
  const bucket = new SimulatedBucket(BUCKET).attach(s3);
  process.env.BUCKET_NAME = BUCKET;
  const { createArchiverHandler } = await import("../functions/message-archiver/archiver.js");
  const handler = createArchiverHandler(
    { bucketName: BUCKET, prefix: "archive" },
    { pinpoint: new MemoryPinpoint(), store: new S3ArchiveStore(new S3Client({ region: "us-east-1" }), BUCKET) },
    observability as never,
  );
  const context = { getRemainingTimeInMillis: () => 60_000, awsRequestId: "bench" } as unknown as Context;
  const rand = random(6);
  const channels = ["EMAIL", "SMS", "GCM"];
  const event = (i: number) => {
    const t = Date.parse("2026-03-02T00:00:00.000Z") + i * 1_000;
    const endpoint = JSON.stringify({ ChannelType: channels[i % 3], Attributes: { Item: [`item ${i}`] }, User: { UserId: `user-${i}`, UserAttributes: { FirstName: [`Name${i}`] } } });
    const journey = i % 4 === 3;
    return {
      event_type: journey ? "_journey.send" : "_campaign.send",
      event_timestamp: t,
      arrival_timestamp: t + 300,
      event_version: "3.1",
      application: { app_id: "bench-app", sdk: {} },
      client: { client_id: `endpoint-${i}` },
      attributes: journey
        ? { journey_id: `journey-${i % 20}`, journey_activity_id: i % 8 === 3 ? "a" : "b", journey_run_id: "run-1", journey_activity_type: "EMAIL" }
        : { campaign_id: `campaign-${i % 50}`, treatment_id: String(i % 3), campaign_activity_id: `act-${i % 50}` },
      client_context: { custom: { endpoint: journey ? JSON.stringify({ ChannelType: "EMAIL" }) : endpoint } },
    };
  };
  const record = (body: unknown, id: string, receiveCount: number) =>
    ({ messageId: id, receiptHandle: id, body: JSON.stringify(body), attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: "0", SenderId: "bench", ApproximateFirstReceiveTimestamp: "0" }, messageAttributes: {}, md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn", awsRegion: "us-east-1" }) as SQSRecord;

  let duplicates = 0;
  let redelivered = 0;
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i += 10) {
    const records = Array.from({ length: Math.min(10, MESSAGES - i) }, (_, j) => record(event(i + j), `m${i + j}`, 1));
    // In-batch duplicates: the same event queued twice (e.g. a Firehose retry landing in the same batch).
    if (rand() < 0.2) {
      records.push(record(event(i), `d${i}`, 1));
      duplicates++;
    }
    const result = await handler({ Records: records }, context);
    if (result.batchItemFailures.length > 0) throw new Error(`unexpected failures: ${JSON.stringify(result.batchItemFailures)}`);
    // A batch SQS delivers again after it succeeded (the delete was lost).
    if (rand() < 0.1) {
      await handler({ Records: records.map((r) => ({ ...r, attributes: { ...r.attributes, ApproximateReceiveCount: "2" } })) }, context);
      redelivered += records.length;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  s3.restore();
  return {
    scenario: `2. legacy: ${MESSAGES} send events through the archiver handler (${duplicates} in-batch duplicates, ${redelivered} records redelivered by SQS)`,
    archived: MESSAGES,
    seconds,
    bucket,
  };
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${process.platform}/${process.arch}\n`);
  const results = [await sendTime(), await legacy()];
  const ok = results.map(report).every(Boolean);
  console.log(ok ? "\nall targets met" : "\nTARGETS MISSED");
  if (!ok) process.exitCode = 1;
}

void main();
