import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetEmailTemplateCommand as PinpointGetEmailTemplateCommand, PinpointClient } from "@aws-sdk/client-pinpoint";
import {
  GetEmailTemplateCommand,
  MessageRejected,
  NotFoundException,
  SendEmailCommand,
  SESv2Client,
  TooManyRequestsException,
  type SendEmailCommandInput,
} from "@aws-sdk/client-sesv2";
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  firstMailbox,
  isGroupSyntax,
  isNoReplyAddress,
  isSystemAddress,
  isWithinDomain,
  parseAddressList,
  senderHash,
} from "../../functions/ses-auto-reply/addresses";
import { loadAutoReplyConfig } from "../../functions/ses-auto-reply/config";
import { SesReceiptEventSchema, type SesReceiptRecord } from "../../functions/ses-auto-reply/receipt-event";
import { buildReplyHeaders, buildSubject, capReferences, escapeHtml, fillPlaceholders } from "../../functions/ses-auto-reply/render";
import { decideReply, normalizeMessageId, type ReplyPolicy } from "../../functions/ses-auto-reply/reply-policy";
import { classifySendError } from "../../functions/ses-auto-reply/sender";
import { TemplateContentError } from "../../functions/ses-auto-reply/template-source";
import { recordingObservability, type RecordingLogger } from "./recording-observability";

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers
// ---------------------------------------------------------------------------------------------

const FIXTURES = join(__dirname, "..", "fixtures", "ses-receipt");

interface ReceiptEvent {
  Records: SesReceiptRecord[];
}

function fixture(name: string): ReceiptEvent {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8")) as ReceiptEvent;
}

/** A copy of a fixture with its single record changed by `edit`. */
function variant(name: string, edit: (record: SesReceiptRecord) => void): ReceiptEvent {
  const event = fixture(name);
  edit(event.Records[0]!);
  return event;
}

function setHeader(record: SesReceiptRecord, name: string, value: string): void {
  record.ses.mail.headers = record.ses.mail.headers.filter((h) => h.name.toLowerCase() !== name.toLowerCase());
  record.ses.mail.headers.push({ name, value });
}

function setFrom(record: SesReceiptRecord, value: string): void {
  record.ses.mail.commonHeaders.from = [value];
  setHeader(record, "From", value);
}

const CUSTOMER = "jane.doe@customer.example";
const SES_ID = "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1";
const RFC_ID = "<CAKx8kQv2Y1nB0t6w3=Jm9s@mail.gmail.com>";

const BASE_ENV: Record<string, string> = {
  STATE_TABLE_NAME: "auto-reply-state",
  TEMPLATE_NAME: "no-reply-notice",
  ALLOWED_REPLY_FROM: "@example.com, help@brand.example",
  OWN_ADDRESSES: "support@example.com,@notifications.example.com",
  CONFIGURATION_SET_NAME: "auto-reply",
};

const SES_TEMPLATE = {
  TemplateName: "no-reply-notice",
  TemplateContent: {
    Subject: "We received your message: ",
    Html: "<p>Hello %%NAME%%,</p><p>This mailbox is not monitored. Reference: %%ID%%</p><p>Thanks, %%NAME%%!</p>",
    Text: "Hello %%NAME%%,\nThis mailbox is not monitored. Reference: %%ID%% (%%ID%%)\n",
  },
};

/** The id the customer-reply fixture answers (its own References / In-Reply-To). */
const PARENT_REF = "<0100018e0a1b2c3d-4e5f6a7b-8c9d-0e1f-2a3b-4c5d6e7f8a9b-000000@email.amazonses.com>";

const EXPECTED_HEADERS = [
  { Name: "Auto-Submitted", Value: "auto-replied" },
  { Name: "X-Auto-Response-Suppress", Value: "All" },
  { Name: "In-Reply-To", Value: RFC_ID },
  // RFC 5322 §3.6.4: the inbound References, then the inbound Message-ID.
  { Name: "References", Value: `${PARENT_REF} ${RFC_ID}` },
];

class Recorder implements RecordingLogger {
  logs: { level: string; message: string; attributes: Record<string, unknown> }[] = [];
  counts: { name: string; dimensions?: Record<string, string> }[] = [];
  flushes = 0;
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
  count(name: string, dimensions?: Record<string, string>): void {
    this.counts.push(dimensions ? { name, dimensions } : { name });
  }
  flush(): void {
    this.flushes += 1;
  }
  observability() {
    return recordingObservability(this, (name, dimensions) => this.count(name, dimensions), () => this.flush());
  }
}

function context(remainingMs = 10_000): Context {
  return {
    awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678",
    functionName: "ses-auto-reply-responder",
    getRemainingTimeInMillis: () => remainingMs,
  } as unknown as Context;
}


/**
 * An in-memory stand-in for the state table that evaluates the exact condition expressions the
 * store sends (and fails loudly on any other expression, so it cannot silently diverge).
 */
class FakeStateTable {
  items = new Map<string, Record<string, unknown>>();

  install(): void {
    ddb.on(PutCommand).callsFake((input: { Item: Record<string, unknown>; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown> }) => {
      const pk = input.Item.pk as string;
      const existing = this.items.get(pk);
      const v = input.ExpressionAttributeValues ?? {};
      let ok: boolean;
      switch (input.ConditionExpression) {
        case undefined:
          ok = true;
          break;
        case "attribute_not_exists(pk) OR expiresAt < :nowSec OR (#state = :pending AND leaseUntil < :nowMs)":
          ok =
            !existing ||
            (existing.expiresAt as number) < (v[":nowSec"] as number) ||
            (existing.state === "PENDING" && (existing.leaseUntil as number) < (v[":nowMs"] as number));
          break;
        case "attribute_not_exists(pk) OR expiresAt < :nowSec OR messageId = :messageId":
          ok = !existing || (existing.expiresAt as number) < (v[":nowSec"] as number) || existing.messageId === v[":messageId"];
          break;
        default:
          throw new Error(`FakeStateTable: unexpected condition ${input.ConditionExpression}`);
      }
      if (!ok) {
        throw new ConditionalCheckFailedException({
          message: "The conditional request failed",
          $metadata: { httpStatusCode: 400 },
          Item: existing?.state ? { state: { S: existing.state as string } } : undefined,
        });
      }
      this.items.set(pk, { ...input.Item });
      return {};
    });
    ddb.on(UpdateCommand).callsFake((input: { Key: { pk: string }; UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> }) => {
      const existing = this.items.get(input.Key.pk);
      const v = input.ExpressionAttributeValues;
      const ids = existing?.messageIds as Set<string> | undefined;
      const [id] = [...(v[":ids"] as Set<string>)];
      if (
        input.UpdateExpression === "ADD messageIds :ids SET expiresAt = :expiresAt" &&
        input.ConditionExpression === "attribute_not_exists(messageIds) OR size(messageIds) < :cap OR contains(messageIds, :id)"
      ) {
        if (ids && ids.size >= (v[":cap"] as number) && !ids.has(v[":id"] as string)) {
          throw new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} });
        }
        this.items.set(input.Key.pk, { pk: input.Key.pk, messageIds: new Set([...(ids ?? []), id!]), expiresAt: v[":expiresAt"] });
      } else if (input.UpdateExpression === "DELETE messageIds :ids" && input.ConditionExpression === "attribute_exists(pk)") {
        if (!existing) throw new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} });
        const rest = new Set([...(ids ?? [])].filter((m) => m !== id));
        // DynamoDB removes a set attribute that becomes empty.
        const { messageIds: _removed, ...others } = existing;
        this.items.set(input.Key.pk, rest.size > 0 ? { ...others, messageIds: rest } : others);
      } else {
        throw new Error(`FakeStateTable: unexpected update ${input.UpdateExpression} / ${input.ConditionExpression}`);
      }
      return {};
    });
    ddb.on(DeleteCommand).callsFake((input: { Key: { pk: string }; ConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> }) => {
      const existing = this.items.get(input.Key.pk);
      let ok: boolean;
      if (input.ConditionExpression === "#state = :pending") ok = existing?.state === input.ExpressionAttributeValues[":pending"];
      else if (input.ConditionExpression === "messageId = :messageId") ok = existing?.messageId === input.ExpressionAttributeValues[":messageId"];
      else throw new Error(`FakeStateTable: unexpected condition ${input.ConditionExpression}`);
      if (!ok) throw new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} });
      this.items.delete(input.Key.pk);
      return {};
    });
  }
}

