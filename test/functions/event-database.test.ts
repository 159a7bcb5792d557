import { expect } from "chai";
import type { FirehoseTransformationResultRecord } from "aws-lambda";
import { loadTransformConfig } from "../../functions/event-database/config";
import { normalizeEvent, pinpointSmsEventType, usdToMillicents } from "../../functions/event-database/normalize";
import { createTransformHandler, createTransformPorts, transformRecords } from "../../functions/event-database/transform";
import { ARRIVAL, PINPOINT_RECORDS, SES_EVENTS, SMS_EVENTS, firehoseEvent } from "../fixtures/event-database";
import { recordingObservability } from "./recording-observability";

const CONFIG = { campaignIdTag: "campaign_id", treatmentIdTag: "treatment_id" };
const CTX = { arrivalTimestamp: ARRIVAL, accountId: "123456789012", ...CONFIG };

function decode(record: FirehoseTransformationResultRecord): unknown {
  const text = Buffer.from(record.data ?? "", "base64").toString("utf8");
  expect(text.endsWith("\n"), "one JSON object per line").to.equal(true);
  return JSON.parse(text);
}

/** The one transformed row of a single SES/SMS/Pinpoint payload. */
function transformOne(payload: unknown): unknown {
  const { result } = transformRecords(firehoseEvent([payload]), CONFIG);
  expect(result.records).to.have.length(1);
  expect(result.records[0].result).to.equal("Ok");
  return decode(result.records[0]);
}

const TAGS = {
  "ses:configuration-set": "due-events",
  "ses:source-ip": "192.0.2.0",
  "ses:from-domain": "example.com",
  "ses:caller-identity": "statements-sender",
  campaign_id: "spring-2026",
  treatment_id: "0",
};
const FROM = "Example Statements <statements@example.com>";

/** The Pinpoint-shaped envelope of an SES row (every field written out). */
function sesRow(eventType: string, eventTimestamp: string, mailEvent: Record<string, unknown>, attributes: Record<string, string> = TAGS) {
  return {
    event_type: eventType,
    event_timestamp: Date.parse(eventTimestamp),
    arrival_timestamp: ARRIVAL,
    event_version: "ses-1",
    application: { app_id: "due-events", sdk: {} },
    client: { client_id: null },
    device: { platform: {} },
    session: {},
    attributes,
    client_context: { custom: {} },
    awsAccountId: "123456789012",
    facets: { email_channel: { mail_event: mailEvent } },
  };
}

function mail(messageId: string, subject: string, to: string[] = ["jane.doe@example.net"]) {
  return {
    message_id: messageId,
    message_send_timestamp: Date.parse("2026-03-02T14:00:00.000Z"),
    from_address: FROM,
    destination: to,
    headers_truncated: false,
    headers: [
      { name: "From", value: FROM },
      { name: "To", value: to[0] },
      { name: "Subject", value: subject },
      { name: "MIME-Version", value: "1.0" },
      { name: "Content-Type", value: 'multipart/alternative; boundary="----=_Part_7307378_1629847660.1516840721503"' },
    ],
    common_headers: { from: FROM, to, subject },
  };
}

const SUBJECT_UTF8 = "Votre relevé de mars — 東京 ✓";

