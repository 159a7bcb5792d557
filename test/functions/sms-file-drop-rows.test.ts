import { expect } from "chai";
import { ErrorReport, MAX_REASON_CHARACTERS, csvField, errorReportKeyFor } from "../../functions/sms-file-drop/error-report";
import { Enqueuer, EnqueueError, type FailedEntry, type QueueEntry } from "../../functions/sms-file-drop/enqueue";
import { fileIdFor, rowIdFor, sendContextFor, type QueuedSms } from "../../functions/sms-file-drop/message";
import { resolveHeader, validateDestination, validateRow, type HeaderLayout } from "../../functions/sms-file-drop/rows";
import { parseObjectCreatedEvent } from "../../functions/sms-file-drop/s3-event";
import { buildSendContext } from "../../functions/shared/sms/sms-send";
import { fixtureJson } from "./sms-test-helpers";

const SEED_HEADER = ["sms_number", "message", "external_campaign_id", "short_code", "message_type", "id_1", "id_2"];
const RULES = { identities: new Map([["+12065550199", 1], ["pool-0123456789abcdef", 20]]), maxSegments: 10 };

function layout(header = SEED_HEADER, map = {}): HeaderLayout {
  const result = resolveHeader(header, map);
  if (!result.ok) throw new Error(result.errors.join("; "));
  return result.layout;
}

describe("SMS file drop: header mapping", () => {
  it("maps the seed header by name, in any order and case", () => {
    const l = layout(["ID_2", " Message ", "short_code", "sms_number", "message_type", "id_1", "external_campaign_id"]);
    expect(l.index).to.deep.equal({ sms_number: 3, message: 1, external_campaign_id: 6, short_code: 2, message_type: 4, id_1: 5, id_2: 0, channel: undefined });
  });

  it("applies a column map and leaves unmapped columns at their canonical names", () => {
    const l = layout(["phone", "text", "short_code", "message_type"], { sms_number: "phone", message: "text" });
    expect(l.index).to.deep.equal({ sms_number: 0, message: 1, external_campaign_id: undefined, short_code: 2, message_type: 3, id_1: undefined, id_2: undefined, channel: undefined });
    expect(l.label.sms_number).to.equal("phone");
  });

  it("reports every missing required column and duplicated column", () => {
    expect(resolveHeader(["phone", "message", "message", "message_type"], { sms_number: "mobile" })).to.deep.equal({
      ok: false,
      errors: [
        'required column "mobile" (for sms_number) is missing from the header',
        'column "message" appears 2 times in the header',
        'required column "short_code" is missing from the header',
      ],
    });
  });
});

