import { expect } from "chai";
import { DynamoDBClient, DeleteItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { PinpointClient, SendMessagesCommand, UpdateEndpointCommand } from "@aws-sdk/client-pinpoint";
import {
  ConflictException,
  DeleteOptedOutNumberCommand,
  PinpointSMSVoiceV2Client,
  PutOptedOutNumberCommand,
  ResourceNotFoundException,
  SendTextMessageCommand,
  ThrottlingException,
} from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { Logger } from "@aws-lambda-powertools/logger";
import { mockClient } from "aws-sdk-client-mock";
import { loadInboundConfig, type InboundConfig } from "../../functions/self-managed-opt-outs/config";
import { planInbound, pinpointEndpointId } from "../../functions/self-managed-opt-outs/plan";
import {
  captureOutput,
  fakeContext,
  FakeDocumentTables,
  fakePowertoolsTable,
  fixtureJson,
  freezeNow,
  silentObservability,
  withEnv,
} from "./sms-test-helpers";

const ENV = {
  PREFERENCE_TABLE_NAME: "sms-preferences",
  IDEMPOTENCY_TABLE_NAME: "sms-idempotency",
  EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:sms-events",
  OPT_OUT_LIST_NAME: "self-managed-opt-outs",
  CONFIGURATION_SET_NAME: "sms-replies",
};
const CUSTOMER = "+14255550182";
const OUR_NUMBER = "+12065550142";
const NOW = Date.parse("2026-03-02T17:45:10.000Z");
const PUBLISHED_AT = "2026-03-02T17:45:09.000Z";

type Module = typeof import("../../functions/self-managed-opt-outs/inbound.js");

interface SnsFixture {
  Records: Array<{ Sns: { Message: string; Timestamp: string; MessageId: string } }>;
}

function snsEvent(body: string, options: { inboundMessageId?: string; timestamp?: string; from?: string } = {}): SnsFixture {
  const event = fixtureJson<SnsFixture>("inbound-sms-sns-event.json");
  const record = event.Records[0]!;
  const message = JSON.parse(record.Sns.Message) as Record<string, string>;
  record.Sns.Message = JSON.stringify({
    ...message,
    messageBody: body,
    originationNumber: options.from ?? CUSTOMER,
    inboundMessageId: options.inboundMessageId ?? `inbound-${body.replace(/\W/g, "") || "blank"}`,
  });
  record.Sns.Timestamp = options.timestamp ?? PUBLISHED_AT;
  return event;
}

describe("self-managed opt-outs handler", () => {
  let mod: Module;
  const smsV2 = mockClient(PinpointSMSVoiceV2Client);
  const pinpoint = mockClient(PinpointClient);
  const sns = mockClient(SNSClient);
  const dynamo = mockClient(DynamoDBClient);
  const documents = mockClient(DynamoDBDocumentClient);
  let tables: FakeDocumentTables;
  let unfreeze: () => void;
  let metricNames: string[];

  before(async () => {
    mod = await withEnv({ ...ENV, POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" }, () => import("../../functions/self-managed-opt-outs/inbound.js"));
  });

  beforeEach(() => {
    for (const m of [smsV2, pinpoint, sns, dynamo, documents]) m.reset();
    fakePowertoolsTable(dynamo);
    tables = new FakeDocumentTables(documents, { "sms-preferences": "phoneNumber", "sms-idempotency": "id" });
    smsV2.on(PutOptedOutNumberCommand).resolves({ OptedOutNumber: CUSTOMER });
    smsV2.on(DeleteOptedOutNumberCommand).resolves({ OptedOutNumber: CUSTOMER });
    smsV2.on(SendTextMessageCommand).resolves({ MessageId: "reply-message-id" });
    sns.on(PublishCommand).resolves({ MessageId: "event-message-id" });
    unfreeze = freezeNow(NOW);
  });

  afterEach(() => unfreeze());

  function build(overrides: Record<string, string> = {}, logger?: Logger) {
    const config: InboundConfig = loadInboundConfig({ ...ENV, ...overrides });
    const observability = silentObservability();
    metricNames = observability.metricNames;
    const handler = mod.createInboundHandler(config, mod.createInboundDeps(config), { ...observability, logger: logger ?? observability.logger });
    return (event: unknown) => handler(event, fakeContext());
  }

  function commandNames(): string[] {
    return [...smsV2.calls(), ...pinpoint.calls(), ...sns.calls()]
      .map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name)
      .sort();
  }

  it("opts a STOP out in after-opt-out-list order: opt-out list, preference table, domain event, then a TRANSACTIONAL reply from the number texted", async () => {
    const invoke = build({ OPT_OUT_REPLY_ORDER: "after-opt-out-list" });
    const [result] = await invoke(snsEvent("stop", { inboundMessageId: "in-1" }));

    expect(result).to.deep.equal({ inboundMessageId: "in-1", keywordClass: "OPT_OUT", outcome: "processed", reply: "sent" });
    expect(smsV2.commandCalls(PutOptedOutNumberCommand).map((c) => c.args[0].input)).to.deep.equal([
      { OptOutListName: "self-managed-opt-outs", OptedOutNumber: CUSTOMER },
    ]);
    const preferenceWrites = documents.commandCalls(UpdateCommand).filter((c) => c.args[0].input.TableName === "sms-preferences");
    expect(preferenceWrites.map((c) => c.args[0].input)).to.deep.equal([
      {
        TableName: "sms-preferences",
        Key: { phoneNumber: CUSTOMER },
        UpdateExpression:
          "SET #status = :status, updatedAt = :updatedAt, lastInboundMessageId = :inboundMessageId, #source = :source, keyword = :keyword, lastEventAt = :eventAt",
        ConditionExpression: "attribute_not_exists(lastEventAt) OR lastEventAt <= :eventAt",
        ExpressionAttributeNames: { "#status": "status", "#source": "source" },
        ExpressionAttributeValues: {
          ":status": "OPTED_OUT",
          ":updatedAt": "2026-03-02T17:45:10.000Z",
          ":inboundMessageId": "in-1",
          ":source": "OPT_OUT",
          ":keyword": "STOP",
          ":eventAt": Date.parse(PUBLISHED_AT),
        },
      },
    ]);
    const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published).to.have.length(1);
    expect(published[0]!.TopicArn).to.equal(ENV.EVENTS_TOPIC_ARN);
    expect(published[0]!.MessageAttributes).to.deep.equal({ eventType: { DataType: "String", StringValue: "sms.preference.opted-out" } });
    expect(JSON.parse(published[0]!.Message!)).to.deep.equal({
      eventType: "sms.preference.opted-out",
      eventId: "in-1",
      occurredAt: PUBLISHED_AT,
      phoneNumber: CUSTOMER,
      originationIdentity: OUR_NUMBER,
      keywordClass: "OPT_OUT",
      enforcement: "opt-out-list",
    });
    expect(published[0]!.Message).not.to.contain("stop");
    expect(smsV2.commandCalls(SendTextMessageCommand).map((c) => c.args[0].input)).to.deep.equal([
      {
        DestinationPhoneNumber: CUSTOMER,
        OriginationIdentity: OUR_NUMBER,
        MessageBody: "You have been unsubscribed and will receive no more messages from this number. Reply START to resubscribe.",
        MessageType: "TRANSACTIONAL",
        ConfigurationSetName: "sms-replies",
        Context: { inboundMessageId: "in-1", keywordClass: "OPT_OUT" },
      },
    ]);
    const order = smsV2.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
    expect(order).to.deep.equal(["PutOptedOutNumberCommand", "SendTextMessageCommand"]);
    expect(tables.get("sms-preferences", CUSTOMER)).to.include({ status: "OPTED_OUT", source: "OPT_OUT", lastInboundMessageId: "in-1" });
    expect(metricNames).to.include.members(["OptOutReceived", "ReplySent"]);
  });

  for (const body of [" Stop. ", "REVOKE", "opt out", "STOPALL"]) {
    it(`opts out on ${JSON.stringify(body)}`, async () => {
      await build()(snsEvent(body));
      expect(smsV2.commandCalls(PutOptedOutNumberCommand)).to.have.length(1);
      expect(tables.get("sms-preferences", CUSTOMER)?.status).to.equal("OPTED_OUT");
    });
  }

  for (const body of ["Please SEND info", "weekend", "don't stop", "I will attend"]) {
    it(`ignores ${JSON.stringify(body)} but counts it`, async () => {
      const [result] = await build()(snsEvent(body));
      expect(result!.outcome).to.equal("ignored");
      expect(commandNames()).to.deep.equal([]);
      expect(documents.commandCalls(UpdateCommand)).to.have.length(0);
      expect(metricNames).to.include("InboundIgnored");
    });
  }

  it("re-subscribes on START: removes the number from the list, records OPTED_IN and confirms", async () => {
    tables.put("sms-preferences", { phoneNumber: CUSTOMER, status: "OPTED_OUT", lastEventAt: Date.parse("2026-03-01T00:00:00Z"), lastInboundMessageId: "older" });
    const [result] = await build()(snsEvent("START", { inboundMessageId: "in-start" }));

    expect(result!.reply).to.equal("sent");
    expect(smsV2.commandCalls(DeleteOptedOutNumberCommand).map((c) => c.args[0].input)).to.deep.equal([
      { OptOutListName: "self-managed-opt-outs", OptedOutNumber: CUSTOMER },
    ]);
    expect(smsV2.commandCalls(PutOptedOutNumberCommand)).to.have.length(0);
    expect(tables.get("sms-preferences", CUSTOMER)).to.include({ status: "OPTED_IN", source: "OPT_IN", keyword: "START" });
    expect(JSON.parse(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!).eventType).to.equal("sms.preference.opted-in");
    expect(smsV2.commandCalls(SendTextMessageCommand)[0]!.args[0].input.MessageBody).to.equal(
      "You have been resubscribed. Reply STOP to unsubscribe or HELP for help.",
    );
  });

  it("treats START for a number that is not on the list as already opted in", async () => {
    smsV2.on(DeleteOptedOutNumberCommand).rejects(
      new ResourceNotFoundException({ message: "not found", $metadata: {}, ResourceType: "opted-out-number", ResourceId: CUSTOMER }),
    );
    const [result] = await build()(snsEvent("unstop"));
    expect(result!.outcome).to.equal("processed");
    expect(tables.get("sms-preferences", CUSTOMER)?.status).to.equal("OPTED_IN");
  });

  it("fails START when the opt-out list itself does not exist, before recording or replying", async () => {
    smsV2.on(DeleteOptedOutNumberCommand).rejects(
      new ResourceNotFoundException({ message: "list not found", $metadata: {}, ResourceType: "opt-out-list", ResourceId: "self-managed-opt-outs" }),
    );
    let error: unknown;
    await build()(snsEvent("START")).catch((e: unknown) => (error = e));
    expect((error as Error).name).to.equal("ResourceNotFoundException");
    expect(tables.get("sms-preferences", CUSTOMER)).to.equal(undefined);
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(0);
  });

  it("answers HELP with the help text and changes no state", async () => {
    const [result] = await build({ HELP_REPLY: "Acme alerts: reply STOP to opt out. Help: acme.example/sms" })(snsEvent("Help?"));
    expect(result).to.deep.include({ keywordClass: "HELP", reply: "sent" });
    expect(commandNames()).to.deep.equal(["SendTextMessageCommand"]);
    expect(smsV2.commandCalls(SendTextMessageCommand)[0]!.args[0].input).to.deep.equal({
      DestinationPhoneNumber: CUSTOMER,
      OriginationIdentity: OUR_NUMBER,
      MessageBody: "Acme alerts: reply STOP to opt out. Help: acme.example/sms",
      MessageType: "TRANSACTIONAL",
      ConfigurationSetName: "sms-replies",
      Context: { inboundMessageId: "inbound-Help", keywordClass: "HELP" },
    });
    expect(documents.commandCalls(UpdateCommand).filter((c) => c.args[0].input.TableName === "sms-preferences")).to.have.length(0);
  });

  it("processes a duplicate inboundMessageId once", async () => {
    const invoke = build();
    const first = await invoke(snsEvent("STOP", { inboundMessageId: "dup-1" }));
    const second = await invoke(snsEvent("STOP", { inboundMessageId: "dup-1" }));

    expect(second).to.deep.equal(first);
    expect(smsV2.commandCalls(PutOptedOutNumberCommand)).to.have.length(1);
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(1);
    expect(sns.commandCalls(PublishCommand)).to.have.length(1);
    expect(dynamo.commandCalls(PutItemCommand)[0]!.args[0].input).to.deep.include({ TableName: "sms-idempotency" });
    expect(metricNames).to.include("DuplicateInboundSkipped");
  });

  it("sends no confirmation when PutOptedOutNumber fails in after-opt-out-list order, and throws so the async retry applies", async () => {
    smsV2.on(PutOptedOutNumberCommand).rejects(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }));
    let error: unknown;
    await build({ OPT_OUT_REPLY_ORDER: "after-opt-out-list" })(snsEvent("STOP", { inboundMessageId: "fail-1" })).catch((e: unknown) => (error = e));

    expect((error as Error).name).to.equal("ThrottlingException");
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(0);
    expect(sns.commandCalls(PublishCommand)).to.have.length(0);
    expect(tables.get("sms-preferences", CUSTOMER)).to.equal(undefined);
    // Powertools released the idempotency record so the retry is processed.
    expect(dynamo.commandCalls(DeleteItemCommand)).to.have.length(1);
    expect(metricNames).to.include("InboundFailed");
  });

  it("retries after a failed reply without publishing the event twice, and replies once it succeeds", async () => {
    smsV2
      .on(SendTextMessageCommand)
      .rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }))
      .resolves({ MessageId: "reply-2" });
    const invoke = build({ OPT_OUT_REPLY_ORDER: "after-opt-out-list" });
    const event = snsEvent("STOP", { inboundMessageId: "retry-1" });

    let error: unknown;
    await invoke(event).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal("Reply failed with ThrottlingException (retryable)");
    expect(sns.commandCalls(PublishCommand)).to.have.length(1);

    const [result] = await invoke(event);
    expect(result).to.deep.include({ outcome: "processed", reply: "sent" });
    expect(sns.commandCalls(PublishCommand)).to.have.length(1);
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(2);
    expect(smsV2.commandCalls(PutOptedOutNumberCommand)).to.have.length(2); // an upsert: harmless to repeat
    expect([...(tables.get("sms-idempotency", "steps#retry-1")!.steps as Set<string>)]).to.deep.equal(["publish", "reply"]);
  });

  it("does not reply twice when a retry follows a completed reply", async () => {
    tables.put("sms-idempotency", { id: "steps#again-1", steps: new Set(["publish", "reply"]) });
    const [result] = await build()(snsEvent("STOP", { inboundMessageId: "again-1" }));
    expect(result!.reply).to.equal("already-sent");
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(0);
    expect(sns.commandCalls(PublishCommand)).to.have.length(0);
  });

  it("ignores an opt-out older than the recorded preference (a late retry after a newer START)", async () => {
    tables.put("sms-preferences", { phoneNumber: CUSTOMER, status: "OPTED_IN", lastEventAt: Date.parse("2026-03-02T18:00:00Z"), lastInboundMessageId: "newer-start" });
    const [result] = await build()(snsEvent("STOP", { inboundMessageId: "older-stop" }));
    expect(result!.outcome).to.equal("stale");
    expect(commandNames()).to.deep.equal([]);
    expect(tables.get("sms-preferences", CUSTOMER)?.status).to.equal("OPTED_IN");
  });

  it("counts a confirmation the opt-out list refuses instead of retrying it forever", async () => {
    smsV2.on(SendTextMessageCommand).rejects(
      new ConflictException({ message: "opted out", $metadata: { httpStatusCode: 400 }, Reason: "DESTINATION_PHONE_NUMBER_OPTED_OUT" }),
    );
    const [result] = await build()(snsEvent("STOP"));
    expect(result!.reply).to.equal("blocked-by-opt-out-list");
    expect(metricNames).to.include("ReplyBlockedByOptOutList");
  });

  it("by default records STOP in the table, publishes and confirms before adding the number to the list (which would refuse the confirmation)", async () => {
    const [result] = await build()(snsEvent("STOP", { inboundMessageId: "default-1" }));
    expect(result).to.deep.equal({ inboundMessageId: "default-1", keywordClass: "OPT_OUT", outcome: "processed", reply: "sent" });
    const record = documents.commandCalls(UpdateCommand).find((c) => c.args[0].input.TableName === "sms-preferences")!;
    const [publish] = sns.commandCalls(PublishCommand);
    const [reply] = smsV2.commandCalls(SendTextMessageCommand);
    const [enforce] = smsV2.commandCalls(PutOptedOutNumberCommand);
    expect([record.calledBefore(publish!), publish!.calledBefore(reply!), reply!.calledBefore(enforce!)]).to.deep.equal([true, true, true]);
    expect(smsV2.commandCalls(PutOptedOutNumberCommand).map((c) => c.args[0].input)).to.deep.equal([
      { OptOutListName: "self-managed-opt-outs", OptedOutNumber: CUSTOMER },
    ]);
    expect(tables.get("sms-preferences", CUSTOMER)).to.include({ status: "OPTED_OUT", lastInboundMessageId: "default-1" });
  });

  it("by default sends no confirmation when the preference table write fails, and throws so the async retry applies", async () => {
    documents.on(UpdateCommand, { TableName: "sms-preferences" }).rejects(
      Object.assign(new Error("Throughput exceeded"), { name: "ProvisionedThroughputExceededException", $metadata: { httpStatusCode: 400 } }),
    );
    let error: unknown;
    await build()(snsEvent("STOP", { inboundMessageId: "table-fail-1" })).catch((e: unknown) => (error = e));
    expect((error as Error).name).to.equal("ProvisionedThroughputExceededException");
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(0);
    expect(smsV2.commandCalls(PutOptedOutNumberCommand)).to.have.length(0);
    expect(sns.commandCalls(PublishCommand)).to.have.length(0);
  });

  it("by default still adds the number to the opt-out list when the confirmation fails, then throws so the confirmation is retried", async () => {
    smsV2.on(SendTextMessageCommand).rejects(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }));
    let error: unknown;
    await build()(snsEvent("STOP", { inboundMessageId: "reply-fails-1" })).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal("Reply failed with ThrottlingException (retryable)");
    expect(smsV2.commandCalls(PutOptedOutNumberCommand).map((c) => c.args[0].input)).to.deep.equal([
      { OptOutListName: "self-managed-opt-outs", OptedOutNumber: CUSTOMER },
    ]);
    expect(tables.get("sms-preferences", CUSTOMER)).to.include({ status: "OPTED_OUT" });
  });

  it("by default enforces what the table holds when a newer START was recorded while the STOP was being confirmed", async () => {
    smsV2.on(SendTextMessageCommand).callsFake(() => {
      // A START published later is recorded while this STOP's confirmation is in flight.
      tables.put("sms-preferences", {
        phoneNumber: CUSTOMER,
        status: "OPTED_IN",
        lastEventAt: Date.parse(PUBLISHED_AT) + 1000,
        lastInboundMessageId: "newer-start",
      });
      return { MessageId: "reply-1" };
    });
    await build()(snsEvent("STOP", { inboundMessageId: "older-stop-1" }));
    expect(smsV2.commandCalls(PutOptedOutNumberCommand)).to.have.length(0);
    expect(smsV2.commandCalls(DeleteOptedOutNumberCommand).map((c) => c.args[0].input)).to.deep.equal([
      { OptOutListName: "self-managed-opt-outs", OptedOutNumber: CUSTOMER },
    ]);
  });

  it("by default retries a failed PutOptedOutNumber after the confirmation without confirming twice", async () => {
    smsV2
      .on(PutOptedOutNumberCommand)
      .rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }))
      .resolves({ OptedOutNumber: CUSTOMER });
    const invoke = build();
    const event = snsEvent("STOP", { inboundMessageId: "list-retry-1" });
    let error: unknown;
    await invoke(event).catch((e: unknown) => (error = e));
    expect((error as Error).name).to.equal("ThrottlingException");
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(1);

    const [result] = await invoke(event);
    expect(result).to.deep.include({ outcome: "processed", reply: "already-sent" });
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(1);
    expect(sns.commandCalls(PublishCommand)).to.have.length(1);
    expect(smsV2.commandCalls(PutOptedOutNumberCommand)).to.have.length(2);
  });

  it("records only in the preference table in preference-table-only mode, so transactional sends still go out", async () => {
    const invoke = build({ OPT_OUT_MODE: "preference-table-only", OPT_OUT_LIST_NAME: "" });
    await invoke(snsEvent("STOP"));
    expect(commandNames()).to.deep.equal(["PublishCommand", "SendTextMessageCommand"]);
    expect(tables.get("sms-preferences", CUSTOMER)?.status).to.equal("OPTED_OUT");
    expect(JSON.parse(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!).enforcement).to.equal("preference-table-only");
  });

  it("uses Pinpoint UpdateEndpoint and SendMessages with Addresses on the pinpoint target", async () => {
    pinpoint.on(UpdateEndpointCommand).resolves({ MessageBody: { Message: "Accepted" } });
    pinpoint.on(SendMessagesCommand).resolves({
      MessageResponse: { ApplicationId: "abc123", Result: { [CUSTOMER]: { DeliveryStatus: "SUCCESSFUL", StatusCode: 200, MessageId: "pp-1" } } },
    });
    const [result] = await build({ TARGET: "pinpoint", PINPOINT_APPLICATION_ID: "abc123", OPT_OUT_LIST_NAME: "" })(snsEvent("STOP", { inboundMessageId: "pp-in" }));

    expect(result!.reply).to.equal("sent");
    expect(pinpoint.commandCalls(UpdateEndpointCommand).map((c) => c.args[0].input)).to.deep.equal([
      { ApplicationId: "abc123", EndpointId: "14255550182", EndpointRequest: { Address: CUSTOMER, ChannelType: "SMS", OptOut: "ALL" } },
    ]);
    expect(pinpoint.commandCalls(SendMessagesCommand).map((c) => c.args[0].input)).to.deep.equal([
      {
        ApplicationId: "abc123",
        MessageRequest: {
          Addresses: { [CUSTOMER]: { ChannelType: "SMS", Context: { inboundMessageId: "pp-in", keywordClass: "OPT_OUT" } } },
          MessageConfiguration: {
            SMSMessage: {
              Body: "You have been unsubscribed and will receive no more messages from this number. Reply START to resubscribe.",
              MessageType: "TRANSACTIONAL",
              OriginationNumber: OUR_NUMBER,
            },
          },
        },
      },
    ]);
    expect(smsV2.calls()).to.have.length(0);
    expect(JSON.parse(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!).enforcement).to.equal("pinpoint-endpoint");
  });

  it("throws a retryable failure when Pinpoint reports the reply THROTTLED", async () => {
    pinpoint.on(UpdateEndpointCommand).resolves({});
    pinpoint.on(SendMessagesCommand).resolves({
      MessageResponse: { ApplicationId: "abc123", Result: { [CUSTOMER]: { DeliveryStatus: "THROTTLED", StatusCode: 429 } } },
    });
    let error: unknown;
    await build({ TARGET: "pinpoint", PINPOINT_APPLICATION_ID: "abc123" })(snsEvent("STOP")).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal("Reply failed with THROTTLED (retryable)");
  });

  it("rejects a malformed inbound payload with a clear error and no side effects", async () => {
    const event = snsEvent("STOP");
    event.Records[0]!.Sns.Message = JSON.stringify({ originationNumber: CUSTOMER, messageBody: "STOP" });
    let error: unknown;
    await build()(event).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.contain("Inbound SMS message is invalid: destinationNumber");
    expect(commandNames()).to.deep.equal([]);
  });

  it("keeps the customer's number and message out of INFO logs", async () => {
    const logger = new Logger({ serviceName: "test", logLevel: "INFO" });
    const output = await captureOutput(() => build({}, logger)(snsEvent("Stop please call me at home", { inboundMessageId: "pii-1" })));
    const output2 = await captureOutput(() => build({}, logger)(snsEvent("STOP", { inboundMessageId: "pii-2" })));
    expect(output + output2).to.contain("+1******0182");
    expect(output + output2).not.to.contain(CUSTOMER);
    expect(output).not.to.contain("call me at home");
  });
});

