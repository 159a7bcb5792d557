import { expect } from "chai";
import { NotFoundException, PutConfigurationSetArchivingOptionsCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { mockClient } from "aws-sdk-client-mock";
import { archivingOptionsProvider } from "../../components/compliance/archiving-options";
import { MessageArchiver, MessageArchiverArgs } from "../../components/compliance/message-archiver";
import { createStack, parseStackConfig } from "../../stacks";
import { runUnderMocks } from "../../stacks/plan/mock-runtime";
import { allowedActions, build, Built, stackConfigFailure, thrownMessage } from "../harness/pulumi";

const ACCOUNT = "123456789012";
const BUCKET = "arch-archive-bucket-0000000";
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/arch-key`;
const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:arch-work-queue-0000000`;
const QUEUER_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:arch-queuer-function-0000000`;

const make = (args: MessageArchiverArgs) => () => new MessageArchiver("arch", args);
const SEND_TIME: MessageArchiverArgs = { configurationSetName: "newsletters" };
const LEGACY: MessageArchiverArgs = { target: "pinpoint", pinpointApplicationId: "app1" };

describe("MessageArchiver", () => {
  describe('target "send-time" (default)', () => {
    it("creates exactly the key, bucket, eraser, Mail Manager archive and its attachment to the configuration set", async () => {
      const built = await build(make(SEND_TIME));
      expect(built.childrenOf("arch")).to.deep.equal([
        "aws:kms/key:Key::arch-key",
        "due:shared:SecureBucket::arch-archive",
        "aws:sqs/queue:Queue::arch-erase-failures",
        "aws:sqs/queuePolicy:QueuePolicy::arch-erase-failures-policy",
        "aws:cloudwatch/metricAlarm:MetricAlarm::arch-erase-failures-depth",
        "due:shared:BundledFunction::arch-eraser",
        "aws:cloudwatch/metricAlarm:MetricAlarm::arch-erasure-incomplete",
        "aws:mailmanager/archive:Archive::arch-mail-archive",
        "pulumi-nodejs:dynamic/compliance:ConfigurationSetArchivingOptions::arch-archiving-options",
        "aws:cloudwatch/dashboard:Dashboard::arch-dashboard",
      ]);
      expect(built.inputs("arch-mail-archive")).to.deep.equal({ name: "digital-user-engagement-test-arch-mail", retention: { retentionPeriod: "ONE_YEAR" } });
      const options = built.inputs("arch-archiving-options");
      expect({ configurationSetName: options.configurationSetName, archiveArn: options.archiveArn, region: options.region }).to.deep.equal({
        configurationSetName: "newsletters",
        archiveArn: `arn:aws:mailmanager:us-east-1:${ACCOUNT}:archive/digital-user-engagement-test-arch-mail`,
        region: "us-east-1",
      });
      expect(options.__provider).to.be.a("string");
    });

    it("encrypts the archive with its own key, versions it and expires archives and old versions", async () => {
      const built = await build(make({ ...SEND_TIME, archiveRetentionDays: 730, noncurrentVersionExpirationDays: 7 }));
      expect(built.inputs("arch-archive-encryption").rules).to.deep.equal([
        { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY_ARN }, bucketKeyEnabled: true },
      ]);
      expect(built.inputs("arch-archive-versioning").versioningConfiguration).to.deep.equal({ status: "Enabled" });
      expect(built.inputs("arch-archive-public-access")).to.include({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
      expect(built.inputs("arch-archive-lifecycle").rules).to.deep.equal([
        { id: "hygiene", status: "Enabled", filter: { prefix: "" }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 }, noncurrentVersionExpiration: { noncurrentDays: 7 } },
        { id: "expire-archive", status: "Enabled", filter: { prefix: "archive/" }, expiration: { days: 730 } },
      ]);
      expect(built.inputs("arch-key")).to.include({ enableKeyRotation: true });
      expect(built.inputs("arch-archive-bucket")).to.deep.equal({ forceDestroy: false });
      expect(built.has("arch-object-lock")).to.equal(false);
    });

    it("turns on S3 Object Lock at bucket creation with the configured default retention", async () => {
      const built = await build(make({ ...SEND_TIME, objectLock: { mode: "COMPLIANCE", retentionDays: 2555 }, archiveRetentionDays: 2555 }));
      expect(built.inputs("arch-archive-bucket")).to.deep.equal({ forceDestroy: false, objectLockEnabled: true });
      expect(built.inputs("arch-object-lock")).to.deep.equal({
        bucket: "arch-archive-bucket-id",
        objectLockEnabled: "Enabled",
        rule: { defaultRetention: { mode: "COMPLIANCE", days: 2555 } },
      });
      expect(built.one("arch-object-lock").dependencies).to.include("aws:s3/bucketVersioning:BucketVersioning::arch-archive-versioning");
    });

    it("grants the eraser exactly what erasure needs, under the archive prefix, with no wildcard action", async () => {
      const built = await build(make(SEND_TIME));
      const statements = built.callerStatements("arch-eraser");
      expect(statements).to.deep.equal([
        { Sid: "ListArchiveVersions", Effect: "Allow", Action: "s3:ListBucketVersions", Resource: BUCKET_ARN, Condition: { StringLike: { "s3:prefix": "archive/*" } } },
        { Sid: "ReadObjectLock", Effect: "Allow", Action: "s3:GetBucketObjectLockConfiguration", Resource: BUCKET_ARN },
        { Sid: "ReadVersionLocks", Effect: "Allow", Action: ["s3:GetObjectRetention", "s3:GetObjectLegalHold"], Resource: `${BUCKET_ARN}/archive/*` },
        { Sid: "DeleteArchiveVersions", Effect: "Allow", Action: "s3:DeleteObjectVersion", Resource: `${BUCKET_ARN}/archive/*` },
      ]);
      expect(allowedActions(statements).filter((a) => a.includes("*"))).to.deep.equal([]);
      expect(built.inputs("arch-eraser-async")).to.deep.include({ maximumRetryAttempts: 2 });
    });

    it("offers the archive step for SMS (and email when asked) with the bucket, prefix and key", async () => {
      let archiver: MessageArchiver | undefined;
      await build(() => (archiver = new MessageArchiver("arch", { ...SEND_TIME, emailSendStep: true, senders: ["smsFileDrop"], archivePrefix: "records" })));
      const step = archiver!.sendStep!;
      expect([step.name, step.channels, step.senders, step.settings.prefix]).to.deep.equal(["archive", ["sms", "email"], ["smsFileDrop"], "records"]);
      const resolved = await new Promise((resolve) => pulumiAll(step.settings, resolve));
      expect(resolved).to.deep.equal({ bucket: BUCKET, bucketArn: BUCKET_ARN, prefix: "records", kmsKeyArn: KEY_ARN });
    });

    it("builds without Mail Manager (SMS only) and without any send step", async () => {
      let archiver: MessageArchiver | undefined;
      const built = await build(() => (archiver = new MessageArchiver("arch", { mailManagerArchive: false, smsSendStep: false })));
      expect(built.has("arch-mail-archive")).to.equal(false);
      expect(built.has("arch-archiving-options")).to.equal(false);
      expect(archiver!.sendStep).to.equal(undefined);
    });

    it("reports every invalid argument at once", () => {
      expect(thrownMessage(() => new MessageArchiver("x", {}))).to.equal(
        "MessageArchiver: invalid arguments:\n  - configurationSetName is required with mailManagerArchive (the stack fills it from #1's configuration set when #1 is enabled)",
      );
      expect(
        thrownMessage(
          () =>
            new MessageArchiver("x", {
              ...SEND_TIME,
              archivePrefix: "/archive/",
              objectLock: { mode: "LEGAL" as "GOVERNANCE", retentionDays: 0 },
              archiveRetentionDays: 10,
            }),
        ),
      ).to.equal(
        [
          "MessageArchiver: invalid arguments:",
          '  - archivePrefix: must be a key prefix without leading or trailing "/"',
          '  - objectLock.mode: Invalid option: expected one of "GOVERNANCE"|"COMPLIANCE"',
          "  - objectLock.retentionDays: Too small: expected number to be >=1",
        ].join("\n"),
      );
      expect(thrownMessage(() => new MessageArchiver("x", { ...SEND_TIME, objectLock: { mode: "GOVERNANCE", retentionDays: 400 } }))).to.equal(
        "MessageArchiver: invalid arguments:\n  - archiveRetentionDays: must be at least objectLock.retentionDays (400): locked objects cannot expire earlier",
      );
      expect(thrownMessage(() => new MessageArchiver("x", { ...LEGACY, mailManagerArchive: true } as MessageArchiverArgs))).to.equal(
        "MessageArchiver: invalid arguments:\n  - mailManagerArchive: unknown key",
      );
    });
  });

  describe('target "pinpoint" (legacy)', () => {
    it("creates the event stream → Firehose (queuer) → queue → archiver pipeline, and no Mail Manager archive", async () => {
      const built = await build(make(LEGACY));
      expect(built.childrenOf("arch")).to.deep.equal([
        "aws:kms/key:Key::arch-key",
        "due:shared:SecureBucket::arch-archive",
        "aws:sqs/queue:Queue::arch-erase-failures",
        "aws:sqs/queuePolicy:QueuePolicy::arch-erase-failures-policy",
        "aws:cloudwatch/metricAlarm:MetricAlarm::arch-erase-failures-depth",
        "due:shared:BundledFunction::arch-eraser",
        "aws:cloudwatch/metricAlarm:MetricAlarm::arch-erasure-incomplete",
        "due:shared:QueueWithDeadLetter::arch-work",
        "due:shared:BundledFunction::arch-queuer",
        "due:shared:BundledFunction::arch-archiver",
        "aws:lambda/eventSourceMapping:EventSourceMapping::arch-archiver-event-source",
        "aws:cloudwatch/logGroup:LogGroup::arch-firehose-logs",
        "aws:cloudwatch/logStream:LogStream::arch-firehose-log-stream",
        "aws:iam/role:Role::arch-firehose-role",
        "aws:iam/rolePolicy:RolePolicy::arch-firehose-policy",
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream::arch-delivery-stream",
        "aws:iam/role:Role::arch-stream-role",
        "aws:iam/rolePolicy:RolePolicy::arch-stream-policy",
        "aws:pinpoint/eventStream:EventStream::arch-event-stream",
        "aws:cloudwatch/metricAlarm:MetricAlarm::arch-unqueueable-sends",
        "aws:cloudwatch/dashboard:Dashboard::arch-dashboard",
      ]);
    });

    it("runs the queuer as the Firehose's only processor and delivers the stream, encrypted, under events/", async () => {
      const built = await build(make(LEGACY));
      const stream = built.inputs("arch-delivery-stream") as { extendedS3Configuration: Record<string, unknown>; serverSideEncryption: unknown };
      expect(stream.serverSideEncryption).to.deep.equal({ enabled: true, keyType: "AWS_OWNED_CMK" });
      expect(stream.extendedS3Configuration).to.deep.include({
        prefix: "events/!{timestamp:yyyy/MM/dd/HH}/",
        errorOutputPrefix: "event-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/",
        kmsKeyArn: KEY_ARN,
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: "Lambda",
              parameters: [
                { parameterName: "LambdaArn", parameterValue: QUEUER_ARN },
                { parameterName: "BufferSizeInMBs", parameterValue: "1" },
                { parameterName: "BufferIntervalInSeconds", parameterValue: "60" },
              ],
            },
          ],
        },
      });
      expect(built.inputs("arch-archive-lifecycle").rules).to.deep.include({ id: "expire-events", status: "Enabled", filter: { prefix: "events/" }, expiration: { days: 30 } });
      expect(built.inputs("arch-event-stream")).to.deep.equal({
        applicationId: "app1",
        destinationStreamArn: `arn:aws:kinesis:us-east-1:${ACCOUNT}:firehoseDeliveryStream/arch-delivery-stream-0000000`,
        roleArn: `arn:aws:iam::${ACCOUNT}:role/arch-stream-role-0000000`,
      });
    });

    it("grants the Firehose, the queuer and the archiver exactly what they call", async () => {
      const built = await build(make(LEGACY));
      expect(built.statements("arch-firehose-policy")).to.deep.equal([
        {
          Sid: "DeliverEvents",
          Effect: "Allow",
          Action: ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListBucketMultipartUploads", "s3:PutObject"],
          Resource: [`${BUCKET_ARN}/events/*`, `${BUCKET_ARN}/event-errors/*`],
        },
        { Sid: "LocateBucket", Effect: "Allow", Action: ["s3:GetBucketLocation", "s3:ListBucket"], Resource: BUCKET_ARN },
        { Sid: "EncryptEvents", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: KEY_ARN },
        { Sid: "TransformRecords", Effect: "Allow", Action: ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"], Resource: QUEUER_ARN },
        { Sid: "LogDeliveryErrors", Effect: "Allow", Action: "logs:PutLogEvents", Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/kinesisfirehose/arch-0000000:log-stream:S3Delivery` },
      ]);
      expect(built.statements("arch-firehose-role", "assumeRolePolicy")).to.deep.equal([
        { Effect: "Allow", Principal: { Service: "firehose.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "sts:ExternalId": ACCOUNT } } },
      ]);
      expect(built.callerStatements("arch-queuer")).to.deep.equal([{ Sid: "QueueSends", Effect: "Allow", Action: "sqs:SendMessage", Resource: QUEUE_ARN }]);
      const archiver = built.callerStatements("arch-archiver");
      expect(archiver).to.deep.equal([
        { Sid: "ConsumeQueue", Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource: QUEUE_ARN },
        {
          Sid: "ReadCampaignsAndJourneys",
          Effect: "Allow",
          Action: ["mobiletargeting:GetCampaignVersions", "mobiletargeting:GetJourney"],
          Resource: [`arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/app1/campaigns/*`, `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/app1/journeys/*`],
        },
        {
          Sid: "ReadTemplates",
          Effect: "Allow",
          Action: ["mobiletargeting:GetEmailTemplate", "mobiletargeting:GetSmsTemplate", "mobiletargeting:GetPushTemplate", "mobiletargeting:GetVoiceTemplate"],
          Resource: `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:templates/*`,
        },
        { Sid: "WriteArchives", Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: `${BUCKET_ARN}/archive/*` },
        { Sid: "EncryptArchives", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: KEY_ARN },
      ]);
      expect(allowedActions([...archiver, ...built.statements("arch-firehose-policy")]).filter((a) => a.includes("*"))).to.deep.equal([]);
    });

    it("reads the queue with partial batch failures and redrives to the DLQ after 5 receives", async () => {
      const built = await build(make(LEGACY));
      expect(built.inputs("arch-archiver-event-source")).to.deep.equal({
        eventSourceArn: QUEUE_ARN,
        functionName: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:arch-archiver-function-0000000`,
        batchSize: 10,
        functionResponseTypes: ["ReportBatchItemFailures"],
        scalingConfig: { maximumConcurrency: 5 },
      });
      expect(built.inputs("arch-work-queue")).to.include({ visibilityTimeoutSeconds: 360 });
      expect(JSON.parse(built.inputs("arch-work-queue").redrivePolicy as string)).to.deep.equal({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:arch-work-dlq-0000000`, maxReceiveCount: 5 });
    });

    it("leaves the project's event stream alone when attachEventStream is false", async () => {
      const built = await build(make({ ...LEGACY, attachEventStream: false }));
      expect(built.has("arch-event-stream")).to.equal(false);
      expect(built.has("arch-stream-role")).to.equal(false);
    });
  });
});

describe("MessageArchiver in the stack", () => {
  it("archives #1's configuration set and gives #9's sender the archive step with its permissions", async () => {
    const raw = {
      sesEventProcessing: { enabled: true },
      messageArchiver: { enabled: true },
      smsFileDrop: { enabled: true, originationIdentities: [{ identity: "pool-0123456789abcdef0123456789abcdef", mps: 1 }] },
    };
    const built = new Built(await runUnderMocks(() => createStack(parseStackConfig(raw)), { stack: "archiver-composed" }));
    expect(built.inputs("message-archiver-archiving-options").configurationSetName).to.equal("digital-user-engagement-archiver-composed-ses-event-processing");
    const env = (built.inputs("sms-file-drop-sender-function").environment as { variables: Record<string, string> }).variables;
    expect(JSON.parse(env.SEND_STEPS!)).to.deep.equal([
      {
        name: "archive",
        settings: {
          bucket: "message-archiver-archive-bucket-0000000",
          bucketArn: "arn:aws:s3:::message-archiver-archive-bucket-0000000",
          prefix: "archive",
          kmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/message-archiver-key`,
        },
      },
    ]);
    expect(built.callerStatements("sms-file-drop-sender").filter((s) => s.Sid === "ArchiveMessages" || s.Sid === "EncryptArchive")).to.deep.equal([
      { Sid: "ArchiveMessages", Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: "arn:aws:s3:::message-archiver-archive-bucket-0000000/archive/*" },
      { Sid: "EncryptArchive", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/message-archiver-key` },
    ]);
  });

  it("names both keys when the Mail Manager archive has no configuration set to attach to", async () => {
    const { issues, registered } = await stackConfigFailure({ messageArchiver: { enabled: true } });
    expect(registered).to.equal(0);
    expect(issues).to.deep.equal([
      "digital-user-engagement:messageArchiver: needs its SES configuration set (whose bounces and complaints it processes) from digital-user-engagement:sesEventProcessing, which is not enabled",
    ]);
  });
});

/** Resolves a record of Outputs. */
function pulumiAll(record: Record<string, unknown>, resolve: (value: unknown) => void): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the harness's copy of @pulumi/pulumi
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  pulumi.output(record).apply(resolve);
}