describe("SMS file drop: row validation", () => {
  const seedRow = ["+12065550100", "Here is a long message, with a comma", "12345", "+12065550199", "TRANSACTIONAL", "tracking 1", " tracking2"];

  it("accepts the seed row, trimming values", () => {
    expect(validateRow(seedRow, layout(), RULES)).to.deep.equal({
      ok: true,
      row: {
        channel: "SMS",
        destination: "+12065550100",
        body: "Here is a long message, with a comma",
        originationIdentity: "+12065550199",
        messageType: "TRANSACTIONAL",
        externalCampaignId: "12345",
        id1: "tracking 1",
        id2: "tracking2",
        encoding: "GSM-7",
        segments: 1,
      },
    });
  });

  describe("the channel column", () => {
    const header = [...SEED_HEADER, "channel"];
    const VOICE_RULES = { ...RULES, voiceEnabled: true };

    it("accepts a VOICE row without short_code or message_type: a call, not an SMS", () => {
      expect(validateRow(["+12065550100", "Your parcel arrives today.", "spring", "", "", "order-1", "", "voice"], layout(header), VOICE_RULES)).to.deep.equal({
        ok: true,
        row: {
          channel: "VOICE",
          destination: "+12065550100",
          body: "Your parcel arrives today.",
          originationIdentity: "",
          messageType: "TRANSACTIONAL",
          externalCampaignId: "spring",
          id1: "order-1",
          id2: "",
          encoding: "GSM-7",
          segments: 0,
        },
      });
    });

    it("reads a blank channel as SMS and rejects an unknown one", () => {
      expect(validateRow([...seedRow, " "], layout(header), VOICE_RULES)).to.have.nested.property("row.channel", "SMS");
      expect(validateRow([...seedRow, "fax"], layout(header), VOICE_RULES)).to.deep.equal({ ok: false, errors: [{ column: "channel", reason: "must be SMS or VOICE" }] });
    });

    it("rejects VOICE rows when no dialer queue is configured, and a message a call cannot speak", () => {
      expect(validateRow(["+12065550100", "hi", "", "", "", "", "", "VOICE"], layout(header), RULES)).to.deep.equal({
        ok: false,
        errors: [{ column: "channel", reason: "VOICE needs the voice dialer (enable connectChannel)" }],
      });
      expect(validateRow(["+12065550100", "a".repeat(3001), "", "", "", "", "", "VOICE"], layout(header), VOICE_RULES)).to.deep.equal({
        ok: false,
        errors: [{ column: "message", reason: "is 3001 characters (a call speaks at most 3000)" }],
      });
    });
  });

  it("normalizes a formatted international number to E.164 and accepts a lower-case message type", () => {
    const result = validateRow(["+1 (206) 555-0100", "hi", "", "pool-0123456789abcdef", "promotional", "", ""], layout(), RULES);
    expect(result.ok && result.row.destination).to.equal("+12065550100");
    expect(result.ok && result.row.messageType).to.equal("PROMOTIONAL");
  });

  const invalid: Array<[string, string[], Array<{ column: string; reason: string }>]> = [
    ["a placeholder number", ["+1[CUSTOMER_NUMBER_HERE]", "hi", "", "+12065550199", "TRANSACTIONAL", "", ""], [{ column: "sms_number", reason: "is not a valid phone number (TOO_SHORT)" }]],
    ["a number without +", ["12065550100", "hi", "", "+12065550199", "TRANSACTIONAL", "", ""], [{ column: "sms_number", reason: "must be in international E.164 format starting with +" }]],
    ["an impossible number", ["+12065550", "hi", "", "+12065550199", "TRANSACTIONAL", "", ""], [{ column: "sms_number", reason: "is not a valid phone number" }]],
    ["an empty number", ["", "hi", "", "+12065550199", "TRANSACTIONAL", "", ""], [{ column: "sms_number", reason: "is empty" }]],
    ["a disallowed origination identity", ["+12065550100", "hi", "", "+18005550100", "TRANSACTIONAL", "", ""], [{ column: "short_code", reason: '"+18005550100" is not an allowed origination identity' }]],
    ["an unknown message type", ["+12065550100", "hi", "", "+12065550199", "MARKETING", "", ""], [{ column: "message_type", reason: "must be TRANSACTIONAL or PROMOTIONAL" }]],
    ["an empty message", ["+12065550100", "  ", "", "+12065550199", "TRANSACTIONAL", "", ""], [{ column: "message", reason: "is empty" }]],
    ["a message over the segment limit", ["+12065550100", "ж".repeat(671), "", "+12065550199", "TRANSACTIONAL", "", ""], [{ column: "message", reason: 'needs 11 message parts as UCS-2 (maximum 10); UCS-2 because of "ж"' }]],
    ["a message over 1600 characters", ["+12065550100", "a".repeat(1601), "", "+12065550199", "TRANSACTIONAL", "", ""], [{ column: "message", reason: "is 1601 characters (maximum 1600)" }]],
    ["an over-long tracking id", ["+12065550100", "hi", "", "+12065550199", "TRANSACTIONAL", "x".repeat(801), ""], [{ column: "id_1", reason: "is longer than 800 characters" }]],
    ["a short row", ["+12065550100", "hi", "", "+12065550199", "TRANSACTIONAL", ""], [{ column: "(row)", reason: "expected 7 fields, found 6" }]],
    [
      "a huge origination identity, quoting only its first 200 characters",
      ["+12065550100", "hi", "", "Z".repeat(90_000), "TRANSACTIONAL", "", ""],
      [{ column: "short_code", reason: `"${"Z".repeat(200)}… (truncated, 90000 characters)" is not an allowed origination identity` }],
    ],
    [
      "several problems at once",
      ["0", "", "", "nope", "x", "", ""],
      [
        { column: "sms_number", reason: "must be in international E.164 format starting with +" },
        { column: "message", reason: "is empty" },
        { column: "short_code", reason: '"nope" is not an allowed origination identity' },
        { column: "message_type", reason: "must be TRANSACTIONAL or PROMOTIONAL" },
      ],
    ],
  ];
  for (const [name, fields, errors] of invalid) {
    it(`rejects ${name}`, () => {
      expect(validateRow(fields, layout(), RULES)).to.deep.equal({ ok: false, errors });
    });
  }

  it("honours a lower segment limit", () => {
    const result = validateRow(["+12065550100", "a".repeat(161), "", "+12065550199", "TRANSACTIONAL", "", ""], layout(), { ...RULES, maxSegments: 1 });
    expect(result).to.deep.equal({ ok: false, errors: [{ column: "message", reason: "needs 2 message parts as GSM-7 (maximum 1)" }] });
  });

  it("rejects an extension on a destination number", () => {
    expect(validateDestination("+12065550100 ext. 12")).to.deep.equal({ ok: false, reason: "must not contain an extension" });
  });
});