describe("event-database transformation: SES event publishing → all_events", () => {
  it("maps Send to _email.send with the seed's snake_case mail facet, the tags as attributes, and a non-ASCII subject intact", () => {
    expect(transformOne(SES_EVENTS.send)).to.deep.equal(
      sesRow("_email.send", "2026-03-02T14:00:00.000Z", { mail: mail("0100019a1b2c3d4e-0001-send-000000", SUBJECT_UTF8), send: {} }),
    );
  });

  it("maps Delivery to _email.delivered with the delivery facet, timed at the delivery", () => {
    expect(transformOne(SES_EVENTS.delivery)).to.deep.equal(
      sesRow("_email.delivered", "2026-03-02T14:00:01.250Z", {
        mail: mail("0100019a1b2c3d4e-0002-delivery-000000", "Your March statement"),
        delivery: {
          smtp_response: "250 2.6.0 Message received",
          reporting_mta: "a8-70.smtp-out.amazonses.com",
          recipients: ["jane.doe@example.net"],
          processing_time_millis: 1250,
        },
      }),
    );
  });

  it("maps a Permanent bounce to _email.hardbounce", () => {
    expect(transformOne(SES_EVENTS["bounce-permanent"])).to.deep.equal(
      sesRow("_email.hardbounce", "2026-03-02T14:00:02.000Z", {
        mail: mail("0100019a1b2c3d4e-0003-bounce-000000", "Your March statement", ["gone.user@example.net"]),
        bounce: {
          bounce_type: "Permanent",
          bounce_sub_type: "General",
          bounced_recipients: [{ email_address: "gone.user@example.net", action: "failed", status: "5.1.1", diagnostic_code: "smtp; 550 5.1.1 user unknown" }],
          feedback_id: "0100019a1b2c3d4f-aaaa-bbbb-cccc-dddddddddddd-000000",
          reporting_mta: "dsn; a8-70.smtp-out.amazonses.com",
        },
      }),
    );
  });

  it("maps a Transient bounce to _email.softbounce with every bounced recipient", () => {
    expect(transformOne(SES_EVENTS["bounce-transient"])).to.deep.equal(
      sesRow("_email.softbounce", "2026-03-02T14:00:03.000Z", {
        mail: mail("0100019a1b2c3d4e-0004-softbounce-000000", "Your March statement", ["full.box@example.net", "away@example.net"]),
        bounce: {
          bounce_type: "Transient",
          bounce_sub_type: "MailboxFull",
          bounced_recipients: [
            { email_address: "full.box@example.net", action: "failed", status: "4.2.2", diagnostic_code: "smtp; 452 4.2.2 mailbox full" },
            { email_address: "away@example.net", action: "failed", status: "4.2.2", diagnostic_code: "smtp; 452 4.2.2 over quota" },
          ],
          feedback_id: "0100019a1b2c3d50-aaaa-bbbb-cccc-eeeeeeeeeeee-000000",
          reporting_mta: "dsn; a8-70.smtp-out.amazonses.com",
        },
      }),
    );
  });

  it("maps an Undetermined bounce to _email.softbounce (only Permanent is hard)", () => {
    const undetermined = structuredClone(SES_EVENTS["bounce-permanent"]);
    undetermined.bounce.bounceType = "Undetermined";
    expect((transformOne(undetermined) as { event_type: string }).event_type).to.equal("_email.softbounce");
  });

  it("maps Complaint to _email.complaint", () => {
    expect(transformOne(SES_EVENTS.complaint)).to.deep.equal(
      sesRow("_email.complaint", "2026-03-02T15:10:00.000Z", {
        mail: mail("0100019a1b2c3d4e-0005-complaint-000000", "Your March statement"),
        complaint: {
          complained_recipients: [{ email_address: "jane.doe@example.net" }],
          feedback_id: "0100019a1b2c3d51-aaaa-bbbb-cccc-ffffffffffff-000000",
          user_agent: "Mozilla/5.0 (compatible; ExampleISP-FBL/1.0)",
          complaint_feedback_type: "abuse",
        },
      }),
    );
  });

  it("maps Open to _email.open", () => {
    expect(transformOne(SES_EVENTS.open)).to.deep.equal(
      sesRow("_email.open", "2026-03-02T16:20:00.000Z", {
        mail: mail("0100019a1b2c3d4e-0001-send-000000", SUBJECT_UTF8),
        open: {
          ip_address: "198.51.100.7",
          user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        },
      }),
    );
  });

  it("maps Click to _email.click", () => {
    expect(transformOne(SES_EVENTS.click)).to.deep.equal(
      sesRow("_email.click", "2026-03-02T16:21:00.000Z", {
        mail: mail("0100019a1b2c3d4e-0001-send-000000", SUBJECT_UTF8),
        click: {
          ip_address: "198.51.100.7",
          user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36",
          link: "https://www.example.com/statements/march",
          link_tags: { unsubscribeLinkTag: null },
        },
      }),
    );
  });

  it("maps a Click on a link tagged unsubscribeLinkTag to _email.unsubscribe, as Pinpoint did", () => {
    expect(transformOne(SES_EVENTS["click-unsubscribe"])).to.deep.equal(
      sesRow("_email.unsubscribe", "2026-03-02T17:00:00.000Z", {
        mail: mail("0100019a1b2c3d4e-0002-delivery-000000", "Your March statement"),
        click: {
          ip_address: "203.0.113.9",
          user_agent: "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/124.0",
          link: "https://www.example.com/unsubscribe?c=spring-2026",
          link_tags: { unsubscribeLinkTag: ["footer"] },
        },
      }),
    );
  });

  it("maps Reject to _email.rejected, timed at the send", () => {
    expect(transformOne(SES_EVENTS.reject)).to.deep.equal(
      sesRow("_email.rejected", "2026-03-02T14:00:00.000Z", { mail: mail("0100019a1b2c3d4e-0006-reject-000000", "Your March statement"), reject: { reason: "Bad content" } }),
    );
  });

  it("maps Rendering Failure to _email.rendering_failure with the error and template", () => {
    const row = sesRow(
      "_email.rendering_failure",
      "2026-03-02T14:00:00.000Z",
      {
        mail: mail("0100019a1b2c3d4e-0007-render-000000", ""),
        rendering_failure: { error_message: "Attribute 'attributeName' is not present in the rendering data.", template_name: "MyTemplate" },
      },
      { "ses:configuration-set": "due-events", campaign_id: "spring-2026" },
    );
    expect(transformOne(SES_EVENTS["rendering-failure"])).to.deep.equal(row);
  });

  it("maps DeliveryDelay to _email.delivery_delay with the delayed recipients", () => {
    expect(transformOne(SES_EVENTS["delivery-delay"])).to.deep.equal(
      sesRow("_email.delivery_delay", "2026-03-02T18:00:00.000Z", {
        mail: mail("0100019a1b2c3d4e-0008-delay-000000", "Your March statement", ["slow.mx@example.net"]),
        delivery_delay: {
          delay_type: "TransientCommunicationFailure",
          expiration_time: "2026-03-03T14:00:00.000Z",
          reporting_mta: "a8-70.smtp-out.amazonses.com",
          delayed_recipients: [{ email_address: "slow.mx@example.net", status: "4.4.1", diagnostic_code: "smtp; 421 4.4.1 Unable to connect" }],
        },
      }),
    );
  });

  it("maps Subscription to _email.subscription with the topic preferences as JSON text", () => {
    expect(transformOne(SES_EVENTS.subscription)).to.deep.equal(
      sesRow("_email.subscription", "2026-03-02T19:00:00.000Z", {
        mail: mail("0100019a1b2c3d4e-0009-sub-000000", "Your March statement"),
        subscription: {
          contact_list: "ExampleContactList",
          source: "UnsubscribeHeader",
          new_topic_preferences: '{"unsubscribeAll":true,"topicSubscriptionStatus":{"ExampleTopicName":"OptOut"}}',
          old_topic_preferences: '{"unsubscribeAll":false,"topicSubscriptionStatus":{"ExampleTopicName":"OptIn"}}',
        },
      }),
    );
  });

  it("copies the configured campaign and treatment tags to attributes.campaign_id / treatment_id", () => {
    const send = structuredClone(SES_EVENTS.send) as { mail: { tags: Record<string, string[]> } };
    send.mail.tags = { "ses:configuration-set": ["due-events"], campaign: ["c-9"], variant: ["B", "C"] };
    const { result } = transformRecords(firehoseEvent([send]), { campaignIdTag: "campaign", treatmentIdTag: "variant" });
    expect((decode(result.records[0]) as { attributes: unknown }).attributes).to.deep.equal({
      "ses:configuration-set": "due-events",
      campaign: "c-9",
      variant: "B,C",
      campaign_id: "c-9",
      treatment_id: "B,C",
    });
  });
});

