import { CustomerProfilesClient, SearchProfilesCommand, ThrottlingException, UpdateProfileCommand } from "@aws-sdk/client-customer-profiles";
import { GetEndpointCommand, PinpointClient, UpdateEndpointsBatchCommand } from "@aws-sdk/client-pinpoint";
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, loadProcessorConfig, type ProcessorConfig } from "../../functions/event-based-segmentation/config";
import { DEFAULT_RULES, PROCESSOR_METRICS, sesEventTypesFor, type SegmentRule } from "../../functions/event-based-segmentation/contract";
import { parseRecordData, type SegmentEvent } from "../../functions/event-based-segmentation/events";
import type { createProcessorHandler as CreateProcessorHandler } from "../../functions/event-based-segmentation/processor";
import { changesFor, decide } from "../../functions/event-based-segmentation/rules";
import { segmentBatch } from "../../functions/event-based-segmentation/segment-batch";
import { createCustomerProfilesStore } from "../../functions/shared/profiles/customer-profiles";
import { createPinpointStore } from "../../functions/shared/profiles/pinpoint";
import { CUSTOMER_PROFILES_LIMITS } from "../../functions/shared/profiles/limits";
import type { AttributeStore, PersonUpdate, UpdateResult } from "../../functions/shared/profiles/store";
import { recordingObservability, type RecordingLogger } from "./recording-observability";

const mockCustomerProfiles = () => mockClient(CustomerProfilesClient);

const FIXTURES = path.join(__dirname, "..", "fixtures", "segmentation");
const fixture = (name: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8")) as Record<string, unknown>;
const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value), "utf8").toString("base64");
const parse = (value: unknown, tag?: string): SegmentEvent => {
  const result = parseRecordData(b64(value), tag);
  if (!result.ok) throw new Error(result.error);
  return result.event;
};

function kinesisRecord(data: unknown, sequenceNumber: string): KinesisStreamRecord {
  return {
    eventSource: "aws:kinesis",
    eventVersion: "1.0",
    eventID: `shardId-000000000000:${sequenceNumber}`,
    eventName: "aws:kinesis:record",
    invokeIdentityArn: "arn:aws:iam::123456789012:role/processor",
    awsRegion: "us-east-1",
    eventSourceARN: "arn:aws:kinesis:us-east-1:123456789012:stream/segments",
    kinesis: { kinesisSchemaVersion: "1.0", partitionKey: "p", sequenceNumber, data: b64(data), approximateArrivalTimestamp: 1772460400.1 },
  };
}
const kinesisEvent = (...records: KinesisStreamRecord[]): KinesisStreamEvent => ({ Records: records });
const context = { functionName: "processor", awsRequestId: "req-1", getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

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
  observability() {
    return recordingObservability(this, (name, _d, value) => void this.counts.set(name, (this.counts.get(name) ?? 0) + value));
  }
}

/** A store that records what it was asked and answers from a table (default "updated"). */
class RecordingStore implements AttributeStore {
  readonly target = "customerProfiles" as const;
  readonly limits = CUSTOMER_PROFILES_LIMITS;
  calls: PersonUpdate[][] = [];
  constructor(private readonly answer: (u: PersonUpdate) => Pick<UpdateResult, "status" | "retryable" | "error"> = () => ({ status: "updated", retryable: false })) {}
  async apply(updates: readonly PersonUpdate[]): Promise<UpdateResult[]> {
    this.calls.push([...updates]);
    const byPerson = new Map<string, UpdateResult>();
    updates.forEach((u, i) => {
      const key = JSON.stringify(u.person);
      const existing = byPerson.get(key);
      if (existing) existing.inputs.push(i);
      else byPerson.set(key, { person: u.person, inputs: [i], ...this.answer(u) });
    });
    return [...byPerson.values()];
  }
}

const CONFIG: ProcessorConfig = { store: { target: "customerProfiles", domainName: "engagement", concurrency: 4 }, rules: DEFAULT_RULES, sesIdentityTag: undefined };

