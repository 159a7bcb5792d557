import { expect } from "chai";
import { resolveSettings } from "../../components/kit/contract";
import { CONNECT_CHANNEL, ConnectChannel, type ConnectChannelArgs, contactFlowContent, instanceIdOf } from "../../components/voice/connect-channel";
import { runPolicies } from "../../policy/policies";
import { connectChannelArchitecture } from "../../stacks/architectures/connect-channel";
import type { ArchitectureModule } from "../../stacks/architectures/types";
import { parseStackConfig, StackConfigError } from "../../stacks/config";
import { toPolicyResources } from "../../stacks/plan/render";
import { createStack } from "../../stacks/stack";
import { allowedActions, build, thrownMessage } from "../harness/pulumi";

const ACCOUNT = "123456789012";
const INSTANCE = "11111111-2222-4333-8444-555555555555";
const QUEUE_ID = "99999999-8888-4777-8666-555555555555";
const APP = "3a9b1f4d2c7e4f0a8b6d5e4c3b2a1f0e";
const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:voice-calls-queue-0000000`;
const DLQ_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:voice-calls-dlq-0000000`;
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/voice-key`;
const BASE: ConnectChannelArgs = { instanceId: INSTANCE, queueId: QUEUE_ID };
const PINPOINT: ConnectChannelArgs = { ...BASE, target: "pinpoint", pinpointApplicationId: APP };

const make = (args: Record<string, unknown> = {}) => () => new ConnectChannel("voice", { ...BASE, ...args } as ConnectChannelArgs);
const env = (built: Awaited<ReturnType<typeof build>>, fn: string) => (built.inputs(`${fn}-function`).environment as { variables: Record<string, string> }).variables;

describe("ConnectChannel", () => {
  it("creates exactly the key, queue with DLQ, outcome and rate tables, contact flow, dialer and its mapping, and the alarms", async () => {
    const built = await build(make());
    expect(built.childrenOf("voice")).to.deep.equal([
      "aws:kms/key:Key::voice-key",
      "due:shared:QueueWithDeadLetter::voice-calls",
      "aws:dynamodb/table:Table::voice-outcomes",
      "aws:dynamodb/table:Table::voice-rates",
      "aws:connect/contactFlow:ContactFlow::voice-contact-flow",
      "due:shared:BundledFunction::voice-dialer",
      "aws:lambda/eventSourceMapping:EventSourceMapping::voice-dialer-event-source",
      "aws:cloudwatch/metricAlarm:MetricAlarm::voice-call-outcome-unknown",
      "aws:cloudwatch/metricAlarm:MetricAlarm::voice-outcome-write-lost",
      "aws:cloudwatch/dashboard:Dashboard::voice-dashboard",
    ]);
    expect(built.has("voice-channel")).to.equal(false);
    expect(built.ofType("aws:lambda/permission:Permission")).to.deep.equal([]);
  });

  it("deploys a Flow Language contact flow that speaks $.Attributes.Message and then disconnects, also on error", async () => {
    const built = await build(make());
    const inputs = built.inputs("voice-contact-flow");
    expect(inputs.instanceId).to.equal(INSTANCE);
    expect(inputs.type).to.equal("CONTACT_FLOW");
    // The dialer runs the created flow: its id is the last segment of the flow's ARN.
    expect(env(built, "voice-dialer").CONTACT_FLOW_ID).to.equal("digital-user-engagement-test-voice-speak-message"); // the mock ARN ends in the physical name
    expect(JSON.parse(inputs.content as string)).to.deep.equal({
      Version: "2019-10-30",
      StartAction: "speak-message",
      Actions: [
        {
          Identifier: "speak-message",
          Type: "MessageParticipant",
          Parameters: { Text: "$.Attributes.Message" },
          Transitions: { NextAction: "hang-up", Errors: [{ NextAction: "hang-up", ErrorType: "NoMatchingError" }], Conditions: [] },
        },
        { Identifier: "hang-up", Type: "DisconnectParticipant", Parameters: {}, Transitions: {} },
      ],
    });
    // Every transition names an action of the flow; identifiers avoid the characters Flow Language forbids.
    const flow = contactFlowContent() as { StartAction: string; Actions: { Identifier: string; Transitions: { NextAction?: string; Errors?: { NextAction: string }[] } }[] };
    const ids = new Set(flow.Actions.map((a) => a.Identifier));
    expect(ids.has(flow.StartAction)).to.equal(true);
    for (const action of flow.Actions) {
      expect(action.Identifier).to.not.match(/[%:()\\/=$,;[\]{}]/);
      for (const next of [action.Transitions.NextAction, ...(action.Transitions.Errors ?? []).map((e) => e.NextAction)].filter(Boolean)) expect(ids.has(next!)).to.equal(true);
    }
  });

  it("runs an existing contact flow instead of creating one", async () => {
    const built = await build(make({ existingContactFlowId: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" }));
    expect(built.ofType("aws:connect/contactFlow:ContactFlow")).to.deep.equal([]);
    expect(env(built, "voice-dialer").CONTACT_FLOW_ID).to.equal("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
  });

  it("wires the encrypted queue to its DLQ and the dialer with partial batch failures and bounded concurrency", async () => {
    const built = await build(make({ maxReceiveCount: 7, timeoutSeconds: 90, maximumConcurrency: 3, batchSize: 5 }));
    expect(built.inputs("voice-calls-queue")).to.deep.equal({
      kmsMasterKeyId: KEY_ARN,
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: 345600,
      visibilityTimeoutSeconds: 540, // six times the dialer's 90 s
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 7 }),
    });
    expect(built.inputs("voice-calls-dlq")).to.include({ kmsMasterKeyId: KEY_ARN, messageRetentionSeconds: 1209600 });
    expect(built.inputs("voice-dialer-event-source")).to.deep.equal({
      batchSize: 5,
      eventSourceArn: QUEUE_ARN,
      functionName: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:voice-dialer-function-0000000`,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: 3 },
    });
    expect(built.inputs("voice-dialer-function")).to.include({ timeout: 90 });
    // The limiter shares the rate among the invocations the mapping can run at once.
    expect(env(built, "voice-dialer")).to.include({ LIMITER_SHARES: "3", CALLS_PER_SECOND: "2", INSTANCE_ID: INSTANCE, QUEUE_ID: QUEUE_ID, DIALER_QUEUE_URL: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/voice-calls-queue-0000000` });
    expect(built.inputs("voice-outcomes")).to.include({ hashKey: "dialId" });
    expect(built.inputs("voice-outcomes").ttl).to.deep.equal({ attributeName: "expiration", enabled: true });
    expect(built.inputs("voice-rates")).to.include({ hashKey: "limiterKey" });
  });

  it("grants the dialer exactly: consume its queue, place calls on the instance's contacts, defer calls, its two tables", async () => {
    const built = await build(make());
    const statements = built.callerStatements("voice-dialer");
    expect(statements).to.deep.equal([
      { Sid: "ConsumeQueue", Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource: QUEUE_ARN },
      { Sid: "DecryptQueue", Effect: "Allow", Action: "kms:Decrypt", Resource: KEY_ARN },
      { Sid: "PlaceCalls", Effect: "Allow", Action: "connect:StartOutboundVoiceContact", Resource: `arn:aws:connect:us-east-1:${ACCOUNT}:instance/${INSTANCE}/contact/*` },
      { Sid: "DeferCalls", Effect: "Allow", Action: "sqs:SendMessage", Resource: QUEUE_ARN },
      { Sid: "EncryptDeferredCalls", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: KEY_ARN },
      { Sid: "RecordOutcomes", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/voice-outcomes-0000000` },
      { Sid: "ShareLearnedRate", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/voice-rates-0000000` },
    ]);
    expect(allowedActions(statements).filter((a) => a.includes("*"))).to.deep.equal([]);
  });

  it("takes the instance as an ARN too, scoping the call permission to that ARN's contacts", async () => {
    const arn = `arn:aws:connect:eu-west-2:210987654321:instance/${INSTANCE}`;
    const built = await build(make({ instanceId: arn }));
    expect(built.callerStatements("voice-dialer").find((s) => s.Sid === "PlaceCalls")?.Resource).to.equal(`${arn}/contact/*`);
    expect(env(built, "voice-dialer").INSTANCE_ID).to.equal(INSTANCE);
    expect(built.inputs("voice-contact-flow").instanceId).to.equal(INSTANCE);
    expect(instanceIdOf(arn)).to.equal(INSTANCE);
  });

  describe("target pinpoint", () => {
    it("adds the custom-channel Lambda, allowed to enqueue only, and Pinpoint's permission for one project in both source-ARN forms", async () => {
      const built = await build(() => new ConnectChannel("voice", PINPOINT));
      expect(built.childrenOf("voice").filter((c) => c.includes("channel") || c.includes("permission"))).to.deep.equal([
        "due:shared:BundledFunction::voice-channel",
        "aws:lambda/permission:Permission::voice-pinpoint-invoke",
        "aws:lambda/permission:Permission::voice-pinpoint-invoke-legacy-arn",
      ]);
      expect(built.callerStatements("voice-channel")).to.deep.equal([
        { Sid: "QueueCalls", Effect: "Allow", Action: "sqs:SendMessage", Resource: QUEUE_ARN },
        { Sid: "EncryptCalls", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: KEY_ARN },
      ]);
      const common = { action: "lambda:InvokeFunction", function: "voice-channel-function-0000000", principal: "pinpoint.us-east-1.amazonaws.com", sourceAccount: ACCOUNT };
      expect(built.inputs("voice-pinpoint-invoke")).to.deep.equal({ ...common, sourceArn: `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/${APP}/*` });
      expect(built.inputs("voice-pinpoint-invoke-legacy-arn")).to.deep.equal({ ...common, sourceArn: `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:/apps/${APP}/*` });
      expect(env(built, "voice-channel")).to.include({ DIALER_QUEUE_URL: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/voice-calls-queue-0000000`, CHANNEL_TYPES: "SMS,VOICE,CUSTOM" });
      expect(built.inputs("voice-channel-function")).to.include({ timeout: 15 });
    });
  });

  describe("validation", () => {
    const resolve = (args: Record<string, unknown>) => () => resolveSettings(CONNECT_CHANNEL, args);

    it("needs a queue or a source number, and reports every bad id at once", () => {
      expect(thrownMessage(resolve({ instanceId: "my-instance" }))).to.equal(
        [
          "ConnectChannel: invalid arguments:",
          "  - instanceId: must be an Amazon Connect instance id (UUID) or instance ARN",
          "  - queueId: set queueId or sourcePhoneNumber (StartOutboundVoiceContact needs one for the caller ID)",
        ].join("\n"),
      );
      expect(thrownMessage(resolve({ instanceId: INSTANCE, queueId: "queue-1", sourcePhoneNumber: "2065550100", existingContactFlowId: "flow" }))).to.equal(
        [
          "ConnectChannel: invalid arguments:",
          "  - queueId: must be a Connect queue id (UUID) or queue ARN",
          "  - sourcePhoneNumber: must be an E.164 number",
          "  - existingContactFlowId: must be a contact flow id (UUID)",
        ].join("\n"),
      );
      expect(resolveSettings(CONNECT_CHANNEL, { instanceId: INSTANCE, sourcePhoneNumber: "+12065550199" })).to.include({ target: "queue", callsPerSecond: 2 });
    });

    it("takes the queue as an ARN of the same instance, and passes its id to the dialer", async () => {
      const queueArn = `arn:aws:connect:us-east-1:${ACCOUNT}:instance/${INSTANCE}/queue/${QUEUE_ID}`;
      const built = await build(make({ queueId: queueArn }));
      expect(env(built, "voice-dialer").QUEUE_ID).to.equal(QUEUE_ID);
      const other = `arn:aws:connect:us-east-1:${ACCOUNT}:instance/22222222-2222-4333-8444-555555555555/queue/${QUEUE_ID}`;
      expect(thrownMessage(resolve({ instanceId: INSTANCE, queueId: other }))).to.equal(
        "ConnectChannel: invalid arguments:\n  - queueId: must be a queue of the instance named by instanceId",
      );
    });

    it("keeps the capacity wait inside the dialer's timeout", () => {
      expect(thrownMessage(resolve({ ...BASE, capacityWaitSeconds: 120, timeoutSeconds: 120 }))).to.equal(
        "ConnectChannel: invalid arguments:\n  - capacityWaitSeconds: must be less than timeoutSeconds (120)",
      );
    });

    it("rejects a Pinpoint key on the queue target, and a wildcard project on the pinpoint target", () => {
      expect(thrownMessage(resolve({ ...BASE, pinpointApplicationId: APP }))).to.equal("ConnectChannel: invalid arguments:\n  - pinpointApplicationId: unknown key");
      expect(thrownMessage(resolve({ ...BASE, target: "pinpoint", pinpointApplicationId: "*" }))).to.equal(
        "ConnectChannel: invalid arguments:\n  - pinpointApplicationId: must be a Pinpoint project id (no wildcard)",
      );
    });
  });

  describe("in the stack", () => {
    const modules = [connectChannelArchitecture] as unknown as ArchitectureModule[];

    it("builds from its minimal config, passes every policy and provides the dialer queue with its key", async () => {
      const config = parseStackConfig({ connectChannel: { enabled: true, ...connectChannelArchitecture.minimalConfig } }, modules);
      const built = await build(() => createStack(config, modules));
      expect(built.has("connect-channel")).to.equal(true);
      expect(runPolicies(toPolicyResources(built.resources))).to.deep.equal([]);
      expect(connectChannelArchitecture.provides!.map((c) => c.id)).to.deep.equal(["connectChannel.dialerQueue"]);
    });

    it("rejects a config without queue or number before anything is registered", () => {
      const issues = (() => {
        try {
          parseStackConfig({ connectChannel: { enabled: true, instanceId: INSTANCE } }, modules);
        } catch (error) {
          return (error as StackConfigError).issues;
        }
        return [];
      })();
      expect(issues).to.deep.equal(["digital-user-engagement:connectChannel.queueId: set queueId or sourcePhoneNumber (StartOutboundVoiceContact needs one for the caller ID)"]);
    });
  });
});
