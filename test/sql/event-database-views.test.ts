/**
 * The event database's SQL on real engines: every view and example query parses as Trino SQL
 * (node-sql-parser, database "trino"), references only columns of the declared table, runs in
 * DuckDB (with macros for the Trino functions DuckDB lacks) on rows the transformation produced
 * from the fixtures, and returns exactly the expected rows with exactly the declared column types.
 */
import { expect } from "chai";
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  ALL_EVENTS_COLUMNS,
  EXAMPLE_QUERIES,
  PARTITION_KEY,
  VIEWS,
  decodePrestoView,
  encodePrestoView,
  type ColumnType,
  type PrestoType,
  type ViewDefinition,
} from "../../components/analytics/views";
import { transformRecords } from "../../functions/event-database/transform";
import { PINPOINT_RECORDS, SES_EVENTS, SMS_EVENTS, firehoseEvent } from "../fixtures/event-database";
import { TRINO_MACROS, createViews, loadAllEvents, query, trinoLikeDuckDb } from "./duckdb-trino";
import { columnPaths, parseTrino } from "./trino-sql";

const CONFIG = { campaignIdTag: "campaign_id", treatmentIdTag: "treatment_id" };
const SEED_VIEWS = [
  "email_send",
  "email_hardbounce",
  "email_softbounce",
  "email_complaint",
  "email_delivered",
  "email_open",
  "email_click",
  "email_unsubscribe",
  "email_rejected",
  "sms_buffered",
  "sms_success",
  "sms_failure",
  "sms_optout",
  "campaign_send",
  "journey_send",
];

// ---------------------------------------------------------------------------------------------
// Parsing and column references

/** The type at a path of the declared table (struct fields matched case-insensitively, as Glue does). */
function typeAt(columns: readonly (readonly [string, ColumnType])[], path: string[]): ColumnType | undefined {
  let fields: readonly (readonly [string, ColumnType])[] = columns;
  let type: ColumnType | undefined;
  for (const part of path) {
    type = fields.find(([name]) => name.toLowerCase() === part.toLowerCase())?.[1];
    if (type === undefined) return undefined;
    fields = typeof type === "object" && "struct" in type ? type.struct : [];
  }
  return type;
}

/** Columns a view may use: the table's, its partition key, and the element struct of each UNNEST alias. */
function viewScope(view: ViewDefinition): (readonly [string, ColumnType])[] {
  const scope: (readonly [string, ColumnType])[] = [...ALL_EVENTS_COLUMNS, [PARTITION_KEY, "string"]];
  for (const [, source, alias] of view.sql.matchAll(/UNNEST\(([\w.]+)\) AS t\((\w+)\)/g)) {
    const arrayType = typeAt(ALL_EVENTS_COLUMNS, source.split("."));
    if (arrayType === undefined || typeof arrayType !== "object" || !("array" in arrayType)) throw new Error(`${view.name}: UNNEST of ${source}, not an array column`);
    scope.push([alias, arrayType.array]);
  }
  return scope;
}