describe("event-database transformation: End User Messaging SMS → all_events", () => {
  const sms = (eventType: string, status: string, extra: Record<string, string>, timestamp: number, price?: number) => ({
    event_type: eventType,
    event_timestamp: timestamp,
    arrival_timestamp: ARRIVAL,
    event_version: "sms-voice-v2-1.0",
    application: { app_id: null, sdk: {} },
    client: { client_id: null },
    device: { platform: {} },
    session: {},
    attributes: {
      origination_phone_number: "+12065550152",
      destination_phone_number: "+14255550156",
      record_status: status,
      iso_country_code: "US",
      message_id: "862a8790-60c0-4430-9b2b-658bdexample",
      message_type: "Transactional",
      eum_event_type: `TEXT_${status}`,
      is_international_send: "false",
      mcc: "310",
      mnc: "800",
      message_encoding: "GSM",
      ...extra,
    },
    client_context: { custom: {} },
    awsAccountId: "123456789012",
    ...(price === undefined ? {} : { metrics: { price_in_millicents_usd: price } }),
  });

  it("maps TEXT_SUCCESSFUL (accepted by the carrier) to _SMS.BUFFERED, as Pinpoint's SUCCESSFUL record status", () => {
    expect(transformOne(SMS_EVENTS["text-successful"])).to.deep.equal(
      sms(
        "_SMS.BUFFERED",
        "SUCCESSFUL",
        {
          number_of_message_parts: "1",
          customer_context: '{"campaign_id":"spring-2026","row":"1"}',
          campaign_id: "spring-2026",
          is_final: "true",
          message_status_description: "Message has been accepted by phone carrier",
          message_request_timestamp: "1772460599700",
          total_message_price: "0.00581",
          total_carrier_fee: "0.0025",
        },
        1772460600000,
        581,
      ),
    );
  });

  it("maps TEXT_DELIVERED to _SMS.SUCCESS", () => {
    expect(transformOne(SMS_EVENTS["text-delivered"])).to.deep.equal(
      sms(
        "_SMS.SUCCESS",
        "DELIVERED",
        {
          number_of_message_parts: "1",
          customer_context: '{"campaign_id":"spring-2026","row":"1"}',
          campaign_id: "spring-2026",
          is_final: "true",
          message_status_description: "Message has been delivered to the handset",
          message_request_timestamp: "1772460601200",
          total_message_price: "0.00581",
          total_carrier_fee: "0.0025",
        },
        1772460601500,
        581,
      ),
    );
  });

  it("maps TEXT_QUEUED to _SMS.BUFFERED with a zero price", () => {
    expect(transformOne(SMS_EVENTS["text-queued"])).to.deep.equal(
      sms(
        "_SMS.BUFFERED",
        "QUEUED",
        {
          number_of_message_parts: "1",
          customer_context: '{"campaign_id":"spring-2026","row":"1"}',
          campaign_id: "spring-2026",
          is_final: "false",
          message_status_description: "Message is queued for delivery",
          message_request_timestamp: "1772460598700",
          total_message_price: "0",
          total_carrier_fee: "0",
        },
        1772460599000,
        0,
      ),
    );
  });

  it("maps a failure status (TEXT_CARRIER_UNREACHABLE) to _SMS.FAILURE, without a context", () => {
    expect(transformOne(SMS_EVENTS["text-carrier-unreachable"])).to.deep.equal(
      sms(
        "_SMS.FAILURE",
        "CARRIER_UNREACHABLE",
        {
          number_of_message_parts: "2",
          is_final: "true",
          message_status_description: "Carrier is temporarily unreachable",
          message_request_timestamp: "1772460599700",
          total_message_price: "0.00581",
          total_carrier_fee: "0",
        },
        1772460600000,
        581,
      ),
    );
  });

  it("maps every documented TEXT_* status to Pinpoint's event type", () => {
    const table: [string, string][] = [
      ["TEXT_QUEUED", "_SMS.BUFFERED"],
      ["TEXT_PENDING", "_SMS.BUFFERED"],
      ["TEXT_SUCCESSFUL", "_SMS.BUFFERED"],
      ["TEXT_DELIVERED", "_SMS.SUCCESS"],
      ["TEXT_BLOCKED", "_SMS.FAILURE"],
      ["TEXT_TTL_EXPIRED", "_SMS.FAILURE"],
      ["TEXT_CARRIER_UNREACHABLE", "_SMS.FAILURE"],
      ["TEXT_INVALID", "_SMS.FAILURE"],
      ["TEXT_INVALID_MESSAGE", "_SMS.FAILURE"],
      ["TEXT_CARRIER_BLOCKED", "_SMS.FAILURE"],
      ["TEXT_UNREACHABLE", "_SMS.FAILURE"],
      ["TEXT_SPAM", "_SMS.FAILURE"],
      ["TEXT_UNKNOWN", "_SMS.FAILURE"],
      ["TEXT_PROTECT_BLOCKED", "_SMS.FAILURE"],
      ["MEDIA_DELIVERED", "_MMS.DELIVERED"],
      ["VOICE_COMPLETED", "_VOICE.COMPLETED"],
    ];
    expect(table.map(([type]) => [type, pinpointSmsEventType(type, type.slice(type.indexOf("_") + 1))])).to.deep.equal(table);
    expect(pinpointSmsEventType("TEXT_BLOCKED", "OPTED_OUT")).to.equal("_SMS.OPTOUT");
  });

  it("converts USD to millicents without binary-fraction noise", () => {
    expect([usdToMillicents(0.00581), usdToMillicents(0.00645), usdToMillicents(1), usdToMillicents(0.1 + 0.2)]).to.deep.equal([581, 645, 100000, 30000]);
  });
});

