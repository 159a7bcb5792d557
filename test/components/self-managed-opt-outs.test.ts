import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import { defineContract, resolveSettings } from "../../components/kit/contract";
import { SELF_MANAGED_OPT_OUTS, SelfManagedOptOuts, SelfManagedOptOutsArgs, originationUpdateCommand } from "../../components/sms/self-managed-opt-outs";
import { DEFAULT_REPLIES } from "../../functions/self-managed-opt-outs/contract";
import { DEFAULT_HELP_KEYWORDS, DEFAULT_OPT_IN_KEYWORDS } from "../../functions/shared/sms/inbound-sms";
import { createStack, parseStackConfig } from "../../stacks";
import { defineArchitecture, type ArchitectureModule } from "../../stacks/architectures";
import { SMS_PREFERENCE_TABLE, selfManagedOptOutsArchitecture } from "../../stacks/architectures/self-managed-opt-outs";
import { runUnderMocks } from "../../stacks/plan/mock-runtime";
import { allowedActions, build, stackConfigFailure, thrownMessage } from "../harness/pulumi";

const ACCOUNT = "123456789012";
const SMS = `arn:aws:sms-voice:us-east-1:${ACCOUNT}`;
const LIST_NAME = "digital-user-engagement-test-opt-opt-outs";
// EncryptedTopic names its topics `<project>-<stack>-<name>` (known before the topic exists).
const TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:digital-user-engagement-test-opt-inbound`;
const EVENTS_TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:digital-user-engagement-test-opt-events`;
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:opt-handler-function-0000000`;
const FAILURE_QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:opt-failures-0000000`;
const PHONE_ID = "phone-0123456789abcdef0123456789abcdef";
const POOL_ID = "pool-0123456789abcdef0123456789abcdef";

const CREATE: SelfManagedOptOutsArgs = {
  createPhoneNumber: true,
  phoneNumberIsoCountryCode: "US",
  phoneNumberType: "TOLL_FREE",
  phoneNumberMessageType: "TRANSACTIONAL",
};

const make = (args: SelfManagedOptOutsArgs = CREATE) => () => new SelfManagedOptOuts("opt", args);

/** Resolves an Output recorded under mocks. */
function resolve<T>(output: pulumi.Output<T> | undefined): Promise<T | undefined> {
  return new Promise((r) => (output === undefined ? r(undefined) : output.apply((v) => r(v))));
}