// =================================================================================================

describe("event-based-segmentation: events", () => {
  it("reads an SES open from EventBridge as _email.open of its single recipient, with its tags as attributes", () => {
    expect(parse(fixture("ses-open-eventbridge"))).to.deep.equal({
      source: "ses",
      eventType: "_email.open",
      attributes: {
        "ses:configuration-set": "marketing",
        "ses:source-ip": "192.0.2.10",
        "ses:from-domain": "example.com",
        "ses:caller-identity": "sender-role",
        campaign: "march-newsletter",
      },
      identities: [{ kind: "email", value: "jane.doe@example.com" }],
    });
  });

  it("prefers the configured identity tag, then the bare lower-cased recipient, and exposes the clicked link", () => {
    const event = parse(fixture("ses-click-eventbridge"), "profile_id");
    expect(event.eventType).to.equal("_email.click");
    expect(event.attributes.link).to.equal("https://example.com/webinars/5/register");
    expect(event.identities).to.deep.equal([
      { kind: "profileKey", keyName: "_profileId", value: "7f3e2b1a9c8d4e5f" },
      { kind: "endpointId", value: "7f3e2b1a9c8d4e5f" },
      { kind: "email", value: "jane.doe@example.com" },
    ]);
  });

  it("does not identify anyone from an open of a message sent to several recipients", () => {
    const multi = fixture("ses-open-eventbridge");
    (multi.detail as { mail: { destination: string[] } }).mail.destination = ["a@example.com", "b@example.com"];
    expect(parse(multi).identities).to.deep.equal([]);
  });

  const bounces: [string, string][] = [
    ["Permanent", "_email.hardbounce"],
    ["Transient", "_email.softbounce"],
    ["Undetermined", "_email.softbounce"],
  ];
  for (const [bounceType, expected] of bounces) {
    it(`names an SES bounce of type ${bounceType} ${expected}`, () => {
      const event = fixture("ses-open-eventbridge");
      event["detail-type"] = "Email Bounced";
      event.detail = { ...(event.detail as object), eventType: "Bounce", bounce: { bounceType, bouncedRecipients: [{ emailAddress: "jane.doe@example.com" }], timestamp: "2026-03-02T14:05:30Z" } };
      expect(parse(event).eventType).to.equal(expected);
    });
  }

  it("trusts a Pinpoint email event's client_id only when it comes from a campaign or journey", () => {
    expect(parse(fixture("pinpoint-email-open-campaign")).identities).to.deep.equal([
      { kind: "endpointId", value: "endpoint-jane-1" },
      { kind: "email", value: "jane.doe@example.com" },
    ]);
    // SendMessages to raw addresses: client_id is no endpoint, and two recipients name no one.
    expect(parse(fixture("pinpoint-email-open-transactional")).identities).to.deep.equal([]);
  });

  it("trusts the client_id of a Pinpoint application event, and keeps its string attributes", () => {
    expect(parse(fixture("pinpoint-custom-event"))).to.deep.equal({
      source: "pinpoint",
      eventType: "_custom.registered_for_webinar5",
      attributes: { webinar: "5" },
      identities: [{ kind: "endpointId", value: "endpoint-jane-1" }],
    });
  });

  it("reads an application event and each kind of person it may name", () => {
    expect(parse(fixture("application-event"))).to.deep.equal({
      source: "application",
      eventType: "registered_for_webinar",
      attributes: { webinar: "5" },
      identities: [{ kind: "email", value: "jane.doe@example.com" }],
    });
    const person = (p: object) => parse({ eventType: "x", person: p }).identities;
    expect(person({ phone: "+14155550123" })).to.deep.equal([{ kind: "phone", value: "+14155550123" }]);
    expect(person({ profileId: "p-1" })).to.deep.equal([{ kind: "profileKey", keyName: "_profileId", value: "p-1" }]);
    expect(person({ keyName: "_account", keyValue: "A-9" })).to.deep.equal([{ kind: "profileKey", keyName: "_account", value: "A-9" }]);
    expect(person({ endpointId: "e-1" })).to.deep.equal([{ kind: "endpointId", value: "e-1" }]);
  });

  const malformed: [string, string, string][] = [
    ["not JSON", "{oops", "data is not JSON"],
    ["a JSON array", "[1,2]", "data is not a JSON object"],
    ["an unknown shape", JSON.stringify({ hello: "world" }), "neither an SES EventBridge event, a Pinpoint event nor an application event"],
    ["an application event with two persons", JSON.stringify({ eventType: "x", person: { email: "a@example.com", phone: "+14155550123" } }), "application event: person invalid_union"],
    ["an application event with a bad phone", JSON.stringify({ eventType: "x", person: { phone: "555-0123" } }), "application event: person.phone invalid_format"],
    ["an SES event without mail", JSON.stringify({ ...fixture("ses-open-eventbridge"), detail: { eventType: "Open" } }), "SES EventBridge event: detail.mail invalid_type"],
  ];
  for (const [name, data, error] of malformed) {
    it(`rejects ${name} with an error that names no value`, () => {
      expect(parseRecordData(Buffer.from(data).toString("base64"), undefined)).to.deep.equal({ ok: false, error });
    });
  }
});