describe("ConfigurationSetArchivingOptions (dynamic resource provider)", () => {
  const ses = mockClient(SESv2Client);
  after(() => ses.restore());
  const inputs = { configurationSetName: "newsletters", archiveArn: "arn:aws:ses:us-east-1:123456789012:mailmanager-archive/a-0123456789abcdefghijklmnop", region: "us-east-1" };
  beforeEach(() => {
    ses.reset();
    ses.on(PutConfigurationSetArchivingOptionsCommand).resolves({});
  });

  it("create attaches the archive to the configuration set", async () => {
    const result = await archivingOptionsProvider.create!(inputs);
    expect(result).to.deep.equal({ id: "us-east-1/newsletters", outs: inputs });
    expect(ses.commandCalls(PutConfigurationSetArchivingOptionsCommand).map((c) => c.args[0].input)).to.deep.equal([
      { ConfigurationSetName: "newsletters", ArchiveArn: inputs.archiveArn },
    ]);
  });

  it("update attaches the new archive; a new configuration set or Region replaces the resource", async () => {
    const news = { ...inputs, archiveArn: "arn:aws:ses:us-east-1:123456789012:mailmanager-archive/a-zzzzzzzzzzzzzzzzzzzzzzzzzz" };
    expect(await archivingOptionsProvider.diff!("id", inputs, news)).to.deep.equal({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await archivingOptionsProvider.diff!("id", inputs, { ...inputs, configurationSetName: "other" })).to.deep.equal({
      changes: true,
      replaces: ["configurationSetName"],
      deleteBeforeReplace: false,
    });
    expect(await archivingOptionsProvider.diff!("id", inputs, inputs)).to.deep.equal({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await archivingOptionsProvider.update!("id", inputs, news)).to.deep.equal({ outs: news });
    expect(ses.commandCalls(PutConfigurationSetArchivingOptionsCommand)[0]!.args[0].input).to.deep.equal({ ConfigurationSetName: "newsletters", ArchiveArn: news.archiveArn });
  });

  it("delete detaches the archive (no ArchiveArn), and a configuration set already gone counts as detached", async () => {
    await archivingOptionsProvider.delete!("id", inputs);
    expect(ses.commandCalls(PutConfigurationSetArchivingOptionsCommand)[0]!.args[0].input).to.deep.equal({ ConfigurationSetName: "newsletters" });
    ses.on(PutConfigurationSetArchivingOptionsCommand).rejects(new NotFoundException({ message: "Configuration set <newsletters> does not exist.", $metadata: {} }));
    await archivingOptionsProvider.delete!("id", inputs);
    ses.on(PutConfigurationSetArchivingOptionsCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    const error = await archivingOptionsProvider.delete!("id", inputs).then(
      () => undefined,
      (e: Error) => e.name,
    );
    expect(error).to.equal("AccessDeniedException");
  });

  it("check reports malformed inputs by property", async () => {
    const result = await archivingOptionsProvider.check!({} as never, { configurationSetName: "bad name", archiveArn: "arn:aws:s3:::x", region: "nowhere" });
    expect(result.failures).to.deep.equal([
      { property: "configurationSetName", reason: "must be 1–64 letters, digits, hyphens or underscores" },
      { property: "archiveArn", reason: "must be a Mail Manager archive ARN" },
      { property: "region", reason: "must be an AWS Region" },
    ]);
    expect((await archivingOptionsProvider.check!({} as never, inputs)).failures).to.deep.equal([]);
  });
});
