import { DeleteItemCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { BadRequestException, PutSuppressedDestinationCommand, SESv2Client, TooManyRequestsException } from "@aws-sdk/client-sesv2";
import { sdkStreamMixin } from "@smithy/util-stream";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { JsonRecordSplitter, splitJsonRecords, type Segment } from "../../functions/pinpoint-event-processing/json-stream";
import { shouldRetry } from "../../functions/pinpoint-event-processing/object-processor";
import { mapPinpointRecord } from "../../functions/pinpoint-event-processing/pinpoint-records";
import { decodeS3Key } from "../../functions/pinpoint-event-processing/s3-event";
import { gunzipIfNeeded } from "../../functions/pinpoint-event-processing/s3-object";
import { loadProcessorConfig } from "../../functions/pinpoint-event-processing/config";
import { recordingObservability, type RecordingLogger } from "./recording-observability";

// ---------------------------------------------------------------------------------------------
// Helpers

const FIXTURES = join(__dirname, "..", "fixtures", "pinpoint-events");
const fixtureText = (name: string): string => readFileSync(join(FIXTURES, name), "utf8");
const fixtureRecords = (): Record<string, unknown>[] =>
  fixtureText("stream-concatenated.json")
    .split(/(?<=\})(?=\{"event_type")/)
    .map((s) => JSON.parse(s) as Record<string, unknown>);

function split(text: string, chunkSize = text.length, options = {}): Segment[] {
  const splitter = new JsonRecordSplitter(options);
  const out: Segment[] = [];
  for (let i = 0; i < text.length; i += chunkSize) out.push(...splitter.push(text.slice(i, i + chunkSize)));
  out.push(...splitter.end());
  return out;
}

const rec = (text: string, line = 1): Segment => ({ kind: "record", text, line });
const bad = (problem: "unexpected-text" | "truncated" | "too-large", line: number): Segment => ({ kind: "bad", problem, line });

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function* chunksOf(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

/** A stream that delivers `first`, then fails the way a dropped S3 connection does. */
function failingAfter(first: Uint8Array, error: Error): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(first);
      } else {
        this.destroy(error);
      }
    },
  });
}

class Recorder implements RecordingLogger {
  logs: { level: string; message: string; attributes: Record<string, unknown> }[] = [];
  counts = new Map<string, number>();
  addContext(): void {}
  info(message: string, attributes: Record<string, unknown>): void {
    this.logs.push({ level: "INFO", message, attributes });
  }
  warn(message: string, attributes: Record<string, unknown>): void {
    this.logs.push({ level: "WARN", message, attributes });
  }
  error(message: string, attributes: Record<string, unknown>): void {
    this.logs.push({ level: "ERROR", message, attributes });
  }
  count(name: string, dimensions?: Record<string, string>, value = 1): void {
    const key = dimensions ? `${name}{${Object.entries(dimensions).map(([k, v]) => `${k}=${v}`).join(",")}}` : name;
    this.counts.set(key, (this.counts.get(key) ?? 0) + value);
  }
  observability() {
    return recordingObservability(this, (name, dimensions, value) => this.count(name, dimensions, value));
  }
}

function s3Event(key: string, bucket = "pinpoint-events-bucket") {
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: "us-east-1",
        eventTime: "2026-03-02T14:05:31.512Z",
        eventName: "ObjectCreated:Put",
        userIdentity: { principalId: "AWS:AROAEXAMPLEID:AWSFirehoseToS3" },
        requestParameters: { sourceIPAddress: "2600:1f18:4a3:6901:8d2b:5b8e:1c23:9f11" },
        responseElements: { "x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD" },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: "pinpoint-event-objects",
          bucket: { name: bucket, ownerIdentity: { principalId: "A3NL1KOZZKExample" }, arn: `arn:aws:s3:::${bucket}` },
          object: { key, size: 6311, eTag: "d41d8cd98f00b204e9800998ecf8427e", sequencer: "0A1B2C3D4E5F678901" },
        },
      },
    ],
  };
}

function body(data: string | Buffer, chunkSize = 1000) {
  const buffer = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += chunkSize) chunks.push(buffer.subarray(i, i + chunkSize));
  return sdkStreamMixin(Readable.from(chunks));
}

const context = { awsRequestId: "5d9f1f2e-8c1b-4a8e-9d43-6f0e2b1a7c55", getRemainingTimeInMillis: () => 60_000 } as unknown as Context;