describe("event-based-segmentation: rules (table-driven)", () => {
  const rules: SegmentRule[] = [
    ...DEFAULT_RULES,
    { eventType: "registered_for_webinar", match: { webinar: "5" }, attribute: "webinar_registration", value: "webinar5", mode: "add" },
    { eventType: "unregistered_from_webinar", match: { webinar: "5" }, attribute: "webinar_registration", value: "webinar5", mode: "remove" },
    { eventType: "_email.click", match: { link: "https://example.com/webinars/5/register" }, attribute: "interested_in", value: "webinar5", mode: "add" },
  ];
  const email = { kind: "email" as const, value: "jane@example.com" };
  const cases: { name: string; event: SegmentEvent; decision: ReturnType<typeof decide> }[] = [
    {
      name: "an SES open sets email_opened (the documented name) to true",
      event: { source: "ses", eventType: "_email.open", attributes: {}, identities: [email] },
      decision: { action: "update", update: { person: email, changes: [{ attribute: "email_opened", mode: "set", values: ["true"] }] } },
    },
    {
      name: "the seed's webinar event adds webinar5 instead of overwriting",
      event: { source: "pinpoint", eventType: "_custom.registered_for_webinar5", attributes: {}, identities: [email] },
      decision: { action: "update", update: { person: email, changes: [{ attribute: "webinar_registration", mode: "add", values: ["webinar5"] }] } },
    },
    {
      name: "an attribute match selects the rule",
      event: { source: "application", eventType: "registered_for_webinar", attributes: { webinar: "5" }, identities: [email] },
      decision: { action: "update", update: { person: email, changes: [{ attribute: "webinar_registration", mode: "add", values: ["webinar5"] }] } },
    },
    {
      name: "an attribute mismatch ignores the event",
      event: { source: "application", eventType: "registered_for_webinar", attributes: { webinar: "6" }, identities: [email] },
      decision: { action: "ignore" },
    },
    {
      name: "a remove rule removes",
      event: { source: "application", eventType: "unregistered_from_webinar", attributes: { webinar: "5" }, identities: [email] },
      decision: { action: "update", update: { person: email, changes: [{ attribute: "webinar_registration", mode: "remove", values: ["webinar5"] }] } },
    },
    {
      name: "an event type with no rule is ignored",
      event: { source: "ses", eventType: "_email.delivered", attributes: {}, identities: [email] },
      decision: { action: "ignore" },
    },
    {
      name: "a matching event that identifies no one changes nothing",
      event: { source: "ses", eventType: "_email.open", attributes: {}, identities: [] },
      decision: { action: "unidentified" },
    },
    {
      name: "an event identified only by a Pinpoint endpoint is unidentified for Customer Profiles",
      event: { source: "pinpoint", eventType: "_email.open", attributes: {}, identities: [{ kind: "endpointId", value: "e-1" }] },
      decision: { action: "unidentified" },
    },
    {
      name: "the first identity the target can locate is used",
      event: { source: "ses", eventType: "_email.open", attributes: {}, identities: [{ kind: "endpointId", value: "e-1" }, email] },
      decision: { action: "update", update: { person: email, changes: [{ attribute: "email_opened", mode: "set", values: ["true"] }] } },
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(decide(c.event, rules, "customerProfiles")).to.deep.equal(c.decision));
  }

  it("applies every matching rule, in rule order", () => {
    const both: SegmentRule[] = [
      { eventType: "_email.click", attribute: "clicked", value: "true", mode: "set" },
      { eventType: "_email.click", match: { campaign: "march" }, attribute: "campaigns", value: "march", mode: "add" },
    ];
    expect(changesFor({ source: "ses", eventType: "_email.click", attributes: { campaign: "march" }, identities: [] }, both)).to.deep.equal([
      { attribute: "clicked", mode: "set", values: ["true"] },
      { attribute: "campaigns", mode: "add", values: ["march"] },
    ]);
  });

  it("uses the endpoint for the pinpoint target", () => {
    const event: SegmentEvent = { source: "pinpoint", eventType: "_email.open", attributes: {}, identities: [{ kind: "endpointId", value: "e-1" }, email] };
    expect(decide(event, DEFAULT_RULES, "pinpoint")).to.deep.equal({
      action: "update",
      update: { person: { kind: "endpointId", value: "e-1" }, changes: [{ attribute: "email_opened", mode: "set", values: ["true"] }] },
    });
  });

  it("routes from SES only the event types some rule acts on", () => {
    expect(sesEventTypesFor(DEFAULT_RULES)).to.deep.equal(["OPEN"]);
    expect(sesEventTypesFor([{ eventType: "_email.softbounce" }, { eventType: "_email.click" }, { eventType: "signup" }])).to.deep.equal(["BOUNCE", "CLICK"]);
  });
});