describe("SMS file drop: queue message identity", () => {
  const file = { bucket: "sms-drop-bucket", key: "files/a.csv", etag: "0123456789abcdef0123456789abcdef" };

  it("derives a stable row id from bucket, key, etag and row number", () => {
    expect(rowIdFor(file, 1)).to.equal(rowIdFor({ ...file }, 1));
    expect(rowIdFor(file, 1)).to.match(/^[0-9a-f]{64}$/);
    expect(new Set([rowIdFor(file, 1), rowIdFor(file, 2), rowIdFor({ ...file, etag: "ffff" }, 1), rowIdFor({ ...file, key: "files/b.csv" }, 1)]).size).to.equal(4);
    expect(fileIdFor(file)).to.equal("sms-drop-bucket/files/a.csv/0123456789abcdef0123456789abcdef");
  });

  it("folds the source into five SendTextMessage Context entries", () => {
    const message: QueuedSms = {
      destination: "+12065550100",
      body: "hi",
      originationIdentity: "+12065550199",
      messageType: "TRANSACTIONAL",
      context: { external_campaign_id: "12345", id_1: "tracking 1", id_2: "", sourceBucket: "b", sourceKey: "files/a.csv", row: 7 },
      rowId: rowIdFor(file, 7),
    };
    expect(sendContextFor(message)).to.deep.equal({
      external_campaign_id: "12345",
      id_1: "tracking 1",
      rowId: rowIdFor(file, 7),
      source: "s3://b/files/a.csv#7",
    });
  });

  it("keeps a Context the API accepts: trimmed, non-empty, at most 5 entries, no value over 800 characters", () => {
    expect(
      buildSendContext([
        ["a", " x "],
        ["b", ""],
        ["c", "y".repeat(801)],
        ["d", 1],
        ["e", "3"],
        ["f", "4"],
        ["g", "5"],
        ["h", "6"],
      ]),
    ).to.deep.equal({ a: "x", d: "1", e: "3", f: "4", g: "5" });
  });
});

describe("SMS file drop: S3 events", () => {
  it("URL-decodes the key of a classic S3 notification", () => {
    expect(parseObjectCreatedEvent(fixtureJson("s3-object-created-notification.json"))).to.deep.equal([
      { bucket: "sms-drop-bucket", key: "files/March campaign(2).csv", etag: "0123456789abcdef0123456789abcdef", size: 196, versionId: undefined },
    ]);
  });

  it("reads an EventBridge Object Created event with its key as delivered", () => {
    expect(parseObjectCreatedEvent(fixtureJson("s3-object-created-eventbridge.json"))).to.deep.equal([
      { bucket: "existing-bucket", key: "files/March campaign.csv", etag: "0123456789abcdef0123456789abcdef", size: 196, versionId: undefined },
    ]);
  });

  it("ignores non-create records and rejects an unrelated event", () => {
    const event = fixtureJson<{ Records: Array<{ eventName: string }> }>("s3-object-created-notification.json");
    event.Records[0]!.eventName = "ObjectRemoved:Delete";
    expect(parseObjectCreatedEvent(event)).to.deep.equal([]);
    expect(() => parseObjectCreatedEvent({ hello: "world" })).to.throw('Event is neither an EventBridge "Object Created" event nor an S3 ObjectCreated notification');
  });
});

describe("SMS file drop: error report", () => {
  it("writes row, column and reason as RFC 4180 CSV", () => {
    const report = new ErrorReport(100);
    report.addRow(2, [{ column: "sms_number", reason: "is empty" }]);
    report.addRow(5, [{ column: "short_code", reason: '"x,y" is not an allowed origination identity' }]);
    report.addFileError("CSV syntax error");
    expect(report.toCsv()).to.equal(
      'row,column,reason\r\n2,sms_number,is empty\r\n5,short_code,"""x,y"" is not an allowed origination identity"\r\n,(file),CSV syntax error\r\n',
    );
    expect(report.rowsInvalid).to.equal(2);
  });

  it("bounds its memory and counts what it left out", () => {
    const report = new ErrorReport(2);
    for (let row = 1; row <= 5; row++) report.addRow(row, [{ column: "message", reason: "is empty" }]);
    expect(report.toCsv()).to.equal("row,column,reason\r\n1,message,is empty\r\n2,message,is empty\r\n,(report),3 more errors not listed\r\n");
    expect(report.rowsInvalid).to.equal(5);
  });

  it("names the report after the file, under the report prefix, within S3's key limit", () => {
    expect(errorReportKeyFor("reports/", "files/a.csv")).to.equal("reports/files/a.csv.errors.csv");
    const long = `files/${"é".repeat(505)}.csv`; // 1019 bytes: with the prefix and suffix, over 1024
    expect(errorReportKeyFor("reports/", long)).to.match(/^reports\/[0-9a-f]{64}\.errors\.csv$/);
    expect(csvField("plain")).to.equal("plain");
  });

  it("caps every reason it writes, whatever the reason holds", () => {
    const report = new ErrorReport(10);
    report.addRow(1, [{ column: "message", reason: "x".repeat(5000) }]);
    const line = report.toCsv().split("\r\n")[1]!;
    expect(line).to.equal(`1,message,"${"x".repeat(MAX_REASON_CHARACTERS)}… (truncated, 5000 characters)"`);
  });
});

