import type * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { Capabilities } from "../../stacks/architectures/composition";
import { resolveSettings } from "../../components/kit/contract";
import { objectCreatedPattern } from "../../components/shared/s3-events";
import { SMS_FILE_DROP, SmsFileDrop, SmsFileDropArgs, originationIdentityResources } from "../../components/sms/sms-file-drop";
import { SEND_OUTCOME_UNKNOWN_METRIC } from "../../functions/shared/runtime/send-guarantee";
import { selfManagedOptOutsArchitecture, SMS_PREFERENCE_TABLE } from "../../stacks/architectures/self-managed-opt-outs";
import { VOICE_DIALER_QUEUE } from "../../stacks/architectures/connect-channel";
import { SEND_STEP_CAPABILITIES } from "../../stacks/architectures/send-steps";
import { SMS_CONFIGURATION_SET, smsFileDropArchitecture } from "../../stacks/architectures/sms-file-drop";
import { ArchitectureModule } from "../../stacks/architectures/types";
import { connectChannelArchitecture } from "../../stacks/architectures/connect-channel";
import { parseStackConfig, StackConfigError } from "../../stacks/config";
import { createStack } from "../../stacks/stack";
import { runPolicies } from "../../policy/policies";
import { toPolicyResources } from "../../stacks/plan/render";
import { allowedActions, build, stackConfigFailure, thrownMessage } from "../harness/pulumi";

