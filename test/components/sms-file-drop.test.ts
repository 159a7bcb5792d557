import { expect } from "chai";
import {
  SmsFileDrop,
  SmsFileDropArgs,
  objectCreatedPattern,
  originationIdentityResources,
  validateSmsFileDropArgs,
} from "../../components/sms/sms-file-drop";
import { selfManagedOptOutsArchitecture } from "../../stacks/architectures/self-managed-opt-outs";
import { smsFileDropArchitecture, smsFileDropSchema } from "../../stacks/architectures/sms-file-drop";
import { ArchitectureModule } from "../../stacks/architectures/types";
import { parseStackConfig } from "../../stacks/config";
import { createStack } from "../../stacks/stack";
import { runPolicies } from "../../policy/policies";
import { toPolicyResources } from "../../stacks/plan/render";
import { allowedActions, build, thrownMessage } from "../harness/pulumi";

const ACCOUNT = "123456789012";
const SMS = `arn:aws:sms-voice:us-east-1:${ACCOUNT}`;
const BUCKET = "drop-files-bucket-0000000";
const QUEUE_NAME = "digital-user-engagement-test-drop-messages-queue.fifo";
const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:${QUEUE_NAME}`;
const DLQ_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:digital-user-engagement-test-drop-messages-dlq.fifo`;
const EVENTS_TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:drop-events-topic-0000000`;
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

const make = (overrides: Partial<SmsFileDropArgs> = {}) => () => new SmsFileDrop("drop", { ...BASE, ...overrides });

describe("SmsFileDrop", () => {
  it("creates exactly the bucket, FIFO queue, tables, events topic, failure queue, both functions, the mapping and the notification", async () => {
    const built = await build(make());
    expect(built.childrenOf("drop")).to.deep.equal([
      "due:shared:SecureBucket::drop-files",
      "due:shared:QueueWithDeadLetter::drop-messages",
      "aws:dynamodb/table:Table::drop-checkpoints",
      "aws:dynamodb/table:Table::drop-outcomes",
      "due:shared:EncryptedTopic::drop-events",
      "aws:sqs/queue:Queue::drop-failures",
      "aws:sqs/queuePolicy:QueuePolicy::drop-failures-policy",
      "aws:cloudwatch/metricAlarm:MetricAlarm::drop-failures-depth",
      "due:shared:BundledFunction::drop-splitter",
      "due:shared:BundledFunction::drop-sender",
      "aws:lambda/eventSourceMapping:EventSourceMapping::drop-sender-event-source",
      "aws:lambda/permission:Permission::drop-s3-invoke-permission",
      "aws:s3/bucketNotification:BucketNotification::drop-notification",
    ]);
    expect(built.descendantsOf("drop")).to.have.length(39);
  });

  it("notifies the splitter for .csv keys under the prefix only, after the permission and the bucket's settings", async () => {
    const built = await build(make({ prefix: "inbound/" }));
    expect(built.inputs("drop-notification")).to.deep.equal({
      bucket: BUCKET,
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
    expect(built.childrenOf("drop").slice(-3)).to.deep.equal([
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

  it("queues on an encrypted FIFO queue that redrives to a FIFO DLQ, with a visibility timeout six times the sender's", async () => {
    const built = await build(make({ senderTimeoutSeconds: 30, maxReceiveCount: 3 }));
    expect(built.inputs("drop-messages-queue")).to.deep.equal({
      name: QUEUE_NAME,
      fifoQueue: true,
      contentBasedDeduplication: false,
      visibilityTimeoutSeconds: 180,
      messageRetentionSeconds: 345600,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 3 }),
      sqsManagedSseEnabled: true,
    });
    expect(built.inputs("drop-messages-dlq")).to.deep.equal({
      name: "digital-user-engagement-test-drop-messages-dlq.fifo",
      fifoQueue: true,
      messageRetentionSeconds: 1209600,
      sqsManagedSseEnabled: true,
    });
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
    const statements = built.statements("drop-splitter-policy");
    expect(statements).to.deep.equal([
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/drop-splitter-0000000:*`,
      },
      { Sid: "ReadDroppedFiles", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: `arn:aws:s3:::${BUCKET}/files/*` },
      {
        Sid: "ListDroppedFiles",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: `arn:aws:s3:::${BUCKET}`,
        Condition: { StringLike: { "s3:prefix": "files/*" } },
      },
      { Sid: "WriteErrorReports", Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${BUCKET}/files/*.errors.csv` },
      { Sid: "QueueMessages", Effect: "Allow", Action: "sqs:SendMessage", Resource: QUEUE_ARN },
      { Sid: "Checkpoints", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/drop-checkpoints-0000000` },
      { Sid: "PublishSummaries", Effect: "Allow", Action: "sns:Publish", Resource: EVENTS_TOPIC_ARN },
      { Sid: "EncryptSummaries", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/drop-events-key` },
      { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
      { Sid: "SendToOnFailureQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:drop-failures-0000000` },
    ]);
    expect(allowedActions(statements).filter((a) => a.includes("*"))).to.deep.equal([]);
  });

  it("lets the sender consume the queue, record outcomes, read preferences and send only from the allowed identities", async () => {
    const built = await build(make({ preferenceTableName: "sms-preferences", configurationSetName: "file-drop" }));
    const statements = built.statements("drop-sender-policy");
    expect(statements).to.deep.equal([
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/drop-sender-0000000:*`,
      },
      { Sid: "ConsumeQueue", Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource: QUEUE_ARN },
      { Sid: "MoveMalformedToDeadLetterQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: DLQ_ARN },
      { Sid: "RecordOutcomes", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/drop-outcomes-0000000` },
      { Sid: "ReadPreferences", Effect: "Allow", Action: "dynamodb:GetItem", Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/sms-preferences` },
      {
        Sid: "SendMessages",
        Effect: "Allow",
        Action: "sms-voice:SendTextMessage",
        Resource: [LONG_CODE_ARN, `${SMS}:pool/${POOL_ID}`, `${SMS}:configuration-set/file-drop`],
      },
      { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
    ]);
    expect(allowedActions(statements).filter((a) => a.includes("*"))).to.deep.equal([]);
  });

  it("sends through Pinpoint SendMessages on the project's messages resource on the pinpoint target", async () => {
    const built = await build(make({ target: "pinpoint", pinpointApplicationId: "abc123" }));
    expect(built.statements("drop-sender-policy").find((s) => s.Sid === "SendMessages")).to.deep.equal({
      Sid: "SendMessages",
      Effect: "Allow",
      Action: "mobiletargeting:SendMessages",
      Resource: [`arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/abc123/messages`],
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
      COLUMN_MAP: '{"sms_number":"phone"}',
      POWERTOOLS_METRICS_NAMESPACE: "DigitalUserEngagement/SmsFileDrop",
    });
    expect((built.inputs("drop-sender-function").environment as { variables: Record<string, string> }).variables).to.deep.equal({
      POWERTOOLS_SERVICE_NAME: "drop-sender",
      POWERTOOLS_LOG_LEVEL: "INFO",
      TARGET: "end-user-messaging",
      ORIGINATION_IDENTITIES: IDENTITIES_JSON,
      OUTCOME_TABLE_NAME: "drop-outcomes-0000000",
      DEAD_LETTER_QUEUE_URL: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/digital-user-engagement-test-drop-messages-dlq.fifo`,
      PREFERENCE_TABLE_NAME: "sms-preferences",
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

  it("creates checkpoint and outcome tables with TTL on expiration", async () => {
    const built = await build(make());
    for (const [table, key] of [
      ["drop-checkpoints", "fileId"],
      ["drop-outcomes", "rowId"],
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

  it("derives send resources from ARNs and ids, and falls back to the account's numbers and sender ids otherwise", () => {
    expect(originationIdentityResources([{ identity: "+12065550199", mps: 1 }, { identity: POOL_ID, mps: 1 }, { identity: "phone-0123456789abcdef0123456789abcdef", mps: 1 }])).to.deep.equal([
      "phone-number/*",
      "sender-id/*",
      `pool/${POOL_ID}`,
      "phone-number/phone-0123456789abcdef0123456789abcdef",
    ]);
    expect(objectCreatedPattern("b", "")).to.deep.equal({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: { bucket: { name: ["b"] }, object: { key: [{ wildcard: "*.csv" }] } },
    });
  });

  it("reports every invalid argument at once", () => {
    expect(
      thrownMessage(() =>
        validateSmsFileDropArgs({
          originationIdentities: [
            { identity: "my number", mps: 0 },
            { identity: "my number", mps: 1, arn: "arn:aws:sns:us-east-1:123456789012:x" },
          ],
          target: "pinpoint",
          prefix: "in*",
          existingBucketName: "Bad_Bucket",
          fileRetentionDays: 7,
          columnMap: { phone: "x" } as never,
          maxSegments: 31,
          senderMaximumConcurrency: 1,
        }),
      ),
    ).to.equal(
      [
        "SmsFileDrop: invalid arguments:",
        '  - originationIdentities[0].identity must be 1–128 characters without spaces (it is the FIFO message group), got "my number"',
        "  - originationIdentities[0].mps must be greater than 0 and at most 10000, got 0",
        '  - originationIdentities[1].identity must be 1–128 characters without spaces (it is the FIFO message group), got "my number"',
        '  - originationIdentities[1].identity "my number" is listed twice',
        '  - originationIdentities[1].arn must be an sms-voice phone-number, pool or sender-id ARN, got "arn:aws:sns:us-east-1:123456789012:x"',
        '  - target "pinpoint" needs pinpointApplicationId',
        '  - prefix must be an S3 key prefix without "*", "?" or a leading "/", got "in*"',
        '  - prefix must end with "/" (a folder), got "in*"',
        "  - fileRetentionDays applies only to a created bucket (not with existingBucketName)",
        '  - existingBucketName must be an S3 bucket name, got "Bad_Bucket"',
        '  - columnMap: "phone" is not a column (sms_number, message, external_campaign_id, short_code, message_type, id_1, id_2)',
        "  - maxSegments must be an integer between 1 and 30, got 31",
        "  - senderMaximumConcurrency must be an integer between 2 and 1000, got 1",
      ].join("\n"),
    );
    expect(thrownMessage(() => validateSmsFileDropArgs({ originationIdentities: [] }))).to.equal(
      "SmsFileDrop: invalid arguments:\n  - originationIdentities must list at least one identity",
    );
  });

  it("fails construction with the same errors, before creating anything", async () => {
    let message = "";
    try {
      await build(make({ batchSize: 11 }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.contain("batchSize must be an integer between 1 and 10, got 11");
  });

  it("accepts its minimal stack config and rejects an unknown key and an empty allow-list", () => {
    expect(smsFileDropSchema.safeParse(smsFileDropArchitecture.minimalConfig).success).to.equal(true);
    expect(smsFileDropSchema.safeParse({ ...smsFileDropArchitecture.minimalConfig, queueUrl: "x" }).success).to.equal(false);
    const empty = smsFileDropSchema.safeParse({ enabled: true });
    expect(empty.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).to.deep.equal([
      "originationIdentities: list at least one origination identity with its mps",
    ]);
  });

  it("builds with #8 from the stack config, passes every policy, and skips promotional rows #8 recorded as opted out", async () => {
    const modules = [selfManagedOptOutsArchitecture, smsFileDropArchitecture] as unknown as ArchitectureModule[];
    const config = parseStackConfig(
      { selfManagedOptOuts: selfManagedOptOutsArchitecture.minimalConfig, smsFileDrop: smsFileDropArchitecture.minimalConfig },
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
  });
});