describe("SMS file drop: enqueuer", () => {
  function entry(row: number): QueueEntry {
    return { id: `row-${row}`, body: `{"row":${row}}`, groupId: "g", deduplicationId: `d${row}` };
  }

  it("sends full batches of 10, retries only the entries SQS failed, and checkpoints the watermark", async () => {
    const calls: string[][] = [];
    let failOnce = true;
    const progress: number[] = [];
    const enqueuer = new Enqueuer({
      queue: {
        sendBatch: async (entries): Promise<FailedEntry[]> => {
          calls.push(entries.map((e) => e.id));
          if (failOnce && entries[0]!.id === "row-11") {
            failOnce = false;
            return [{ id: "row-13", code: "InternalError", senderFault: false }];
          }
          return [];
        },
      },
      saveProgress: async (row) => {
        progress.push(row);
      },
      concurrency: 1,
      maxAttempts: 3,
      sleep: async () => undefined,
      random: () => 0.5,
    });
    for (let row = 1; row <= 25; row++) await enqueuer.add(row, entry(row));
    await enqueuer.flush();
    expect(calls.map((c) => c.length)).to.deep.equal([10, 10, 1, 5]);
    expect(calls[2]).to.deep.equal(["row-13"]);
    expect(enqueuer.queued).to.equal(25);
    expect(progress.at(-1)).to.equal(25);
    expect(progress).to.deep.equal([...progress].sort((a, b) => a - b));
  });

  it("fails after the bounded number of attempts and reports the error codes", async () => {
    const enqueuer = new Enqueuer({
      queue: { sendBatch: async (entries) => entries.map((e) => ({ id: e.id, code: "ServiceUnavailable", senderFault: false })) },
      saveProgress: async () => undefined,
      concurrency: 1,
      maxAttempts: 3,
      sleep: async () => undefined,
    });
    for (let row = 1; row <= 3; row++) await enqueuer.add(row, entry(row));
    let error: unknown;
    await enqueuer.flush().catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(EnqueueError);
    expect((error as Error).message).to.equal("3 entries still failing after 3 attempts: ServiceUnavailable x3");
  });

  it("fails at once on entries SQS rejects as the sender's fault", async () => {
    let calls = 0;
    const enqueuer = new Enqueuer({
      queue: {
        sendBatch: async () => {
          calls++;
          return [{ id: "row-1", code: "InvalidParameterValue", senderFault: true }];
        },
      },
      saveProgress: async () => undefined,
      concurrency: 1,
      maxAttempts: 5,
      sleep: async () => undefined,
    });
    await enqueuer.add(1, entry(1));
    let error: unknown;
    await enqueuer.flush().catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal("SQS rejected 1 entries as invalid: InvalidParameterValue x1");
    expect(calls).to.equal(1);
  });

  it("never checkpoints past a batch that has not succeeded, even when later batches finish first", async () => {
    const release: Array<() => void> = [];
    const progress: number[] = [];
    const enqueuer = new Enqueuer({
      queue: {
        sendBatch: (entries) =>
          new Promise((resolve) => {
            if (entries[0]!.id === "row-1") release.push(() => resolve([]));
            else resolve([]);
          }),
      },
      saveProgress: async (row) => {
        progress.push(row);
      },
      concurrency: 3,
      maxAttempts: 1,
    });
    for (let row = 1; row <= 30; row++) await enqueuer.add(row, entry(row));
    await new Promise((r) => setImmediate(r));
    expect(progress).to.deep.equal([]);
    release[0]!();
    await enqueuer.flush();
    expect(progress.at(-1)).to.equal(30);
  });
});