const ENV = { CONTACT_TABLE_NAME: "contact-status", IDEMPOTENCY_TABLE_NAME: "feedback-idempotency" };

// Stubs are created in `before` and restored in `after`, so they never leak into other test files.
const createMocks = () => ({
  s3: mockClient(S3Client),
  ses: mockClient(SESv2Client),
  ddb: mockClient(DynamoDBClient),
});
type Mocks = ReturnType<typeof createMocks>;
let s3: Mocks["s3"];
let ses: Mocks["ses"];
let ddb: Mocks["ddb"];

type Processor = typeof import("../../functions/pinpoint-event-processing/processor");
let processor: Processor;
let recorder: Recorder;

describe("pinpoint-event-processing", () => {
  const savedEnv: Record<string, string | undefined> = {};

  before(() => {
    ({ s3, ses, ddb } = createMocks());
    for (const key of Object.keys(ENV)) savedEnv[key] = process.env[key];
    Object.assign(process.env, ENV);
    // Loaded after the environment is set: the module validates it at load (cold start).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    processor = require("../../functions/pinpoint-event-processing/processor") as Processor;
  });

  after(() => {
    s3.restore();
    ses.restore();
    ddb.restore();
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  beforeEach(() => {
    s3.reset();
    ses.reset();
    ddb.reset();
    recorder = new Recorder();
    ses.on(PutSuppressedDestinationCommand).resolves({});
    // Powertools idempotency (PutItem / UpdateItem / DeleteItem) and the contact store (UpdateItem).
    ddb.on(PutItemCommand).resolves({});
    ddb.on(UpdateItemCommand).resolves({});
    ddb.on(DeleteItemCommand).resolves({});
  });

  function build() {
    const config = loadProcessorConfig(ENV);
    return processor.createProcessorHandler(config, processor.createProcessorPorts(config), recorder.observability());
  }

  function suppressions() {
    return ses.commandCalls(PutSuppressedDestinationCommand).map((c) => c.args[0].input);
  }

  function contactUpdates() {
    return ddb
      .commandCalls(UpdateItemCommand)
      .map((c) => c.args[0].input)
      .filter((i) => i.TableName === "contact-status")
      .map((i) => [i.Key?.emailAddress?.S, i.ExpressionAttributeValues?.[":reason"]?.S]);
  }

  // ---------------------------------------------------------------------------------------------
  // Splitter (pure)

  describe("pinpoint-event-processing: JSON record splitter", () => {
    it("splits newline-delimited records", () => {
      expect(split('{"a":1}\n{"b":2}\n')).to.deep.equal([rec('{"a":1}', 1), rec('{"b":2}', 2)]);
    });

    it("splits concatenated records with no delimiter", () => {
      expect(split('{"a":1}{"b":{"c":[1,{"d":2}]}}{"e":3}')).to.deep.equal([
        rec('{"a":1}'),
        rec('{"b":{"c":[1,{"d":2}]}}'),
        rec('{"e":3}'),
      ]);
    });

    it("handles a mix of both, CRLF line ends and blank lines", () => {
      expect(split('{"a":1}{"b":2}\r\n\r\n  {"c":3}\r\n')).to.deep.equal([rec('{"a":1}'), rec('{"b":2}'), rec('{"c":3}', 3)]);
    });

    it("ignores braces, brackets and escaped quotes inside strings", () => {
      const text = '{"s":"}{ ] [ \\" \\\\"}{"t":"\\\\\\"}"}';
      expect(split(text)).to.deep.equal([rec('{"s":"}{ ] [ \\" \\\\"}'), rec('{"t":"\\\\\\"}"}')]);
    });

    it("gives the same records whatever the chunk boundaries", () => {
      const text = fixtureText("stream-with-bad-line.ndjson");
      const whole = split(text);
      for (const size of [1, 2, 3, 7, 64, 1000]) expect(split(text, size), `chunk ${size}`).to.deep.equal(whole);
    });

    it("reports a truncated line and resumes on the next line", () => {
      expect(split('{"a":1}\n{"b":"cut\n{"c":3}\n{"d":\n{"e":5}')).to.deep.equal([
        rec('{"a":1}', 1),
        bad("truncated", 2),
        rec('{"c":3}', 3),
        bad("truncated", 4),
        rec('{"e":5}', 5),
      ]);
    });

    it("reports text outside records and resumes at the next record", () => {
      expect(split('garbage\n{"a":1}noise{"b":2}\n]')).to.deep.equal([
        bad("unexpected-text", 1),
        rec('{"a":1}', 2),
        bad("unexpected-text", 2),
        rec('{"b":2}', 2),
        bad("unexpected-text", 3),
      ]);
    });

    it("reports an unfinished record at the end of the input", () => {
      expect(split('{"a":1}{"b":')).to.deep.equal([rec('{"a":1}'), bad("truncated", 1)]);
    });

    it("drops an oversized record without losing the ones after it", () => {
      const big = `{"x":"${"y".repeat(100)}"}`;
      expect(split(`{"a":1}${big}{"b":2}`, 16, { maxRecordChars: 50 })).to.deep.equal([rec('{"a":1}'), bad("too-large", 1), rec('{"b":2}')]);
    });

    it("decodes UTF-8 split across byte chunks", async () => {
      const bytes = Buffer.from('{"name":"Zoë 😀"}\n', "utf8");
      const segments = await collect(splitJsonRecords(chunksOf(...[...bytes].map((b) => Uint8Array.of(b)))));
      expect(segments).to.deep.equal([rec('{"name":"Zoë 😀"}')]);
    });

    it("gunzips a gzip stream and passes other streams through", async () => {
      const text = '{"a":1}\n';
      const gz = gzipSync(Buffer.from(text));
      const out = Buffer.concat(await collect(gunzipIfNeeded(chunksOf(gz.subarray(0, 5), gz.subarray(5)))));
      expect(out.toString("utf8")).to.equal(text);
      const plain = Buffer.concat(await collect(gunzipIfNeeded(chunksOf(Buffer.from(text)))));
      expect(plain.toString("utf8")).to.equal(text);
    });

    it("rejects, instead of crashing the process, when the gzip source fails mid-read", async () => {
      const gz = gzipSync(Buffer.from(fixtureText("stream-concatenated.json")));
      const caught = await collect(gunzipIfNeeded(failingAfter(gz.subarray(0, 64), new Error("socket hang up")))).catch((e: unknown) => e);
      expect((caught as Error).message).to.equal("socket hang up");
    });

    it("rejects corrupt and truncated gzip data with zlib's error", async () => {
      const corrupt = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(32, 0xff)]);
      const corruptError = await collect(gunzipIfNeeded(chunksOf(corrupt))).catch((e: unknown) => e);
      expect((corruptError as { code?: string }).code).to.equal("Z_DATA_ERROR");
      const gz = gzipSync(Buffer.from(fixtureText("stream-concatenated.json")));
      const truncatedError = await collect(gunzipIfNeeded(chunksOf(gz.subarray(0, gz.length - 20)))).catch((e: unknown) => e);
      expect((truncatedError as { code?: string }).code).to.equal("Z_BUF_ERROR");
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Mapping (pure)

  describe("pinpoint-event-processing: Pinpoint record mapping", () => {
    it("maps _email.hardbounce to a normalised Bounce FeedbackEvent", () => {
      expect(mapPinpointRecord(fixtureRecords()[1])).to.deep.equal({
        kind: "feedback",
        event: {
          kind: "bounce",
          eventType: "Bounce",
          sesMessageId: "0100018e1a2b3c4d-22222222-aaaa-bbbb-cccc-000000000002-000000",
          timestamp: "2026-03-02T14:00:03.120Z",
          bounceType: "Permanent",
          bounceSubType: "General",
          feedbackId: "0100018e1a2b3c4e-aaaaaaaa-1111-2222-3333-444444444444-000000",
          recipients: ["gone.user@customer.example"],
        },
      });
    });

    it("maps _email.complaint to a normalised Complaint FeedbackEvent", () => {
      expect(mapPinpointRecord(fixtureRecords()[2])).to.deep.equal({
        kind: "feedback",
        event: {
          kind: "complaint",
          eventType: "Complaint",
          sesMessageId: "0100018e1a2b3c4d-33333333-aaaa-bbbb-cccc-000000000003-000000",
          timestamp: "2026-03-02T14:00:09.000Z",
          complaintFeedbackType: "abuse",
          feedbackId: "0100018e1a2b3c4f-bbbbbbbb-1111-2222-3333-444444444444-000000",
          recipients: ["angry.reader@mailbox.example"],
        },
      });
    });

    it("ignores other event types without validating them", () => {
      expect(mapPinpointRecord(fixtureRecords()[0])).to.deep.equal({ kind: "ignored", eventType: "_email.send" });
      expect(mapPinpointRecord({ event_type: "_SMS.SUCCESS" })).to.deep.equal({ kind: "ignored", eventType: "_SMS.SUCCESS" });
    });

    it("falls back to the single mail.destination when the recipient list is absent, using event_timestamp", () => {
      const record = structuredClone(fixtureRecords()[1]) as { facets: { email_channel: { mail_event: { bounce: Record<string, unknown> } } } };
      const b = record.facets.email_channel.mail_event.bounce;
      delete b.bounced_recipients;
      delete b.timestamp;
      const mapped = mapPinpointRecord(record);
      expect(mapped.kind === "feedback" && [mapped.event.recipients, mapped.event.timestamp]).to.deep.equal([
        ["gone.user@customer.example"],
        "2026-03-02T14:00:03.000Z",
      ]);
    });

    it("reports invalid records by schema path only", () => {
      expect(mapPinpointRecord([1])).to.deep.equal({ kind: "invalid", error: "record is not a JSON object" });
      expect(mapPinpointRecord({ facets: {} })).to.deep.equal({ kind: "invalid", error: "event_type: missing or not a string" });
      expect(mapPinpointRecord({ event_type: "_email.complaint", facets: { email_channel: { mail_event: {} } } })).to.deep.equal({
        kind: "invalid",
        error: "facets.email_channel.mail_event.mail: invalid_type",
      });
      const noRecipients = {
        event_type: "_email.complaint",
        event_timestamp: 1,
        facets: { email_channel: { mail_event: { mail: { message_id: "m", destination: ["a@x.example", "b@x.example"] }, complaint: {} } } },
      };
      expect(mapPinpointRecord(noRecipients)).to.deep.equal({
        kind: "invalid",
        error: "facets.email_channel.mail_event.complaint.complained_recipients: missing",
      });
    });

    const keys: [string, string][] = [
      ["events/2026/03/02/14/pinpoint-stream-1-2026-03-02-14-00-00-abc", "events/2026/03/02/14/pinpoint-stream-1-2026-03-02-14-00-00-abc"],
      ["events/my+file%3D1.json", "events/my file=1.json"],
      ["events/caf%C3%A9+%2B+more", "events/café + more"],
    ];
    for (const [encoded, decoded] of keys) {
      it(`decodes the S3 key ${encoded}`, () => expect(decodeS3Key(encoded)).to.equal(decoded));
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Handler (SDK mocks)

  describe("pinpoint-event-processing processor handler", () => {
    it("suppresses the good records of an object with a bad line in the middle and reports the bad one", async () => {
      s3.on(GetObjectCommand).resolves({ Body: body(fixtureText("stream-with-bad-line.ndjson")) });

      await build()(s3Event("events/2026/03/02/14/pinpoint-stream-1-2026-03-02-14-00-00-0f1e2d3c"), context);

      expect(suppressions()).to.deep.equal([
        { EmailAddress: "gone.user@customer.example", Reason: "BOUNCE" },
        { EmailAddress: "angry.reader@mailbox.example", Reason: "COMPLAINT" },
        { EmailAddress: "no.such.box@other.example", Reason: "BOUNCE" },
      ]);
      expect(contactUpdates()).to.deep.equal([
        ["gone.user@customer.example", "BOUNCE"],
        ["angry.reader@mailbox.example", "COMPLAINT"],
        ["no.such.box@other.example", "BOUNCE"],
      ]);
      expect(Object.fromEntries(recorder.counts)).to.deep.equal({
        "Suppressed{Reason=BOUNCE}": 2,
        "Suppressed{Reason=COMPLAINT}": 1,
        RecordsRead: 5,
        FeedbackRecords: 3,
        IgnoredRecords: 2,
        Duplicate: 0,
        InvalidAddress: 0,
        MalformedRecord: 1,
        FailedRecord: 0,
      });
      const malformed = recorder.logs.find((l) => l.message === "Malformed records skipped in event object");
      expect(malformed).to.deep.equal({
        level: "ERROR",
        message: "Malformed records skipped in event object",
        attributes: {
          bucket: "pinpoint-events-bucket",
          key: "events/2026/03/02/14/pinpoint-stream-1-2026-03-02-14-00-00-0f1e2d3c",
          malformedRecords: 1,
          firstMalformed: [{ line: 3, problem: "truncated" }],
        },
      });
      expect(JSON.stringify(recorder.logs)).not.to.match(/@customer\.example|@mailbox\.example|@other\.example/);
    });

    it("processes concatenated JSON records with no delimiter", async () => {
      s3.on(GetObjectCommand).resolves({ Body: body(fixtureText("stream-concatenated.json"), 333) });
      await build()(s3Event("events/2026/03/02/14/concatenated"), context);
      expect(suppressions().map((s) => s.EmailAddress)).to.deep.equal([
        "gone.user@customer.example",
        "angry.reader@mailbox.example",
        "no.such.box@other.example",
      ]);
      expect(recorder.counts.get("MalformedRecord")).to.equal(0);
    });

    it("processes a GZIP-compressed object", async () => {
      s3.on(GetObjectCommand).resolves({ Body: body(gzipSync(Buffer.from(fixtureText("stream-concatenated.json")))) });
      await build()(s3Event("events/2026/03/02/14/compressed.gz"), context);
      expect(suppressions()).to.have.length(3);
    });

    it("URL-decodes the object key before GetObject", async () => {
      s3.on(GetObjectCommand).resolves({ Body: body(fixtureText("stream-concatenated.json")) });
      await build()(s3Event("events/2026/03/02/14/Pinpoint+Stream+%C3%A9v%C3%A9nements%3D1"), context);
      expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).to.deep.equal([
        { Bucket: "pinpoint-events-bucket", Key: "events/2026/03/02/14/Pinpoint Stream événements=1" },
      ]);
    });

    it("processes every record, then throws when an SES call was throttled", async () => {
      s3.on(GetObjectCommand).resolves({ Body: body(fixtureText("stream-with-bad-line.ndjson")) });
      ses
        .on(PutSuppressedDestinationCommand, { EmailAddress: "angry.reader@mailbox.example" })
        .rejects(new TooManyRequestsException({ message: "Too many requests", $metadata: { httpStatusCode: 429 } }));

      let caught: unknown;
      try {
        await build()(s3Event("events/2026/03/02/14/throttled"), context);
      } catch (error) {
        caught = error;
      }
      expect((caught as Error).name).to.equal("EventObjectFailedError");
      expect((caught as Error).message).to.equal("1 event object(s) need a retry");
      // The record after the throttled one was still processed.
      expect(suppressions().map((s) => s.EmailAddress)).to.deep.equal([
        "gone.user@customer.example",
        "angry.reader@mailbox.example",
        "no.such.box@other.example",
      ]);
      expect(recorder.counts.get("FailedRecord")).to.equal(1);
      expect(recorder.logs.find((l) => l.message === "Suppression failed for some records")?.attributes).to.deep.equal({
        bucket: "pinpoint-events-bucket",
        key: "events/2026/03/02/14/throttled",
        failures: [
          {
            line: 4,
            sesMessageId: "0100018e1a2b3c4d-33333333-aaaa-bbbb-cccc-000000000003-000000",
            errorNames: ["TooManyRequestsException"],
            retry: true,
          },
        ],
      });
    });

    it("reports but does not retry a record SES rejects as a bad request", async () => {
      s3.on(GetObjectCommand).resolves({ Body: body(fixtureText("stream-concatenated.json")) });
      ses
        .on(PutSuppressedDestinationCommand, { EmailAddress: "no.such.box@other.example" })
        .rejects(new BadRequestException({ message: "Invalid email address", $metadata: { httpStatusCode: 400 } }));
      await build()(s3Event("events/bad-request"), context);
      expect(recorder.counts.get("FailedRecord")).to.equal(1);
      expect(recorder.counts.get("Suppressed{Reason=BOUNCE}")).to.equal(1);
    });

    it("fails the object, without an uncaught exception, when the gzip body errors mid-read", async () => {
      const gz = gzipSync(Buffer.from(fixtureText("stream-concatenated.json")));
      s3.on(GetObjectCommand).resolves({ Body: sdkStreamMixin(failingAfter(gz.subarray(0, 100), Object.assign(new Error("aborted"), { name: "ECONNRESET" }))) });
      const caught = await build()(s3Event("events/2026/03/02/14/reset.gz"), context).catch((e: unknown) => e);
      expect((caught as Error).name).to.equal("EventObjectFailedError");
      expect(recorder.counts.get("ObjectReadFailed")).to.equal(1);
      expect(recorder.logs.find((l) => l.message === "Event object could not be read")?.attributes).to.deep.equal({
        bucket: "pinpoint-events-bucket",
        key: "events/2026/03/02/14/reset.gz",
        errorName: "ECONNRESET",
      });
    });

    it("fails the object when its gzip data is corrupt", async () => {
      const gz = gzipSync(Buffer.from(fixtureText("stream-concatenated.json")));
      gz.fill(0xff, 10, 40);
      s3.on(GetObjectCommand).resolves({ Body: body(gz) });
      const caught = await build()(s3Event("events/2026/03/02/14/corrupt.gz"), context).catch((e: unknown) => e);
      expect((caught as Error).name).to.equal("EventObjectFailedError");
      expect(recorder.counts.get("ObjectReadFailed")).to.equal(1);
      expect(suppressions()).to.deep.equal([]);
    });

    it("does not suppress an address SES would reject, counts it as InvalidAddress and does not retry the object", async () => {
      const text = fixtureText("stream-concatenated.json").replace('"email_address":"no.such.box@other.example"', '"email_address":"no such box@other.example"');
      s3.on(GetObjectCommand).resolves({ Body: body(text) });
      await build()(s3Event("events/2026/03/02/14/invalid-address"), context);
      expect(suppressions().map((s) => s.EmailAddress)).to.deep.equal(["gone.user@customer.example", "angry.reader@mailbox.example"]);
      expect(contactUpdates().map(([address]) => address)).to.deep.equal(["gone.user@customer.example", "angry.reader@mailbox.example"]);
      expect(recorder.counts.get("InvalidAddress")).to.equal(1);
      expect(recorder.counts.get("FailedRecord")).to.equal(0);
      expect(recorder.logs.find((l) => l.message === "Recipient addresses not accepted by SES; not suppressed")).to.deep.equal({
        level: "WARN",
        message: "Recipient addresses not accepted by SES; not suppressed",
        attributes: {
          bucket: "pinpoint-events-bucket",
          key: "events/2026/03/02/14/invalid-address",
          invalidAddresses: 1,
          firstInvalid: [
            { line: 1, sesMessageId: "0100018e1a2b3c4d-44444444-aaaa-bbbb-cccc-000000000004-000000", recipient: "n***@o***.example", problem: "local-part-syntax" },
          ],
        },
      });
      expect(JSON.stringify(recorder.logs)).not.to.contain("no such box");
    });

    it("throws when the object cannot be read", async () => {
      s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: "The specified key does not exist.", $metadata: { httpStatusCode: 404 } }));
      let caught: unknown;
      try {
        await build()(s3Event("events/gone"), context);
      } catch (error) {
        caught = error;
      }
      expect((caught as Error).name).to.equal("EventObjectFailedError");
      expect(recorder.counts.get("ObjectReadFailed")).to.equal(1);
      expect(recorder.logs[0]?.attributes).to.deep.equal({ bucket: "pinpoint-events-bucket", key: "events/gone", errorName: "NoSuchKey" });
    });

    it("throws on an event that is not an S3 notification", async () => {
      let caught: unknown;
      try {
        await build()({ Records: [{ eventSource: "aws:sqs", body: "{}" }] }, context);
      } catch (error) {
        caught = error;
      }
      expect((caught as Error).message).to.equal("Invalid S3 event notification");
      expect(recorder.counts.get("InvalidEvent")).to.equal(1);
    });

    it("validates its environment (its contract's variables) at cold start", () => {
      expect(() => loadProcessorConfig({ CONTACT_TABLE_NAME: "contact-status" })).to.throw("IDEMPOTENCY_TABLE_NAME is required");
    });
  });
});

describe("pinpoint-event-processing: which record failures are retried", () => {
  const named = (name: string, status = 400) => Object.assign(new Error("x"), { name, $metadata: { httpStatusCode: status } });

  it("skips only what the record's own data causes (SES BadRequestException) and retries everything else", () => {
    expect(
      ["BadRequestException", "ValidationException", "AccessDeniedException", "TooManyRequestsException", "InternalFailure"].map((name) =>
        shouldRetry(named(name, name === "InternalFailure" ? 500 : 400)),
      ),
    ).to.deep.equal([false, true, true, true, true]);
  });
});