describe("self-managed opt-outs configuration", () => {
  it("names every missing variable", () => {
    expect(() => loadInboundConfig({})).to.throw(
      "Invalid self-managed-opt-outs configuration: PREFERENCE_TABLE_NAME: is required; IDEMPOTENCY_TABLE_NAME: is required; EVENTS_TOPIC_ARN: is required; OPT_OUT_LIST_NAME: is required when TARGET is end-user-messaging and OPT_OUT_MODE is opt-out-list",
    );
    expect(() => loadInboundConfig({ ...ENV, TARGET: "pinpoint", HELP_KEYWORDS: "[1]" })).to.throw(
      "Invalid self-managed-opt-outs configuration: HELP_KEYWORDS: must be a JSON array of strings; PINPOINT_APPLICATION_ID: is required when TARGET is pinpoint",
    );
  });

  it("requires the opt-out list on the default target and the project id on the pinpoint target", () => {
    const base = { PREFERENCE_TABLE_NAME: "p", IDEMPOTENCY_TABLE_NAME: "i", EVENTS_TOPIC_ARN: ENV.EVENTS_TOPIC_ARN };
    expect(() => loadInboundConfig(base)).to.throw(
      "OPT_OUT_LIST_NAME: is required when TARGET is end-user-messaging and OPT_OUT_MODE is opt-out-list",
    );
    expect(() => loadInboundConfig({ ...base, TARGET: "pinpoint" })).to.throw("PINPOINT_APPLICATION_ID: is required when TARGET is pinpoint");
    expect(() => loadInboundConfig({ ...base, TARGET: "ses" })).to.throw('TARGET: Invalid option: expected one of "end-user-messaging"|"pinpoint"');
  });

  it("rejects keyword sets that overlap", () => {
    expect(() => loadInboundConfig({ ...ENV, HELP_KEYWORDS: "HELP,STOP" })).to.throw(
      'OPT_OUT_KEYWORDS/OPT_IN_KEYWORDS/HELP_KEYWORDS: keyword "STOP" is in both the opt-out and the help keywords',
    );
  });

  it("reads keyword lists as JSON or comma lists and replies from the environment", () => {
    const config = loadInboundConfig({ ...ENV, OPT_OUT_KEYWORDS: '["STOP","ARRET"]', OPT_IN_KEYWORDS: "START, OUI", OPT_OUT_REPLY: "Bye." });
    expect([...config.keywords.optOut]).to.deep.equal(["STOP", "ARRET"]);
    expect([...config.keywords.optIn]).to.deep.equal(["START", "OUI"]);
    expect(config.replies.OPT_OUT).to.equal("Bye.");
  });
});

describe("self-managed opt-outs plan", () => {
  const config = loadInboundConfig(ENV);

  it("records before it publishes and replies, and does nothing for a non-keyword", () => {
    expect(planInbound("OPT_OUT", config).map((s) => s.kind)).to.deep.equal(["record", "publish", "reply", "enforce"]);
    expect(planInbound("OPT_OUT", { ...config, replyOrder: "after-opt-out-list" }).map((s) => s.kind)).to.deep.equal([
      "enforce",
      "record",
      "publish",
      "reply",
    ]);
    expect(planInbound("OPT_IN", config).map((s) => s.kind)).to.deep.equal(["enforce", "record", "publish", "reply"]);
    expect(planInbound("HELP", config).map((s) => s.kind)).to.deep.equal(["reply"]);
    expect(planInbound("NONE", config)).to.deep.equal([]);
  });

  it("skips enforcement in preference-table-only mode", () => {
    expect(planInbound("OPT_OUT", { ...config, mode: "preference-table-only" }).map((s) => s.kind)).to.deep.equal(["record", "publish", "reply"]);
  });

  it("derives the Pinpoint endpoint id from the E.164 number without its plus sign", () => {
    expect(pinpointEndpointId("+14255550182")).to.equal("14255550182");
  });
});