describe("event-database transformation: Pinpoint records and bad input", () => {
  it("passes Pinpoint event-stream records through unchanged", () => {
    for (const name of ["campaign-send", "journey-send", "sms-success"] as const) {
      expect(transformOne(PINPOINT_RECORDS[name]), name).to.deep.equal(PINPOINT_RECORDS[name]);
    }
  });

  it("drops _test.event_stream and keeps the record order and ids of the batch", () => {
    const event = firehoseEvent([PINPOINT_RECORDS["campaign-send"], PINPOINT_RECORDS["test-event"], SES_EVENTS.send]);
    const { result, tally } = transformRecords(event, CONFIG);
    expect(result.records.map((r) => [r.recordId, r.result])).to.deep.equal(event.records.map((r, i) => [r.recordId, i === 1 ? "Dropped" : "Ok"]));
    expect(tally).to.deep.equal({ transformed: { pinpoint: 1, ses: 1 }, dropped: 1, failed: 0 });
  });

  it("returns ProcessingFailed (never Dropped) with the original data for a record it cannot read, and transforms the rest", () => {
    const bad = [
      { raw: "{not json" },
      { raw: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }, // invalid UTF-8
      { raw: "[1,2,3]" },
      { hello: "world" },
      { eventType: "Bounce", mail: SES_EVENTS.send.mail }, // no bounce object
      { eventType: "TEXT_DELIVERED", eventVersion: "1.0" }, // no timestamp, no messageId
      { event_type: "_email.send" }, // no event_timestamp
    ];
    const event = firehoseEvent([...bad, SES_EVENTS.delivery]);
    const failures: string[] = [];
    const { result, tally } = transformRecords(event, CONFIG, (_id, source, error) => failures.push(`${source}: ${error}`));
    expect(result.records.map((r) => r.result)).to.deep.equal([...bad.map(() => "ProcessingFailed"), "Ok"]);
    expect(result.records.slice(0, bad.length).map((r) => r.data)).to.deep.equal(event.records.slice(0, bad.length).map((r) => r.data));
    expect(tally).to.deep.equal({ transformed: { ses: 1 }, dropped: 0, failed: bad.length });
    expect(failures).to.deep.equal([
      "unknown: not JSON",
      "unknown: not UTF-8",
      "unknown: not a JSON object",
      "unknown: neither an SES, an End User Messaging nor a Pinpoint event",
      "ses: bounce: Invalid input: expected object, received undefined",
      "sms: eventTimestamp: Invalid input: expected number, received undefined; messageId: Invalid input: expected string, received undefined",
      "pinpoint: event_timestamp: Invalid input: expected number, received undefined",
    ]);
  });

  it("never puts an input value in a failure message", () => {
    const outcome = normalizeEvent({ eventType: "Bounce", mail: { ...SES_EVENTS.send.mail, timestamp: "jane.doe@example.net" }, bounce: {} }, CTX);
    expect(outcome.kind).to.equal("invalid");
    expect(JSON.stringify(outcome)).not.to.contain("jane.doe");
  });
});

