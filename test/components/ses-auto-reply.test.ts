import { expect } from "chai";
import { SES_AUTO_REPLY, SesAutoReply, SesAutoReplyArgs, deriveSendingIdentities, normalizeRecipients } from "../../components/email/ses-auto-reply";
import { resolveSettings } from "../../components/kit/contract";
import { RESPONDER } from "../../functions/ses-auto-reply/contract";
import { createStack } from "../../stacks";
import { sesAutoReplyArchitecture } from "../../stacks/architectures/ses-auto-reply";
import { StackConfigError, parseStackConfig } from "../../stacks/config";
import { runUnderMocks } from "../../stacks/plan/mock-runtime";
import { allowedActions, build, stackConfigFailure, thrownMessage } from "../harness/pulumi";

const ACCOUNT = "123456789012";
const SES = `arn:aws:ses:us-east-1:${ACCOUNT}`;
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:reply-responder-function-0000000`;
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/reply-state-0000000`;
const FAILURE_QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:reply-failures-0000000`;
const RULE_NAME = "digital-user-engagement-test-reply";

const BASE: SesAutoReplyArgs = {
  existingRuleSetName: "default-rule-set",
  after: "archive-to-s3",
  recipients: "noreply@example.com, orders-noreply@example.com",
  replyFrom: "noreply@example.com",
  templateSubjectPrefix: "We received your message: ",
  templateHtml: "<p>Hello %%NAME%%</p><p>Ref %%ID%%</p>",
  templateText: "Hello %%NAME%%\nRef %%ID%%",
};

const make = (overrides: Partial<SesAutoReplyArgs> = {}) => () => new SesAutoReply("reply", { ...BASE, ...overrides });

describe("SesAutoReply", () => {
  it("alarms as soon as replies stop because the account or the From identity cannot send", async () => {
    const built = await build(make({ alarmActions: ["arn:aws:sns:us-east-1:123456789012:oncall"] }));
    expect(built.inputs("reply-sending-disabled")).to.include({
      namespace: "DigitalUserEngagement/SesAutoReply",
      metricName: "ReplySendingDisabled",
      statistic: "Sum",
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    });
    expect(built.inputs("reply-sending-disabled").dimensions).to.deep.equal({ service: "reply-responder" });
    expect(built.inputs("reply-sending-disabled").alarmActions).to.deep.equal(["arn:aws:sns:us-east-1:123456789012:oncall"]);
    const env = (built.inputs("reply-responder-function").environment as { variables: Record<string, string> }).variables;
    expect(env.POWERTOOLS_SERVICE_NAME).to.equal("reply-responder");
  });

  it("alarms on a reply whose outcome is unknown (SendOutcomeUnknown of the responder's service)", async () => {
    const built = await build(make({ alarmActions: ["arn:aws:sns:us-east-1:123456789012:oncall"] }));
    expect(built.inputs("reply-send-outcome-unknown")).to.include({
      namespace: "DigitalUserEngagement/SesAutoReply",
      metricName: "SendOutcomeUnknown",
      statistic: "Sum",
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
    });
    expect(built.inputs("reply-send-outcome-unknown").dimensions).to.deep.equal({ service: "reply-responder" });
    expect(built.inputs("reply-send-outcome-unknown").alarmActions).to.deep.equal(["arn:aws:sns:us-east-1:123456789012:oncall"]);
    const env = (built.inputs("reply-responder-function").environment as { variables: Record<string, string> }).variables;
    expect(env.POWERTOOLS_SERVICE_NAME).to.equal("reply-responder");
  });

  it("passes the send guarantee, the hourly cap and the Reply-To setting to the responder", async () => {
    const built = await build(make({ sendGuarantee: "at-least-once", maxRepliesPerHour: 250, allowExternalReplyTo: true }));
    const env = (built.inputs("reply-responder-function").environment as { variables: Record<string, string> }).variables;
    expect(env).to.include({ SEND_GUARANTEE: "at-least-once", MAX_REPLIES_PER_HOUR: "250", ALLOW_EXTERNAL_REPLY_TO: "true" });
  });

  it("alarms when replies are skipped because the hourly cap was reached", async () => {
    const built = await build(make());
    expect(built.inputs("reply-hourly-cap")).to.include({
      namespace: "DigitalUserEngagement/SesAutoReply",
      metricName: "ReplySkipped",
      statistic: "Sum",
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    });
    expect(built.inputs("reply-hourly-cap").dimensions).to.deep.equal({ service: "reply-responder", reason: "hourly-cap" });
  });

  it("takes every custom-metric alarm's metric from the responder's contract and its service from the responder", async () => {
    const built = await build(make({ alarmActions: ["arn:aws:sns:us-east-1:123456789012:oncall"] }));
    const env = (built.inputs("reply-responder-function").environment as { variables: Record<string, string> }).variables;
    expect(env.POWERTOOLS_METRICS_NAMESPACE).to.equal(RESPONDER.namespace);
    for (const alarm of ["reply-sending-disabled", "reply-send-outcome-unknown", "reply-hourly-cap"]) {
      const inputs = built.inputs(alarm) as { namespace: string; metricName: string; dimensions: Record<string, string> };
      expect(inputs.namespace, alarm).to.equal(RESPONDER.namespace);
      expect(RESPONDER.metrics, alarm).to.include(inputs.metricName);
      expect(inputs.dimensions.service, alarm).to.equal(env.POWERTOOLS_SERVICE_NAME);
    }
  });

  it("refuses a maxRepliesPerHour of 0 (not unlimited) or above 1000", () => {
    const cases: [number, string][] = [
      [0, "Too small: expected number to be >=1"],
      [1001, "Too big: expected number to be <=1000"],
      [2.5, "Invalid input: expected int, received number"],
    ];
    for (const [value, message] of cases) {
      expect(thrownMessage(() => resolveSettings(SES_AUTO_REPLY, { ...BASE, maxRepliesPerHour: value }))).to.equal(
        `SesAutoReply: invalid arguments:\n  - maxRepliesPerHour: ${message}`,
      );
    }
  });

  it("creates exactly the template, state table, failure queue, responder, scoped permission and rule", async () => {
    const built = await build(make());
    expect(built.childrenOf("reply")).to.deep.equal([
      "aws:ses/template:Template::reply-template",
      "aws:dynamodb/table:Table::reply-state",
      "aws:sqs/queue:Queue::reply-failures",
      "aws:sqs/queuePolicy:QueuePolicy::reply-failures-policy",
      "aws:cloudwatch/metricAlarm:MetricAlarm::reply-failures-depth",
      "due:shared:BundledFunction::reply-responder",
      "aws:lambda/permission:Permission::reply-invoke-permission",
      "aws:ses/receiptRule:ReceiptRule::reply-rule",
      "aws:cloudwatch/metricAlarm:MetricAlarm::reply-sending-disabled",
      "aws:cloudwatch/metricAlarm:MetricAlarm::reply-send-outcome-unknown",
      "aws:cloudwatch/metricAlarm:MetricAlarm::reply-hourly-cap",
      "aws:cloudwatch/dashboard:Dashboard::reply-dashboard",
    ]);
    expect(built.childrenOf("reply-responder")).to.deep.equal([
      "aws:cloudwatch/logGroup:LogGroup::reply-responder-logs",
      "aws:iam/role:Role::reply-responder-role",
      "aws:iam/rolePolicy:RolePolicy::reply-responder-policy",
      "aws:lambda/function:Function::reply-responder-function",
      "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig::reply-responder-async",
      "aws:cloudwatch/metricAlarm:MetricAlarm::reply-responder-errors",
    ]);
  });

  it("puts a Lambda action then a Stop action in an existing rule set, after an explicit rule, with scanning and TLS", async () => {
    const built = await build(make());
    expect(built.inputs("reply-rule")).to.deep.equal({
      ruleSetName: "default-rule-set",
      name: RULE_NAME,
      after: "archive-to-s3",
      enabled: true,
      recipients: ["noreply@example.com", "orders-noreply@example.com"],
      scanEnabled: true,
      tlsPolicy: "Require",
      lambdaActions: [{ functionArn: FUNCTION_ARN, invocationType: "Event", position: 1 }],
      stopActions: [{ scope: "RuleSet", position: 2 }],
    });
  });

  it("adds no Stop action and no recipients when recipients is empty, so later rules still run", async () => {
    const built = await build(make({ recipients: [] }));
    const rule = built.inputs("reply-rule");
    expect(rule).not.to.have.property("stopActions");
    expect(rule).not.to.have.property("recipients");
    expect(rule.lambdaActions).to.deep.equal([{ functionArn: FUNCTION_ARN, invocationType: "Event", position: 1 }]);
  });

  it("omits the Stop action when stopRuleSet is false, and honours scan/TLS overrides", async () => {
    const built = await build(make({ stopRuleSet: false, scanEnabled: false, tlsPolicy: "Optional" }));
    expect(built.inputs("reply-rule")).to.include({ scanEnabled: false, tlsPolicy: "Optional" });
    expect(built.inputs("reply-rule")).not.to.have.property("stopActions");
  });

  it("lets only this rule invoke the function, and creates the rule after the permission", async () => {
    const built = await build(make());
    expect(built.inputs("reply-invoke-permission")).to.deep.equal({
      action: "lambda:InvokeFunction",
      function: "reply-responder-function-0000000",
      principal: "ses.amazonaws.com",
      sourceAccount: ACCOUNT,
      sourceArn: `${SES}:receipt-rule-set/default-rule-set:receipt-rule/${RULE_NAME}`,
    });
    expect(built.one("reply-rule").dependencies).to.include("aws:lambda/permission:Permission::reply-invoke-permission");
  });

  it("retries async invocations at most twice, then sends them to the on-failure queue", async () => {
    const built = await build(make());
    expect(built.inputs("reply-responder-async")).to.deep.equal({
      functionName: "reply-responder-function-0000000",
      maximumRetryAttempts: 2,
      destinationConfig: { onFailure: { destination: FAILURE_QUEUE_ARN } },
    });
    expect(built.inputs("reply-failures")).to.deep.equal({ messageRetentionSeconds: 1_209_600, sqsManagedSseEnabled: true });
    expect(built.inputs("reply-failures-depth")).to.include({ metricName: "ApproximateNumberOfMessagesVisible", threshold: 0 });
    expect(built.inputs("reply-failures-depth").dimensions).to.deep.equal({ QueueName: "reply-failures-0000000" });
  });

  it("grants exactly SendEmail on the From identities and the configuration set, GetEmailTemplate on its template, and the table", async () => {
    const built = await build(make({ configurationSetName: "auto-reply" }));
    const statements = built.callerStatements("reply-responder");
    expect(statements).to.deep.equal([
      {
        Sid: "SendReplies",
        Effect: "Allow",
        Action: "ses:SendEmail",
        Resource: [`${SES}:identity/noreply@example.com`, `${SES}:identity/example.com`, `${SES}:configuration-set/auto-reply`],
      },
      { Sid: "ReadTemplate", Effect: "Allow", Action: "ses:GetEmailTemplate", Resource: `${SES}:template/digital-user-engagement-test-reply-template` },
      { Sid: "ReplyState", Effect: "Allow", Action: ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"], Resource: TABLE_ARN },
    ]);
    expect(allowedActions(statements).filter((a) => a.includes("*"))).to.deep.equal([]);
  });

  it("reads a Pinpoint template with mobiletargeting:GetEmailTemplate on templates/<name>/EMAIL only", async () => {
    const { existingRuleSetName, after, recipients, replyFrom } = BASE;
    const built = await build(
      () => new SesAutoReply("reply", { target: "pinpoint", existingTemplateName: "NoReply", existingRuleSetName, after, recipients, replyFrom }),
    );
    expect(built.has("reply-template")).to.equal(false);
    const read = built.callerStatements("reply-responder").find((s) => s.Sid === "ReadTemplate");
    expect(read).to.deep.equal({
      Sid: "ReadTemplate",
      Effect: "Allow",
      Action: "mobiletargeting:GetEmailTemplate",
      Resource: `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:templates/NoReply/EMAIL`,
    });
    const env = (built.inputs("reply-responder-function").environment as { variables: Record<string, string> }).variables;
    expect(env).to.include({ TEMPLATE_SOURCE: "pinpoint", TEMPLATE_NAME: "NoReply" });
  });

  it("creates the SES template from config and passes the responder its settings", async () => {
    const built = await build(make({ allowedReplyFrom: ["@example.com"], ownAddresses: ["support@example.com"], replyWindowSeconds: 3600 }));
    expect(built.inputs("reply-template")).to.deep.equal({
      name: "digital-user-engagement-test-reply-template",
      subject: "We received your message: ",
      html: "<p>Hello %%NAME%%</p><p>Ref %%ID%%</p>",
      text: "Hello %%NAME%%\nRef %%ID%%",
    });
    expect((built.inputs("reply-responder-function").environment as { variables: Record<string, string> }).variables).to.deep.equal({
      POWERTOOLS_SERVICE_NAME: "reply-responder",
      POWERTOOLS_LOG_LEVEL: "INFO",
      STATE_TABLE_NAME: "reply-state-0000000",
      TEMPLATE_SOURCE: "ses",
      TEMPLATE_NAME: "digital-user-engagement-test-reply-template",
      TEMPLATE_CACHE_TTL_SECONDS: "300",
      REPLY_FROM: "noreply@example.com",
      ALLOWED_REPLY_FROM: "@example.com",
      OWN_ADDRESSES: "support@example.com",
      SKIP_ON_DMARC_FAIL: "true",
      REPLY_WINDOW_SECONDS: "3600",
      MAX_REPLIES_PER_HOUR: "100",
      ALLOW_EXTERNAL_REPLY_TO: "false",
      CONFIGURATION_SET_NAME: "",
      SEND_GUARANTEE: "at-most-once",
      POWERTOOLS_METRICS_NAMESPACE: "DigitalUserEngagement/SesAutoReply",
    });
  });

  it("creates the state table with partition key pk and TTL on expiresAt", async () => {
    const built = await build(make());
    expect(built.inputs("reply-state")).to.deep.equal({
      billingMode: "PAY_PER_REQUEST",
      hashKey: "pk",
      attributes: [{ name: "pk", type: "S" }],
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: false,
      ttl: { attributeName: "expiresAt", enabled: true },
    });
  });

  it("creates and activates its own rule set only when asked, activating after the rule exists", async () => {
    const built = await build(make({ existingRuleSetName: undefined, after: undefined, createRuleSet: true, activateRuleSet: true, ruleName: "auto-reply" }));
    expect(built.inputs("reply-rule-set")).to.deep.equal({ ruleSetName: "digital-user-engagement-test-reply-rules" });
    expect(built.inputs("reply-active-rule-set")).to.deep.equal({ ruleSetName: "digital-user-engagement-test-reply-rules" });
    expect(built.one("reply-active-rule-set").dependencies).to.include("aws:ses/receiptRule:ReceiptRule::reply-rule");
    expect(built.inputs("reply-rule")).to.include({ ruleSetName: "digital-user-engagement-test-reply-rules", name: "auto-reply" });
    expect(built.inputs("reply-invoke-permission").sourceArn).to.equal(
      `${SES}:receipt-rule-set/digital-user-engagement-test-reply-rules:receipt-rule/auto-reply`,
    );
    const notActivated = await build(make({ existingRuleSetName: undefined, after: undefined, createRuleSet: true }));
    expect(notActivated.has("reply-active-rule-set")).to.equal(false);
  });

  it("splits comma-separated recipients and derives the sending identities", () => {
    expect(normalizeRecipients(" a@example.com, ,example.org,a@example.com ")).to.deep.equal(["a@example.com", "example.org"]);
    expect(normalizeRecipients(undefined)).to.deep.equal([]);
    expect(deriveSendingIdentities("NoReply@Example.com", ["@brand.example", "help@example.com"])).to.deep.equal([
      "NoReply@Example.com",
      "example.com",
      "brand.example",
      "help@example.com",
    ]);
  });

  it("reports every invalid argument at once", () => {
    expect(
      thrownMessage(() =>
        resolveSettings(SES_AUTO_REPLY, {
          existingRuleSetName: "default-rule-set",
          createRuleSet: true,
          activateRuleSet: true,
          ruleName: "-bad-",
          recipients: [],
          stopRuleSet: true,
          target: "pinpoint",
          replyFrom: "Support <noreply@example.com>",
          allowedReplyFrom: ["example.com"],
          replyWindowSeconds: 10,
        }),
      ),
    ).to.equal(
      [
        "SesAutoReply: invalid arguments:",
        '  - ruleName: must be 1–64 letters, digits, ".", "_" or "-", starting and ending with a letter or digit, got "-bad-"',
        '  - replyFrom: must be a plain address (local@domain), got "Support <noreply@example.com>"',
        '  - allowedReplyFrom.0: "example.com" is neither an address nor an @domain',
        "  - replyWindowSeconds: Too small: expected number to be >=60",
        "  - createRuleSet: set either existingRuleSetName or createRuleSet, not both",
        "  - after: rule placement must be explicit: set after (the rule to follow) or insertFirst: true",
        "  - stopRuleSet: needs recipients: a Stop action on a rule without recipients would stop the rule set for all inbound mail",
        '  - existingTemplateName: target "pinpoint" needs existingTemplateName (the component creates SES templates only)',
      ].join("\n"),
    );
    expect(thrownMessage(() => resolveSettings(SES_AUTO_REPLY, { templateHtml: "<p>x</p>" }))).to.equal(
      [
        "SesAutoReply: invalid arguments:",
        "  - existingRuleSetName: set existingRuleSetName (add the rule to an existing set) or createRuleSet: true",
        "  - replyFrom: set replyFrom, or allowedReplyFrom to reply from the address the mail was sent to",
      ].join("\n"),
    );
  });

  it("rejects a key that belongs to the other target, and an unknown target", () => {
    expect(thrownMessage(() => resolveSettings(SES_AUTO_REPLY, { ...BASE, target: "pinpoint", existingTemplateName: "NoReply" }))).to.equal(
      [
        "SesAutoReply: invalid arguments:",
        "  - templateSubjectPrefix: unknown key",
        "  - templateHtml: unknown key",
        "  - templateText: unknown key",
      ].join("\n"),
    );
    expect(thrownMessage(() => resolveSettings(SES_AUTO_REPLY, { ...BASE, target: "smtp" as never }))).to.equal(
      'SesAutoReply: invalid arguments:\n  - target: must be "ses" or "pinpoint", got "smtp"',
    );
    expect(resolveSettings(SES_AUTO_REPLY, BASE).target).to.equal("ses");
  });

  it("fails construction before creating anything", async () => {
    let message = "";
    try {
      await build(make({ after: undefined }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.contain("rule placement must be explicit");
  });
});

describe("sesAutoReply stack module", () => {
  const minimal = sesAutoReplyArchitecture.minimalConfig;
  const stack = (raw: Record<string, unknown>) => runUnderMocks(() => createStack(parseStackConfig(raw)), { stack: "test" });
  const issuesOf = (raw: Record<string, unknown>): string[] => {
    try {
      parseStackConfig(raw);
    } catch (error) {
      expect(error).to.be.instanceOf(StackConfigError);
      return (error as StackConfigError).issues;
    }
    return expect.fail("expected a config error");
  };

  it("builds the component from its minimal config", async () => {
    const run = await stack({ sesAutoReply: { enabled: true, ...minimal } });
    const rule = run.resources.find((r) => r.name === "ses-auto-reply-rule")!;
    expect(rule.inputs).to.include({ scanEnabled: true, tlsPolicy: "Require" });
    expect(run.resources.some((r) => r.name === "ses-auto-reply-rule-set")).to.equal(true);
  });

  it("names the exact key of each cross-field error", () => {
    expect(issuesOf({ sesAutoReply: { enabled: true, existingRuleSetName: "default-rule-set", createRuleSet: true, after: "x" } })).to.deep.equal([
      "digital-user-engagement:sesAutoReply.createRuleSet: set either existingRuleSetName or createRuleSet, not both",
      "digital-user-engagement:sesAutoReply.after: after and insertFirst apply only to an existing rule set",
      "digital-user-engagement:sesAutoReply.existingTemplateName: set existingTemplateName, or templateHtml and/or templateText to create a template",
      "digital-user-engagement:sesAutoReply.replyFrom: set replyFrom, or allowedReplyFrom to reply from the address the mail was sent to",
    ]);
  });

  it("defaults maxRepliesPerHour to 100 and allowExternalReplyTo to false, and refuses a cap of 0", () => {
    expect(parseStackConfig({ sesAutoReply: { enabled: true, ...minimal } }).architectures.sesAutoReply).to.include({
      target: "ses",
      maxRepliesPerHour: 100,
      allowExternalReplyTo: false,
    });
    expect(issuesOf({ sesAutoReply: { enabled: true, ...minimal, maxRepliesPerHour: 0 } })).to.deep.equal([
      "digital-user-engagement:sesAutoReply.maxRepliesPerHour: Too small: expected number to be >=1",
    ]);
  });

  it("passes the stack's sendGuarantee default and the new settings to the component", async () => {
    const run = await stack({
      defaults: { sendGuarantee: "at-least-once" },
      sesAutoReply: { enabled: true, ...minimal, maxRepliesPerHour: 20, allowExternalReplyTo: true },
    });
    const fn = run.resources.find((r) => r.name === "ses-auto-reply-responder-function")!;
    const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    expect(env).to.include({ SEND_GUARANTEE: "at-least-once", MAX_REPLIES_PER_HOUR: "20", ALLOW_EXTERNAL_REPLY_TO: "true", CONFIGURATION_SET_NAME: "" });
  });

  it("rejects unknown keys", () => {
    expect(issuesOf({ sesAutoReply: { enabled: true, ...minimal, scanEnabeld: false } })).to.deep.equal([
      "digital-user-engagement:sesAutoReply.scanEnabeld: unknown key",
    ]);
  });

  it("stops on a component rule (Stop action without recipients, next to #1) before registering any resource", async () => {
    const { issues, registered } = await stackConfigFailure({ sesEventProcessing: { enabled: true }, sesAutoReply: { enabled: true, ...minimal, stopRuleSet: true } });
    expect(issues).to.deep.equal([
      "digital-user-engagement:sesAutoReply.stopRuleSet: needs recipients: a Stop action on a rule without recipients would stop the rule set for all inbound mail",
    ]);
    expect(registered).to.equal(0);
  });

  it("says what to write instead of templateSource, and rejects a key of the other target", () => {
    expect(issuesOf({ sesAutoReply: { enabled: true, ...minimal, templateSource: "ses" } })).to.deep.equal([
      'digital-user-engagement:sesAutoReply.templateSource: no longer accepted; write target ("ses" or "pinpoint", as before)',
    ]);
    expect(issuesOf({ sesAutoReply: { enabled: true, ...minimal, target: "pinpoint", existingTemplateName: "NoReply" } })).to.deep.equal([
      "digital-user-engagement:sesAutoReply.templateHtml: unknown key",
    ]);
  });

  it("sends the replies through #1's configuration set when #1 is enabled, unless configurationSetName is set", async () => {
    const envOf = async (autoReply: Record<string, unknown>) => {
      const run = await stack({ sesEventProcessing: { enabled: true }, sesAutoReply: { enabled: true, ...minimal, ...autoReply } });
      const fn = run.resources.find((r) => r.name === "ses-auto-reply-responder-function")!;
      return (fn.inputs.environment as { variables: Record<string, string> }).variables;
    };
    expect((await envOf({})).CONFIGURATION_SET_NAME).to.equal("digital-user-engagement-test-ses-event-processing");
    expect((await envOf({ configurationSetName: "replies" })).CONFIGURATION_SET_NAME).to.equal("replies");
  });
});
