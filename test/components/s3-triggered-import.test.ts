import { SMS_SEND_FILE_COLUMNS } from "../../functions/s3-triggered-import/contract";
import { CSV_COLUMNS } from "../../functions/sms-file-drop/contract";
import { expect } from "chai";
import { S3TriggeredImport, type S3TriggeredImportArgs } from "../../components/contacts/s3-triggered-import";
import { buildImportDefinition } from "../../functions/s3-triggered-import/state-machine";
import { parseStackConfig } from "../../stacks/config";
import { createStack } from "../../stacks/stack";
import { allowedActions, build, stackConfigFailure, thrownMessage } from "../harness/pulumi";

const ACCOUNT = "123456789012";
const DROP = "arn:aws:s3:::imp-drop-bucket-0000000";
const WORK = "arn:aws:s3:::imp-work-bucket-0000000";
const DOMAIN = `arn:aws:profile:us-east-1:${ACCOUNT}:domains/digital-user-engagement-test-imp-contacts`;
const STATE_MACHINE = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:digital-user-engagement-test-imp-import`;
const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:digital-user-engagement-test-imp-notifications`;
const fn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:imp-${name}-function-0000000`;
const SMS_DROP = { bucketName: "sms-drop-bucket", prefix: "files/", header: ["sms_number", "message", "external_campaign_id", "short_code", "message_type", "id_1", "id_2", "channel"] };

const make = (args: S3TriggeredImportArgs = {}) => () => new S3TriggeredImport("imp", args);

describe("S3TriggeredImport", () => {
  it("creates exactly the buckets, topic, functions, Customer Profiles domain, state machine, starter rule and alarms (default target)", async () => {
    const built = await build(make());
    expect(built.childrenOf("imp")).to.deep.equal([
      "due:shared:SecureBucket::imp-drop",
      "aws:s3/bucketNotification:BucketNotification::imp-notification",
      "due:shared:SecureBucket::imp-work",
      "due:shared:EncryptedTopic::imp-notifications",
      "due:shared:BundledFunction::imp-validator",
      "aws:kms/key:Key::imp-profiles-key",
      "aws:customerprofiles/domain:Domain::imp-domain",
      "due:shared:BundledFunction::imp-uploader",
      "aws:cloudwatch/logGroup:LogGroup::imp-state-machine-logs",
      "aws:iam/role:Role::imp-state-machine-role",
      "aws:iam/rolePolicy:RolePolicy::imp-state-machine-policy",
      "aws:sfn/stateMachine:StateMachine::imp-state-machine",
      "aws:sqs/queue:Queue::imp-starter-failures",
      "aws:sqs/queuePolicy:QueuePolicy::imp-starter-failures-policy",
      "aws:cloudwatch/metricAlarm:MetricAlarm::imp-starter-failures-depth",
      "due:shared:BundledFunction::imp-starter",
      "aws:cloudwatch/eventRule:EventRule::imp-object-created",
      "aws:lambda/permission:Permission::imp-eventbridge-invoke-permission",
      "aws:cloudwatch/eventTarget:EventTarget::imp-object-created-target",
      "aws:cloudwatch/metricAlarm:MetricAlarm::imp-executions-failed",
      "aws:cloudwatch/metricAlarm:MetricAlarm::imp-executions-timed-out",
      "aws:cloudwatch/dashboard:Dashboard::imp-dashboard",
    ]);
  });

  it("deploys exactly the definition the tests execute (buildImportDefinition), with logging, tracing and a trust pinned to the state machine", async () => {
    const built = await build(make({ maxPolls: 10, pollIntervalSeconds: 60 }));
    const inputs = built.inputs("imp-state-machine");
    expect(JSON.parse(inputs.definition as string)).to.deep.equal(
      buildImportDefinition({
        target: "customer-profiles",
        topicArn: TOPIC,
        validatorFunctionArn: fn("validator"),
        validatorTimeoutSeconds: 900,
        pollIntervalSeconds: 60,
        maxPolls: 10,
        customerProfiles: { domainName: "digital-user-engagement-test-imp-contacts", dataExpiryDays: 366, uploaderFunctionArn: fn("uploader"), uploaderTimeoutSeconds: 300 },
      }),
    );
    expect({ ...inputs, definition: undefined, roleArn: undefined }).to.deep.equal({
      name: "digital-user-engagement-test-imp-import",
      type: "STANDARD",
      loggingConfiguration: { includeExecutionData: false, level: "ERROR", logDestination: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/vendedlogs/states/digital-user-engagement-test-imp-import:*` },
      tracingConfiguration: { enabled: true },
      definition: undefined,
      roleArn: undefined,
    });
    expect(built.statements("imp-state-machine-role", "assumeRolePolicy")).to.deep.equal([
      {
        Effect: "Allow",
        Principal: { Service: "states.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": STATE_MACHINE } },
      },
    ]);
  });

  it("grants each role exactly what its code calls (default target)", async () => {
    const built = await build(make());
    expect(built.callerStatements("imp-validator")).to.deep.equal([
      { Sid: "ReadDroppedFiles", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: `${DROP}/import/*` },
      { Sid: "WriteWorkFiles", Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload"], Resource: [`${WORK}/validated/*`, `${WORK}/reports/*`, `${WORK}/follow-up/*`] },
      { Sid: "ValidatePhoneNumbers", Effect: "Allow", Action: "mobiletargeting:PhoneNumberValidate", Resource: `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:phone/number/validate` },
    ]);
    expect(built.callerStatements("imp-starter")).to.deep.equal([
      { Sid: "HeadDroppedFiles", Effect: "Allow", Action: "s3:GetObject", Resource: `${DROP}/import/*` },
      { Sid: "ListDroppedFiles", Effect: "Allow", Action: "s3:ListBucket", Resource: DROP },
      { Sid: "StartImports", Effect: "Allow", Action: "states:StartExecution", Resource: STATE_MACHINE },
    ]);
    expect(built.callerStatements("imp-uploader")).to.deep.equal([
      { Sid: "GetUploadPath", Effect: "Allow", Action: "profile:GetUploadJobPath", Resource: [DOMAIN, `${DOMAIN}/upload-jobs/*`] },
      { Sid: "ReadValidatedFiles", Effect: "Allow", Action: "s3:GetObject", Resource: `${WORK}/validated/*` },
    ]);
    const machine = built.statements("imp-state-machine-policy");
    expect(machine.slice(0, 4)).to.deep.equal([
      { Sid: "PublishNotices", Effect: "Allow", Action: "sns:Publish", Resource: TOPIC },
      { Sid: "EncryptNotices", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/imp-notifications-key` },
      { Sid: "InvokeTasks", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: [fn("validator"), fn("uploader")] },
      { Sid: "CustomerProfilesUploadJobs", Effect: "Allow", Action: ["profile:CreateUploadJob", "profile:StartUploadJob", "profile:GetUploadJob"], Resource: [DOMAIN, `${DOMAIN}/upload-jobs/*`] },
    ]);
    expect(machine.map((s) => s.Sid)).to.deep.equal(["PublishNotices", "EncryptNotices", "InvokeTasks", "CustomerProfilesUploadJobs", "DeliverLogs", "WriteTraces"]);
    for (const name of ["imp-validator", "imp-starter", "imp-uploader"]) expect(allowedActions(built.callerStatements(name)).filter((a) => a.includes("*"))).to.deep.equal([]);
    expect(allowedActions(machine).filter((a) => a.includes("*"))).to.deep.equal([]);
  });

  it("gets object-created events through EventBridge (the created bucket's one notification), filtered by prefix and suffixes", async () => {
    const built = await build(make({ prefix: "contacts/", suffixes: [".csv"] }));
    expect(built.inputs("imp-notification")).to.deep.equal({ bucket: "imp-drop-bucket-id", eventbridge: true });
    expect(JSON.parse(built.inputs("imp-object-created").eventPattern as string)).to.deep.equal({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: { bucket: { name: ["imp-drop-bucket-0000000"] }, object: { key: [{ wildcard: "contacts/*.csv" }] } },
    });
    expect(built.inputs("imp-eventbridge-invoke-permission")).to.deep.include({ principal: "events.amazonaws.com", action: "lambda:InvokeFunction" });
    expect(built.inputs("imp-starter-async")).to.deep.include({ maximumRetryAttempts: 2 });
  });

  it("leaves an existing bucket's notifications alone (no BucketNotification) and reads it with its KMS key", async () => {
    const key = `arn:aws:kms:us-east-1:${ACCOUNT}:key/drop`;
    const built = await build(make({ existingBucketName: "ops-drop", existingBucketKmsKeyArn: key }));
    expect(built.ofType("aws:s3/bucketNotification:BucketNotification")).to.deep.equal([]);
    expect(built.has("imp-drop")).to.equal(false);
    expect(built.callerStatements("imp-validator")[0].Resource).to.equal("arn:aws:s3:::ops-drop/import/*");
    expect(built.callerStatements("imp-validator").at(-1)).to.deep.equal({ Sid: "DecryptDroppedFiles", Effect: "Allow", Action: "kms:Decrypt", Resource: key });
  });

  it("encrypts the topic, the domain and both buckets; the work files expire", async () => {
    const built = await build(make({ workFileRetentionDays: 3 }));
    expect(built.inputs("imp-notifications-topic").kmsMasterKeyId).to.equal(`arn:aws:kms:us-east-1:${ACCOUNT}:key/imp-notifications-key`);
    expect(built.inputs("imp-domain")).to.deep.equal({
      domainName: "digital-user-engagement-test-imp-contacts",
      defaultExpirationDays: 366,
      defaultEncryptionKey: `arn:aws:kms:us-east-1:${ACCOUNT}:key/imp-profiles-key`,
    });
    for (const bucket of ["imp-drop", "imp-work"]) expect(built.has(`${bucket}-encryption`)).to.equal(true);
    expect((built.inputs("imp-work-lifecycle").rules as unknown[])[1]).to.deep.equal({ id: "expire-work-files", status: "Enabled", filter: { prefix: "" }, expiration: { days: 3 } });
  });

  it("alarms on failed and timed-out executions", async () => {
    const built = await build(make());
    for (const [name, metric] of [["imp-executions-failed", "ExecutionsFailed"], ["imp-executions-timed-out", "ExecutionsTimedOut"]]) {
      expect(built.inputs(name)).to.deep.include({ namespace: "AWS/States", metricName: metric, threshold: 0, comparisonOperator: "GreaterThanThreshold", statistic: "Sum" });
    }
  });

  it("ses-contact-list: SES may read only the validated files, for this account; the state machine creates import jobs on the list", async () => {
    const built = await build(make({ target: "ses-contact-list", contactListName: "main", createContactList: true }));
    expect(built.inputs("imp-contact-list")).to.deep.include({ contactListName: "main" });
    expect(built.statements("imp-work-policy")[1]).to.deep.equal({
      Sid: "AllowSESReadValidatedFiles",
      Effect: "Allow",
      Principal: { Service: "ses.amazonaws.com" },
      Action: "s3:GetObject",
      Resource: `${WORK}/validated/*`,
      Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
    });
    expect(built.statements("imp-state-machine-policy").filter((s) => s.Sid?.startsWith("Ses"))).to.deep.equal([
      { Sid: "SesImportJobs", Effect: "Allow", Action: "ses:CreateImportJob", Resource: `arn:aws:ses:us-east-1:${ACCOUNT}:contact-list/main` },
      { Sid: "SesImportJobStatus", Effect: "Allow", Action: "ses:GetImportJob", Resource: "*" },
    ]);
    expect(built.has("imp-uploader")).to.equal(false);
  });

  it("pinpoint: an import role Pinpoint assumes only for this project, passed only to Pinpoint; the campaign permission with autoCreateCampaign", async () => {
    const built = await build(make({ target: "pinpoint", pinpointApplicationId: "app123", autoCreateCampaign: true, campaignSmsTemplateName: "welcome" }));
    const app = `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/app123`;
    expect(built.statements("imp-pinpoint-import-role", "assumeRolePolicy")[0].Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": app } });
    expect(built.statements("imp-pinpoint-import-policy")).to.deep.equal([
      { Sid: "ReadValidatedFiles", Effect: "Allow", Action: "s3:GetObject", Resource: `${WORK}/validated/*` },
      { Sid: "ListValidatedFiles", Effect: "Allow", Action: "s3:ListBucket", Resource: WORK, Condition: { StringLike: { "s3:prefix": "validated/*" } } },
    ]);
    const machine = built.statements("imp-state-machine-policy");
    expect(machine.find((s) => s.Sid === "PassImportRole")?.Condition).to.deep.equal({ StringEquals: { "iam:PassedToService": "pinpoint.amazonaws.com" } });
    expect(machine.find((s) => s.Sid === "PinpointCampaign")).to.deep.equal({ Sid: "PinpointCampaign", Effect: "Allow", Action: "mobiletargeting:CreateCampaign", Resource: [app, `${app}/campaigns`] });
    const definition = JSON.parse(built.inputs("imp-state-machine").definition as string) as { States: Record<string, unknown> };
    expect(definition.States.WaitBeforeCampaign).to.deep.equal({ Type: "Wait", Seconds: 900, Next: "CreateCampaign" });
  });

  it("the default follow-up: the send file is copied into #9's drop (PutObject under its prefix only)", async () => {
    const built = await build(make({ followUpSms: { message: "Welcome", originationIdentity: "pool-1" }, followUpSmsFileDrop: SMS_DROP }));
    const machine = built.statements("imp-state-machine-policy");
    expect(machine.filter((s) => ["ReadFollowUpFiles", "HandOffFollowUp"].includes(s.Sid ?? ""))).to.deep.equal([
      { Sid: "ReadFollowUpFiles", Effect: "Allow", Action: "s3:GetObject", Resource: `${WORK}/follow-up/*` },
      { Sid: "HandOffFollowUp", Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::sms-drop-bucket/files/*" },
    ]);
    const env = (built.inputs("imp-validator-function").environment as { variables: Record<string, string> }).variables;
    expect(JSON.parse(env.FOLLOW_UP_SMS)).to.deep.equal({ message: "Welcome", originationIdentity: "pool-1", messageType: "TRANSACTIONAL", header: SMS_DROP.header });
    const definition = JSON.parse(built.inputs("imp-state-machine").definition as string) as { States: Record<string, { Parameters?: Record<string, unknown> }> };
    expect(definition.States.HandOffFollowUp.Parameters!.Bucket).to.equal("sms-drop-bucket");
  });

  it("rejects invalid arguments, all at once, with exact messages", () => {
    expect(thrownMessage(make({ target: "pinpoint", pinpointApplicationId: "app123", autoCreateCampaign: true, existingBucketName: "b-1", fileRetentionDays: 3 }))).to.equal(
      "S3TriggeredImport: invalid arguments:\n  - fileRetentionDays: applies only to a created bucket (not with existingBucketName)\n  - campaignSmsTemplateName: is required with autoCreateCampaign",
    );
    expect(thrownMessage(make({ followUpSms: { message: "Hi", originationIdentity: "pool-1" } }))).to.equal(
      "S3TriggeredImport: invalid arguments:\n  - followUpSms needs followUpSmsFileDrop (#9's drop bucket, prefix and header)",
    );
    expect(thrownMessage(make({ target: "ses-contact-list", contactListName: "main", existingDomainName: "x" } as never))).to.equal(
      "S3TriggeredImport: invalid arguments:\n  - existingDomainName: unknown key",
    );
  });

  it("writes the follow-up file in #9's columns, in #9's order (a column #9 adds must be added here too)", () => {
    expect([...SMS_SEND_FILE_COLUMNS]).to.deep.equal([...CSV_COLUMNS]);
  });

  it("in the stack, #9's SMS_SEND_FILE_DROP gives the follow-up #9's bucket, prefix and header names (its columnMap)", async function () {
    // Builds #9 and #3 together (two components' bundles).
    this.timeout(120_000);
    const config = parseStackConfig({
      smsFileDrop: { enabled: true, prefix: "sends/", columnMap: { sms_number: "phone" }, originationIdentities: [{ identity: "pool-0123456789abcdef0123456789abcdef", mps: 1 }] },
      s3TriggeredImport: { enabled: true, followUpSms: { message: "Welcome", originationIdentity: "pool-0123456789abcdef0123456789abcdef" } },
    });
    const built = await build(() => createStack(config));
    const definition = JSON.parse(built.inputs("s3-triggered-import-state-machine").definition as string) as { States: Record<string, { Parameters?: Record<string, unknown> }> };
    expect(definition.States.HandOffFollowUp.Parameters).to.deep.include({ Bucket: "sms-file-drop-files-bucket-0000000", "Key.$": "States.Format('sends/{}.csv', $$.Execution.Name)" });
    const env = (built.inputs("s3-triggered-import-validator-function").environment as { variables: Record<string, string> }).variables;
    expect(JSON.parse(env.FOLLOW_UP_SMS).header).to.deep.equal(["phone", "message", "external_campaign_id", "short_code", "message_type", "id_1", "id_2", "channel"]);
  });

  it("the stack rejects a follow-up message without #9, naming both keys, before registering anything", async () => {
    const { issues, registered } = await stackConfigFailure({
      s3TriggeredImport: { enabled: true, followUpSms: { message: "Welcome", originationIdentity: "pool-0123456789abcdef0123456789abcdef" } },
    });
    expect(registered).to.equal(0);
    expect(issues).to.deep.equal([
      "digital-user-engagement:s3TriggeredImport: needs its SMS send-file drop (bucket and prefix) from digital-user-engagement:smsFileDrop, which is not enabled",
    ]);
  });
});