describe("event database SQL: parsing and column references", () => {
  it("declares the seed's 15 views by their names, plus the views it lacked", () => {
    expect(VIEWS.map((v) => v.name)).to.deep.equal([...SEED_VIEWS, "email_rendering_failure", "email_delivery_delay", "email_subscription", "sms_events"]);
  });

  for (const view of VIEWS) {
    it(`${view.name}: parses as Trino SQL and references only declared columns`, () => {
      const paths = columnPaths(parseTrino(view.sql));
      expect(paths.length).to.be.greaterThan(0);
      const scope = viewScope(view);
      const unknown = paths.filter((p) => typeAt(scope, p) === undefined).map((p) => p.join("."));
      expect(unknown, "undeclared column references").to.deep.equal([]);
    });
  }

  it("catches a reference to an undeclared column (the checker can fail)", () => {
    const bad: ViewDefinition = { name: "bad", description: "", sql: "SELECT facets.email_channel.mail_event.mail.subject AS s, treament_id AS t FROM all_events", columns: [] };
    const unknown = columnPaths(parseTrino(bad.sql)).filter((p) => typeAt(viewScope(bad), p) === undefined);
    expect(unknown.map((p) => p.join("."))).to.deep.equal(["facets.email_channel.mail_event.mail.subject", "treament_id"]);
  });

  it(`the seed's example query "recipient-opens" parses as Trino SQL`, () => {
    expect(columnPaths(parseTrino(EXAMPLE_QUERIES[1].sql)).length).to.be.greaterThan(0);
  });

  it('"campaign-engagement" is checked by running it in DuckDB only: the parser\'s Trino grammar rejects scalar subqueries in SELECT', () => {
    expect(() => parseTrino("SELECT (SELECT 1) AS n FROM t")).to.throw();
  });

  it("no view reads the misspelled treament_id or a map by subscript (which fails on a missing key)", () => {
    for (const view of VIEWS) {
      expect(view.sql, view.name).not.to.contain("treament_id");
      expect(view.sql, view.name).not.to.match(/attributes\[/);
    }
  });
});

describe("event database SQL: the Glue view encoding", () => {
  it("round-trips every view through /* Presto View: <base64 JSON> */", () => {
    for (const view of VIEWS) {
      const text = encodePrestoView(view, "due_eventdb");
      expect(text).to.match(/^\/\* Presto View: [A-Za-z0-9+/]+={0,2} \*\/$/);
      expect(decodePrestoView(text)).to.deep.equal({ originalSql: view.sql, catalog: "awsdatacatalog", schema: "due_eventdb", columns: view.columns });
    }
  });

  it("encodes the JSON document Athena writes (field names and order), UTF-8 safe", () => {
    const view: ViewDefinition = { name: "v", description: "", sql: "SELECT 'é' AS x FROM all_events", columns: [{ name: "x", type: "varchar" }] };
    const text = encodePrestoView(view, "db");
    const json = Buffer.from(text.slice("/* Presto View: ".length, -" */".length), "base64").toString("utf8");
    expect(json).to.equal('{"originalSql":"SELECT \'é\' AS x FROM all_events","catalog":"awsdatacatalog","schema":"db","columns":[{"name":"x","type":"varchar"}]}');
  });

  it("rejects text that is not an encoded view", () => {
    expect(() => decodePrestoView("SELECT 1")).to.throw("missing the /* Presto View: ... */ wrapper");
    expect(() => decodePrestoView("/* Presto View: not*base64 */")).to.throw("the payload is not base64");
  });
});

// ---------------------------------------------------------------------------------------------
// DuckDB

const DUCKDB_TYPE: Record<PrestoType, string> = {
  varchar: "VARCHAR",
  bigint: "BIGINT",
  integer: "INTEGER",
  double: "DOUBLE",
  "timestamp(3)": "TIMESTAMP",
  "timestamp(3) with time zone": "TIMESTAMP WITH TIME ZONE",
  "array(varchar)": "VARCHAR[]",
  "map(varchar,varchar)": "MAP(VARCHAR, VARCHAR)",
};

/** UTC `yyyy/MM/dd/HH`, as Firehose writes the key prefix. */
function datehour(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCHours())}`;
}

const HOUR = 3_600_000;
const NOW = Date.now();
const RECENT = datehour(NOW - 2 * HOUR);
const OLD = datehour(NOW - 40 * 24 * HOUR);
/** The value DuckDB returns for date_parse(RECENT). */
const RECENT_TS = `${RECENT.slice(0, 10).replace(/\//g, "-")} ${RECENT.slice(11)}:00:00`;

/** Payloads for the seed's second example query: sends to example_address@example.com, one opened, one too old. */
function exampleAddressEvents() {
  const to = (messageId: string, template: typeof SES_EVENTS.send | typeof SES_EVENTS.open, sentAt = template.mail.timestamp) => {
    const copy = structuredClone(template);
    copy.mail.timestamp = sentAt;
    copy.mail.messageId = messageId;
    copy.mail.destination = ["example_address@example.com"];
    copy.mail.commonHeaders.subject = `Subject ${messageId}`;
    return copy;
  };
  return { recent: [to("m-opened", SES_EVENTS.send), to("m-opened", SES_EVENTS.open), to("m-unopened", SES_EVENTS.send, "2026-03-02T13:00:00.000Z")], old: [to("m-old", SES_EVENTS.send)] };
}

function transformed(payloads: unknown[]): object[] {
  const { result } = transformRecords(firehoseEvent(payloads), CONFIG);
  return result.records.filter((r) => r.result === "Ok").map((r) => JSON.parse(Buffer.from(r.data ?? "", "base64").toString("utf8")) as object);
}

describe("event database SQL on DuckDB", function () {
  this.timeout(60_000);
  let db: { connection: DuckDBConnection; close: () => void };
  const run = (sql: string) => query(db.connection, sql);

  before(async () => {
    db = await trinoLikeDuckDb();
    const example = exampleAddressEvents();
    const badContext = structuredClone(SMS_EVENTS["text-delivered"]);
    badContext.messageId = "sms-bad-context";
    const recent = transformed([
      ...Object.values(SES_EVENTS),
      ...Object.values(SMS_EVENTS),
      ...Object.values(PINPOINT_RECORDS),
      ...example.recent,
    ]);
    // A Pinpoint SMS record whose customer_context is not JSON: the seed's view failed the whole query on it.
    const brokenPinpoint = structuredClone(PINPOINT_RECORDS["sms-success"]);
    brokenPinpoint.attributes.message_id = "pinpoint-broken-context";
    brokenPinpoint.attributes.customer_context = "{not json";
    await loadAllEvents(db.connection, [
      ...recent.map((row) => ({ row, datehour: RECENT })),
      ...transformed([...example.old, brokenPinpoint]).map((row) => ({ row, datehour: OLD })),
    ]);
    await createViews(db.connection, VIEWS);
  });
  after(() => db.close());

  describe("Trino function macros, against Trino's documented examples", () => {
    it("needs a macro for exactly from_unixtime, json_parse, date_parse and element_at", () => {
      expect(TRINO_MACROS.map((m) => m.name)).to.deep.equal(["from_unixtime", "json_parse", "date_parse", "element_at"]);
    });
    it("date_parse('2022/10/20/05', '%Y/%m/%d/%H') is 2022-10-20 05:00:00", async () => {
      expect(await run("SELECT date_parse('2022/10/20/05', '%Y/%m/%d/%H') AS v")).to.deep.equal([{ v: "2022-10-20 05:00:00" }]);
    });
    it("json_parse('[1, 2, 3]') is JSON '[1,2,3]' and json_parse('\"abc\"') is JSON '\"abc\"'; invalid JSON fails (and TRY makes it NULL)", async () => {
      expect(await run(`SELECT CAST(json_parse('[1, 2, 3]') AS VARCHAR) AS a, CAST(json_parse('"abc"') AS VARCHAR) AS b`)).to.deep.equal([{ a: "[1,2,3]", b: '"abc"' }]);
      let error = "";
      try {
        await run("SELECT json_parse('{not json') AS v");
      } catch (e) {
        error = (e as Error).message;
      }
      expect(error).to.match(/Malformed JSON/);
      expect(await run("SELECT TRY(CAST(json_parse('{not json') AS MAP(VARCHAR, VARCHAR))) AS v")).to.deep.equal([{ v: null }]);
    });
    it("from_unixtime(seconds) is that instant in UTC, and event_timestamp / 1000 divides as integers, as in Trino", async () => {
      expect(await run("SELECT from_unixtime(0) AS a, from_unixtime(1772460001500 / 1000) AS b")).to.deep.equal([{ a: "1970-01-01 00:00:00+00", b: "2026-03-02 14:00:01+00" }]);
    });
    it("element_at(map, key) is the value, or NULL for a missing key", async () => {
      expect(await run("SELECT element_at(MAP {'a': 'b'}, 'a') AS hit, element_at(MAP {'a': 'b'}, 'z') AS miss")).to.deep.equal([{ hit: "b", miss: null }]);
    });
  });

  it("every view's columns have exactly the names and types its Glue definition declares", async () => {
    for (const view of VIEWS) {
      const described = await run(`DESCRIBE ${view.name}`);
      expect(
        described.map((c) => [c.column_name, c.column_type]),
        view.name,
      ).to.deep.equal(view.columns.map((c) => [c.name, DUCKDB_TYPE[c.type]]));
    }
  });

  const base = (messageId: string, eventTimestamp: string) => ({ message_id: messageId, event_timestamp: eventTimestamp, pinpoint_campaign_id: "spring-2026", pinpoint_treatment_id: "0" });

  it("email_send: one row per send, with the subject as sent (non-ASCII intact) and the tags as message_tags", async () => {
    const rows = await run("SELECT * FROM email_send WHERE message_id = '0100019a1b2c3d4e-0001-send-000000'");
    expect(rows).to.deep.equal([
      {
        event_timestamp: "2026-03-02 14:00:00+00",
        arrival_timestamp: "2026-03-02 15:00:00+00",
        application_id: "due-events",
        endpoint_id: null,
        pinpoint_campaign_id: "spring-2026",
        pinpoint_treatment_id: "0",
        aws_account_id: "123456789012",
        message_id: "0100019a1b2c3d4e-0001-send-000000",
        message_send_timestamp: "2026-03-02 14:00:00+00",
        from_address: "Example Statements <statements@example.com>",
        destination: ["jane.doe@example.net"],
        subject: "Votre relevé de mars — 東京 ✓",
        message_tags: [
          { key: "ses:configuration-set", value: "due-events" },
          { key: "ses:source-ip", value: "192.0.2.0" },
          { key: "ses:from-domain", value: "example.com" },
          { key: "ses:caller-identity", value: "statements-sender" },
          { key: "campaign_id", value: "spring-2026" },
          { key: "treatment_id", value: "0" },
        ],
        ingest_timestamp: RECENT_TS,
      },
    ]);
    expect(await run("SELECT count(*) AS n FROM email_send")).to.deep.equal([{ n: "4" }]);
  });

  it("email_hardbounce and email_softbounce: one row per bounced recipient", async () => {
    expect(await run("SELECT message_id, event_timestamp, pinpoint_campaign_id, pinpoint_treatment_id, bounce_type, bounce_sub_type, bounced_recipient_email_address, bounced_recipient_status, bounced_recipient_diagnostic_code FROM email_hardbounce")).to.deep.equal([
      {
        ...base("0100019a1b2c3d4e-0003-bounce-000000", "2026-03-02 14:00:02+00"),
        bounce_type: "Permanent",
        bounce_sub_type: "General",
        bounced_recipient_email_address: "gone.user@example.net",
        bounced_recipient_status: "5.1.1",
        bounced_recipient_diagnostic_code: "smtp; 550 5.1.1 user unknown",
      },
    ]);
    expect(await run("SELECT bounce_type, bounced_recipient_email_address, bounced_recipient_action, feedback_id, reporting_mta FROM email_softbounce ORDER BY bounced_recipient_email_address")).to.deep.equal([
      { bounce_type: "Transient", bounced_recipient_email_address: "away@example.net", bounced_recipient_action: "failed", feedback_id: "0100019a1b2c3d50-aaaa-bbbb-cccc-eeeeeeeeeeee-000000", reporting_mta: "dsn; a8-70.smtp-out.amazonses.com" },
      { bounce_type: "Transient", bounced_recipient_email_address: "full.box@example.net", bounced_recipient_action: "failed", feedback_id: "0100019a1b2c3d50-aaaa-bbbb-cccc-eeeeeeeeeeee-000000", reporting_mta: "dsn; a8-70.smtp-out.amazonses.com" },
    ]);
  });

  it("email_complaint, email_delivered, email_open, email_click, email_unsubscribe, email_rejected", async () => {
    expect(await run("SELECT message_id, complained_email_address, feedback_id, user_agent, complaint_feedback_type FROM email_complaint")).to.deep.equal([
      {
        message_id: "0100019a1b2c3d4e-0005-complaint-000000",
        complained_email_address: "jane.doe@example.net",
        feedback_id: "0100019a1b2c3d51-aaaa-bbbb-cccc-ffffffffffff-000000",
        user_agent: "Mozilla/5.0 (compatible; ExampleISP-FBL/1.0)",
        complaint_feedback_type: "abuse",
      },
    ]);
    expect(await run("SELECT event_timestamp, subject, smtp_response, reporting_mta, recipients, processing_time_millis FROM email_delivered")).to.deep.equal([
      {
        event_timestamp: "2026-03-02 14:00:01+00",
        subject: "Your March statement",
        smtp_response: "250 2.6.0 Message received",
        reporting_mta: "a8-70.smtp-out.amazonses.com",
        recipients: ["jane.doe@example.net"],
        processing_time_millis: 1250,
      },
    ]);
    expect(await run("SELECT message_id, ip_address FROM email_open ORDER BY message_id")).to.deep.equal([
      { message_id: "0100019a1b2c3d4e-0001-send-000000", ip_address: "198.51.100.7" },
      { message_id: "m-opened", ip_address: "198.51.100.7" },
    ]);
    expect(await run("SELECT message_id, link, ip_address FROM email_click")).to.deep.equal([
      { message_id: "0100019a1b2c3d4e-0001-send-000000", link: "https://www.example.com/statements/march", ip_address: "198.51.100.7" },
    ]);
    expect(await run("SELECT message_id, link, unsubscribelinktag, pinpoint_campaign_id FROM email_unsubscribe")).to.deep.equal([
      { message_id: "0100019a1b2c3d4e-0002-delivery-000000", link: "https://www.example.com/unsubscribe?c=spring-2026", unsubscribelinktag: ["footer"], pinpoint_campaign_id: "spring-2026" },
    ]);
    expect(await run("SELECT message_id, reject_reason FROM email_rejected")).to.deep.equal([{ message_id: "0100019a1b2c3d4e-0006-reject-000000", reject_reason: "Bad content" }]);
  });

  it("email_rendering_failure, email_delivery_delay and email_subscription (views the seed lacked)", async () => {
    expect(await run("SELECT message_id, template_name, error_message, pinpoint_treatment_id FROM email_rendering_failure")).to.deep.equal([
      { message_id: "0100019a1b2c3d4e-0007-render-000000", template_name: "MyTemplate", error_message: "Attribute 'attributeName' is not present in the rendering data.", pinpoint_treatment_id: null },
    ]);
    expect(await run("SELECT message_id, delay_type, expiration_time, delayed_recipient_email_address, delayed_recipient_status FROM email_delivery_delay")).to.deep.equal([
      { message_id: "0100019a1b2c3d4e-0008-delay-000000", delay_type: "TransientCommunicationFailure", expiration_time: "2026-03-03T14:00:00.000Z", delayed_recipient_email_address: "slow.mx@example.net", delayed_recipient_status: "4.4.1" },
    ]);
    expect(await run("SELECT contact_list, subscription_source, new_topic_preferences FROM email_subscription")).to.deep.equal([
      { contact_list: "ExampleContactList", subscription_source: "UnsubscribeHeader", new_topic_preferences: '{"unsubscribeAll":true,"topicSubscriptionStatus":{"ExampleTopicName":"OptOut"}}' },
    ]);
  });

  it("sms_buffered, sms_success, sms_failure, sms_optout: End User Messaging and Pinpoint rows side by side, a non-JSON context is NULL instead of failing the query", async () => {
    expect(await run("SELECT message_id, record_status, message_type, price_in_millicents_usd, message_tags FROM sms_buffered ORDER BY record_status")).to.deep.equal([
      { message_id: "862a8790-60c0-4430-9b2b-658bdexample", record_status: "QUEUED", message_type: "Transactional", price_in_millicents_usd: 0, message_tags: [{ key: "campaign_id", value: "spring-2026" }, { key: "row", value: "1" }] },
      { message_id: "862a8790-60c0-4430-9b2b-658bdexample", record_status: "SUCCESSFUL", message_type: "Transactional", price_in_millicents_usd: 581, message_tags: [{ key: "campaign_id", value: "spring-2026" }, { key: "row", value: "1" }] },
    ]);
    expect(await run("SELECT message_id, record_status, origination_phone_number, sender_request_id, pinpoint_campaign_id, pinpoint_treatment_id, message_tags, ingest_timestamp = TIMESTAMP '" + RECENT_TS + "' AS recent FROM sms_success ORDER BY message_id")).to.deep.equal([
      { message_id: "1111-2222-3333-4444", record_status: "DELIVERED", origination_phone_number: "+12065550142", sender_request_id: "565d4425-4b3a-11e8-8d3e-d1e5example", pinpoint_campaign_id: "spring-2026", pinpoint_treatment_id: "0", message_tags: [{ key: "userId", value: "user-7" }, { key: "nested", value: '{"tier":"gold"}' }], recent: true },
      { message_id: "862a8790-60c0-4430-9b2b-658bdexample", record_status: "DELIVERED", origination_phone_number: "+12065550152", sender_request_id: null, pinpoint_campaign_id: "spring-2026", pinpoint_treatment_id: null, message_tags: [{ key: "campaign_id", value: "spring-2026" }, { key: "row", value: "1" }], recent: true },
      { message_id: "pinpoint-broken-context", record_status: "DELIVERED", origination_phone_number: "+12065550142", sender_request_id: "565d4425-4b3a-11e8-8d3e-d1e5example", pinpoint_campaign_id: "spring-2026", pinpoint_treatment_id: "0", message_tags: null, recent: false },
    ]);
    expect(await run("SELECT record_status, number_of_message_parts, price_in_millicents_usd, message_tags FROM sms_failure")).to.deep.equal([
      { record_status: "CARRIER_UNREACHABLE", number_of_message_parts: "2", price_in_millicents_usd: 581, message_tags: null },
    ]);
    expect(await run("SELECT count(*) AS n FROM sms_optout")).to.deep.equal([{ n: "0" }]);
  });

  it("sms_events: every End User Messaging SMS event with its own fields", async () => {
    expect(await run("SELECT pinpoint_event_type, eum_event_type, is_final, mcc, mnc, message_encoding, total_carrier_fee FROM sms_events ORDER BY event_timestamp, eum_event_type")).to.deep.equal([
      { pinpoint_event_type: "_SMS.BUFFERED", eum_event_type: "TEXT_QUEUED", is_final: "false", mcc: "310", mnc: "800", message_encoding: "GSM", total_carrier_fee: "0" },
      { pinpoint_event_type: "_SMS.FAILURE", eum_event_type: "TEXT_CARRIER_UNREACHABLE", is_final: "true", mcc: "310", mnc: "800", message_encoding: "GSM", total_carrier_fee: "0" },
      { pinpoint_event_type: "_SMS.BUFFERED", eum_event_type: "TEXT_SUCCESSFUL", is_final: "true", mcc: "310", mnc: "800", message_encoding: "GSM", total_carrier_fee: "0.0025" },
      { pinpoint_event_type: "_SMS.SUCCESS", eum_event_type: "TEXT_DELIVERED", is_final: "true", mcc: "310", mnc: "800", message_encoding: "GSM", total_carrier_fee: "0.0025" },
    ]);
  });

  it("campaign_send and journey_send read the Pinpoint records", async () => {
    expect(await run("SELECT event_timestamp, application_id, endpoint_id, pinpoint_campaign_id, pinpoint_treatment_id FROM campaign_send")).to.deep.equal([
      { event_timestamp: "2026-03-02 14:00:00+00", application_id: "a1b2c3d4e5f60718293a4b5c6d7e8f90", endpoint_id: "endpoint-42", pinpoint_campaign_id: "spring-2026", pinpoint_treatment_id: "0" },
    ]);
    expect(await run("SELECT journey_id, journey_activity_id, journey_send_status, journey_run_id FROM journey_send")).to.deep.equal([
      { journey_id: "546401b9f6f34dcd9a7d2b8d0example", journey_activity_id: "0yKexample", journey_send_status: "SUCCESS", journey_run_id: "edc9a9bf5c5a4b1b8d2c1a0f9example" },
    ]);
  });

  it("runs the seed's first example query unchanged: per campaign, sends, opens, clicks, bounces (per recipient) and unsubscribes", async () => {
    expect(await run(EXAMPLE_QUERIES[0].sql)).to.deep.equal([
      { pinpoint_campaign_id: "spring-2026", NumSends: "4", NumOpens: "2", NumClicks: "1", NumHardBounces: "1", NumSoftBounces: "2", NumUnsubs: "1" },
    ]);
  });

  it("runs the seed's second example query unchanged: recent sends to the address, opened or not, newest first", async () => {
    const rows = await run(EXAMPLE_QUERIES[1].sql);
    expect(rows.map((r) => [r.EmailSubject, r.DidOpen])).to.deep.equal([
      ["Subject m-opened", 1],
      ["Subject m-unopened", 0],
    ]);
  });
});