describe("event-based-segmentation: config", () => {
  const env = {
    ATTRIBUTE_STORE_TARGET: "customerProfiles",
    PROFILES_DOMAIN_NAME: "engagement",
    PINPOINT_APPLICATION_ID: "",
    ATTRIBUTE_WRITE_CONCURRENCY: "4",
    SEGMENT_RULES: JSON.stringify(DEFAULT_RULES),
    SES_IDENTITY_TAG: "",
  };

  it("loads the store, the rules and the identity tag", () => {
    expect(loadProcessorConfig(env)).to.deep.equal(CONFIG);
    expect(loadProcessorConfig({ ...env, SES_IDENTITY_TAG: "profile_id" }).sesIdentityTag).to.equal("profile_id");
  });

  it("names every bad variable at once", () => {
    expect(() => loadProcessorConfig({ ...env, PROFILES_DOMAIN_NAME: "", SEGMENT_RULES: '[{"eventType":"x"}]', SES_IDENTITY_TAG: "bad tag" })).to.throw(
      ConfigError,
      'Invalid environment: PROFILES_DOMAIN_NAME must be a Customer Profiles domain name, got ""; SEGMENT_RULES is not a valid rule list: 0.attribute Invalid input: expected string, received undefined; 0.value Invalid input: expected string, received undefined; 0.mode Invalid option: expected one of "set"|"add"|"remove"; SES_IDENTITY_TAG must be an SES message tag name, got "bad tag"',
    );
  });
});

