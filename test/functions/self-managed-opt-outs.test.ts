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
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
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
  // Created in `before` and restored in `after`: mockClient stubs the client prototypes, and a
  // stub left in place would reach the dynalite tests that run in the same process.
  let smsV2: AwsClientStub<PinpointSMSVoiceV2Client>;
  let pinpoint: AwsClientStub<PinpointClient>;
  let sns: AwsClientStub<SNSClient>;
  let dynamo: AwsClientStub<DynamoDBClient>;
  let documents: AwsClientStub<DynamoDBDocumentClient>;
  let tables: FakeDocumentTables;
  let unfreeze: () => void;
  let metricNames: string[];
  let sleeps: number[];

  before(async () => {
    mod = await withEnv({ ...ENV, POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" }, () => import("../../functions/self-managed-opt-outs/inbound.js"));
    smsV2 = mockClient(PinpointSMSVoiceV2Client);
    pinpoint = mockClient(PinpointClient);
    sns = mockClient(SNSClient);
    dynamo = mockClient(DynamoDBClient);
    documents = mockClient(DynamoDBDocumentClient);
  });

  after(() => {
    for (const m of [smsV2, pinpoint, sns, dynamo, documents]) m.restore();
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
    sleeps = [];
  });

  afterEach(() => unfreeze());

  function build(overrides: Record<string, string> = {}, logger?: Logger) {
    const config: InboundConfig = loadInboundConfig({ ...ENV, ...overrides });
    const observability = silentObservability();
    metricNames = observability.metricNames;
    const deps = { ...mod.createInboundPorts(config), sleep: async (ms: number) => void sleeps.push(ms) };
    const handler = mod.createInboundHandler(config, deps, { ...observability, logger: logger ?? observability.logger });
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
          "SET #status = :status, updatedAt = :updatedAt, lastInboundMessageId = :inboundMessageId, #source = :source, keyword = :keyword, lastEventAt = :eventAt REMOVE confirmationOwedSince, confirmationOwedFor",
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

  for (const body of [" Stop. ", "REVOKE", "opt out", "STOPALL", "ARRET", "REMOVE", "TD", "Stop please", "STOP ALL", "stop."]) {
    it(`opts out on ${JSON.stringify(body)}`, async () => {
      await build()(snsEvent(body));
      expect(smsV2.commandCalls(PutOptedOutNumberCommand)).to.have.length(1);
      expect(tables.get("sms-preferences", CUSTOMER)?.status).to.equal("OPTED_OUT");
    });
  }

  for (const body of ["Please SEND info", "SEND", "WEEKEND", "don't stop", "I will attend"]) {
    it(`ignores ${JSON.stringify(body)} with FREE_TEXT_OPT_OUT=ignore, but counts it`, async () => {
      const [result] = await build({ FREE_TEXT_OPT_OUT: "ignore" })(snsEvent(body));
      expect(result!.outcome).to.equal("ignored");
      expect(commandNames()).to.deep.equal([]);
      expect(documents.commandCalls(UpdateCommand)).to.have.length(0);
      expect(metricNames).to.include("InboundIgnored");
    });
  }

  it("by default flags free text for review with one needs-review event, and opts nobody out", async () => {
    const invoke = build();
    const event = snsEvent("please don't text me anymore", { inboundMessageId: "free-1" });
    const [result] = await invoke(event);
    expect(result).to.deep.equal({ inboundMessageId: "free-1", keywordClass: "NONE", outcome: "flagged", reply: "none" });
    expect(commandNames()).to.deep.equal(["PublishCommand"]);
    const [publish] = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(publish!.MessageAttributes).to.deep.equal({ eventType: { DataType: "String", StringValue: "sms.inbound.needs-review" } });
    expect(JSON.parse(publish!.Message!)).to.deep.equal({
      eventType: "sms.inbound.needs-review",
      eventId: "free-1",
      occurredAt: PUBLISHED_AT,
      phoneNumber: CUSTOMER,
      originationIdentity: OUR_NUMBER,
      messageBody: "please don't text me anymore",
      reason: "not-a-keyword",
    });
    expect(tables.get("sms-preferences", CUSTOMER)).to.equal(undefined);
    expect(metricNames).to.include("InboundFlaggedForReview");
  });

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

  it("clears a permanent delivery failure #9 recorded on the number when it re-subscribes (START)", async () => {
    tables.put("sms-preferences", { phoneNumber: CUSTOMER, permanentFailureAt: Date.parse("2026-03-01T00:00:00Z"), permanentFailureType: "TEXT_BLOCKED", permanentFailureMessageId: "m-1" });
    await build()(snsEvent("START", { inboundMessageId: "in-start" }));
    const write = documents.commandCalls(UpdateCommand).find((c) => c.args[0].input.TableName === "sms-preferences")!.args[0].input;
    expect(write.UpdateExpression).to.equal(
      "SET #status = :status, updatedAt = :updatedAt, lastInboundMessageId = :inboundMessageId, #source = :source, keyword = :keyword, lastEventAt = :eventAt REMOVE confirmationOwedSince, confirmationOwedFor, permanentFailureAt, permanentFailureType, permanentFailureMessageId",
    );
    const item = tables.get("sms-preferences", CUSTOMER)!;
    expect(item).to.include({ status: "OPTED_IN" });
    expect(item).not.to.have.any.keys("permanentFailureAt", "permanentFailureType", "permanentFailureMessageId");
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

  it("retries a throttled reply within the invocation with bounded backoff, publishing the event once", async () => {
    smsV2
      .on(SendTextMessageCommand)
      .rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }))
      .rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }))
      .resolves({ MessageId: "reply-2" });
    const [result] = await build({ OPT_OUT_REPLY_ORDER: "after-opt-out-list" })(snsEvent("STOP", { inboundMessageId: "retry-1" }));

    expect(result).to.deep.include({ outcome: "processed", reply: "sent" });
    expect(sleeps).to.deep.equal([1000, 2000]);
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(3);
    expect(sns.commandCalls(PublishCommand)).to.have.length(1);
    expect(tables.get("sms-idempotency", "steps#retry-1")).to.deep.include({ step_publish: "DONE", step_reply: "DONE" });
  });

  it("throws a retryable failure after three reply attempts when nothing lists the number afterwards, and the retry replies once", async () => {
    const throttled = new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } });
    smsV2.on(SendTextMessageCommand).rejectsOnce(throttled).rejectsOnce(throttled).rejectsOnce(throttled).resolves({ MessageId: "reply-4" });
    const invoke = build({ OPT_OUT_REPLY_ORDER: "after-opt-out-list" });
    const event = snsEvent("STOP", { inboundMessageId: "retry-2" });

    let error: unknown;
    await invoke(event).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal("Reply failed with ThrottlingException (retryable)");
    expect(tables.get("sms-idempotency", "steps#retry-2")).to.deep.include({ step_publish: "DONE", step_reply: "NOT_SENT" });

    const [result] = await invoke(event);
    expect(result).to.deep.include({ outcome: "processed", reply: "sent" });
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(4);
    expect(sns.commandCalls(PublishCommand)).to.have.length(1);
  });

  it("does not reply twice when a retry follows a completed reply", async () => {
    tables.put("sms-idempotency", { id: "steps#again-1", step_publish: "DONE", step_reply: "DONE" });
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

  it("counts a confirmation the opt-out list refuses instead of retrying it forever (after-opt-out-list order)", async () => {
    smsV2.on(SendTextMessageCommand).rejects(
      new ConflictException({ message: "opted out", $metadata: { httpStatusCode: 400 }, Reason: "DESTINATION_PHONE_NUMBER_OPTED_OUT" }),
    );
    const [result] = await build({ OPT_OUT_REPLY_ORDER: "after-opt-out-list" })(snsEvent("STOP"));
    expect(result!.reply).to.equal("blocked-by-opt-out-list");
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(1);
    expect(metricNames).to.include("ReplyBlockedByOptOutList");
    expect(metricNames).not.to.include("ConfirmationOwed");
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

  it("by default retries the STOP confirmation with backoff before listing, then lists the number anyway and records the confirmation as owed", async () => {
    smsV2.on(SendTextMessageCommand).rejects(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }));
    const [result] = await build()(snsEvent("STOP", { inboundMessageId: "reply-fails-1" }));

    expect(result).to.deep.equal({ inboundMessageId: "reply-fails-1", keywordClass: "OPT_OUT", outcome: "processed", reply: "owed" });
    expect(sleeps).to.deep.equal([1000, 2000]);
    const sends = smsV2.commandCalls(SendTextMessageCommand);
    const [enforce] = smsV2.commandCalls(PutOptedOutNumberCommand);
    expect(sends).to.have.length(3);
    expect(sends[2]!.calledBefore(enforce!)).to.equal(true);
    expect(smsV2.commandCalls(PutOptedOutNumberCommand).map((c) => c.args[0].input)).to.deep.equal([
      { OptOutListName: "self-managed-opt-outs", OptedOutNumber: CUSTOMER },
    ]);
    expect(tables.get("sms-preferences", CUSTOMER)).to.include({
      status: "OPTED_OUT",
      confirmationOwedSince: "2026-03-02T17:45:10.000Z",
      confirmationOwedFor: "reply-fails-1",
    });
    expect(metricNames).to.include("ConfirmationOwed");
  });

  it("by default treats a confirmation the list already refuses as owed too (the number was listed before this STOP)", async () => {
    smsV2.on(SendTextMessageCommand).rejects(
      new ConflictException({ message: "opted out", $metadata: { httpStatusCode: 400 }, Reason: "DESTINATION_PHONE_NUMBER_OPTED_OUT" }),
    );
    const [result] = await build()(snsEvent("STOP", { inboundMessageId: "refused-1" }));
    expect(result!.reply).to.equal("owed");
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(1);
    expect(smsV2.commandCalls(PutOptedOutNumberCommand)).to.have.length(1);
    expect(metricNames).to.include.members(["ReplyBlockedByOptOutList", "ConfirmationOwed"]);
  });

  it("clears an owed confirmation when a newer message is recorded for the number", async () => {
    tables.put("sms-preferences", {
      phoneNumber: CUSTOMER,
      status: "OPTED_OUT",
      lastEventAt: Date.parse("2026-03-01T00:00:00Z"),
      lastInboundMessageId: "older-stop",
      confirmationOwedSince: "2026-03-01T00:00:01.000Z",
      confirmationOwedFor: "older-stop",
    });
    await build()(snsEvent("START", { inboundMessageId: "newer-start" }));
    const item = tables.get("sms-preferences", CUSTOMER)!;
    expect(item).to.include({ status: "OPTED_IN", lastInboundMessageId: "newer-start" });
    expect(item).not.to.have.any.keys("confirmationOwedSince", "confirmationOwedFor");
  });

  it("by default retries the confirmation first when listing failed after it could not be sent", async () => {
    smsV2
      .on(SendTextMessageCommand)
      .rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }))
      .rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }))
      .rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }))
      .resolves({ MessageId: "reply-late" });
    smsV2
      .on(PutOptedOutNumberCommand)
      .rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }))
      .resolves({ OptedOutNumber: CUSTOMER });
    const invoke = build();
    const event = snsEvent("STOP", { inboundMessageId: "both-fail-1" });
    let error: unknown;
    await invoke(event).catch((e: unknown) => (error = e));
    expect((error as Error).name).to.equal("ThrottlingException");

    const [result] = await invoke(event);
    expect(result).to.deep.include({ reply: "sent" });
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(4);
    expect(tables.get("sms-preferences", CUSTOMER)).not.to.have.any.keys("confirmationOwedSince");
    expect(sns.commandCalls(PublishCommand)).to.have.length(1);
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

  const timeout = () => Object.assign(new Error("socket hang up"), { name: "TimeoutError", $metadata: {} });

  it("sends replies and events through clients that retry only proven-unexecuted errors, and list calls through the full retry policy", async () => {
    await build()(snsEvent("STOP", { inboundMessageId: "clients-1" }));
    const mode = async (call: { thisValue: unknown }) =>
      ((await (call.thisValue as PinpointSMSVoiceV2Client).config.retryStrategy()) as { mode?: string }).mode;
    expect(await mode(smsV2.commandCalls(SendTextMessageCommand)[0]!)).to.equal("adaptive-send-safe");
    expect(await mode(sns.commandCalls(PublishCommand)[0]!)).to.equal("adaptive-send-safe");
    expect(await mode(smsV2.commandCalls(PutOptedOutNumberCommand)[0]!)).to.equal("adaptive");
  });

  it("at-most-once (default) records a timed-out confirmation as UNKNOWN, counts it, still lists the number, and never re-sends it on redelivery", async () => {
    smsV2.on(SendTextMessageCommand).rejects(timeout());
    smsV2
      .on(PutOptedOutNumberCommand)
      .rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }))
      .resolves({ OptedOutNumber: CUSTOMER });
    const invoke = build();
    const event = snsEvent("STOP", { inboundMessageId: "unknown-1" });
    await invoke(event).catch(() => undefined);
    const [result] = await invoke(event);

    expect(result).to.deep.equal({ inboundMessageId: "unknown-1", keywordClass: "OPT_OUT", outcome: "processed", reply: "unknown" });
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(1);
    expect(smsV2.commandCalls(PutOptedOutNumberCommand)).to.have.length(2);
    expect(sleeps).to.deep.equal([]);
    expect(tables.get("sms-idempotency", "steps#unknown-1")).to.deep.include({ step_publish: "DONE", step_reply: "UNKNOWN" });
    expect(tables.get("sms-preferences", CUSTOMER)).not.to.have.any.keys("confirmationOwedSince");
    expect(metricNames).to.include("SendOutcomeUnknown");
  });

  it("at-most-once answers a timed-out HELP reply without throwing, so Lambda does not send it again", async () => {
    smsV2.on(SendTextMessageCommand).rejects(timeout());
    const [result] = await build()(snsEvent("HELP", { inboundMessageId: "unknown-help" }));
    expect(result).to.deep.include({ reply: "unknown" });
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(1);
  });

  it("at-least-once treats a timed-out reply as a retryable failure: retried with backoff, then thrown, then sent by the retry", async () => {
    smsV2.on(SendTextMessageCommand).rejectsOnce(timeout()).rejectsOnce(timeout()).rejectsOnce(timeout()).resolves({ MessageId: "reply-4" });
    const invoke = build({ SEND_GUARANTEE: "at-least-once" });
    const event = snsEvent("HELP", { inboundMessageId: "alo-1" });
    let error: unknown;
    await invoke(event).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal("Reply failed with TimeoutError (retryable)");
    expect(sleeps).to.deep.equal([1000, 2000]);
    expect(metricNames).to.include("SendOutcomeUnknown");
    const [result] = await invoke(event);
    expect(result).to.deep.include({ reply: "sent" });
    expect(smsV2.commandCalls(SendTextMessageCommand)).to.have.length(4);
  });

  it("at-most-once records a timed-out event publish as UNKNOWN and goes on to confirm and list", async () => {
    sns.on(PublishCommand).rejects(timeout());
    const [result] = await build()(snsEvent("STOP", { inboundMessageId: "unknown-event" }));
    expect(result).to.deep.include({ outcome: "processed", reply: "sent" });
    expect(sns.commandCalls(PublishCommand)).to.have.length(1);
    expect(smsV2.commandCalls(PutOptedOutNumberCommand)).to.have.length(1);
    expect(tables.get("sms-idempotency", "steps#unknown-event")).to.deep.include({ step_publish: "UNKNOWN", step_reply: "DONE" });
    expect(metricNames).to.include("SendOutcomeUnknown");
  });

  it("journals a step as ATTEMPTING before its side effect, so a failed write after it is never read as not sent", async () => {
    const writes: string[] = [];
    smsV2.on(SendTextMessageCommand).callsFake(() => {
      writes.push(`send while reply=${String(tables.get("sms-idempotency", "steps#order-1")?.step_reply)}`);
      return { MessageId: "reply-1" };
    });
    await build()(snsEvent("HELP", { inboundMessageId: "order-1" }));
    expect(writes).to.deep.equal(["send while reply=ATTEMPTING"]);
    expect(tables.get("sms-idempotency", "steps#order-1")).to.deep.include({ step_reply: "DONE" });
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

  it("reads the send guarantee and the free-text policy, and names a bad value", () => {
    expect(loadInboundConfig(ENV)).to.deep.include({ sendGuarantee: "at-most-once", freeTextOptOut: "flag" });
    expect(loadInboundConfig({ ...ENV, SEND_GUARANTEE: "at-least-once", FREE_TEXT_OPT_OUT: "ignore" })).to.deep.include({
      sendGuarantee: "at-least-once",
      freeTextOptOut: "ignore",
    });
    expect(() => loadInboundConfig({ ...ENV, SEND_GUARANTEE: "exactly-once", FREE_TEXT_OPT_OUT: "guess" })).to.throw(
      'Invalid self-managed-opt-outs configuration: FREE_TEXT_OPT_OUT: Invalid option: expected one of "ignore"|"flag"; SEND_GUARANTEE: SEND_GUARANTEE must be one of at-most-once, at-least-once, got "exactly-once"',
    );
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
    expect(planInbound("NONE", config)).to.deep.equal([{ kind: "publish", event: "needs-review" }]);
    expect(planInbound("NONE", { ...config, freeTextOptOut: "ignore" })).to.deep.equal([]);
  });

  it("skips enforcement in preference-table-only mode", () => {
    expect(planInbound("OPT_OUT", { ...config, mode: "preference-table-only" }).map((s) => s.kind)).to.deep.equal(["record", "publish", "reply"]);
  });

  it("derives the Pinpoint endpoint id from the E.164 number without its plus sign", () => {
    expect(pinpointEndpointId("+14255550182")).to.equal("14255550182");
  });
});