/** Records every log line and count of the handler. */
function recording() {
  const lines: unknown[] = [];
  const counts: { name: string; value: number; dimensions: Record<string, string> }[] = [];
  const log = (message: string, attributes: Record<string, unknown>) => void lines.push({ message, attributes });
  const observability = recordingObservability({ addContext: () => undefined, info: log, warn: log, error: log }, (name, dimensions, value) =>
    counts.push({ name, value, dimensions: { ...(dimensions ?? {}) } }),
  );
  return { observability, logs: () => lines, metrics: () => counts };
}

describe("event-database transformation handler", () => {
  it("returns Firehose's result, publishes the counts by source, and logs no personal data", async () => {
    const { observability, logs, metrics } = recording();
    const handler = createTransformHandler(CONFIG, createTransformPorts(CONFIG), observability);
    const event = firehoseEvent([SES_EVENTS.send, SMS_EVENTS["text-delivered"], PINPOINT_RECORDS["test-event"], { raw: "nope" }]);
    const result = await handler(event, { awsRequestId: "req-1", functionName: "transform" } as never);
    expect(result.records.map((r) => r.result)).to.deep.equal(["Ok", "Ok", "Dropped", "ProcessingFailed"]);
    expect(metrics()).to.deep.include.members([
      { name: "Transformed", value: 1, dimensions: { Source: "ses" } },
      { name: "Transformed", value: 1, dimensions: { Source: "sms" } },
      { name: "DroppedTestEvent", value: 1, dimensions: {} },
      { name: "ProcessingFailed", value: 1, dimensions: {} },
    ]);
    const logged = JSON.stringify(logs());
    for (const secret of ["jane.doe@example.net", "+14255550156", SUBJECT_UTF8]) expect(logged).not.to.contain(secret);
  });

  it("fails the invocation on an event that is not a Firehose transformation event", async () => {
    const { observability } = recording();
    const handler = createTransformHandler(CONFIG, createTransformPorts(CONFIG), observability);
    let error: unknown;
    try {
      await handler({ records: "x" } as never, {} as never);
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).to.equal("Not a Firehose transformation event");
  });

  it("loads its tag names from the environment, with the seed's keys by default, and rejects a bad tag name", () => {
    expect(loadTransformConfig({})).to.deep.equal({ campaignIdTag: "campaign_id", treatmentIdTag: "treatment_id" });
    expect(loadTransformConfig({ CAMPAIGN_ID_TAG: "campaign", TREATMENT_ID_TAG: " " })).to.deep.equal({ campaignIdTag: "campaign", treatmentIdTag: "treatment_id" });
    expect(() => loadTransformConfig({ CAMPAIGN_ID_TAG: "bad tag!" })).to.throw("CAMPAIGN_ID_TAG: must be an SES message tag name");
  });
});