describe("event-based-segmentation: processor", () => {
  let cp: ReturnType<typeof mockCustomerProfiles>;
  afterEach(() => cp.reset());
  const savedEnv = { ...process.env };
  let createProcessorHandler: typeof CreateProcessorHandler;
  let moduleHandler: (event: KinesisStreamEvent, context: Context) => Promise<unknown>;

  // The entry module builds its handler from the environment when imported: set it first.
  before(async () => {
    cp = mockCustomerProfiles();
    Object.assign(process.env, {
      AWS_REGION: "us-east-1",
      ATTRIBUTE_STORE_TARGET: "customerProfiles",
      PROFILES_DOMAIN_NAME: "engagement",
      PINPOINT_APPLICATION_ID: "",
      ATTRIBUTE_WRITE_CONCURRENCY: "4",
      SEGMENT_RULES: JSON.stringify(DEFAULT_RULES),
      SES_IDENTITY_TAG: "",
      POWERTOOLS_METRICS_NAMESPACE: "DigitalUserEngagementTest",
      POWERTOOLS_LOG_LEVEL: "ERROR",
    });
    ({ createProcessorHandler, handler: moduleHandler } = await import("../../functions/event-based-segmentation/processor.js"));
  });
  after(() => {
    cp.restore();
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  });

  it("the deployed entry wires the Customer Profiles store from its environment", async () => {
    cp.on(SearchProfilesCommand).resolves({ Items: [{ ProfileId: "p-jane", Attributes: {} }] });
    cp.on(UpdateProfileCommand).resolves({ ProfileId: "p-jane" });
    const response = await moduleHandler(kinesisEvent(kinesisRecord(fixture("ses-open-eventbridge"), "1")), context);
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(cp.commandCalls(UpdateProfileCommand).map((c) => c.args[0].input)).to.deep.equal([
      { DomainName: "engagement", ProfileId: "p-jane", Attributes: { email_opened: "|true|" } },
    ]);
  });

  it("processes the records around a malformed one, reports it, and does not retry it", async () => {
    const store = new RecordingStore();
    const recorder = new Recorder();
    const handler = createProcessorHandler(CONFIG, { store }, recorder.observability());
    const response = await handler(
      kinesisEvent(
        kinesisRecord(fixture("ses-open-eventbridge"), "100"),
        kinesisRecord("{not json", "101"),
        kinesisRecord({ eventType: "_custom.registered_for_webinar5", person: { email: "john@example.com" } }, "102"),
      ),
      context,
    );
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(store.calls).to.deep.equal([
      [
        { person: { kind: "email", value: "jane.doe@example.com" }, changes: [{ attribute: "email_opened", mode: "set", values: ["true"] }] },
        { person: { kind: "email", value: "john@example.com" }, changes: [{ attribute: "webinar_registration", mode: "add", values: ["webinar5"] }] },
      ],
    ]);
    expect(recorder.logs.filter((l) => l.level === "WARN")).to.deep.equal([
      { level: "WARN", message: "Malformed stream record; not retried", attributes: { sequenceNumber: "101", error: "data is not JSON" } },
    ]);
    expect(recorder.counts.get(PROCESSOR_METRICS.MalformedRecord)).to.equal(1);
    expect(recorder.counts.get(PROCESSOR_METRICS.AttributeUpdated)).to.equal(2);
  });

  it("reports every record of a person whose write failed, and only those", async () => {
    const throttled = new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } });
    const store = new RecordingStore((u) => (u.person.value === "jane.doe@example.com" ? { status: "failed", retryable: true, error: throttled } : { status: "updated", retryable: false }));
    const recorder = new Recorder();
    const handler = createProcessorHandler(CONFIG, { store }, recorder.observability());
    const jane = { eventType: "_custom.registered_for_webinar5", person: { email: "jane.doe@example.com" } };
    const response = await handler(
      kinesisEvent(
        kinesisRecord(fixture("ses-open-eventbridge"), "200"),
        kinesisRecord({ eventType: "_custom.registered_for_webinar5", person: { email: "john@example.com" } }, "201"),
        kinesisRecord(jane, "202"),
      ),
      context,
    );
    expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "200" }, { itemIdentifier: "202" }] });
    expect(recorder.counts.get(PROCESSOR_METRICS.FailedRecord)).to.equal(2);
    expect(recorder.counts.get(PROCESSOR_METRICS.Throttled)).to.equal(1);
    const failure = recorder.logs.find((l) => l.level === "ERROR")!;
    expect(failure.attributes).to.deep.equal({ person: "email:j***@e***.com", status: "failed", reason: undefined, retryable: true, records: 2 });
    expect(JSON.stringify(recorder.logs)).not.to.include("jane.doe@example.com");
  });

  it("aggregates a person's records into one search and one write with the Customer Profiles adapter", async () => {
    cp.on(SearchProfilesCommand).resolves({ Items: [{ ProfileId: "p-jane", Attributes: { webinar_registration: "|webinar4|" } }] });
    cp.on(UpdateProfileCommand).resolves({ ProfileId: "p-jane" });
    const rules: SegmentRule[] = [
      ...DEFAULT_RULES,
      { eventType: "registered_for_webinar", match: { webinar: "6" }, attribute: "webinar_registration", value: "webinar6", mode: "add" },
      { eventType: "unregistered_from_webinar", match: { webinar: "4" }, attribute: "webinar_registration", value: "webinar4", mode: "remove" },
    ];
    const store = createCustomerProfilesStore({ client: new CustomerProfilesClient({ region: "us-east-1" }), domainName: "engagement", concurrency: 4 });
    const handler = createProcessorHandler({ ...CONFIG, rules }, { store }, new Recorder().observability());
    const jane = { email: "jane.doe@example.com" };
    const response = await handler(
      kinesisEvent(
        kinesisRecord(fixture("ses-open-eventbridge"), "300"),
        kinesisRecord({ eventType: "registered_for_webinar", person: jane, attributes: { webinar: "6" } }, "301"),
        kinesisRecord({ eventType: "unregistered_from_webinar", person: jane, attributes: { webinar: "4" } }, "302"),
        kinesisRecord({ eventType: "_custom.registered_for_webinar5", person: jane }, "303"),
      ),
      context,
    );
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(cp.commandCalls(SearchProfilesCommand)).to.have.length(1);
    expect(cp.commandCalls(UpdateProfileCommand).map((c) => c.args[0].input)).to.deep.equal([
      {
        DomainName: "engagement",
        ProfileId: "p-jane",
        Attributes: { email_opened: "|true|", webinar_registration: "|webinar6|webinar5|" },
      },
    ]);
  });

  it("redelivery of the same batch writes the same values (idempotent)", async () => {
    const stored: Record<string, string> = { webinar_registration: "|webinar4|" };
    cp.on(SearchProfilesCommand).callsFake(async () => ({ Items: [{ ProfileId: "p-jane", Attributes: { ...stored } }] }));
    cp.on(UpdateProfileCommand).callsFake(async (input: { Attributes: Record<string, string> }) => {
      Object.assign(stored, input.Attributes);
      return { ProfileId: "p-jane" };
    });
    const store = createCustomerProfilesStore({ client: new CustomerProfilesClient({ region: "us-east-1" }), domainName: "engagement", concurrency: 4 });
    const handler = createProcessorHandler(CONFIG, { store }, new Recorder().observability());
    const batch = kinesisEvent(kinesisRecord({ eventType: "_custom.registered_for_webinar5", person: { email: "jane.doe@example.com" } }, "400"));
    await handler(batch, context);
    await handler(batch, context);
    expect(stored).to.deep.equal({ webinar_registration: "|webinar4|webinar5|" });
    // The second delivery found nothing to change.
    expect(cp.commandCalls(UpdateProfileCommand)).to.have.length(1);
  });

  it("pinpoint: updates the campaign endpoint from the legacy event stream, in one UpdateEndpointsBatch, and skips the transactional open", async () => {
    const pp = mockClient(PinpointClient);
    try {
      pp.on(GetEndpointCommand).resolves({ EndpointResponse: { Id: "endpoint-jane-1", Attributes: { webinar_registration: ["webinar4"] } } });
      pp.on(UpdateEndpointsBatchCommand).resolves({ MessageBody: { Message: "Accepted" } });
      const store = createPinpointStore({ client: new PinpointClient({ region: "us-east-1" }), applicationId: "7e9bd47a4f1e4a1a9b0e2c5d6f7a8b9c", concurrency: 4 });
      const recorder = new Recorder();
      const config: ProcessorConfig = { ...CONFIG, store: { target: "pinpoint", applicationId: "7e9bd47a4f1e4a1a9b0e2c5d6f7a8b9c", concurrency: 4 } };
      const handler = createProcessorHandler(config, { store }, recorder.observability());
      const response = await handler(
        kinesisEvent(
          kinesisRecord(fixture("pinpoint-email-open-campaign"), "600"),
          kinesisRecord(fixture("pinpoint-email-open-transactional"), "601"),
          kinesisRecord(fixture("pinpoint-custom-event"), "602"),
        ),
        context,
      );
      expect(response).to.deep.equal({ batchItemFailures: [] });
      expect(pp.commandCalls(GetEndpointCommand).map((c) => c.args[0].input.EndpointId)).to.deep.equal(["endpoint-jane-1"]);
      expect(pp.commandCalls(UpdateEndpointsBatchCommand).map((c) => c.args[0].input)).to.deep.equal([
        {
          ApplicationId: "7e9bd47a4f1e4a1a9b0e2c5d6f7a8b9c",
          EndpointBatchRequest: { Item: [{ Id: "endpoint-jane-1", Attributes: { email_opened: ["true"], webinar_registration: ["webinar4", "webinar5"] } }] },
        },
      ]);
      expect(recorder.counts.get(PROCESSOR_METRICS.Unidentified)).to.equal(1);
    } finally {
      pp.restore();
    }
  });

  it("counts unidentified and ignored events without calling the store", async () => {
    const store = new RecordingStore();
    const recorder = new Recorder();
    const handler = createProcessorHandler(CONFIG, { store }, recorder.observability());
    const response = await handler(
      kinesisEvent(kinesisRecord(fixture("pinpoint-email-open-transactional"), "500"), kinesisRecord({ eventType: "page_view", person: { email: "a@example.com" } }, "501")),
      context,
    );
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(store.calls).to.deep.equal([]);
    expect(recorder.counts.get(PROCESSOR_METRICS.Unidentified)).to.equal(1);
    expect(recorder.counts.get(PROCESSOR_METRICS.Ignored)).to.equal(1);
  });

  it("fails the invocation on an envelope that is not a Kinesis event", async () => {
    const handler = createProcessorHandler(CONFIG, { store: new RecordingStore() }, new Recorder().observability());
    await handler({ Records: [{ kinesis: {} }] } as unknown as KinesisStreamEvent, context).then(
      () => expect.fail("expected a rejection"),
      (e: unknown) => expect((e as Error).name).to.equal("ZodError"),
    );
  });

  it("segmentBatch maps a failed person back to its record only", async () => {
    const store = new RecordingStore((u) => (u.person.value === "b@example.com" ? { status: "failed", retryable: false } : { status: "not-found", retryable: false }));
    const outcome = await segmentBatch(
      [
        { kinesis: { data: b64({ eventType: "_email.open", person: { email: "a@example.com" } }), sequenceNumber: "1" } },
        { kinesis: { data: b64({ eventType: "_email.open", person: { email: "b@example.com" } }), sequenceNumber: "2" } },
      ],
      store,
      { rules: DEFAULT_RULES, sesIdentityTag: undefined },
    );
    expect([...outcome.failed]).to.deep.equal(["2"]);
    expect(outcome.tally).to.deep.include({ notFound: 1, failedRecords: 1 });
  });
});