describe("SelfManagedOptOuts", () => {
  it("creates exactly the two-way topic, opt-out list, phone number, tables, events topic, failure queue, handler and subscription", async () => {
    const built = await build(make());
    expect(built.childrenOf("opt")).to.deep.equal([
      "due:shared:EncryptedTopic::opt-inbound",
      "aws:pinpoint/smsvoicev2OptOutList:Smsvoicev2OptOutList::opt-opt-out-list",
      "aws:pinpoint/smsvoicev2PhoneNumber:Smsvoicev2PhoneNumber::opt-phone-number",
      "aws:dynamodb/table:Table::opt-preferences",
      "aws:dynamodb/table:Table::opt-idempotency",
      "due:shared:EncryptedTopic::opt-events",
      "aws:sqs/queue:Queue::opt-failures",
      "aws:sqs/queuePolicy:QueuePolicy::opt-failures-policy",
      "aws:cloudwatch/metricAlarm:MetricAlarm::opt-failures-depth",
      "due:shared:BundledFunction::opt-handler",
      "aws:lambda/permission:Permission::opt-sns-invoke-permission",
      "aws:sns/topicSubscription:TopicSubscription::opt-subscription",
      "aws:cloudwatch/metricAlarm:MetricAlarm::opt-send-outcome-unknown",
      "aws:cloudwatch/metricAlarm:MetricAlarm::opt-confirmation-owed",
      "aws:cloudwatch/dashboard:Dashboard::opt-dashboard",
    ]);
    expect(built.childrenOf("opt-handler")).to.deep.equal([
      "aws:cloudwatch/logGroup:LogGroup::opt-handler-logs",
      "aws:iam/role:Role::opt-handler-role",
      "aws:iam/rolePolicy:RolePolicy::opt-handler-policy",
      "aws:lambda/function:Function::opt-handler-function",
      "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig::opt-handler-async",
      "aws:cloudwatch/metricAlarm:MetricAlarm::opt-handler-errors",
    ]);
    expect(built.descendantsOf("opt")).to.have.length(27);
  });

  it("encrypts the two-way topic with a customer-managed key that only sms-voice (this account) may use to publish", async () => {
    const built = await build(make());
    expect(built.inputs("opt-inbound-topic").kmsMasterKeyId).to.equal(`arn:aws:kms:us-east-1:${ACCOUNT}:key/opt-inbound-key`);
    const scoped = { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": [`${SMS}:*`] } };
    expect(built.statements("opt-inbound-policy")).to.deep.equal([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sns:*",
        Resource: [TOPIC_ARN],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "AllowSMSVOICEPublish",
        Effect: "Allow",
        Principal: { Service: "sms-voice.amazonaws.com" },
        Action: "sns:Publish",
        Resource: TOPIC_ARN,
        Condition: scoped,
      },
    ]);
    const keyStatements = built.statements("opt-inbound-key");
    expect(keyStatements.map((s) => (s.Principal as { Service?: string }).Service)).to.deep.equal([undefined, "sms-voice.amazonaws.com"]);
    expect(keyStatements[1]).to.deep.include({
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Condition: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": TOPIC_ARN } },
    });
    expect(built.inputs("opt-inbound-key")).to.include({ enableKeyRotation: true });
  });

  it("requests the number with two-way SMS to the topic, self-managed opt-outs and the opt-out list, after the topic policy", async () => {
    const built = await build(make({ ...CREATE, phoneNumberRegistrationId: "registration-0123" }));
    expect(built.inputs("opt-opt-out-list")).to.deep.equal({ name: LIST_NAME });
    expect(built.inputs("opt-phone-number")).to.deep.equal({
      isoCountryCode: "US",
      numberType: "TOLL_FREE",
      messageType: "TRANSACTIONAL",
      numberCapabilities: ["SMS"],
      optOutListName: LIST_NAME,
      selfManagedOptOutsEnabled: true,
      twoWayChannelEnabled: true,
      twoWayChannelArn: TOPIC_ARN,
      registrationId: "registration-0123",
      deletionProtectionEnabled: true,
      waitForActive: true,
    });
    expect(built.one("opt-phone-number").dependencies).to.include.members([
      "aws:sns/topicPolicy:TopicPolicy::opt-inbound-policy",
      "aws:kms/key:Key::opt-inbound-key",
    ]);
  });

  it("grants the handler exactly what it calls on the default target, with no wildcard action", async () => {
    const built = await build(make({ ...CREATE, configurationSetName: "replies" }));
    const statements = built.callerStatements("opt-handler");
    expect(statements).to.deep.equal([
      {
        Sid: "RecordOptOuts",
        Effect: "Allow",
        Action: ["sms-voice:PutOptedOutNumber", "sms-voice:DeleteOptedOutNumber"],
        Resource: `${SMS}:opt-out-list/${LIST_NAME}`,
      },
      {
        Sid: "SendReplies",
        Effect: "Allow",
        Action: "sms-voice:SendTextMessage",
        Resource: [`arn:aws:pinpoint:us-east-1:${ACCOUNT}:smsvoicev2PhoneNumber/opt-phone-number-0000000`, `${SMS}:configuration-set/replies`],
      },
      { Sid: "Preferences", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/opt-preferences-0000000` },
      {
        Sid: "Idempotency",
        Effect: "Allow",
        Action: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/opt-idempotency-0000000`,
      },
      { Sid: "PublishEvents", Effect: "Allow", Action: "sns:Publish", Resource: EVENTS_TOPIC_ARN },
      { Sid: "EncryptEvents", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/opt-events-key` },
    ]);
    expect(allowedActions(statements).filter((a) => a.includes("*"))).to.deep.equal([]);
  });

  it("uses Pinpoint UpdateEndpoint and SendMessages, scoped to the project, on the pinpoint target", async () => {
    const built = await build(make({ ...CREATE, target: "pinpoint", pinpointApplicationId: "abc123" }));
    const statements = built.callerStatements("opt-handler").filter((s) => s.Sid === "RecordOptOuts" || s.Sid === "SendReplies");
    expect(statements).to.deep.equal([
      { Sid: "RecordOptOuts", Effect: "Allow", Action: "mobiletargeting:UpdateEndpoint", Resource: `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/abc123/endpoints/*` },
      { Sid: "SendReplies", Effect: "Allow", Action: "mobiletargeting:SendMessages", Resource: `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/abc123/messages` },
    ]);
    const env = (built.inputs("opt-handler-function").environment as { variables: Record<string, string> }).variables;
    expect(env).to.include({ TARGET: "pinpoint", PINPOINT_APPLICATION_ID: "abc123", CONFIGURATION_SET_NAME: "" });
  });

  it("does not grant the opt-out list in preference-table-only mode", async () => {
    const built = await build(make({ ...CREATE, optOutMode: "preference-table-only" }));
    expect(built.callerStatements("opt-handler").map((s) => s.Sid)).not.to.include("RecordOptOuts");
  });

  it("passes the keyword sets, replies and mode to the handler through its environment", async () => {
    const built = await build(
      make({
        ...CREATE,
        optOutMode: "preference-table-only",
        optOutReplyOrder: "before-opt-out-list",
        optOutKeywords: ["STOP", "ARRET"],
        helpReply: "Acme: reply STOP to opt out",
        configurationSetName: "replies",
      }),
    );
    expect((built.inputs("opt-handler-function").environment as { variables: Record<string, string> }).variables).to.deep.equal({
      POWERTOOLS_SERVICE_NAME: "opt-handler",
      POWERTOOLS_LOG_LEVEL: "INFO",
      POWERTOOLS_METRICS_NAMESPACE: "DigitalUserEngagement/SelfManagedOptOuts",
      TARGET: "end-user-messaging",
      PINPOINT_APPLICATION_ID: "",
      CONFIGURATION_SET_NAME: "replies",
      OPT_OUT_MODE: "preference-table-only",
      OPT_OUT_REPLY_ORDER: "before-opt-out-list",
      OPT_OUT_LIST_NAME: LIST_NAME,
      PREFERENCE_TABLE_NAME: "opt-preferences-0000000",
      IDEMPOTENCY_TABLE_NAME: "opt-idempotency-0000000",
      EVENTS_TOPIC_ARN,
      // Every variable is set: the defaults come from the contract, stated once.
      OPT_OUT_REPLY: DEFAULT_REPLIES.OPT_OUT,
      OPT_IN_REPLY: DEFAULT_REPLIES.OPT_IN,
      HELP_REPLY: "Acme: reply STOP to opt out",
      OPT_OUT_KEYWORDS: '["STOP","ARRET"]',
      OPT_IN_KEYWORDS: JSON.stringify(DEFAULT_OPT_IN_KEYWORDS),
      HELP_KEYWORDS: JSON.stringify(DEFAULT_HELP_KEYWORDS),
      FREE_TEXT_OPT_OUT: "flag",
      SEND_GUARANTEE: "at-most-once",
    });
  });

  it("passes the send guarantee and the free-text policy to the handler", async () => {
    const built = await build(make({ ...CREATE, sendGuarantee: "at-least-once", freeTextOptOut: "ignore" }));
    expect((built.inputs("opt-handler-function").environment as { variables: Record<string, string> }).variables).to.include({
      SEND_GUARANTEE: "at-least-once",
      FREE_TEXT_OPT_OUT: "ignore",
    });
  });

  it("alarms on a send with an unknown outcome and on an owed STOP confirmation, from the handler's own metrics", async () => {
    const oncall = ["arn:aws:sns:us-east-1:123456789012:oncall"];
    const built = await build(make({ ...CREATE, alarmActions: oncall }));
    const common = {
      namespace: "DigitalUserEngagement/SelfManagedOptOuts",
      dimensions: { service: "opt-handler" },
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: oncall,
      okActions: oncall,
    };
    expect(built.inputs("opt-send-outcome-unknown")).to.deep.include({ ...common, metricName: "SendOutcomeUnknown" });
    expect(built.inputs("opt-confirmation-owed")).to.deep.include({ ...common, metricName: "ConfirmationOwed" });
    // The handler's POWERTOOLS_SERVICE_NAME is the `service` dimension the alarms select.
    expect((built.inputs("opt-handler-function").environment as { variables: Record<string, string> }).variables.POWERTOOLS_SERVICE_NAME).to.equal("opt-handler");
    const component = built.run.result as SelfManagedOptOuts;
    expect(component.alarms).to.have.length(4);
  });

  it("subscribes the handler to the topic after the invoke permission, scoped to the topic", async () => {
    const built = await build(make());
    expect(built.inputs("opt-sns-invoke-permission")).to.deep.equal({
      action: "lambda:InvokeFunction",
      function: "opt-handler-function-0000000",
      principal: "sns.amazonaws.com",
      sourceArn: TOPIC_ARN,
    });
    expect(built.inputs("opt-subscription")).to.deep.equal({ topic: TOPIC_ARN, protocol: "lambda", endpoint: FUNCTION_ARN });
    expect(built.one("opt-subscription").dependencies).to.include("aws:lambda/permission:Permission::opt-sns-invoke-permission");
  });

  it("retries failed async invokes twice, then sends them to an encrypted failure queue with an alarm", async () => {
    const built = await build(make({ ...CREATE, alarmActions: ["arn:aws:sns:us-east-1:123456789012:oncall"] }));
    expect(built.inputs("opt-handler-async")).to.deep.equal({
      functionName: "opt-handler-function-0000000",
      maximumRetryAttempts: 2,
      destinationConfig: { onFailure: { destination: FAILURE_QUEUE_ARN } },
    });
    expect(built.inputs("opt-failures")).to.deep.equal({ messageRetentionSeconds: 1209600, sqsManagedSseEnabled: true });
    for (const alarm of ["opt-failures-depth", "opt-handler-errors"]) {
      expect(built.inputs(alarm).alarmActions).to.deep.equal(["arn:aws:sns:us-east-1:123456789012:oncall"]);
    }
  });

  it("creates encrypted tables: preferences keyed by phoneNumber, idempotency with TTL on expiration", async () => {
    const built = await build(make({ ...CREATE, tableDeletionProtection: true }));
    expect(built.inputs("opt-preferences")).to.deep.equal({
      billingMode: "PAY_PER_REQUEST",
      hashKey: "phoneNumber",
      attributes: [{ name: "phoneNumber", type: "S" }],
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: true,
    });
    expect(built.inputs("opt-idempotency")).to.include({ hashKey: "id" });
    expect(built.inputs("opt-idempotency").ttl).to.deep.equal({ attributeName: "expiration", enabled: true });
  });

  it("configures an existing number through one exported UpdatePhoneNumber call and scopes replies to it", async () => {
    const built = await build(make({ existingPhoneNumberId: PHONE_ID, existingOptOutListName: "marketing-opt-outs" }));
    expect(built.has("opt-phone-number")).to.equal(false);
    expect(built.has("opt-opt-out-list")).to.equal(false);
    const send = built.callerStatements("opt-handler").find((s) => s.Sid === "SendReplies");
    expect(send?.Resource).to.deep.equal([`${SMS}:phone-number/${PHONE_ID}`]);
    const record = built.callerStatements("opt-handler").find((s) => s.Sid === "RecordOptOuts");
    expect(record?.Resource).to.equal(`${SMS}:opt-out-list/marketing-opt-outs`);
    const component = built.run.result as SelfManagedOptOuts;
    expect(await resolve(component.originationIdentityUpdateCommand)).to.equal(
      `aws pinpoint-sms-voice-v2 update-phone-number --phone-number-id ${PHONE_ID} --two-way-enabled --two-way-channel-arn ${TOPIC_ARN} --self-managed-opt-outs-enabled --opt-out-list-name marketing-opt-outs --region us-east-1`,
    );
    expect(await resolve(component.optOutListName)).to.equal("marketing-opt-outs");
  });

  it("replies from any number of an existing pool and exports its UpdatePool call", async () => {
    const built = await build(make({ existingPoolId: POOL_ID }));
    const send = built.callerStatements("opt-handler").find((s) => s.Sid === "SendReplies");
    expect(send?.Resource).to.deep.equal([`${SMS}:pool/${POOL_ID}`, `${SMS}:phone-number/*`]);
    expect(originationUpdateCommand("pool", POOL_ID, TOPIC_ARN, LIST_NAME, "eu-west-1")).to.equal(
      `aws pinpoint-sms-voice-v2 update-pool --pool-id ${POOL_ID} --two-way-enabled --two-way-channel-arn ${TOPIC_ARN} --self-managed-opt-outs-enabled --opt-out-list-name ${LIST_NAME} --region eu-west-1`,
    );
  });

  it("publishes to an existing events topic and uses an existing preference table", async () => {
    const built = await build(
      make({
        ...CREATE,
        existingEventsTopicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:crm-events`,
        existingEventsTopicKmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/crm`,
        existingPreferenceTableName: "crm-sms-preferences",
      }),
    );
    expect(built.has("opt-events")).to.equal(false);
    expect(built.has("opt-preferences")).to.equal(false);
    const bySid = Object.fromEntries(built.callerStatements("opt-handler").map((s) => [s.Sid, s.Resource]));
    expect(bySid.PublishEvents).to.equal(`arn:aws:sns:us-east-1:${ACCOUNT}:crm-events`);
    expect(bySid.EncryptEvents).to.equal(`arn:aws:kms:us-east-1:${ACCOUNT}:key/crm`);
    expect(bySid.Preferences).to.equal(`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/crm-sms-preferences`);
  });

  it("reports every invalid argument at once", () => {
    expect(
      thrownMessage(() =>
        resolveSettings(SELF_MANAGED_OPT_OUTS, {
          createPhoneNumber: true,
          existingPoolId: "pool-x",
          phoneNumberIsoCountryCode: "usa",
          target: "pinpoint",
          helpReply: "",
          optInKeywords: ["START", "HELP"],
          existingEventsTopicKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/x",
          timeoutSeconds: 0,
        }),
      ),
    ).to.equal(
      [
        "SelfManagedOptOuts: invalid arguments:",
        "  - phoneNumberIsoCountryCode: must be an ISO 3166-1 alpha-2 code such as US",
        "  - existingPoolId: must be a pool id (pool-…) or its ARN",
        "  - helpReply: must be 1–1600 characters",
        "  - timeoutSeconds: Too small: expected number to be >=10",
        '  - pinpointApplicationId: is required when target is "pinpoint"',
        "  - createPhoneNumber: set only one of createPhoneNumber, existingPhoneNumberId and existingPoolId",
        "  - phoneNumberType: is required with createPhoneNumber: true",
        "  - phoneNumberMessageType: is required with createPhoneNumber: true",
        "  - existingEventsTopicKmsKeyArn: applies only with existingEventsTopicArn",
        '  - optOutKeywords/optInKeywords/helpKeywords: keyword "HELP" is in both the opt-in and the help keywords',
      ].join("\n"),
    );
    expect(thrownMessage(() => resolveSettings(SELF_MANAGED_OPT_OUTS, { phoneNumberType: "LONG_CODE", phoneNumberDeletionProtection: false }))).to.equal(
      [
        "SelfManagedOptOuts: invalid arguments:",
        "  - createPhoneNumber: set one of createPhoneNumber, existingPhoneNumberId or existingPoolId",
        "  - phoneNumberType: applies only with createPhoneNumber: true",
        "  - phoneNumberDeletionProtection: applies only with createPhoneNumber: true",
      ].join("\n"),
    );
  });

  it("rejects a key of the other target as unknown", () => {
    expect(thrownMessage(() => resolveSettings(SELF_MANAGED_OPT_OUTS, { ...CREATE, configurationSetName: "replies", target: "pinpoint", pinpointApplicationId: "abc123" }))).to.equal(
      "SelfManagedOptOuts: invalid arguments:\n  - configurationSetName: unknown key",
    );
    expect(thrownMessage(() => resolveSettings(SELF_MANAGED_OPT_OUTS, { ...CREATE, pinpointApplicationId: "abc123" } as SelfManagedOptOutsArgs))).to.equal(
      "SelfManagedOptOuts: invalid arguments:\n  - pinpointApplicationId: unknown key",
    );
  });

  it("fails construction with the same errors, before creating anything", async () => {
    let message = "";
    try {
      await build(make({ existingPhoneNumberId: "+12065550100" }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.equal("SelfManagedOptOuts: invalid arguments:\n  - existingPhoneNumberId: must be a phone number id (phone-…) or its ARN");
  });

  it("accepts its minimal stack config and rejects an unknown key and a missing origination identity", () => {
    const settings = SELF_MANAGED_OPT_OUTS.settings;
    expect(settings.safeParse(selfManagedOptOutsArchitecture.minimalConfig).success).to.equal(true);
    expect(settings.parse(selfManagedOptOutsArchitecture.minimalConfig)).to.include({ target: "end-user-messaging", freeTextOptOut: "flag", timeoutSeconds: 30 });
    expect(settings.safeParse({ ...selfManagedOptOutsArchitecture.minimalConfig, timeoutSeconds: 5 }).success).to.equal(false);
    const typo = settings.safeParse({ existingPhoneNumberId: PHONE_ID, optOutMod: "preference-table-only" });
    expect(typo.success).to.equal(false);
    const missing = settings.safeParse({});
    expect(missing.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).to.deep.equal([
      "createPhoneNumber: set one of createPhoneNumber, existingPhoneNumberId or existingPoolId",
    ]);
  });

  it("rejects, in the stack's validation and with zero resources registered, a config that breaks a component rule", async () => {
    // Both passed the former stack schema (any non-empty id, any keyword lists) and failed only in the constructor.
    const raw = { selfManagedOptOuts: { enabled: true, existingPhoneNumberId: "+12065550100", optInKeywords: ["START", "HELP"] } };
    const { issues, registered } = await stackConfigFailure(raw);
    expect(issues).to.deep.equal([
      "digital-user-engagement:selfManagedOptOuts.existingPhoneNumberId: must be a phone number id (phone-…) or its ARN",
      'digital-user-engagement:selfManagedOptOuts.optOutKeywords/optInKeywords/helpKeywords: keyword "HELP" is in both the opt-in and the help keywords',
    ]);
    expect(registered).to.equal(0);
  });

  it("rejects a key of the other target in the stack config", () => {
    expect(() => parseStackConfig({ selfManagedOptOuts: { enabled: true, existingPoolId: POOL_ID, target: "pinpoint", pinpointApplicationId: "abc123", configurationSetName: "replies" } })).to.throw(
      "digital-user-engagement:selfManagedOptOuts.configurationSetName: unknown key",
    );
  });

  it("provides its preference table to the architectures that require it", async () => {
    let received: pulumi.Output<string> | undefined;
    const consumer = defineArchitecture({
      key: "consumer",
      number: 99,
      title: "a consumer",
      contract: defineContract("Consumer", z.strictObject({})),
      minimalConfig: {},
      requires: () => [SMS_PREFERENCE_TABLE],
      build(_config, ctx) {
        received = ctx.capabilities.require(SMS_PREFERENCE_TABLE).preferenceTableName;
        return { component: new pulumi.ComponentResource("test:Consumer", "consumer"), outputs: {} };
      },
    });
    const modules = [consumer, selfManagedOptOutsArchitecture] as unknown as ArchitectureModule[];
    const raw = { consumer: { enabled: true }, selfManagedOptOuts: { enabled: true, ...selfManagedOptOutsArchitecture.minimalConfig } };
    await runUnderMocks(() => createStack(parseStackConfig(raw, modules), modules));
    expect(await resolve(received)).to.equal("self-managed-opt-outs-preferences-0000000");
  });
});
