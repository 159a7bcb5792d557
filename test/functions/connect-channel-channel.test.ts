/**
 * #13's pinpoint target: the custom-channel Lambda on real-shaped events (the campaign event of the
 * Pinpoint custom-channel docs, a journey event, and the AWS sample event that carries no Data).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandInput } from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import { loadChannelConfig } from "../../functions/connect-channel/config";
import { campaignKeyFor, CustomChannelEventSchema, messageFrom, planCalls } from "../../functions/connect-channel/custom-channel";
import { clientTokenFor, parseDialRequest } from "../../functions/shared/voice/dial-request";
import { SqsDialQueue } from "../../functions/shared/voice/dial-queue";
import { recordingObservability } from "./recording-observability";
import { withEnv } from "./sms-test-helpers";

type ChannelModule = typeof import("../../functions/connect-channel/channel.js");
const QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/connect-channel-calls-queue";
const fixture = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "voice", name), "utf8"));
const context = { getRemainingTimeInMillis: () => 15_000 } as unknown as Context;
const ALL_TYPES = new Set(["SMS", "VOICE", "CUSTOM"]);

describe("connect-channel custom channel", () => {
  let sqs: AwsClientStub<SQSClient>;
  let createChannelHandler: ChannelModule["createChannelHandler"];
  before(async () => {
    sqs = mockClient(SQSClient);
    ({ createChannelHandler } = await withEnv({ DIALER_QUEUE_URL: QUEUE_URL, POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" }, () => import("../../functions/connect-channel/channel.js")));
  });
  after(() => sqs.restore());
  afterEach(() => sqs.reset());

  function handler(counts = new Map<string, number>(), errors: string[] = []) {
    const logger = { addContext: () => undefined, info: () => undefined, warn: () => undefined, error: (message: string) => void errors.push(message) };
    return createChannelHandler(
      loadChannelConfig({ DIALER_QUEUE_URL: QUEUE_URL }),
      { queue: new SqsDialQueue(new SQSClient({ region: "us-east-1" }), QUEUE_URL), sleep: async () => undefined },
      recordingObservability(logger, (name, _d, value) => counts.set(name, (counts.get(name) ?? 0) + value)),
    );
  }

  it("queues one call per callable endpoint and answers every endpoint with its EventAttributes (journey response format)", async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const counts = new Map<string, number>();
    const response = await handler(counts)(fixture("custom-channel-campaign.json"), context);
    expect(response).to.deep.equal({
      "endpoint-sms": { EventAttributes: { dial_status: "QUEUED" } },
      "endpoint-voice-no-attributes": { EventAttributes: { dial_status: "QUEUED" } },
      "endpoint-opted-out": { EventAttributes: { dial_status: "SKIPPED", dial_reason: "OPTED_OUT" } },
      "endpoint-email": { EventAttributes: { dial_status: "SKIPPED", dial_reason: "CHANNEL_TYPE" } },
      "endpoint-inactive": { EventAttributes: { dial_status: "SKIPPED", dial_reason: "INACTIVE" } },
      "endpoint-bad-address": { EventAttributes: { dial_status: "SKIPPED", dial_reason: "INVALID_ADDRESS" } },
    });
    const inputs = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input as SendMessageBatchCommandInput);
    expect(inputs).to.have.length(1);
    expect(inputs[0]!.QueueUrl).to.equal(QUEUE_URL);
    const campaignKey = "pinpoint:3a9b1f4d2c7e4f0a8b6d5e4c3b2a1f0e:campaign/80b8efd84042ff8d9c96ce2f8c7a1e2b:0:c3b4a1b2d9e84b6f8e1f0a9b8c7d6e5f:2026-03-02T17:50:00.000Z";
    expect(inputs[0]!.Entries!.map((e) => ({ id: e.Id, request: parseDialRequest(e.MessageBody!) }))).to.deep.equal([
      {
        id: "0",
        request: {
          version: 1,
          campaignKey,
          recipientKey: "endpoint-sms",
          destination: "+12065550100",
          message: "Hello from your pharmacy: your prescription is ready.",
          attributes: { pinpoint_application_id: "3a9b1f4d2c7e4f0a8b6d5e4c3b2a1f0e", pinpoint_campaign_id: "80b8efd84042ff8d9c96ce2f8c7a1e2b", pinpoint_endpoint_id: "endpoint-sms" },
          source: { kind: "pinpoint", ref: campaignKey },
        },
      },
      {
        id: "1",
        request: {
          version: 1,
          campaignKey,
          recipientKey: "endpoint-voice-no-attributes",
          destination: "+12065550101",
          message: "Hello from your pharmacy: your prescription is ready.",
          attributes: { pinpoint_application_id: "3a9b1f4d2c7e4f0a8b6d5e4c3b2a1f0e", pinpoint_campaign_id: "80b8efd84042ff8d9c96ce2f8c7a1e2b", pinpoint_endpoint_id: "endpoint-voice-no-attributes" },
          source: { kind: "pinpoint", ref: campaignKey },
        },
      },
    ]);
    expect(counts.get("EndpointsQueued")).to.equal(2);
    expect(counts.get("EndpointsSkipped")).to.equal(4);
  });

  it("gives the same keys (so the same ClientTokens) when Pinpoint invokes again with the same event", async () => {
    const event = CustomChannelEventSchema.parse(fixture("custom-channel-campaign.json"));
    const first = planCalls(event, ALL_TYPES).calls.map((c) => clientTokenFor(c.request.campaignKey, c.request.recipientKey));
    const again = planCalls(CustomChannelEventSchema.parse(fixture("custom-channel-campaign.json")), ALL_TYPES).calls.map((c) => clientTokenFor(c.request.campaignKey, c.request.recipientKey));
    expect(again).to.deep.equal(first);
    expect(new Set(first).size).to.equal(2);
    // Another run of the campaign (a new activity) is another call.
    expect(campaignKeyFor({ ...event, ActivityId: "next-run" })).to.not.equal(campaignKeyFor(event));
  });

  it("keys a journey activity by journey, and takes plain-text Data as the message", async () => {
    const event = CustomChannelEventSchema.parse(fixture("custom-channel-journey.json"));
    const plan = planCalls(event, ALL_TYPES);
    expect(plan.calls.map((c) => [c.request.campaignKey, c.request.message, c.request.attributes])).to.deep.equal([
      [
        "pinpoint:3a9b1f4d2c7e4f0a8b6d5e4c3b2a1f0e:journey/7f1e2d3c4b5a49688776655443322110:0:custom-activity-1:2026-03-02T18:00:00.000Z",
        "Your delivery window is 2 to 4 PM.",
        { pinpoint_application_id: "3a9b1f4d2c7e4f0a8b6d5e4c3b2a1f0e", pinpoint_journey_id: "7f1e2d3c4b5a49688776655443322110", pinpoint_endpoint_id: "endpoint-a" },
      ],
    ]);
  });

  it("skips every endpoint of an event with no text (the AWS sample event has no Data) and says why", async () => {
    const counts = new Map<string, number>();
    const errors: string[] = [];
    const response = await handler(counts, errors)(fixture("custom-channel-sample-without-data.json"), context);
    expect(response).to.deep.equal({ "endpoint-custom": { EventAttributes: { dial_status: "SKIPPED", dial_reason: "NO_MESSAGE" } } });
    expect(sqs.commandCalls(SendMessageBatchCommand)).to.have.length(0);
    expect(counts.get("MessageMissing")).to.equal(1);
    expect(errors).to.deep.equal(['No text to speak: set CustomMessage.Data to {"message": "..."}']);
  });

  it("reads the message from Data (JSON or text), else from the legacy SMS body", () => {
    expect(messageFrom({ Data: '{"message":" Hi "}' })).to.equal("Hi");
    expect(messageFrom({ Data: '{"Message":"Hi"}' })).to.equal("Hi");
    expect(messageFrom({ Data: "Plain text" })).to.equal("Plain text");
    expect(messageFrom({ Data: '"quoted"' })).to.equal("quoted");
    expect(messageFrom({ Data: '{"other":1}', Message: { smsmessage: { body: "From the SMS body" } } })).to.equal("From the SMS body");
    expect(messageFrom({ Message: { SMSMessage: { Body: "Capitalised" } } })).to.equal("Capitalised");
    expect(messageFrom({ Message: {} })).to.equal(undefined);
  });

  it("dials only the configured channel types", () => {
    const event = CustomChannelEventSchema.parse(fixture("custom-channel-campaign.json"));
    const plan = planCalls(event, new Set(["VOICE"]));
    expect(plan.calls.map((c) => c.endpointId)).to.deep.equal(["endpoint-voice-no-attributes"]);
    expect(plan.skipped.find((s) => s.endpointId === "endpoint-sms")).to.deep.equal({ endpointId: "endpoint-sms", reason: "CHANNEL_TYPE" });
  });

  it("fails the invocation when calls could not be queued (Pinpoint's retry is then deduplicated by the keys)", async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [{ Id: "1", Code: "InternalError", SenderFault: false }] });
    const counts = new Map<string, number>();
    const error = await handler(counts)(fixture("custom-channel-campaign.json"), context).then(
      () => expect.fail("expected a failure"),
      (e: unknown) => e as Error,
    );
    expect(error.message).to.equal("1 dial requests not queued: InternalError x1");
    expect(sqs.commandCalls(SendMessageBatchCommand)).to.have.length(5);
    expect(counts.get("EnqueueFailed")).to.equal(1);
  });

  it("rejects an event that is not a custom-channel event", async () => {
    const error = await handler()({ ApplicationId: "app" }, context).then(
      () => expect.fail("expected a failure"),
      (e: unknown) => e as Error,
    );
    expect(error.name).to.equal("ZodError");
  });
});