// Stubs are created in `before` and restored in `after`, so they never leak into other test files.
const createMocks = () => ({
  ses: mockClient(SESv2Client),
  pinpoint: mockClient(PinpointClient),
  ddb: mockClient(DynamoDBDocumentClient),
});
type Mocks = ReturnType<typeof createMocks>;
let ses: Mocks["ses"];
let pinpoint: Mocks["pinpoint"];
let ddb: Mocks["ddb"];

type Responder = typeof import("../../functions/ses-auto-reply/responder");
let responder: Responder;
let table: FakeStateTable;
let recorder: Recorder;
let clock: number;

function build(env: Record<string, string> = {}) {
  const config = loadAutoReplyConfig({ ...BASE_ENV, ...env });
  return responder.createAutoReplyHandler(config, { ...responder.createAutoReplyPorts(config), now: () => clock }, recorder.observability());
}

function sendInputs(): SendEmailCommandInput[] {
  return ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input);
}

function skipCounts(): string[] {
  return recorder.counts.filter((c) => c.name === "ReplySkipped").map((c) => c.dimensions?.reason ?? "");
}

describe("ses-auto-reply", () => {
  const savedEnv: Record<string, string | undefined> = {};

  before(() => {
    ({ ses, pinpoint, ddb } = createMocks());
    for (const key of Object.keys(BASE_ENV)) savedEnv[key] = process.env[key];
    Object.assign(process.env, BASE_ENV);
    // Imported after the environment is set: the module validates it at load (cold start).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    responder = require("../../functions/ses-auto-reply/responder") as Responder;
  });

  after(() => {
    ses.restore();
    pinpoint.restore();
    ddb.restore();
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  beforeEach(() => {
    ses.reset();
    pinpoint.reset();
    ddb.reset();
    table = new FakeStateTable();
    table.install();
    recorder = new Recorder();
    clock = Date.parse("2026-03-02T14:05:12.000Z");
    ses.on(GetEmailTemplateCommand).resolves(SES_TEMPLATE);
    ses.on(SendEmailCommand).resolves({ MessageId: "0100018e0b2c3d4e-reply-000000" });
  });

  // ---------------------------------------------------------------------------------------------
  // Pure logic
  // ---------------------------------------------------------------------------------------------

  describe("ses-auto-reply: address parsing", () => {
    it("parses display names and RFC 2047 encoded words with postal-mime", () => {
      expect(firstMailbox(["=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <juergen@kunde.example>"])).to.deep.equal({
        name: "Jürgen Müller",
        address: "juergen@kunde.example",
      });
      expect(firstMailbox(['"Doe, Jane" <jane@example.org>, bob@example.org'])).to.deep.equal({
        name: "Doe, Jane",
        address: "jane@example.org",
      });
    });

    it("returns undefined when no header value holds an address", () => {
      expect(firstMailbox(["undisclosed-recipients:;"])).to.equal(undefined);
      expect(firstMailbox([])).to.equal(undefined);
      expect(firstMailbox(undefined)).to.equal(undefined);
    });

    it("parses address lists of addresses and @domains and reports the invalid entries", () => {
      const { list, invalid } = parseAddressList(["Help@Example.com", "@brand.example", "not-an-address", "@"]);
      expect([...list.addresses]).to.deep.equal(["help@example.com"]);
      expect([...list.domains]).to.deep.equal(["brand.example"]);
      expect(invalid).to.deep.equal(["not-an-address", "@"]);
    });

    it("hashes the lower-cased sender so the table holds no address", () => {
      expect(senderHash(" Jane.Doe@Customer.Example ")).to.equal(senderHash(CUSTOMER));
      expect(senderHash(CUSTOMER)).to.match(/^[0-9a-f]{64}$/);
    });
  });

  describe("ses-auto-reply: rendering", () => {
    it("escapes &, <, >, double and single quotes", () => {
      expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).to.equal("&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
    });

    it("replaces every occurrence of each placeholder, escaping values only in HTML", () => {
      const values = { name: "<b>Eve</b> $&", id: "id-1" };
      expect(fillPlaceholders("%%NAME%%|%%ID%%|%%NAME%%|%%ID%%", values, true)).to.equal(
        "&lt;b&gt;Eve&lt;/b&gt; $&amp;|id-1|&lt;b&gt;Eve&lt;/b&gt; $&amp;|id-1",
      );
      expect(fillPlaceholders("%%NAME%% %%NAME%%", values, false)).to.equal("<b>Eve</b> $& <b>Eve</b> $&");
    });

    const subjects: [string, string, string, string][] = [
      ["prefix and subject", "Auto: ", "Hello", "Auto: Hello"],
      ["no original subject", "Auto: ", "", "Auto:"],
      ["no prefix", "", "Hello", "Hello"],
      ["neither", "", "", "Automatic reply"],
      ["placeholder in prefix", "Re %%ID%%: ", "Hello", "Re m-1: Hello"],
    ];
    for (const [label, prefix, original, expected] of subjects) {
      it(`builds the subject with ${label}`, () => {
        expect(buildSubject(prefix, original, { name: "N", id: "m-1" })).to.equal(expected);
      });
    }

    const messageIds: [string | undefined, string | undefined][] = [
      ["<abc@example.com>", "<abc@example.com>"],
      ["abc@example.com", "<abc@example.com>"],
      ["  <abc@example.com>  ", "<abc@example.com>"],
      ["<abc\r\nBcc: x@y>", undefined],
      ["<a b@c>", undefined],
      ["<é@example.com>", undefined],
      ["", undefined],
      [undefined, undefined],
    ];
    for (const [input, expected] of messageIds) {
      it(`normalises Message-ID ${JSON.stringify(input)} to ${JSON.stringify(expected)}`, () => {
        expect(normalizeMessageId(input)).to.equal(expected);
      });
    }
  });

  describe("ses-auto-reply: send error classification", () => {
    const cases: [string, string][] = [
      ["MessageRejected", "message-rejected"],
      ["BadRequestException", "message-rejected"],
      ["AccountSuspendedException", "sending-disabled"],
      ["SendingPausedException", "sending-disabled"],
      ["MailFromDomainNotVerifiedException", "sending-disabled"],
      ["TooManyRequestsException", "throw"],
      ["LimitExceededException", "throw"],
      ["NotFoundException", "throw"],
      ["AccessDeniedException", "throw"],
      ["InternalFailure", "throw"],
    ];
    for (const [name, kind] of cases) {
      it(`treats ${name} as ${kind}`, () => {
        expect(classifySendError(Object.assign(new Error("x"), { name }))).to.equal(kind);
      });
    }
  });

  describe("ses-auto-reply: configuration", () => {
    it("applies the defaults", () => {
      const config = loadAutoReplyConfig({ STATE_TABLE_NAME: "t", TEMPLATE_NAME: "n", REPLY_FROM: "noreply@example.com" });
      expect(config).to.deep.include({
        templateSource: "ses",
        templateCacheTtlSeconds: 300,
        replyWindowSeconds: 86_400,
        skipOnDmarcFail: true,
        configurationSetName: undefined,
        replyFrom: "noreply@example.com",
        maxRepliesPerHour: 100,
        allowExternalReplyTo: false,
        sendGuarantee: "at-most-once",
      });
    });

    it("names every bad variable in one error", () => {
      expect(() =>
        loadAutoReplyConfig({
          TEMPLATE_SOURCE: "s3",
          TEMPLATE_CACHE_TTL_SECONDS: "five",
          SKIP_ON_DMARC_FAIL: "yes",
          REPLY_FROM: "Support <noreply@example.com>",
        }),
      ).to.throw(
        "Invalid ses-auto-reply configuration: STATE_TABLE_NAME: required; TEMPLATE_NAME: required; " +
          'TEMPLATE_SOURCE: expected "ses" or "pinpoint"; TEMPLATE_CACHE_TTL_SECONDS: expected a whole number of seconds; ' +
          "REPLY_FROM: expected a plain address (local@domain); " +
          'SKIP_ON_DMARC_FAIL: expected "true" or "false"',
      );
    });

    it("rejects invalid allow-list entries and a configuration with no From source", () => {
      expect(() => loadAutoReplyConfig({ STATE_TABLE_NAME: "t", TEMPLATE_NAME: "n", ALLOWED_REPLY_FROM: "example.com" })).to.throw(
        'Invalid ses-auto-reply configuration: ALLOWED_REPLY_FROM: expected addresses or @domains, got ["example.com"]',
      );
      expect(() => loadAutoReplyConfig({ STATE_TABLE_NAME: "t", TEMPLATE_NAME: "n" })).to.throw(
        "Invalid ses-auto-reply configuration: REPLY_FROM / ALLOWED_REPLY_FROM: set REPLY_FROM, or ALLOWED_REPLY_FROM for replying from the recipient address",
      );
      expect(() =>
        loadAutoReplyConfig({ STATE_TABLE_NAME: "t", TEMPLATE_NAME: "n", REPLY_FROM: "a@example.com", REPLY_WINDOW_SECONDS: "0" }),
      ).to.throw("REPLY_WINDOW_SECONDS: expected a whole number of seconds greater than 0");
    });

    it("validates the environment when the module loads (cold start)", () => {
      expect(() => loadAutoReplyConfig({ ...BASE_ENV, STATE_TABLE_NAME: "" })).to.throw("STATE_TABLE_NAME: required");
    });
  });

  describe("ses-auto-reply: reply decision (pure)", () => {
    const policy: ReplyPolicy = {
      skipOnDmarcFail: true,
      replyFrom: undefined,
      allowedReplyFrom: parseAddressList(["@example.com"]).list,
      ownAddresses: parseAddressList(["support@example.com"]).list,
      allowExternalReplyTo: false,
    };

    it("plans a reply from the recipient to the From address", () => {
      const record = fixture("customer-reply").Records[0]!;
      expect(decideReply(SesReceiptEventSchema.parse({ Records: [record] }).Records[0]!, policy)).to.deep.equal({
        kind: "reply",
        plan: {
          sesMessageId: SES_ID,
          inReplyTo: RFC_ID,
          references: [PARENT_REF],
          from: "noreply@example.com",
          to: { name: "Jane Doe", address: CUSTOMER },
          replyToIgnored: false,
          displayName: "Jane Doe",
          originalSubject: "Re: Your order 1234 has shipped",
        },
      });
    });

    it("replies to Reply-To (from the commonHeaders reply-to key) and names the From display name", () => {
      const event = variant("customer-reply", (r) => {
        r.ses.mail.commonHeaders["reply-to"] = ["Orders Team <orders@customer.example>"];
      });
      const decision = decideReply(SesReceiptEventSchema.parse(event).Records[0]!, policy);
      expect(decision.kind === "reply" && decision.plan.to).to.deep.equal({ name: "Orders Team", address: "orders@customer.example" });
      expect(decision.kind === "reply" && decision.plan.displayName).to.equal("Jane Doe");
    });

    it("skips when SES truncated the headers (a loop header could be hidden)", () => {
      const event = variant("customer-reply", (r) => {
        r.ses.mail.headersTruncated = true;
      });
      expect(decideReply(SesReceiptEventSchema.parse(event).Records[0]!, policy)).to.deep.equal({ kind: "skip", reason: "headers-truncated" });
    });

    it("skips when there is no usable From or Reply-To address", () => {
      const event = variant("customer-reply", (r) => {
        delete r.ses.mail.commonHeaders.from;
        r.ses.mail.headers = r.ses.mail.headers.filter((h) => h.name !== "From");
      });
      expect(decideReply(SesReceiptEventSchema.parse(event).Records[0]!, policy)).to.deep.equal({ kind: "skip", reason: "no-reply-address" });
    });

    it("does not skip on Auto-Submitted: no", () => {
      const event = variant("customer-reply", (r) => setHeader(r, "Auto-Submitted", "No"));
      expect(decideReply(SesReceiptEventSchema.parse(event).Records[0]!, policy).kind).to.equal("reply");
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Handler (SDK mocks, fixture events)
  // ---------------------------------------------------------------------------------------------

  describe("ses-auto-reply responder handler", () => {
    it("sends one reply with the exact SES v2 SendEmail input, headers included", async () => {
      await build()(fixture("customer-reply"), context());

      expect(ses.commandCalls(GetEmailTemplateCommand).map((c) => c.args[0].input)).to.deep.equal([{ TemplateName: "no-reply-notice" }]);
      expect(sendInputs()).to.deep.equal([
        {
          FromEmailAddress: "noreply@example.com",
          Destination: { ToAddresses: [CUSTOMER] },
          Content: {
            Simple: {
              Subject: { Data: "We received your message: Re: Your order 1234 has shipped", Charset: "UTF-8" },
              Body: {
                Html: {
                  Data: `<p>Hello Jane Doe,</p><p>This mailbox is not monitored. Reference: ${SES_ID}</p><p>Thanks, Jane Doe!</p>`,
                  Charset: "UTF-8",
                },
                Text: { Data: `Hello Jane Doe,\nThis mailbox is not monitored. Reference: ${SES_ID} (${SES_ID})\n`, Charset: "UTF-8" },
              },
              Headers: EXPECTED_HEADERS,
            },
          },
          ConfigurationSetName: "auto-reply",
        },
      ]);
      expect(recorder.counts).to.deep.equal([{ name: "ReplySent" }]);
      expect(recorder.flushes).to.equal(1);
    });

    it("writes the message and sender markers with TTLs, hashing the sender", async () => {
      await build()(fixture("customer-reply"), context(8_000));

      const nowSec = Math.floor(clock / 1000);
      expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input)).to.deep.equal([
        {
          TableName: "auto-reply-state",
          Item: { pk: `msg#${SES_ID}`, state: "PENDING", leaseUntil: clock + 8_000, expiresAt: nowSec + 14 * 24 * 3600 },
          ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :nowSec OR (#state = :pending AND leaseUntil < :nowMs)",
          ExpressionAttributeNames: { "#state": "state" },
          ExpressionAttributeValues: { ":nowSec": nowSec, ":nowMs": clock, ":pending": "PENDING" },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        },
        {
          TableName: "auto-reply-state",
          Item: { pk: `sender#${senderHash(CUSTOMER)}`, messageId: SES_ID, expiresAt: nowSec + 86_400 },
          ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :nowSec OR messageId = :messageId",
          ExpressionAttributeValues: { ":nowSec": nowSec, ":messageId": SES_ID },
        },
        {
          TableName: "auto-reply-state",
          Item: { pk: `msg#${SES_ID}`, state: "SENT", expiresAt: nowSec + 14 * 24 * 3600 },
        },
      ]);
      expect(JSON.stringify([...table.items.entries()])).not.to.include(CUSTOMER);
    });

    it("logs the outcome with a masked address and never the raw address, subject or body", async () => {
      await build()(fixture("customer-reply"), context());
      expect(recorder.logs).to.deep.equal([
        {
          level: "INFO",
          message: "Auto-reply sent",
          attributes: { sesMessageId: SES_ID, replyMessageId: "0100018e0b2c3d4e-reply-000000", to: "j***@c***.example" },
        },
      ]);
    });

    it("replies from REPLY_FROM when it is configured", async () => {
      await build({ REPLY_FROM: "help@brand.example", ALLOWED_REPLY_FROM: "" })(fixture("customer-reply"), context());
      expect(sendInputs().map((i) => i.FromEmailAddress)).to.deep.equal(["help@brand.example"]);
    });

    it("omits ConfigurationSetName when CONFIGURATION_SET_NAME is not set", async () => {
      await build({ CONFIGURATION_SET_NAME: "" })(fixture("customer-reply"), context());
      expect(sendInputs()[0]).not.to.have.property("ConfigurationSetName");
    });

    // One test per loop / backscatter rule: no send, no state written, the reason logged and counted.
    const loopCases: [string, ReceiptEvent, string][] = [
      ["an out-of-office auto-reply (Auto-Submitted: auto-replied)", fixture("out-of-office"), "auto-submitted"],
      ["Auto-Submitted: auto-generated", variant("customer-reply", (r) => setHeader(r, "Auto-Submitted", "auto-generated")), "auto-submitted"],
      ["X-Auto-Response-Suppress: OOF", variant("customer-reply", (r) => setHeader(r, "X-Auto-Response-Suppress", "DR, OOF")), "auto-response-suppressed"],
      ["Precedence: bulk", variant("customer-reply", (r) => setHeader(r, "Precedence", "bulk")), "precedence"],
      ["Precedence: list", variant("customer-reply", (r) => setHeader(r, "Precedence", "List")), "precedence"],
      ["Precedence: junk", variant("customer-reply", (r) => setHeader(r, "Precedence", "junk")), "precedence"],
      ["Precedence: auto_reply", variant("customer-reply", (r) => setHeader(r, "Precedence", "auto_reply")), "precedence"],
      ["a List-Id header", variant("customer-reply", (r) => setHeader(r, "List-Id", "<news.vendor.example>")), "list-header"],
      ["a List-Unsubscribe header", variant("customer-reply", (r) => setHeader(r, "List-Unsubscribe", "<mailto:u@vendor.example>")), "list-header"],
      ["a mailing-list post (fixture)", fixture("mailing-list-post"), "precedence"],
      ["an empty return path (bounce)", variant("customer-reply", (r) => (r.ses.mail.source = "")), "empty-return-path"],
      ["a null return path <>", variant("customer-reply", (r) => (r.ses.mail.source = "<>")), "empty-return-path"],
      [
        "a delivery status notification (fixture)",
        variant("delivery-status-notification", (r) => r.ses.mail.headers.splice(r.ses.mail.headers.findIndex((h) => h.name === "Auto-Submitted"), 1)),
        "empty-return-path",
      ],
      ["a MAILER-DAEMON sender", variant("customer-reply", (r) => setFrom(r, "Mail Delivery System <MAILER-DAEMON@mx.customer.example>")), "system-sender"],
      ["a postmaster return path", variant("customer-reply", (r) => (r.ses.mail.source = "postmaster@customer.example")), "system-sender"],
      ["a sender in OWN_ADDRESSES", variant("customer-reply", (r) => setFrom(r, "Support <Support@Example.com>")), "own-address"],
      ["a sender in an OWN_ADDRESSES domain", variant("customer-reply", (r) => (r.ses.mail.source = "bounce@notifications.example.com")), "own-address"],
      ["a sender equal to the reply-from address", variant("customer-reply", (r) => setFrom(r, "noreply@example.com")), "own-address"],
      [
        "a Reply-To pointing at our own address",
        variant("customer-reply", (r) => (r.ses.mail.commonHeaders.replyTo = ["support@example.com"])),
        "own-address",
      ],
    ];
    for (const [label, event, reason] of loopCases) {
      it(`does not reply to ${label} (reason ${reason})`, async () => {
        await build()(event, context());
        expect(sendInputs()).to.deep.equal([]);
        expect(ddb.calls()).to.have.length(0);
        expect(skipCounts()).to.deep.equal([reason]);
        expect(recorder.logs).to.deep.equal([
          { level: "INFO", message: "No auto-reply", attributes: { sesMessageId: event.Records[0]!.ses.mail.messageId, reason } },
        ]);
      });
    }

    it("does not reply when the spam verdict is FAIL", async () => {
      await build()(variant("customer-reply", (r) => (r.ses.receipt.spamVerdict = { status: "FAIL" })), context());
      expect(sendInputs()).to.deep.equal([]);
      expect(skipCounts()).to.deep.equal(["spam-verdict-fail"]);
    });

    it("does not reply when the virus verdict is FAIL", async () => {
      await build()(variant("customer-reply", (r) => (r.ses.receipt.virusVerdict = { status: "FAIL" })), context());
      expect(sendInputs()).to.deep.equal([]);
      expect(skipCounts()).to.deep.equal(["virus-verdict-fail"]);
    });

    it("does not reply on DMARC FAIL by default (SKIP_ON_DMARC_FAIL unset)", async () => {
      await build()(variant("customer-reply", (r) => (r.ses.receipt.dmarcVerdict = { status: "FAIL" })), context());
      expect(sendInputs()).to.deep.equal([]);
      expect(skipCounts()).to.deep.equal(["dmarc-verdict-fail"]);
    });

    it("replies on DMARC FAIL when SKIP_ON_DMARC_FAIL is false", async () => {
      await build({ SKIP_ON_DMARC_FAIL: "false" })(variant("customer-reply", (r) => (r.ses.receipt.dmarcVerdict = { status: "FAIL" })), context());
      expect(sendInputs()).to.have.length(1);
      expect(skipCounts()).to.deep.equal([]);
    });

    it("HTML-escapes an injection attempt in the From display name (and keeps it raw in the text part)", async () => {
      const event = variant("customer-reply", (r) => setFrom(r, `"<img src=x onerror=alert(1)>&co" <${CUSTOMER}>`));
      await build()(event, context());
      const simple = sendInputs()[0]!.Content!.Simple!;
      expect(simple.Body!.Html!.Data).to.equal(
        `<p>Hello &lt;img src=x onerror=alert(1)&gt;&amp;co,</p><p>This mailbox is not monitored. Reference: ${SES_ID}</p>` +
          "<p>Thanks, &lt;img src=x onerror=alert(1)&gt;&amp;co!</p>",
      );
      expect(simple.Body!.Text!.Data).to.equal(`Hello <img src=x onerror=alert(1)>&co,\nThis mailbox is not monitored. Reference: ${SES_ID} (${SES_ID})\n`);
    });

    it("uses the prefix alone when the inbound mail has no subject", async () => {
      const event = variant("customer-reply", (r) => {
        delete r.ses.mail.commonHeaders.subject;
        r.ses.mail.headers = r.ses.mail.headers.filter((h) => h.name !== "Subject");
      });
      await build()(event, context());
      expect(sendInputs()[0]!.Content!.Simple!.Subject).to.deep.equal({ Data: "We received your message:", Charset: "UTF-8" });
    });

    it("replies only to the sender, from the matched recipient, when the mail had several To addresses", async () => {
      const event = variant("customer-reply", (r) => {
        r.ses.mail.commonHeaders.to = ["Example Store <noreply@example.com>, Sales <sales@other.example>", "ops@third.example"];
        setHeader(r, "To", "Example Store <noreply@example.com>, Sales <sales@other.example>, ops@third.example");
        r.ses.mail.destination = ["noreply@example.com", "sales@other.example", "ops@third.example"];
      });
      await build()(event, context());
      expect(sendInputs().map((i) => [i.FromEmailAddress, i.Destination])).to.deep.equal([
        ["noreply@example.com", { ToAddresses: [CUSTOMER] }],
      ]);
    });

    it("replies from receipt.recipients[0] when we were only BCC'd (not in To)", async () => {
      const event = variant("customer-reply", (r) => {
        r.ses.mail.commonHeaders.to = ["Someone Else <someone@other.example>"];
        setHeader(r, "To", "Someone Else <someone@other.example>");
        r.ses.mail.destination = ["someone@other.example", "orders-noreply@example.com"];
        r.ses.receipt.recipients = ["orders-noreply@example.com"];
      });
      await build()(event, context());
      expect(sendInputs().map((i) => i.FromEmailAddress)).to.deep.equal(["orders-noreply@example.com"]);
    });

    it("skips (reason no-reply-from) when REPLY_FROM is unset and the recipient is not allow-listed", async () => {
      const event = variant("customer-reply", (r) => (r.ses.receipt.recipients = ["info@unverified.example"]));
      await build()(event, context());
      expect(sendInputs()).to.deep.equal([]);
      expect(skipCounts()).to.deep.equal(["no-reply-from"]);
    });

    it("throws when the template is missing, so the event goes to the on-failure queue, and writes no state", async () => {
      ses.on(GetEmailTemplateCommand).rejects(new NotFoundException({ message: "Template no-reply-notice does not exist.", $metadata: { httpStatusCode: 404 } }));
      let caught: unknown;
      try {
        await build()(fixture("customer-reply"), context());
      } catch (error) {
        caught = error;
      }
      expect((caught as Error).name).to.equal("NotFoundException");
      expect(sendInputs()).to.deep.equal([]);
      expect(ddb.calls()).to.have.length(0);
      expect(recorder.counts).to.deep.equal([{ name: "ReplyFailed" }]);
      expect(recorder.logs[0]).to.deep.equal({
        level: "ERROR",
        message: "Auto-reply failed; the invocation fails so Lambda retries it",
        attributes: { sesMessageId: SES_ID, errorName: "NotFoundException", retryable: false },
      });
    });

    it("throws when the template has neither an HTML nor a text part", async () => {
      ses.on(GetEmailTemplateCommand).resolves({ TemplateName: "no-reply-notice", TemplateContent: { Subject: "x" } });
      let caught: unknown;
      try {
        await build()(fixture("customer-reply"), context());
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(TemplateContentError);
      expect(sendInputs()).to.deep.equal([]);
    });

    it("sends one reply when SES delivers the same message twice", async () => {
      const handler = build();
      await handler(fixture("customer-reply"), context());
      clock += 60_000;
      await handler(fixture("customer-reply"), context());
      expect(sendInputs()).to.have.length(1);
      expect(recorder.counts).to.deep.equal([{ name: "ReplySent" }, { name: "ReplySkipped", dimensions: { reason: "duplicate" } }]);
    });

    it("throws while another invocation holds an unexpired lease on the same message", async () => {
      table.items.set(`msg#${SES_ID}`, { pk: `msg#${SES_ID}`, state: "PENDING", leaseUntil: clock + 5_000, expiresAt: clock / 1000 + 3600 });
      let caught: unknown;
      try {
        await build()(fixture("customer-reply"), context());
      } catch (error) {
        caught = error;
      }
      expect((caught as Error).name).to.equal("ReplyInProgressError");
      expect(sendInputs()).to.deep.equal([]);
    });

    it("takes over a PENDING message whose lease expired (the previous attempt crashed) and sends", async () => {
      table.items.set(`msg#${SES_ID}`, { pk: `msg#${SES_ID}`, state: "PENDING", leaseUntil: clock - 1, expiresAt: clock / 1000 + 3600 });
      table.items.set(`sender#${senderHash(CUSTOMER)}`, { pk: `sender#${senderHash(CUSTOMER)}`, messageId: SES_ID, expiresAt: clock / 1000 + 3600 });
      await build()(fixture("customer-reply"), context());
      expect(sendInputs()).to.have.length(1);
      expect(table.items.get(`msg#${SES_ID}`)?.state).to.equal("SENT");
    });

    it("allows one reply per sender per window (REPLY_WINDOW_SECONDS) and replies again after it", async () => {
      const handler = build({ REPLY_WINDOW_SECONDS: "3600" });
      const second = variant("customer-reply", (r) => (r.ses.mail.messageId = "second0message0id0lambda000000000000001"));
      const third = variant("customer-reply", (r) => (r.ses.mail.messageId = "third00message0id0lambda000000000000002"));

      await handler(fixture("customer-reply"), context());
      clock += 30 * 60_000;
      await handler(second, context());
      clock += 31 * 60_000; // 61 minutes after the first reply: the window has passed
      await handler(third, context());

      expect(sendInputs()).to.have.length(2);
      expect(skipCounts()).to.deep.equal(["rate-limited"]);
      expect(table.items.get("msg#second0message0id0lambda000000000000001")?.state).to.equal("SKIPPED");
    });

    it("releases both markers and the hour's slot and throws when SES throttles, so the async retry can send", async () => {
      ses
        .on(SendEmailCommand)
        .rejectsOnce(new TooManyRequestsException({ message: "Maximum sending rate exceeded.", $metadata: { httpStatusCode: 429 } }))
        .resolves({ MessageId: "0100018e0b2c3d4e-reply-000001" });
      const handler = build();

      let caught: unknown;
      try {
        await handler(fixture("customer-reply"), context());
      } catch (error) {
        caught = error;
      }
      expect((caught as Error).name).to.equal("TooManyRequestsException");
      // Only the hour's counter item is left, holding no slot (DynamoDB drops the emptied set).
      expect([...table.items.values()]).to.deep.equal([{ pk: "hour#2026-03-02T14", expiresAt: Date.parse("2026-03-02T16:00:00Z") / 1000 }]);
      expect(recorder.logs.at(-1)?.attributes).to.deep.equal({ sesMessageId: SES_ID, errorName: "TooManyRequestsException", retryable: true });

      await handler(fixture("customer-reply"), context());
      expect(sendInputs()).to.have.length(2);
      expect(table.items.get(`msg#${SES_ID}`)?.state).to.equal("SENT");
    });

    it("logs and counts MessageRejected without throwing, and frees the sender window", async () => {
      ses.on(SendEmailCommand).rejects(new MessageRejected({ message: "Email address is not verified: jane.doe@customer.example", $metadata: { httpStatusCode: 400 } }));
      await build()(fixture("customer-reply"), context());
      expect(recorder.counts).to.deep.equal([{ name: "ReplyRejected" }]);
      expect(recorder.logs).to.deep.equal([{ level: "WARN", message: "SES rejected the auto-reply", attributes: { sesMessageId: SES_ID, errorName: "MessageRejected" } }]);
      expect(table.items.get(`msg#${SES_ID}`)?.state).to.equal("REJECTED");
      expect(table.items.has(`sender#${senderHash(CUSTOMER)}`)).to.equal(false);
    });

    it("counts SendingPausedException as ReplySendingDisabled without throwing", async () => {
      ses.on(SendEmailCommand).rejects(Object.assign(new Error("Sending is paused for this account."), { name: "SendingPausedException" }));
      await build()(fixture("customer-reply"), context());
      expect(recorder.counts).to.deep.equal([{ name: "ReplySendingDisabled" }]);
      expect(recorder.logs[0]?.level).to.equal("ERROR");
    });

    it("caches the template per container for TEMPLATE_CACHE_TTL_SECONDS", async () => {
      const handler = build({ TEMPLATE_CACHE_TTL_SECONDS: "60" });
      const message = (n: number) => variant("customer-reply", (r) => {
        r.ses.mail.messageId = `cache-test-${n}`;
        r.ses.mail.source = `sender${n}@customer.example`;
        setFrom(r, `sender${n}@customer.example`);
      });
      await handler(message(1), context());
      clock += 59_000;
      await handler(message(2), context());
      expect(ses.commandCalls(GetEmailTemplateCommand)).to.have.length(1);
      clock += 1_000;
      await handler(message(3), context());
      expect(ses.commandCalls(GetEmailTemplateCommand)).to.have.length(2);
      expect(sendInputs()).to.have.length(3);
    });

    it("reads the template from Pinpoint when TEMPLATE_SOURCE is pinpoint", async () => {
      pinpoint.on(PinpointGetEmailTemplateCommand).resolves({
        EmailTemplateResponse: {
          TemplateName: "no-reply-notice",
          TemplateType: "EMAIL",
          CreationDate: "2020-06-01T00:00:00.000Z",
          LastModifiedDate: "2020-06-01T00:00:00.000Z",
          Subject: "[Auto] ",
          HtmlPart: "<p>Dear %%NAME%%, ref %%ID%%</p>",
        },
      });
      await build({ TEMPLATE_SOURCE: "pinpoint" })(fixture("customer-reply"), context());
      expect(pinpoint.commandCalls(PinpointGetEmailTemplateCommand).map((c) => c.args[0].input)).to.deep.equal([{ TemplateName: "no-reply-notice" }]);
      expect(ses.commandCalls(GetEmailTemplateCommand)).to.have.length(0);
      expect(sendInputs()[0]!.Content!.Simple).to.deep.equal({
        Subject: { Data: "[Auto] Re: Your order 1234 has shipped", Charset: "UTF-8" },
        Body: { Html: { Data: `<p>Dear Jane Doe, ref ${SES_ID}</p>`, Charset: "UTF-8" } },
        Headers: EXPECTED_HEADERS,
      });
    });

    it("throws on an event that is not an SES receipt event, logging only the schema paths", async () => {
      let caught: unknown;
      try {
        await build()({ Records: [{ eventSource: "aws:sns", Sns: { Message: "x" } }] }, context());
      } catch (error) {
        caught = error;
      }
      expect((caught as Error).message).to.equal("Invalid SES receipt-rule event");
      expect(recorder.counts).to.deep.equal([{ name: "InvalidEvent" }]);
      expect(recorder.logs[0]?.attributes).to.deep.equal({
        issues: ["Records.0.eventSource: invalid_value", "Records.0.eventVersion: invalid_type", "Records.0.ses: invalid_type"],
      });
    });

    it("accepts every fixture through the event schema", () => {
      for (const name of ["customer-reply", "out-of-office", "mailing-list-post", "delivery-status-notification"]) {
        expect(SesReceiptEventSchema.safeParse(fixture(name)).success, name).to.equal(true);
      }
    });
  });
  // ---------------------------------------------------------------------------------------------
  // Hardening (issue 7): unknown send outcomes, senders nobody reads, the hourly cap, header limits
  // ---------------------------------------------------------------------------------------------

  describe("ses-auto-reply: a reply whose outcome is unknown (issue 7, item 2)", () => {
    const timeout = () => Object.assign(new Error("socket hang up"), { name: "TimeoutError", code: "ETIMEDOUT" });
    const serverError = () => Object.assign(new Error("Internal failure"), { name: "InternalFailure", $metadata: { httpStatusCode: 500 } });

    it("sends replies through a client that retries only errors proving nothing was sent (sendClientConfig)", async () => {
      await build()(fixture("customer-reply"), context());
      const [call] = ses.commandCalls(SendEmailCommand);
      const strategy = (await (call!.thisValue as SESv2Client).config.retryStrategy()) as { mode?: string };
      expect(strategy.mode).to.equal("adaptive-send-safe");
      // The template is read through the ordinary client (GetEmailTemplate has no side effect).
      const [read] = ses.commandCalls(GetEmailTemplateCommand);
      expect(((await (read!.thisValue as SESv2Client).config.retryStrategy()) as { mode?: string }).mode).to.equal("adaptive");
    });

    for (const [label, error] of [
      ["a timeout", timeout],
      ["a 500", serverError],
    ] as const) {
      it(`at-most-once (default): records ${label} as UNKNOWN, counts SendOutcomeUnknown, does not throw, and never replies again`, async () => {
        ses.on(SendEmailCommand).rejectsOnce(error()).resolves({ MessageId: "0100018e0b2c3d4e-reply-000002" });
        const handler = build();
        await handler(fixture("customer-reply"), context());

        expect(table.items.get(`msg#${SES_ID}`)).to.deep.include({ state: "UNKNOWN" });
        // The reply may have gone out: the sender window and the hour's slot stay used.
        expect(table.items.get(`sender#${senderHash(CUSTOMER)}`)?.messageId).to.equal(SES_ID);
        expect([...(table.items.get("hour#2026-03-02T14")?.messageIds as Set<string>)]).to.deep.equal([SES_ID]);
        expect(recorder.counts).to.deep.equal([{ name: "SendOutcomeUnknown" }]);
        expect(recorder.logs).to.deep.equal([
          {
            level: "WARN",
            message: "Auto-reply outcome unknown (SES may have sent it); recorded as UNKNOWN and not retried (at-most-once)",
            attributes: { sesMessageId: SES_ID, errorName: error().name },
          },
        ]);

        clock += 60_000;
        await handler(fixture("customer-reply"), context());
        expect(sendInputs()).to.have.length(1);
        expect(skipCounts()).to.deep.equal(["duplicate"]);
      });
    }

    it("at-least-once: releases every claim and throws on an unknown outcome, so the retry replies", async () => {
      ses.on(SendEmailCommand).rejectsOnce(timeout()).resolves({ MessageId: "0100018e0b2c3d4e-reply-000003" });
      const handler = build({ SEND_GUARANTEE: "at-least-once" });
      let caught: unknown;
      try {
        await handler(fixture("customer-reply"), context());
      } catch (e) {
        caught = e;
      }
      expect((caught as Error).name).to.equal("TimeoutError");
      expect(table.items.has(`msg#${SES_ID}`)).to.equal(false);
      expect(table.items.has(`sender#${senderHash(CUSTOMER)}`)).to.equal(false);
      expect(table.items.get("hour#2026-03-02T14")).not.to.have.property("messageIds");
      expect(recorder.counts).to.deep.equal([{ name: "ReplyFailed" }]);

      await handler(fixture("customer-reply"), context());
      expect(sendInputs()).to.have.length(2);
      expect(table.items.get(`msg#${SES_ID}`)?.state).to.equal("SENT");
    });

    it("still treats a throttled SendEmail (proven not sent) as retryable under at-most-once", async () => {
      ses.on(SendEmailCommand).rejects(new TooManyRequestsException({ message: "Maximum sending rate exceeded.", $metadata: { httpStatusCode: 429 } }));
      let caught: unknown;
      try {
        await build()(fixture("customer-reply"), context());
      } catch (e) {
        caught = e;
      }
      expect((caught as Error).name).to.equal("TooManyRequestsException");
      expect(table.items.has(`msg#${SES_ID}`)).to.equal(false);
      expect(recorder.counts).to.deep.equal([{ name: "ReplyFailed" }]);
    });

    it("keeps the UNKNOWN outcome (no throw, no retry) when marking it fails, and says so", async () => {
      ses.on(SendEmailCommand).rejects(timeout());
      const handler = build();
      ddb
        .on(PutCommand, { Item: { pk: `msg#${SES_ID}`, state: "UNKNOWN" } })
        .rejects(Object.assign(new Error("Service unavailable"), { name: "ServiceUnavailable", $metadata: { httpStatusCode: 503 } }));
      await handler(fixture("customer-reply"), context());
      expect(recorder.counts).to.deep.equal([{ name: "SendOutcomeUnknown" }]);
      expect(recorder.logs.map((l) => [l.level, l.message, l.attributes])).to.deep.equal([
        ["WARN", "Reply outcome unknown but marking it UNKNOWN failed", { sesMessageId: SES_ID, errorName: "ServiceUnavailable" }],
        [
          "WARN",
          "Auto-reply outcome unknown (SES may have sent it); recorded as UNKNOWN and not retried (at-most-once)",
          { sesMessageId: SES_ID, errorName: "TimeoutError" },
        ],
      ]);
    });

    it("rejects an unknown SEND_GUARANTEE at cold start", () => {
      expect(() => loadAutoReplyConfig({ ...BASE_ENV, SEND_GUARANTEE: "exactly-once" })).to.throw(
        'Invalid ses-auto-reply configuration: SEND_GUARANTEE must be one of at-most-once, at-least-once, got "exactly-once"',
      );
    });
  });

  describe("ses-auto-reply: senders nobody reads (issue 7, section 4)", () => {
    const noReply: [string, boolean][] = [
      ["no-reply@customer.example", true],
      ["NoReply@customer.example", true],
      ["noreply+billing@customer.example", true],
      ["no_reply@customer.example", true],
      ["no.reply@customer.example", true],
      ["do-not-reply@customer.example", true],
      ["DoNotReply@customer.example", true],
      ["do_not_reply@customer.example", true],
      ["alerts-noreply@customer.example", true],
      ["no-reply-aws@amazon.example", true],
      ["noreply2@customer.example", true],
      ["no-response@customer.example", true],
      ["jane.doe@customer.example", false],
      ["reply@customer.example", false],
      ["casinoreply@customer.example", false],
      ["noreen@customer.example", false],
      ["jane+noreply@customer.example", false],
    ];
    for (const [address, expected] of noReply) {
      it(`${address} ${expected ? "is" : "is not"} a no-reply address`, () => {
        expect(isNoReplyAddress(address)).to.equal(expected);
      });
    }

    it("recognises the mail system's own mailboxes whatever the separators", () => {
      expect(["MAILER-DAEMON@mx.example", "mailer_daemon@mx.example", "MAILER-DAEMON", "postmaster+x@mx.example"].map(isSystemAddress)).to.deep.equal([
        true,
        true,
        true,
        true,
      ]);
      expect(isSystemAddress("mailer@mx.example")).to.equal(false);
    });

    it("recognises RFC 5322 group syntax, and not a quoted display name with a colon", () => {
      expect(isGroupSyntax(["Team: a@customer.example, b@customer.example;"])).to.equal(true);
      expect(isGroupSyntax(["undisclosed-recipients:;"])).to.equal(true);
      expect(isGroupSyntax(['"Re: Jane" <jane@customer.example>', "jane@customer.example"])).to.equal(false);
    });

    it("treats subdomains of the From domain as the sender's own", () => {
      expect(isWithinDomain("orders@eu.customer.example", "customer.example")).to.equal(true);
      expect(isWithinDomain("orders@Customer.Example", "customer.example")).to.equal(true);
      expect(isWithinDomain("victim@elsewhere.example", "customer.example")).to.equal(false);
      expect(isWithinDomain("victim@evilcustomer.example", "customer.example")).to.equal(false);
    });

    const cases: [string, ReceiptEvent, string][] = [
      ["a no-reply From", variant("customer-reply", (r) => setFrom(r, "Shop <no-reply@shop.example>")), "no-reply-sender"],
      ["a do_not_reply From", variant("customer-reply", (r) => setFrom(r, "DO_NOT_REPLY@shop.example")), "no-reply-sender"],
      ["a noreply+tag return path", variant("customer-reply", (r) => (r.ses.mail.source = "noreply+bounces@shop.example")), "no-reply-sender"],
      [
        "a noreply Reply-To in the sender's domain",
        variant("customer-reply", (r) => (r.ses.mail.commonHeaders.replyTo = ["noreply@customer.example"])),
        "no-reply-sender",
      ],
      ["a mailer_daemon sender", variant("customer-reply", (r) => setFrom(r, "mailer_daemon@mx.customer.example")), "system-sender"],
      ["X-Autoreply: yes", variant("customer-reply", (r) => setHeader(r, "X-Autoreply", "yes")), "auto-reply-header"],
      ["X-Autorespond", variant("customer-reply", (r) => setHeader(r, "X-Autorespond", "Out of office")), "auto-reply-header"],
      ["X-Auto-Response-Suppress: DR", variant("customer-reply", (r) => setHeader(r, "X-Auto-Response-Suppress", "DR")), "auto-response-suppressed"],
      [
        "a From written as a group",
        variant("customer-reply", (r) => setFrom(r, "Sales team: jane.doe@customer.example, bob@customer.example;")),
        "group-from",
      ],
      [
        "a group From in the raw header only",
        variant("customer-reply", (r) => setHeader(r, "From", "Sales team: jane.doe@customer.example, bob@customer.example;")),
        "group-from",
      ],
    ];
    for (const [label, event, reason] of cases) {
      it(`does not reply to ${label} (reason ${reason})`, async () => {
        await build()(event, context());
        expect(sendInputs()).to.deep.equal([]);
        expect(ddb.calls()).to.have.length(0);
        expect(skipCounts()).to.deep.equal([reason]);
      });
    }

    const externalReplyTo = () =>
      variant("customer-reply", (r) => {
        r.ses.mail.commonHeaders.replyTo = ["Victim <victim@elsewhere.example>"];
        setHeader(r, "Reply-To", "Victim <victim@elsewhere.example>");
      });

    it("ignores a Reply-To outside the From domain: replies to From, keys the window on From, counts ReplyToIgnored", async () => {
      await build()(externalReplyTo(), context());
      expect(sendInputs().map((i) => i.Destination)).to.deep.equal([{ ToAddresses: [CUSTOMER] }]);
      expect(table.items.has(`sender#${senderHash(CUSTOMER)}`)).to.equal(true);
      expect(recorder.counts).to.deep.equal([{ name: "ReplySent" }, { name: "ReplyToIgnored" }]);
      expect(recorder.logs[0]?.attributes).to.deep.equal({
        sesMessageId: SES_ID,
        replyMessageId: "0100018e0b2c3d4e-reply-000000",
        to: "j***@c***.example",
        replyToIgnored: true,
      });
    });

    it("uses a Reply-To in a subdomain of the From domain", async () => {
      await build()(variant("customer-reply", (r) => (r.ses.mail.commonHeaders.replyTo = ["orders@eu.customer.example"])), context());
      expect(sendInputs().map((i) => i.Destination)).to.deep.equal([{ ToAddresses: ["orders@eu.customer.example"] }]);
      expect(recorder.counts).to.deep.equal([{ name: "ReplySent" }]);
    });

    it("uses an external Reply-To when ALLOW_EXTERNAL_REPLY_TO is true", async () => {
      await build({ ALLOW_EXTERNAL_REPLY_TO: "true" })(externalReplyTo(), context());
      expect(sendInputs().map((i) => i.Destination)).to.deep.equal([{ ToAddresses: ["victim@elsewhere.example"] }]);
    });

    it("does not use a Reply-To when the mail has no From to compare it with", () => {
      const event = variant("customer-reply", (r) => {
        delete r.ses.mail.commonHeaders.from;
        r.ses.mail.headers = r.ses.mail.headers.filter((h) => h.name !== "From");
        r.ses.mail.commonHeaders.replyTo = ["orders@customer.example"];
      });
      const policy: ReplyPolicy = {
        skipOnDmarcFail: true,
        replyFrom: "noreply@example.com",
        allowedReplyFrom: parseAddressList([]).list,
        ownAddresses: parseAddressList([]).list,
        allowExternalReplyTo: false,
      };
      expect(decideReply(SesReceiptEventSchema.parse(event).Records[0]!, policy)).to.deep.equal({ kind: "skip", reason: "no-reply-address" });
    });
  });

  describe("ses-auto-reply: replies per hour across all senders (issue 7, section 4)", () => {
    const fromSender = (n: number) =>
      variant("customer-reply", (r) => {
        r.ses.mail.messageId = `hourly-cap-message-${n}`;
        r.ses.mail.source = `sender${n}@customer.example`;
        setFrom(r, `sender${n}@customer.example`);
      });

    it("skips (reason hourly-cap) once MAX_REPLIES_PER_HOUR replies were sent this hour, frees the sender's window, and replies again next hour", async () => {
      const handler = build({ MAX_REPLIES_PER_HOUR: "2" });
      await handler(fromSender(1), context());
      await handler(fromSender(2), context());
      await handler(fromSender(3), context());
      expect(sendInputs()).to.have.length(2);
      expect(skipCounts()).to.deep.equal(["hourly-cap"]);
      expect(recorder.logs.at(-1)).to.deep.equal({ level: "INFO", message: "No auto-reply", attributes: { sesMessageId: "hourly-cap-message-3", reason: "hourly-cap" } });
      expect(table.items.get("msg#hourly-cap-message-3")?.state).to.equal("SKIPPED");
      expect(table.items.has(`sender#${senderHash("sender3@customer.example")}`)).to.equal(false);

      clock = Date.parse("2026-03-02T15:00:00.000Z");
      await handler(fromSender(4), context());
      expect(sendInputs()).to.have.length(3);
      expect([...(table.items.get("hour#2026-03-02T15")?.messageIds as Set<string>)]).to.deep.equal(["hourly-cap-message-4"]);
    });

    it("does not take a second slot for a redelivered message that already holds one (a crashed attempt taken over)", async () => {
      const nowSec = Math.floor(clock / 1000);
      table.items.set(`msg#${SES_ID}`, { pk: `msg#${SES_ID}`, state: "PENDING", leaseUntil: clock - 1, expiresAt: nowSec + 3600 });
      table.items.set(`sender#${senderHash(CUSTOMER)}`, { pk: `sender#${senderHash(CUSTOMER)}`, messageId: SES_ID, expiresAt: nowSec + 3600 });
      table.items.set("hour#2026-03-02T14", { pk: "hour#2026-03-02T14", messageIds: new Set([SES_ID]), expiresAt: nowSec + 3600 });
      const handler = build({ MAX_REPLIES_PER_HOUR: "1" });

      await handler(fixture("customer-reply"), context());
      expect(sendInputs()).to.have.length(1);
      expect([...(table.items.get("hour#2026-03-02T14")?.messageIds as Set<string>)]).to.deep.equal([SES_ID]);

      // The hour's one slot is that message's: the next message is capped.
      await handler(fromSender(5), context());
      expect(sendInputs()).to.have.length(1);
      expect(skipCounts()).to.deep.equal(["hourly-cap"]);
    });

    it("gives the slot back when SES rejects the reply (nothing went out)", async () => {
      ses.on(SendEmailCommand).rejectsOnce(new MessageRejected({ message: "rejected", $metadata: { httpStatusCode: 400 } })).resolves({ MessageId: "r-1" });
      const handler = build({ MAX_REPLIES_PER_HOUR: "1" });
      await handler(fromSender(6), context());
      await handler(fromSender(7), context());
      expect(sendInputs()).to.have.length(2);
      expect(recorder.counts).to.deep.equal([{ name: "ReplyRejected" }, { name: "ReplySent" }]);
    });

    it("writes the slot with the exact conditional update, expiring an hour after the hour ends", async () => {
      await build()(fixture("customer-reply"), context());
      expect(ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input)).to.deep.equal([
        {
          TableName: "auto-reply-state",
          Key: { pk: "hour#2026-03-02T14" },
          UpdateExpression: "ADD messageIds :ids SET expiresAt = :expiresAt",
          ConditionExpression: "attribute_not_exists(messageIds) OR size(messageIds) < :cap OR contains(messageIds, :id)",
          ExpressionAttributeValues: { ":ids": new Set([SES_ID]), ":id": SES_ID, ":cap": 100, ":expiresAt": Date.parse("2026-03-02T16:00:00Z") / 1000 },
        },
      ]);
    });

    const invalidCaps: [string, string][] = [
      ["0", "MAX_REPLIES_PER_HOUR: expected a whole number from 1 to 1000"],
      ["1001", "MAX_REPLIES_PER_HOUR: expected a whole number from 1 to 1000"],
      ["-5", "MAX_REPLIES_PER_HOUR: expected a whole number from 1 to 1000"],
      ["ten", "MAX_REPLIES_PER_HOUR: expected a whole number from 1 to 1000"],
    ];
    for (const [value, message] of invalidCaps) {
      it(`refuses MAX_REPLIES_PER_HOUR=${JSON.stringify(value)} (0 is not "unlimited")`, () => {
        expect(() => loadAutoReplyConfig({ ...BASE_ENV, MAX_REPLIES_PER_HOUR: value })).to.throw(message);
      });
    }
  });

  describe("ses-auto-reply: In-Reply-To / References within SES's 870-character header limit (issue 7, section 3)", () => {
    /** A well-formed id of exactly `length` characters, brackets included. */
    const idOf = (n: number, length: number) => {
      const right = "@mail.example>";
      const left = `<ref${n}-`;
      return left + "x".repeat(length - left.length - right.length) + right;
    };

    it("keeps the newest whole ids that fit in 870 characters", () => {
      const ids = Array.from({ length: 10 }, (_, i) => idOf(i, 100));
      // 8 ids of 100 plus 7 spaces = 807; 9 would be 908.
      expect(capReferences(ids)).to.equal(ids.slice(2).join(" "));
      const exact = [idOf(1, 435), idOf(2, 434)]; // 435 + 1 + 434 = 870
      expect(capReferences(exact)).to.equal(exact.join(" "));
      expect(capReferences(["<a@b.example>", ...exact])).to.equal(exact.join(" "));
      expect(capReferences([idOf(1, 871)])).to.equal(undefined);
    });

    it("leaves both headers out when the inbound Message-ID alone exceeds 870 characters", () => {
      expect(buildReplyHeaders(idOf(1, 871), [idOf(2, 50)]).map((h) => h.name)).to.deep.equal(["Auto-Submitted", "X-Auto-Response-Suppress"]);
      expect(buildReplyHeaders(idOf(1, 870), [idOf(2, 50)])).to.deep.include({ name: "References", value: idOf(1, 870) });
    });

    it("sends a References header of at most 870 characters ending with the inbound Message-ID for a long thread", async () => {
      const thread = Array.from({ length: 30 }, (_, i) => idOf(i, 60));
      await build()(variant("customer-reply", (r) => setHeader(r, "References", `${thread.join("\r\n ")}`)), context());
      const headers = sendInputs()[0]!.Content!.Simple!.Headers!;
      const references = headers.find((h) => h.Name === "References")!.Value!;
      // The Message-ID (40) + 13 thread ids of 60, each with its space: 40 + 13 × 61 = 833; 14 would be 894.
      expect(references).to.equal([...thread.slice(-13), RFC_ID].join(" "));
      expect(references.length).to.equal(833);
      expect(headers.find((h) => h.Name === "In-Reply-To")?.Value).to.equal(RFC_ID);
    });

    it("sends no In-Reply-To/References when the inbound Message-ID is longer than 870 characters", async () => {
      const long = idOf(9, 880);
      await build()(variant("customer-reply", (r) => {
        r.ses.mail.commonHeaders.messageId = long;
        setHeader(r, "Message-ID", long);
      }), context());
      expect(sendInputs()[0]!.Content!.Simple!.Headers!.map((h) => h.Name)).to.deep.equal(["Auto-Submitted", "X-Auto-Response-Suppress"]);
    });

    it("threads on the inbound In-Reply-To when there is no References header", () => {
      const event = variant("customer-reply", (r) => {
        r.ses.mail.headers = r.ses.mail.headers.filter((h) => h.name !== "References");
        setHeader(r, "In-Reply-To", "<parent@shop.example>");
      });
      const decision = decideReply(SesReceiptEventSchema.parse(event).Records[0]!, {
        skipOnDmarcFail: true,
        replyFrom: "noreply@example.com",
        allowedReplyFrom: parseAddressList([]).list,
        ownAddresses: parseAddressList([]).list,
        allowExternalReplyTo: false,
      });
      expect(decision.kind === "reply" && decision.plan.references).to.deep.equal(["<parent@shop.example>"]);
    });
  });
});