const ACCOUNT = "123456789012";
const SMS = `arn:aws:sms-voice:us-east-1:${ACCOUNT}`;
const BUCKET = "drop-files-bucket-0000000";
const QUEUE_NAME = "digital-user-engagement-test-drop-messages-queue.fifo";
const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:${QUEUE_NAME}`;
const DLQ_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:digital-user-engagement-test-drop-messages-dlq.fifo`;
const EVENTS_TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:digital-user-engagement-test-drop-events`;
const SPLITTER_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:drop-splitter-function-0000000`;
const SENDER_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:drop-sender-function-0000000`;
const POOL_ID = "pool-0123456789abcdef0123456789abcdef";
const LONG_CODE_ARN = `${SMS}:phone-number/phone-0123456789abcdef0123456789abcdef`;

const BASE: SmsFileDropArgs = {
  originationIdentities: [
    { identity: "+12065550199", mps: 1, arn: LONG_CODE_ARN },
    { identity: POOL_ID, mps: 20 },
  ],
};
const IDENTITIES_JSON = JSON.stringify([
  { identity: "+12065550199", mps: 1 },
  { identity: POOL_ID, mps: 20 },
]);

const make = (overrides: Record<string, unknown> = {}) => () => new SmsFileDrop("drop", { ...BASE, ...overrides } as SmsFileDropArgs);
const resolve = (args: Record<string, unknown>) => () => resolveSettings(SMS_FILE_DROP, args);
/** The stack config issues of an smsFileDrop block (enabled, with these settings). */
const stackIssues = (settings: Record<string, unknown>): string[] => {
  try {
    parseStackConfig({ smsFileDrop: { enabled: true, ...settings } });
  } catch (error) {
    return (error as StackConfigError).issues;
  }
  return [];
};

describe("SmsFileDrop", () => {
  it("creates exactly the bucket, FIFO queue, tables, events topic, failure queue, the functions, the configuration set with its delivery pipeline, and the notification", async () => {
    const built = await build(make());
    expect(built.childrenOf("drop")).to.deep.equal([
      "due:shared:SecureBucket::drop-files",
      "due:shared:QueueWithDeadLetter::drop-messages",
      "aws:dynamodb/table:Table::drop-checkpoints",
      "aws:dynamodb/table:Table::drop-outcomes",
      "aws:dynamodb/table:Table::drop-rates",
      "due:shared:EncryptedTopic::drop-events",
      "aws:sqs/queue:Queue::drop-failures",
      "aws:sqs/queuePolicy:QueuePolicy::drop-failures-policy",
      "aws:cloudwatch/metricAlarm:MetricAlarm::drop-failures-depth",
      "due:shared:BundledFunction::drop-splitter",
      "aws:pinpoint/smsvoicev2ConfigurationSet:Smsvoicev2ConfigurationSet::drop-configuration-set",
      "due:shared:BundledFunction::drop-sender",
      "aws:lambda/eventSourceMapping:EventSourceMapping::drop-sender-event-source",
      "due:shared:EncryptedTopic::drop-delivery-events",
      "due:shared:QueueWithDeadLetter::drop-delivery-queue",
      "aws:sns/topicSubscription:TopicSubscription::drop-delivery-subscription",
      "aws:pinpoint/smsvoicev2EventDestination:Smsvoicev2EventDestination::drop-delivery-destination",
      "due:shared:BundledFunction::drop-delivery",
      "aws:lambda/eventSourceMapping:EventSourceMapping::drop-delivery-event-source",
      "due:shared:BundledFunction::drop-reporter",
      "aws:cloudwatch/eventRule:EventRule::drop-report-schedule",
      "aws:lambda/permission:Permission::drop-report-schedule-permission",
      "aws:cloudwatch/eventTarget:EventTarget::drop-report-schedule-target",
      "aws:lambda/permission:Permission::drop-s3-invoke-permission",
      "aws:s3/bucketNotification:BucketNotification::drop-notification",
      "aws:cloudwatch/metricAlarm:MetricAlarm::drop-send-outcome-unknown",
      "aws:cloudwatch/metricAlarm:MetricAlarm::drop-outcome-write-lost",
      "aws:cloudwatch/dashboard:Dashboard::drop-dashboard",
    ]);
    expect(built.descendantsOf("drop")).to.have.length(73);
  });

  it("notifies the splitter for .csv keys under the prefix only, after the permission and the bucket's settings", async () => {
    const built = await build(make({ prefix: "inbound/" }));
    expect(built.inputs("drop-notification")).to.deep.equal({
      bucket: "drop-files-bucket-id", // notify() passes the bucket's id: its name in AWS, "<name>-id" under the mocks
      lambdaFunctions: [{ lambdaFunctionArn: SPLITTER_ARN, events: ["s3:ObjectCreated:*"], filterPrefix: "inbound/", filterSuffix: ".csv" }],
    });
    expect(built.one("drop-notification").dependencies).to.include.members([
      "aws:lambda/permission:Permission::drop-s3-invoke-permission",
      "aws:s3/bucketPolicy:BucketPolicy::drop-files-policy",
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::drop-files-public-access",
    ]);
    expect(built.inputs("drop-s3-invoke-permission")).to.deep.equal({
      action: "lambda:InvokeFunction",
      function: "drop-splitter-function-0000000",
      principal: "s3.amazonaws.com",
      sourceArn: `arn:aws:s3:::${BUCKET}`,
      sourceAccount: ACCOUNT,
    });
  });

  it("creates a secure bucket: public access blocked, owner-enforced, encrypted, TLS only, dropped files expiring", async () => {
    const built = await build(make({ fileRetentionDays: 30 }));
    expect(built.inputs("drop-files-public-access")).to.include({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    expect(built.inputs("drop-files-ownership")).to.deep.equal({ bucket: "drop-files-bucket-id", rule: { objectOwnership: "BucketOwnerEnforced" } });
    expect(built.inputs("drop-files-encryption")).to.deep.equal({ bucket: "drop-files-bucket-id", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] });
    expect(built.statements("drop-files-policy")[0]).to.include({ Sid: "DenyInsecureTransport", Effect: "Deny" });
    const rules = built.inputs("drop-files-lifecycle").rules as Array<{ id: string; filter: unknown; expiration?: unknown }>;
    expect(rules.find((r) => r.id === "expire-dropped-files")).to.deep.equal({
      id: "expire-dropped-files",
      status: "Enabled",
      filter: { prefix: "files/" },
      expiration: { days: 30 },
    });
  });

  it("uses an existing bucket through an EventBridge rule without touching its notification configuration", async () => {
    const built = await build(make({ existingBucketName: "partner-drops", forceDestroyBucket: undefined }));
    expect(built.has("drop-files")).to.equal(false);
    expect(built.ofType("aws:s3/bucketNotification:BucketNotification")).to.deep.equal([]);
    expect(built.childrenOf("drop").slice(-6, -3)).to.deep.equal([
      "aws:cloudwatch/eventRule:EventRule::drop-object-created",
      "aws:lambda/permission:Permission::drop-eventbridge-invoke-permission",
      "aws:cloudwatch/eventTarget:EventTarget::drop-object-created-target",
    ]);
    expect(JSON.parse(built.inputs("drop-object-created").eventPattern as string)).to.deep.equal({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: { bucket: { name: ["partner-drops"] }, object: { key: [{ wildcard: "files/*.csv" }] } },
    });
    expect(built.inputs("drop-eventbridge-invoke-permission")).to.deep.equal({
      action: "lambda:InvokeFunction",
      function: "drop-splitter-function-0000000",
      principal: "events.amazonaws.com",
      sourceArn: `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:eventRule/drop-object-created-0000000`,
    });
    expect(built.inputs("drop-object-created-target")).to.deep.equal({ rule: "drop-object-created-0000000", arn: SPLITTER_ARN });
    const read = built.statements("drop-splitter-policy").find((s) => s.Sid === "ReadDroppedFiles");
    expect(read?.Resource).to.equal("arn:aws:s3:::partner-drops/files/*");
  });

  it("queues on an encrypted FIFO queue whose backstop redrive (attempts × batch size) lets the sender dead-letter by attempts", async () => {
    const built = await build(make({ senderTimeoutSeconds: 30, maxReceiveCount: 3, batchSize: 8 }));
    expect(built.inputs("drop-messages-queue")).to.deep.equal({
      name: QUEUE_NAME,
      fifoQueue: true,
      contentBasedDeduplication: false,
      visibilityTimeoutSeconds: 180,
      messageRetentionSeconds: 345600,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 24 }),
      sqsManagedSseEnabled: true,
    });
    expect(built.inputs("drop-messages-dlq")).to.deep.equal({
      name: "digital-user-engagement-test-drop-messages-dlq.fifo",
      fifoQueue: true,
      messageRetentionSeconds: 1209600,
      sqsManagedSseEnabled: true,
    });
    const env = (built.inputs("drop-sender-function").environment as { variables: Record<string, string> }).variables;
    expect(env.MAX_ATTEMPTS).to.equal("3");
  });

  it("feeds the sender batches of up to 10 with partial batch responses and bounded concurrency", async () => {
    const built = await build(make({ senderMaximumConcurrency: 4 }));
    expect(built.inputs("drop-sender-event-source")).to.deep.equal({
      eventSourceArn: QUEUE_ARN,
      functionName: SENDER_ARN,
      batchSize: 10,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: 4 },
    });
  });

  it("lets the splitter read dropped files and write only error reports, queue, checkpoint and publish", async () => {
    const built = await build(make());
    const statements = built.callerStatements("drop-splitter");
    expect(statements).to.deep.equal([
      { Sid: "ReadDroppedFiles", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: `arn:aws:s3:::${BUCKET}/files/*` },
      // No s3:prefix condition: a GetObject of a missing key would read as 403 instead of 404.
      { Sid: "ListDroppedFiles", Effect: "Allow", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${BUCKET}` },
      { Sid: "WriteErrorReports", Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${BUCKET}/reports/*` },
      { Sid: "QueueMessages", Effect: "Allow", Action: "sqs:SendMessage", Resource: QUEUE_ARN },
      { Sid: "Checkpoints", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/drop-checkpoints-0000000` },
      { Sid: "PublishSummaries", Effect: "Allow", Action: "sns:Publish", Resource: EVENTS_TOPIC_ARN },
      { Sid: "EncryptSummaries", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/drop-events-key` },
    ]);
    expect(allowedActions(statements).filter((a) => a.includes("*"))).to.deep.equal([]);
  });

  it("lets the splitter BatchGetItem the preference table only when it checks permanent failures", async () => {
    const built = await build(make({ preferenceTableName: "sms-preferences" }));
    const statements = built.callerStatements("drop-splitter");
    expect(statements.find((s) => s.Sid === "CheckPermanentFailures")).to.deep.equal({
      Sid: "CheckPermanentFailures",
      Effect: "Allow",
      Action: "dynamodb:BatchGetItem",
      Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/sms-preferences`,
    });
    expect(statements.map((s) => s.Sid)).to.deep.equal(["ReadDroppedFiles", "ListDroppedFiles", "WriteErrorReports", "QueueMessages", "Checkpoints", "PublishSummaries", "CheckPermanentFailures", "EncryptSummaries"]);
    expect((built.inputs("drop-splitter-function").environment as { variables: Record<string, string> }).variables).to.include({ PREFERENCE_TABLE_NAME: "sms-preferences" });
    const off = await build(make({ preferenceTableName: "sms-preferences", skipPermanentFailures: false }));
    expect(off.callerStatements("drop-splitter").map((s) => s.Sid)).not.to.include("CheckPermanentFailures");
    expect((off.inputs("drop-splitter-function").environment as { variables: Record<string, string> }).variables).to.include({ PREFERENCE_TABLE_NAME: "" });
  });

  it("lets the sender consume the queue, record outcomes, read preferences and send only from the allowed identities", async () => {
    const built = await build(make({ preferenceTableName: "sms-preferences", configurationSetName: "file-drop" }));
    const statements = built.callerStatements("drop-sender");
    expect(statements).to.deep.equal([
      { Sid: "ConsumeQueue", Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource: QUEUE_ARN },
      { Sid: "MoveToDeadLetterQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: DLQ_ARN },
      { Sid: "RecordOutcomes", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/drop-outcomes-0000000` },
      { Sid: "ShareLearnedRate", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/drop-rates-0000000` },
      { Sid: "ReadPreferences", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:BatchGetItem"], Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/sms-preferences` },
      {
        Sid: "SendMessages",
        Effect: "Allow",
        Action: "sms-voice:SendTextMessage",
        Resource: [LONG_CODE_ARN, `${SMS}:pool/${POOL_ID}`, `${SMS}:configuration-set/file-drop`],
      },
    ]);
    expect(allowedActions(statements).filter((a) => a.includes("*"))).to.deep.equal([]);
  });

  it("sends through Pinpoint SendMessages on the project's messages resource on the pinpoint target", async () => {
    const built = await build(make({ target: "pinpoint", pinpointApplicationId: "abc123" }));
    expect(built.callerStatements("drop-sender").find((s) => s.Sid === "SendMessages")).to.deep.equal({
      Sid: "SendMessages",
      Effect: "Allow",
      Action: "mobiletargeting:SendMessages",
      Resource: [`arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/abc123/messages`],
    });
    expect((built.inputs("drop-sender-function").environment as { variables: Record<string, string> }).variables).to.include({
      TARGET: "pinpoint",
      PINPOINT_APPLICATION_ID: "abc123",
      CONFIGURATION_SET_NAME: "",
    });
  });

  it("passes the allow-list, queue, tables and settings to both functions", async () => {
    const built = await build(make({ columnMap: { sms_number: "phone" }, maxSegments: 4, preferenceTableName: "sms-preferences" }));
    expect((built.inputs("drop-splitter-function").environment as { variables: Record<string, string> }).variables).to.deep.equal({
      POWERTOOLS_SERVICE_NAME: "drop-splitter",
      POWERTOOLS_LOG_LEVEL: "INFO",
      QUEUE_URL: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/${QUEUE_NAME}`,
      CHECKPOINT_TABLE_NAME: "drop-checkpoints-0000000",
      EVENTS_TOPIC_ARN,
      ORIGINATION_IDENTITIES: IDENTITIES_JSON,
      MAX_SEGMENTS: "4",
      ENQUEUE_CONCURRENCY: "8",
      REPORT_PREFIX: "reports/",
      COLUMN_MAP: '{"sms_number":"phone"}',
      // No dialer queue (#13): VOICE rows are rejected into the error report.
      VOICE_DIALER_QUEUE_URL: "",
      // The permanent-failure check of TRANSACTIONAL rows (skipPermanentFailures, default on).
      PREFERENCE_TABLE_NAME: "sms-preferences",
      POWERTOOLS_METRICS_NAMESPACE: "DigitalUserEngagement/SmsFileDrop",
    });
    expect((built.inputs("drop-sender-function").environment as { variables: Record<string, string> }).variables).to.deep.equal({
      POWERTOOLS_SERVICE_NAME: "drop-sender",
      POWERTOOLS_LOG_LEVEL: "INFO",
      TARGET: "end-user-messaging",
      // Declared by the handler's contract, so always set; "" means none.
      PINPOINT_APPLICATION_ID: "",
      CONFIGURATION_SET_NAME: "digital-user-engagement-test-drop-sends",
      ORIGINATION_IDENTITIES: IDENTITIES_JSON,
      OUTCOME_TABLE_NAME: "drop-outcomes-0000000",
      DEAD_LETTER_QUEUE_URL: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/digital-user-engagement-test-drop-messages-dlq.fifo`,
      MAX_ATTEMPTS: "5",
      SEND_GUARANTEE: "at-most-once",
      PREFERENCE_TABLE_NAME: "sms-preferences",
      RATE_TABLE_NAME: "drop-rates-0000000",
      SKIP_PERMANENT_FAILURES: "true",
      POWERTOOLS_METRICS_NAMESPACE: "DigitalUserEngagement/SmsFileDrop",
    });
    expect(built.inputs("drop-splitter-function")).to.include({ timeout: 900, memorySize: 1024 });
  });

  it("retries a failed file twice, then sends it to the failure queue", async () => {
    const built = await build(make());
    expect(built.inputs("drop-splitter-async")).to.deep.equal({
      functionName: "drop-splitter-function-0000000",
      maximumRetryAttempts: 2,
      destinationConfig: { onFailure: { destination: `arn:aws:sqs:us-east-1:${ACCOUNT}:drop-failures-0000000` } },
    });
  });

  it("creates checkpoint, outcome and learned-rate tables with TTL on expiration", async () => {
    const built = await build(make());
    for (const [table, key] of [
      ["drop-checkpoints", "fileId"],
      ["drop-outcomes", "rowId"],
      ["drop-rates", "limiterKey"],
    ]) {
      expect(built.inputs(table!)).to.deep.equal({
        billingMode: "PAY_PER_REQUEST",
        hashKey: key,
        attributes: [{ name: key, type: "S" }],
        serverSideEncryption: { enabled: true },
        pointInTimeRecovery: { enabled: true },
        deletionProtectionEnabled: false,
        ttl: { attributeName: "expiration", enabled: true },
      });
    }
  });

  it("derives send resources from ARNs and ids, and never falls back to every number or sender ID", () => {
    expect(originationIdentityResources([{ identity: "+12065550199", mps: 1, arn: LONG_CODE_ARN }, { identity: POOL_ID, mps: 1 }, { identity: "phone-0123456789abcdef0123456789abcdef", mps: 1 }])).to.deep.equal([
      LONG_CODE_ARN,
      `pool/${POOL_ID}`,
      "phone-number/phone-0123456789abcdef0123456789abcdef",
    ]);
    expect(() => originationIdentityResources([{ identity: "+12065550199", mps: 1 }])).to.throw('origination identity "+12065550199" has no ARN');
    expect(objectCreatedPattern("b", "", [".csv"])).to.deep.equal({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: { bucket: { name: ["b"] }, object: { key: [{ wildcard: "*.csv" }] } },
    });
  });

  it("reports every invalid argument at once", () => {
    expect(
      thrownMessage(
        resolve({
          originationIdentities: [
            { identity: "my number", mps: 0 },
            { identity: "my number", mps: 1, arn: "arn:aws:sns:us-east-1:123456789012:x" },
          ],
          target: "pinpoint",
          prefix: "in*",
          existingBucketName: "Bad_Bucket",
          fileRetentionDays: 7,
          columnMap: { phone: "x" },
          maxSegments: 31,
          senderMaximumConcurrency: 1,
          maxReceiveCount: 101,
        }),
      ),
    ).to.equal(
      [
        "SmsFileDrop: invalid arguments:",
        "  - originationIdentities.0.identity: must be 1–128 characters without spaces (it is the FIFO message group)",
        "  - originationIdentities.0.mps: must be greater than 0 and at most 10000",
        "  - originationIdentities.1.identity: must be 1–128 characters without spaces (it is the FIFO message group)",
        "  - originationIdentities.1.arn: must be an sms-voice phone-number, pool or sender-id ARN",
        '  - originationIdentities.1.identity: "my number" is listed twice',
        "  - existingBucketName: must be an S3 bucket name",
        '  - prefix: must be an S3 key prefix ending in "/" (a folder), without "*", "?" or a leading "/"',
        "  - columnMap.phone: unknown key",
        "  - maxSegments: Too big: expected number to be <=30",
        "  - senderMaximumConcurrency: Too small: expected number to be >=2",
        "  - maxReceiveCount: Too big: expected number to be <=100",
        "  - pinpointApplicationId: is required",
      ].join("\n"),
    );
    expect(thrownMessage(resolve({ originationIdentities: [] }))).to.equal(
      "SmsFileDrop: invalid arguments:\n  - originationIdentities: list at least one origination identity with its mps",
    );
    // The cross-field rules, once every setting is valid on its own.
    expect(
      thrownMessage(
        resolve({
          originationIdentities: [{ identity: POOL_ID, mps: 1 }],
          existingBucketName: "partner-drops",
          fileRetentionDays: 7,
          forceDestroyBucket: true,
          existingEventsTopicKmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/k`,
        }),
      ),
    ).to.equal(
      [
        "SmsFileDrop: invalid arguments:",
        "  - fileRetentionDays: applies only to a created bucket (not with existingBucketName)",
        "  - forceDestroyBucket: applies only to a created bucket (not with existingBucketName)",
        "  - existingEventsTopicKmsKeyArn: applies only with existingEventsTopicArn",
      ].join("\n"),
    );
    expect(thrownMessage(resolve({ ...BASE, existingBucketKmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/k` }))).to.equal(
      "SmsFileDrop: invalid arguments:\n  - existingBucketKmsKeyArn: applies only with existingBucketName",
    );
  });

  it("requires the ARN of an E.164 number or sender ID, of the right kind, so the send permission is scoped to it", () => {
    expect(
      thrownMessage(
        resolve({
          originationIdentities: [
            { identity: "+12065550199", mps: 1 },
            { identity: "MYBRAND", mps: 1 },
            { identity: "+12065550100", mps: 1, arn: `${SMS}:pool/${POOL_ID}` },
            { identity: POOL_ID, mps: 1 },
            { identity: "MYBRAND2", mps: 1, arn: `${SMS}:sender-id/MYBRAND2/GB` },
          ],
        }),
      ),
    ).to.equal(
      [
        "SmsFileDrop: invalid arguments:",
        '  - originationIdentities.0.arn: is required for "+12065550199" (an E.164 number: its phone-number ARN), so that SendTextMessage is granted on that identity only',
        '  - originationIdentities.1.arn: is required for "MYBRAND" (a sender ID: its sender-id ARN), so that SendTextMessage is granted on that identity only',
        `  - originationIdentities.2.arn: must be a phone-number ARN for the E.164 number "+12065550100", got "${SMS}:pool/${POOL_ID}"`,
      ].join("\n"),
    );
    // Pinpoint grants on the project, not per identity: no ARN needed there.
    expect(resolve({ originationIdentities: [{ identity: "+12065550199", mps: 1 }], target: "pinpoint", pinpointApplicationId: "abc123" })).not.to.throw();
  });

  it("writes error reports under their own prefix, which must not overlap the trigger prefix, and expires them with the files", async () => {
    const overlapping: Array<[string | undefined, string]> = [
      ["files/reports/", '"files/reports/" must not overlap prefix "files/" (neither may start with the other): error reports written there would be read as input files'],
      ["files/", '"files/" must not overlap prefix "files/" (neither may start with the other): error reports written there would be read as input files'],
    ];
    for (const [reportPrefix, error] of overlapping) {
      expect(thrownMessage(resolve({ ...BASE, reportPrefix }))).to.equal(`SmsFileDrop: invalid arguments:\n  - reportPrefix: ${error}`);
    }
    expect(thrownMessage(resolve({ ...BASE, prefix: "" }))).to.equal(
      'SmsFileDrop: invalid arguments:\n  - reportPrefix: "reports/" must not overlap prefix "" (neither may start with the other): error reports written there would be read as input files',
    );
    expect(stackIssues({ ...smsFileDropArchitecture.minimalConfig, prefix: "in/", reportPrefix: "in/errors/" })).to.deep.equal([
      'digital-user-engagement:smsFileDrop.reportPrefix: "in/errors/" must not overlap prefix "in/" (neither may start with the other): error reports written there would be read as input files',
    ]);

    const built = await build(make({ reportPrefix: "errors/", fileRetentionDays: 14 }));
    expect(built.statements("drop-splitter-policy").find((s) => s.Sid === "WriteErrorReports")?.Resource).to.equal(`arn:aws:s3:::${BUCKET}/errors/*`);
    expect((built.inputs("drop-splitter-function").environment as { variables: Record<string, string> }).variables.REPORT_PREFIX).to.equal("errors/");
    const rules = built.inputs("drop-files-lifecycle").rules as Array<{ id: string }>;
    expect(rules.find((r) => r.id === "expire-error-reports")).to.deep.equal({ id: "expire-error-reports", status: "Enabled", filter: { prefix: "errors/" }, expiration: { days: 14 } });
    // The notification (and so the splitter) only sees the trigger prefix.
    expect((built.inputs("drop-notification").lambdaFunctions as Array<{ filterPrefix: string }>)[0]!.filterPrefix).to.equal("files/");
  });

  it("passes the send guarantee to the sender and alarms on unknown send outcomes and lost outcome writes", async () => {
    const built = await build(make({ sendGuarantee: "at-least-once", alarmActions: ["arn:aws:sns:us-east-1:123456789012:ops"] }));
    expect((built.inputs("drop-sender-function").environment as { variables: Record<string, string> }).variables.SEND_GUARANTEE).to.equal("at-least-once");
    const alarm = (metricName: string, description: string) => ({
      alarmDescription: description,
      namespace: "DigitalUserEngagement/SmsFileDrop",
      metricName,
      dimensions: { service: "drop-sender" },
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: ["arn:aws:sns:us-east-1:123456789012:ops"],
      okActions: ["arn:aws:sns:us-east-1:123456789012:ops"],
    });
    expect(built.inputs("drop-send-outcome-unknown")).to.deep.equal(
      alarm(SEND_OUTCOME_UNKNOWN_METRIC, "A send by drop-sender has an unknown outcome (timed out or failed after it may have been accepted); check the recipient before re-sending"),
    );
    expect(built.inputs("drop-outcome-write-lost")).to.deep.equal(
      alarm("OutcomeWriteLost", "drop-sender could not record a row's outcome after sending it; the row stays SENDING in the outcome table"),
    );
  });

  it("fails construction with the same errors, before creating anything", async () => {
    let message = "";
    try {
      await build(make({ batchSize: 11 }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.equal("SmsFileDrop: invalid arguments:\n  - batchSize: Too big: expected number to be <=10");
  });

  it("accepts its minimal stack config and rejects an unknown key and an empty allow-list", () => {
    expect(stackIssues(smsFileDropArchitecture.minimalConfig)).to.deep.equal([]);
    expect(stackIssues({ ...smsFileDropArchitecture.minimalConfig, queueUrl: "x" })).to.deep.equal(["digital-user-engagement:smsFileDrop.queueUrl: unknown key"]);
    expect(stackIssues({})).to.deep.equal(["digital-user-engagement:smsFileDrop.originationIdentities: Invalid input: expected array, received undefined"]);
    expect(stackIssues({ originationIdentities: [] })).to.deep.equal([
      "digital-user-engagement:smsFileDrop.originationIdentities: list at least one origination identity with its mps",
    ]);
  });

  it("rejects a key that belongs to the other target, in the arguments and in the stack config", () => {
    expect(thrownMessage(resolve({ ...BASE, pinpointApplicationId: "abc123" }))).to.equal("SmsFileDrop: invalid arguments:\n  - pinpointApplicationId: unknown key");
    expect(thrownMessage(resolve({ ...BASE, target: "pinpoint", pinpointApplicationId: "abc123", configurationSetName: "file-drop" }))).to.equal(
      "SmsFileDrop: invalid arguments:\n  - configurationSetName: unknown key",
    );
    expect(stackIssues({ ...smsFileDropArchitecture.minimalConfig, target: "end-user-messaging", pinpointApplicationId: "abc123" })).to.deep.equal([
      "digital-user-engagement:smsFileDrop.pinpointApplicationId: unknown key",
    ]);
    expect(stackIssues({ ...smsFileDropArchitecture.minimalConfig, target: "pinpoint", pinpointApplicationId: "abc123", configurationSetName: "file-drop" })).to.deep.equal([
      "digital-user-engagement:smsFileDrop.configurationSetName: unknown key",
    ]);
  });

  it("stops the stack on a component rule (fileRetentionDays with an existing bucket) before registering anything", async () => {
    const raw = { smsFileDrop: { enabled: true, ...smsFileDropArchitecture.minimalConfig, existingBucketName: "partner-drops", fileRetentionDays: 30 } };
    const { issues, registered } = await stackConfigFailure(raw);
    expect(issues).to.deep.equal(["digital-user-engagement:smsFileDrop.fileRetentionDays: applies only to a created bucket (not with existingBucketName)"]);
    expect(registered).to.equal(0);
  });

  it("lets the splitter queue VOICE rows on #13's dialer queue when it is given one (all three values or none)", async () => {
    const dialer = {
      voiceDialerQueueUrl: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/connect-channel-calls-queue`,
      voiceDialerQueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:connect-channel-calls-queue`,
      voiceDialerKmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/calls`,
    };
    const built = await build(make(dialer));
    expect((built.inputs("drop-splitter-function").environment as { variables: Record<string, string> }).variables.VOICE_DIALER_QUEUE_URL).to.equal(dialer.voiceDialerQueueUrl);
    expect(built.callerStatements("drop-splitter").slice(-2)).to.deep.equal([
      { Sid: "QueueCalls", Effect: "Allow", Action: "sqs:SendMessage", Resource: dialer.voiceDialerQueueArn },
      { Sid: "EncryptCalls", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: dialer.voiceDialerKmsKeyArn },
    ]);
    expect(thrownMessage(resolve({ ...BASE, voiceDialerQueueUrl: dialer.voiceDialerQueueUrl }))).to.equal(
      "SmsFileDrop: invalid arguments:\n  - voiceDialerQueueUrl: set voiceDialerQueueUrl, voiceDialerQueueArn and voiceDialerKmsKeyArn together",
    );
  });

  it("uses #13's dialer queue when connectChannel is enabled and no queue is named, and passes every policy", async () => {
    const modules = [smsFileDropArchitecture, connectChannelArchitecture] as unknown as ArchitectureModule[];
    const config = parseStackConfig(
      { smsFileDrop: { enabled: true, ...smsFileDropArchitecture.minimalConfig }, connectChannel: { enabled: true, ...connectChannelArchitecture.minimalConfig } },
      modules,
    );
    const built = await build(() => createStack(config, modules));
    expect((built.inputs("sms-file-drop-splitter-function").environment as { variables: Record<string, string> }).variables.VOICE_DIALER_QUEUE_URL).to.equal(
      `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/connect-channel-calls-queue-0000000`,
    );
    expect(built.callerStatements("sms-file-drop-splitter").find((s) => s.Sid === "QueueCalls")?.Resource).to.equal(`arn:aws:sqs:us-east-1:${ACCOUNT}:connect-channel-calls-queue-0000000`);
    expect(runPolicies(toPolicyResources(built.resources))).to.deep.equal([]);
  });

  it("builds with #8 from the stack config, passes every policy, and skips promotional rows #8 recorded as opted out", async () => {
    // Listed after #9 on purpose: #9's `uses` orders #8's build first.
    const modules = [smsFileDropArchitecture, selfManagedOptOutsArchitecture] as unknown as ArchitectureModule[];
    const config = parseStackConfig(
      { selfManagedOptOuts: { enabled: true, ...selfManagedOptOutsArchitecture.minimalConfig }, smsFileDrop: { enabled: true, ...smsFileDropArchitecture.minimalConfig } },
      modules,
    );
    const built = await build(() => createStack(config, modules));
    expect(built.has("self-managed-opt-outs")).to.equal(true);
    expect(runPolicies(toPolicyResources(built.resources))).to.deep.equal([]);
    const env = (built.inputs("sms-file-drop-sender-function").environment as { variables: Record<string, string> }).variables;
    expect(env.PREFERENCE_TABLE_NAME).to.equal("self-managed-opt-outs-preferences-0000000");
    expect(built.statements("sms-file-drop-sender-policy").find((s) => s.Sid === "ReadPreferences")?.Resource).to.equal(
      `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/self-managed-opt-outs-preferences-0000000`,
    );
    // A table named in the config is used instead, and #8's is not asked for.
    const named = SMS_FILE_DROP.settings.parse({ ...smsFileDropArchitecture.minimalConfig, preferenceTableName: "sms-preferences" });
    // (The contributed send steps and #13's dialer queue are used either way: send-steps.ts.)
    expect(smsFileDropArchitecture.uses!(named)).to.deep.equal([...SEND_STEP_CAPABILITIES, VOICE_DIALER_QUEUE]);
    expect(smsFileDropArchitecture.uses!(SMS_FILE_DROP.settings.parse(smsFileDropArchitecture.minimalConfig))).to.deep.equal([
      SMS_PREFERENCE_TABLE,
      ...SEND_STEP_CAPABILITIES,
      VOICE_DIALER_QUEUE,
    ]);
  });

  describe("delivery outcomes", () => {
    const DELIVERY_QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:drop-delivery-queue-queue-0000000`;
    const DELIVERY_TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:digital-user-engagement-test-drop-delivery-events`;

    it("adds one SNS event destination for the SMS outcome types to the configuration set it creates, and sends through that set", async () => {
      const built = await build(make());
      expect(built.inputs("drop-configuration-set")).to.deep.equal({ name: "digital-user-engagement-test-drop-sends" });
      expect(built.inputs("drop-delivery-destination")).to.deep.equal({
        configurationSetName: "digital-user-engagement-test-drop-sends",
        enabled: true,
        eventDestinationName: "digital-user-engagement-test-drop-delivery",
        matchingEventTypes: [
          "TEXT_DELIVERED",
          "TEXT_SUCCESSFUL",
          "TEXT_BLOCKED",
          "TEXT_INVALID",
          "TEXT_TTL_EXPIRED",
          "TEXT_INVALID_MESSAGE",
          "TEXT_CARRIER_BLOCKED",
          "TEXT_SPAM",
          "TEXT_PROTECT_BLOCKED",
          "TEXT_UNKNOWN",
          "TEXT_UNREACHABLE",
          "TEXT_CARRIER_UNREACHABLE",
        ],
        snsDestination: { topicArn: DELIVERY_TOPIC_ARN },
      });
      expect(built.ofType("aws:pinpoint/smsvoicev2EventDestination:Smsvoicev2EventDestination")).to.have.length(1);
      expect(built.one("drop-delivery-destination").dependencies).to.include.members([
        "aws:sns/topicPolicy:TopicPolicy::drop-delivery-events-policy",
        "aws:sns/topicSubscription:TopicSubscription::drop-delivery-subscription",
      ]);
      const send = built.callerStatements("drop-sender").find((st) => st.Sid === "SendMessages");
      expect(send?.Resource).to.deep.equal([LONG_CODE_ARN, `${SMS}:pool/${POOL_ID}`, `arn:aws:pinpoint:us-east-1:${ACCOUNT}:smsvoicev2ConfigurationSet/digital-user-engagement-test-drop-sends`]);
    });

    it("lets only End User Messaging SMS publish into the encrypted topic, for this configuration set, and delivers raw to an encrypted queue with a DLQ", async () => {
      const built = await build(make());
      const publish = built.statements("drop-delivery-events-policy").find((st) => st.Effect === "Allow");
      expect(publish).to.deep.equal({
        Sid: "AllowSMSVOICEPublish",
        Effect: "Allow",
        Principal: { Service: "sms-voice.amazonaws.com" },
        Action: "sns:Publish",
        Resource: DELIVERY_TOPIC_ARN,
        Condition: {
          StringEquals: { "aws:SourceAccount": ACCOUNT },
          ArnLike: { "aws:SourceArn": [`arn:aws:pinpoint:us-east-1:${ACCOUNT}:smsvoicev2ConfigurationSet/digital-user-engagement-test-drop-sends`] },
        },
      });
      expect(built.inputs("drop-delivery-events-topic")).to.include({ kmsMasterKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/drop-delivery-events-key` });
      expect(built.inputs("drop-delivery-subscription")).to.deep.equal({ topic: DELIVERY_TOPIC_ARN, protocol: "sqs", endpoint: DELIVERY_QUEUE_ARN, rawMessageDelivery: true });
      const queue = built.inputs("drop-delivery-queue-queue");
      expect(queue).to.include({ kmsMasterKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/drop-delivery-events-key`, visibilityTimeoutSeconds: 180 });
      expect(JSON.parse(queue.redrivePolicy as string)).to.deep.equal({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:drop-delivery-queue-dlq-0000000`, maxReceiveCount: 5 });
      expect(built.inputs("drop-delivery-event-source")).to.deep.include({ batchSize: 10, functionResponseTypes: ["ReportBatchItemFailures"], scalingConfig: { maximumConcurrency: 2 } });
    });

    it("lets the consumer update only outcome rows, and the preference table only when recording permanent failures", async () => {
      const withPreferences = await build(make({ preferenceTableName: "sms-preferences" }));
      expect(withPreferences.callerStatements("drop-delivery")).to.deep.equal([
        { Sid: "ConsumeQueue", Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource: DELIVERY_QUEUE_ARN },
        { Sid: "DecryptQueue", Effect: "Allow", Action: "kms:Decrypt", Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/drop-delivery-events-key` },
        { Sid: "RecordDeliveryOutcomes", Effect: "Allow", Action: "dynamodb:UpdateItem", Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/drop-outcomes-0000000` },
        { Sid: "RecordPermanentFailures", Effect: "Allow", Action: "dynamodb:UpdateItem", Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/sms-preferences` },
      ]);
      expect((withPreferences.inputs("drop-delivery-function").environment as { variables: Record<string, string> }).variables).to.include({
        OUTCOME_TABLE_NAME: "drop-outcomes-0000000",
        PREFERENCE_TABLE_NAME: "sms-preferences",
        RECORD_PERMANENT_FAILURES: "true",
      });
      const off = await build(make({ preferenceTableName: "sms-preferences", recordPermanentFailures: false, skipPermanentFailures: false }));
      expect(off.callerStatements("drop-delivery").map((st) => st.Sid)).to.deep.equal(["ConsumeQueue", "DecryptQueue", "RecordDeliveryOutcomes"]);
      expect((off.inputs("drop-delivery-function").environment as { variables: Record<string, string> }).variables).to.include({ PREFERENCE_TABLE_NAME: "", RECORD_PERMANENT_FAILURES: "false" });
      expect((off.inputs("drop-sender-function").environment as { variables: Record<string, string> }).variables).to.include({ SKIP_PERMANENT_FAILURES: "false" });
    });

    it("runs the reporter every 10 minutes with exactly its permissions, and its deadline (never below 72 hours)", async () => {
      const built = await build(make({ deliveryReportDeadlineHours: 96 }));
      expect(built.inputs("drop-report-schedule")).to.deep.equal({ description: "Looks at the SMS file drop's open delivery reports", scheduleExpression: "rate(10 minutes)" });
      expect(built.inputs("drop-report-schedule-permission")).to.include({ principal: "events.amazonaws.com", action: "lambda:InvokeFunction" });
      expect(built.callerStatements("drop-reporter")).to.deep.equal([
        { Sid: "OpenReports", Effect: "Allow", Action: ["dynamodb:Scan", "dynamodb:UpdateItem"], Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/drop-checkpoints-0000000` },
        { Sid: "ReadRowOutcomes", Effect: "Allow", Action: "dynamodb:BatchGetItem", Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/drop-outcomes-0000000` },
        { Sid: "WriteDeliveryReports", Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${BUCKET}/reports/*` },
        { Sid: "PublishReports", Effect: "Allow", Action: "sns:Publish", Resource: EVENTS_TOPIC_ARN },
        { Sid: "EncryptReports", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/drop-events-key` },
      ]);
      expect((built.inputs("drop-reporter-function").environment as { variables: Record<string, string> }).variables).to.include({ REPORT_DEADLINE_HOURS: "96", REPORT_PREFIX: "reports/" });
      expect(built.inputs("drop-reporter-async")).to.deep.include({ maximumRetryAttempts: 0 });
      expect(thrownMessage(resolve({ ...BASE, deliveryReportDeadlineHours: 48 }))).to.equal(
        "SmsFileDrop: invalid arguments:\n  - deliveryReportDeadlineHours: must be at least 72: carriers' final events can take 72 hours",
      );
    });

    it("provides its configuration set (name and ARN) to other architectures, and nothing on the pinpoint target", async () => {
      expect(smsFileDropArchitecture.provides).to.include(SMS_CONFIGURATION_SET);
      const provided: Record<string, unknown> = {};
      const capture = (settings: Record<string, unknown>) => () => {
        const config = { enabled: true, logRetentionInDays: 30, ...SMS_FILE_DROP.settings.parse({ ...smsFileDropArchitecture.minimalConfig, ...settings }) };
        const result = smsFileDropArchitecture.build(config as never, { capabilities: new Capabilities(), platform: {}, alarmActions: [], defaults: {} } as never);
        const value = result.provided?.find((p) => p.capability === SMS_CONFIGURATION_SET)?.value as { configurationSetName: pulumi.Output<string>; configurationSetArn: pulumi.Output<string> } | undefined;
        provided[String(settings.target ?? "end-user-messaging")] = value;
        value?.configurationSetName.apply((n) => (provided.name = n));
        value?.configurationSetArn.apply((a) => (provided.arn = a));
        return result.component;
      };
      await build(capture({}));
      expect(provided).to.include({ name: "digital-user-engagement-test-sms-file-drop-sends" });
      expect(provided.arn).to.match(/smsvoicev2ConfigurationSet\/digital-user-engagement-test-sms-file-drop-sends$/);
      await build(capture({ target: "pinpoint", pinpointApplicationId: "abc123" }));
      expect(provided.pinpoint).to.equal(undefined);
    });

    it("adds its destination to an existing configuration set instead of creating one, and has no delivery pipeline on the pinpoint target", async () => {
      const existing = await build(make({ configurationSetName: "marketing" }));
      expect(existing.has("drop-configuration-set")).to.equal(false);
      expect(existing.inputs("drop-delivery-destination")).to.include({ configurationSetName: "marketing" });
      expect(JSON.stringify(existing.statements("drop-delivery-events-policy"))).to.include(`${SMS}:configuration-set/marketing`);
      const pinpoint = await build(make({ target: "pinpoint", pinpointApplicationId: "abc123" }));
      expect(pinpoint.ofType("aws:pinpoint/smsvoicev2EventDestination:Smsvoicev2EventDestination")).to.deep.equal([]);
      expect(pinpoint.has("drop-delivery")).to.equal(false);
      expect(pinpoint.has("drop-reporter")).to.equal(false);
    });
  });
});
