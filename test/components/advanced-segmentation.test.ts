import { expect } from "chai";
import { ADVANCED_SEGMENTATION, AdvancedSegmentation, type AdvancedSegmentationArgs } from "../../components/segments/advanced-segmentation";
import { resolveSettings } from "../../components/kit/contract";
import { segmentStateMachineDefinition } from "../../functions/advanced-segmentation/state-machine";
import { wrapSegmentQuery } from "../../functions/advanced-segmentation/contract";
import { aslProblems } from "../engines/local-stepfunctions";
import { physicalNameProblems } from "../harness/physical-names";
import { allowedActions, build, thrownMessage } from "../harness/pulumi";

const ACCOUNT = "123456789012";
const BUCKET = "segs-results-bucket-0000000";
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/segs-key`;
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/segs-members-0000000`;
const WORKGROUP = "digital-user-engagement-test-segs-segments";
const WORKGROUP_ARN = `arn:aws:athena:us-east-1:${ACCOUNT}:workgroup/${WORKGROUP}`;
const STATE_MACHINE = "digital-user-engagement-test-segs-runs";
const SQL = "SELECT customer_id AS member_id FROM purchases WHERE total >= 100";

const ARGS: AdvancedSegmentationArgs = {
  profilesDomainName: "customers",
  database: "datalake",
  tables: ["purchases", "email_events"],
  dataLocations: ["s3://lake/purchases/", "s3://lake/email/", "s3://other-lake/"],
  segments: [
    { name: "recent-buyers", sql: SQL, token: "recent_buyer", timeZone: "Europe/Paris" },
    { name: "by-email", sql: "SELECT email AS member_id FROM customers", token: "fr_opt_in", schedule: "rate(6 hours)", memberKey: "_email", enabled: false },
  ],
};
const make = (args: AdvancedSegmentationArgs = ARGS) => () => new AdvancedSegmentation("segs", args);

describe("AdvancedSegmentation", () => {
  it("creates exactly the key, results bucket, workgroup, members table, topic, handlers, state machine, schedules and alarms", async () => {
    const built = await build(make());
    expect(built.childrenOf("segs")).to.deep.equal([
      "aws:kms/key:Key::segs-key",
      "due:shared:SecureBucket::segs-results",
      "aws:athena/workgroup:Workgroup::segs-workgroup",
      "aws:dynamodb/table:Table::segs-members",
      "due:shared:EncryptedTopic::segs-notifications",
      "due:shared:BundledFunction::segs-differ",
      "due:shared:BundledFunction::segs-applier",
      "aws:cloudwatch/logGroup:LogGroup::segs-state-machine-logs",
      "aws:iam/role:Role::segs-state-machine-role",
      "aws:iam/rolePolicy:RolePolicy::segs-state-machine-policy",
      "aws:sfn/stateMachine:StateMachine::segs-state-machine",
      "aws:sqs/queue:Queue::segs-schedule-dlq",
      "aws:sqs/queuePolicy:QueuePolicy::segs-schedule-dlq-policy",
      "aws:cloudwatch/metricAlarm:MetricAlarm::segs-schedule-dlq-depth",
      "aws:iam/role:Role::segs-schedule-role",
      "aws:iam/rolePolicy:RolePolicy::segs-schedule-policy",
      "aws:scheduler/schedule:Schedule::segs-recent-buyers-schedule",
      "aws:scheduler/schedule:Schedule::segs-by-email-schedule",
      "aws:cloudwatch/metricAlarm:MetricAlarm::segs-executions-failed",
      "aws:cloudwatch/metricAlarm:MetricAlarm::segs-executions-timedout",
      "aws:cloudwatch/metricAlarm:MetricAlarm::segs-executions-aborted",
      "aws:cloudwatch/dashboard:Dashboard::segs-dashboard",
    ]);
  });

  it("runs the queries in a dedicated workgroup that enforces its KMS-encrypted results location and a scan limit", async () => {
    const built = await build(make({ ...ARGS, bytesScannedCutoffPerQuery: 50_000_000_000 }));
    expect(built.inputs("segs-workgroup")).to.deep.equal({
      name: WORKGROUP,
      description: "Advanced segmentation queries",
      forceDestroy: true,
      configuration: {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: 50_000_000_000,
        engineVersion: { selectedEngineVersion: "Athena engine version 3" },
        resultConfiguration: {
          outputLocation: `s3://${BUCKET}/athena/`,
          encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: KEY },
          expectedBucketOwner: ACCOUNT,
        },
      },
    });
  });

  it("encrypts the results bucket with its key and expires results, change files and map results", async () => {
    const built = await build(make({ ...ARGS, resultRetentionDays: 3 }));
    expect(built.inputs("segs-results-encryption").rules).to.deep.equal([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY }, bucketKeyEnabled: true },
    ]);
    const rules = (built.inputs("segs-results-lifecycle").rules as { id: string; filter: { prefix: string }; expiration?: { days: number } }[]).slice(1);
    expect(rules.map((r) => [r.id, r.filter.prefix, r.expiration?.days])).to.deep.equal([
      ["athena", "athena/", 3],
      ["changes", "changes/", 3],
      ["mapResults", "map-results/", 3],
    ]);
  });

  it("keeps the members in an encrypted on-demand table keyed by segment shard and member id", async () => {
    const built = await build(make({ ...ARGS, tableDeletionProtection: true }));
    expect(built.inputs("segs-members")).to.deep.equal({
      billingMode: "PAY_PER_REQUEST",
      hashKey: "segmentShard",
      rangeKey: "memberId",
      attributes: [
        { name: "segmentShard", type: "S" },
        { name: "memberId", type: "S" },
      ],
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: true,
    });
  });

  it("deploys the definition the state machine module builds, as a Standard state machine logging errors without data", async () => {
    const built = await build(make());
    const inputs = built.inputs("segs-state-machine");
    const definition = JSON.parse(inputs.definition as string);
    // A copy: asl-validator 4 writes QueryLanguage into every state of what it validates.
    expect(aslProblems(structuredClone(definition))).to.deep.equal([]);
    const expected = segmentStateMachineDefinition({
        workGroup: WORKGROUP,
        database: "datalake",
        catalog: "AwsDataCatalog",
        differArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:segs-differ-function-0000000`,
        applierArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:segs-applier-function-0000000`,
        topicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:digital-user-engagement-test-segs-notifications`,
        resultsBucket: BUCKET,
        mapResultsPrefix: "map-results/",
        pollIntervalSeconds: 15,
        maxPolls: 240,
        differTimeoutSeconds: 960,
        applierTimeoutSeconds: 360,
        applyConcurrency: 4,
        executionTimeoutSeconds: 86_400,
      });
    expect(definition).to.deep.equal(expected);
    expect(inputs).to.include({ name: STATE_MACHINE, type: "STANDARD" });
    expect(inputs.loggingConfiguration).to.deep.equal({
      level: "ERROR",
      includeExecutionData: false,
      logDestination: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/vendedlogs/states/segs-0000000:*`,
    });
    expect(inputs.tracingConfiguration).to.deep.equal({ enabled: true });
  });

  it("schedules each segment in its time zone with its wrapped query, token, attribute and member key", async () => {
    const built = await build(make());
    const schedule = built.inputs("segs-recent-buyers-schedule");
    expect(schedule).to.deep.include({
      name: "digital-user-engagement-test-segs-recent-buyers",
      scheduleExpression: "cron(0 2 * * ? *)",
      scheduleExpressionTimezone: "Europe/Paris",
      flexibleTimeWindow: { mode: "OFF" },
      state: "ENABLED",
    });
    const target = schedule.target as Record<string, unknown>;
    expect(target.deadLetterConfig).to.deep.equal({ arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:segs-schedule-dlq-0000000` });
    expect(target.retryPolicy).to.deep.equal({ maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 });
    expect(JSON.parse(target.input as string)).to.deep.equal({
      segment: { name: "recent-buyers", token: "recent_buyer", attribute: "AdvancedSegmentTarget", memberKey: "_profileId", queryString: wrapSegmentQuery(SQL) },
    });
    const second = built.inputs("segs-by-email-schedule");
    expect(second).to.deep.include({ scheduleExpression: "rate(6 hours)", scheduleExpressionTimezone: "UTC", state: "DISABLED" });
    expect(JSON.parse((second.target as { input: string }).input).segment.memberKey).to.equal("_email");
  });

  it("lets only its schedules assume the schedule role, to start only this state machine", async () => {
    const built = await build(make());
    expect(built.statements("segs-schedule-role", "assumeRolePolicy")).to.deep.equal([
      {
        Effect: "Allow",
        Principal: { Service: "scheduler.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": ACCOUNT },
          ArnLike: {
            "aws:SourceArn": [
              `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/digital-user-engagement-test-segs-recent-buyers`,
              `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/digital-user-engagement-test-segs-by-email`,
            ],
          },
        },
      },
    ]);
    expect(built.statements("segs-schedule-policy")).to.deep.equal([
      // The mock's state machine ARN (the schedules' target is the same one).
      { Sid: "StartSegmentRuns", Effect: "Allow", Action: "states:StartExecution", Resource: `arn:aws:sfn:us-east-1:${ACCOUNT}:stateMachine/${STATE_MACHINE}` },
      { Sid: "SendToDeadLetterQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:segs-schedule-dlq-0000000` },
    ]);
  });

  it("grants the state machine read-only access to the named tables and locations, and writes to the results prefixes only", async () => {
    const built = await build(make({ ...ARGS, dataKmsKeyArns: ["arn:aws:kms:us-east-1:123456789012:key/lake-key"] }));
    const statements = built.statements("segs-state-machine-policy");
    const bucket = `arn:aws:s3:::${BUCKET}`;
    expect(statements.filter((s) => s.Sid !== "DeliverLogs" && s.Sid !== "WriteTraces")).to.deep.equal([
      { Sid: "RunSegmentQueries", Effect: "Allow", Action: ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:StopQueryExecution"], Resource: WORKGROUP_ARN },
      {
        Sid: "ReadCatalog",
        Effect: "Allow",
        Action: ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions"],
        Resource: [
          `arn:aws:glue:us-east-1:${ACCOUNT}:catalog`,
          `arn:aws:glue:us-east-1:${ACCOUNT}:database/datalake`,
          `arn:aws:glue:us-east-1:${ACCOUNT}:table/datalake/purchases`,
          `arn:aws:glue:us-east-1:${ACCOUNT}:table/datalake/email_events`,
        ],
      },
      { Sid: "ReadDataLake", Effect: "Allow", Action: "s3:GetObject", Resource: ["arn:aws:s3:::lake/purchases/*", "arn:aws:s3:::lake/email/*", "arn:aws:s3:::other-lake/*"] },
      { Sid: "ListDataLake0", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: "arn:aws:s3:::lake", Condition: { StringLike: { "s3:prefix": ["purchases/*", "email/*"] } } },
      { Sid: "ListDataLake1", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: "arn:aws:s3:::other-lake", Condition: { StringLike: { "s3:prefix": ["*"] } } },
      { Sid: "DecryptDataLake", Effect: "Allow", Action: "kms:Decrypt", Resource: ["arn:aws:kms:us-east-1:123456789012:key/lake-key"] },
      { Sid: "WriteQueryResults", Effect: "Allow", Action: ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"], Resource: `${bucket}/athena/*` },
      {
        Sid: "ListResults",
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
        Resource: bucket,
        Condition: { StringLike: { "s3:prefix": ["athena/*", "changes/*"] } },
      },
      { Sid: "WriteMapResults", Effect: "Allow", Action: ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject"], Resource: `${bucket}/map-results/*` },
      { Sid: "UseResultsKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: KEY },
      {
        Sid: "InvokeHandlers",
        Effect: "Allow",
        Action: "lambda:InvokeFunction",
        Resource: [
          `arn:aws:lambda:us-east-1:${ACCOUNT}:function:segs-differ-function-0000000`,
          `arn:aws:lambda:us-east-1:${ACCOUNT}:function:segs-differ-function-0000000:*`,
          `arn:aws:lambda:us-east-1:${ACCOUNT}:function:segs-applier-function-0000000`,
          `arn:aws:lambda:us-east-1:${ACCOUNT}:function:segs-applier-function-0000000:*`,
        ],
      },
      { Sid: "StartChangeFileExecutions", Effect: "Allow", Action: "states:StartExecution", Resource: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${STATE_MACHINE}` },
      { Sid: "ManageChangeFileExecutions", Effect: "Allow", Action: ["states:DescribeExecution", "states:StopExecution"], Resource: [`arn:aws:states:us-east-1:${ACCOUNT}:execution:${STATE_MACHINE}:*`, `arn:aws:states:us-east-1:${ACCOUNT}:execution:${STATE_MACHINE}/*`] },
      { Sid: "PublishNotices", Effect: "Allow", Action: "sns:Publish", Resource: `arn:aws:sns:us-east-1:${ACCOUNT}:digital-user-engagement-test-segs-notifications` },
      { Sid: "EncryptNotices", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/segs-notifications-key` },
    ]);
    expect(allowedActions(statements).filter((a) => a.includes("*"))).to.deep.equal([]);
    // Nothing in the data lake is writable.
    expect(statements.filter((s) => JSON.stringify(s.Resource).includes("lake") && allowedActions([s]).some((a) => /Put|Delete/.test(a)))).to.deep.equal([]);
    expect(built.statements("segs-state-machine-role", "assumeRolePolicy")[0].Condition).to.deep.equal({
      StringEquals: { "aws:SourceAccount": ACCOUNT },
      ArnLike: { "aws:SourceArn": `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${STATE_MACHINE}` },
    });
  });

  it("grants the differ the result pages, its change files and a read of the members, nothing more", async () => {
    const built = await build(make());
    expect(built.callerStatements("segs-differ")).to.deep.equal([
      { Sid: "ReadQueryResults", Effect: "Allow", Action: "athena:GetQueryResults", Resource: WORKGROUP_ARN },
      { Sid: "ReadResultFiles", Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${BUCKET}/athena/*` },
      { Sid: "WriteChangeFiles", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: `arn:aws:s3:::${BUCKET}/changes/*` },
      { Sid: "UseResultsKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: KEY },
      { Sid: "ReadMembers", Effect: "Allow", Action: "dynamodb:Query", Resource: TABLE },
    ]);
  });

  it("grants the applier its change files, the members table and the target's calls: Customer Profiles by default", async () => {
    const built = await build(make());
    const common = [
      { Sid: "ReadChangeFiles", Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${BUCKET}/changes/*` },
      { Sid: "DecryptChangeFiles", Effect: "Allow", Action: "kms:Decrypt", Resource: KEY },
      { Sid: "RecordMembers", Effect: "Allow", Action: ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"], Resource: TABLE },
    ];
    expect(built.callerStatements("segs-applier")).to.deep.equal([
      ...common,
      { Sid: "LocateAndUpdateProfiles", Effect: "Allow", Action: ["profile:SearchProfiles", "profile:UpdateProfile"], Resource: `arn:aws:profile:us-east-1:${ACCOUNT}:domains/customers` },
    ]);
    expect((built.inputs("segs-applier-function").environment as { variables: Record<string, string> }).variables).to.deep.equal({
      POWERTOOLS_SERVICE_NAME: "segs-applier",
      POWERTOOLS_LOG_LEVEL: "INFO",
      POWERTOOLS_METRICS_NAMESPACE: "DigitalUserEngagement/AdvancedSegmentation",
      RESULTS_BUCKET: BUCKET,
      MEMBERS_TABLE_NAME: "segs-members-0000000",
      ATTRIBUTE_STORE_TARGET: "customerProfiles",
      PROFILES_DOMAIN_NAME: "customers",
      PINPOINT_APPLICATION_ID: "",
      ATTRIBUTE_WRITE_CONCURRENCY: "5",
    });

    const { profilesDomainName: _unused, ...shared } = ARGS as unknown as Record<string, unknown>;
    const pinpoint = await build(
      make({ ...(shared as object), target: "pinpoint", pinpointApplicationId: "abc123", segments: [{ name: "s", sql: SQL, token: "t" }] } as AdvancedSegmentationArgs),
    );
    expect(pinpoint.callerStatements("segs-applier")).to.deep.equal([
      ...common,
      { Sid: "ReadEndpoints", Effect: "Allow", Action: ["mobiletargeting:GetEndpoint"], Resource: `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/abc123/endpoints/*` },
      { Sid: "UpdateEndpointsBatch", Effect: "Allow", Action: ["mobiletargeting:UpdateEndpointsBatch"], Resource: `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/abc123/endpoints` },
    ]);
    expect(JSON.parse((pinpoint.inputs("segs-s-schedule").target as { input: string }).input).segment.memberKey).to.equal("endpointId");
  });

  it("alarms on failed, timed-out and aborted runs, handler errors and the schedules' dead letters", async () => {
    const built = await build(make({ ...ARGS, alarmActions: [`arn:aws:sns:us-east-1:${ACCOUNT}:oncall`] }));
    for (const alarm of ["segs-executions-failed", "segs-executions-timedout", "segs-executions-aborted", "segs-differ-errors", "segs-applier-errors", "segs-schedule-dlq-depth"]) {
      expect(built.inputs(alarm).alarmActions, alarm).to.deep.equal([`arn:aws:sns:us-east-1:${ACCOUNT}:oncall`]);
    }
    expect(built.inputs("segs-executions-failed")).to.deep.include({ namespace: "AWS/States", metricName: "ExecutionsFailed", statistic: "Sum", threshold: 0 });
    expect(built.inputs("segs-schedule-dlq")).to.include({ sqsManagedSseEnabled: true });
  });

  it("keeps every physical name within its AWS limit with a 60-character component name and a 48-character segment name", async () => {
    const name = `segs-${"x".repeat(55)}`;
    const segment = "s".repeat(48);
    const built = await build(() => new AdvancedSegmentation(name, { ...ARGS, segments: [{ name: segment, sql: SQL, token: "t" }] }));
    expect(physicalNameProblems(built.resources)).to.deep.equal([]);
    // Types the shared harness does not know: Scheduler (64, [0-9a-zA-Z-_.]), Step Functions (80), Athena workgroups (128).
    expect(String(built.inputs(`${name}-${segment}-schedule`).name)).to.match(/^[0-9A-Za-z_.-]{1,64}$/);
    expect(String(built.inputs(`${name}-state-machine`).name)).to.match(/^[0-9A-Za-z_-]{1,80}$/);
    expect(String(built.inputs(`${name}-workgroup`).name)).to.match(/^[0-9A-Za-z_.-]{1,128}$/);
  });

  it("reports every invalid argument at once, the seed's placeholder SQL included", () => {
    expect(
      thrownMessage(() =>
        resolveSettings(ADVANCED_SEGMENTATION, {
          profilesDomainName: "customers",
          database: "Data-Lake",
          tables: [],
          dataLocations: ["s3://lake/purchases"],
          bytesScannedCutoffPerQuery: 1000,
          segments: [
            { name: "a b", sql: "SELECT EndpointID FROM [ENTER S3 DATA LAKE DETAILS] WHERE [ENTER COMPLEX SEGMENTATION LOGIC]", token: "x|y", timeZone: "Mars/Olympus", schedule: "daily" },
            { name: "dup", sql: "SELECT id AS member_id FROM t; DROP TABLE t", token: "t" },
            { name: "dup", sql: "SELECT id AS member_id FROM t", token: "t" },
          ],
        }),
      ),
    ).to.equal(
      [
        "AdvancedSegmentation: invalid arguments:",
        "  - segments.0.name: must be 1–48 letters, digits, hyphens or underscores",
        "  - segments.0.sql: must return a column named member_id (the member's identifier)",
        "  - segments.0.sql: still holds the seed's placeholder ([ENTER ...])",
        '  - segments.0.token: must be 1–100 characters without "|" or surrounding spaces',
        "  - segments.0.schedule: must be an EventBridge Scheduler cron(...), rate(...) or at(...) expression",
        "  - segments.0.timeZone: must be an IANA time zone, e.g. Europe/Paris",
        "  - segments.1.sql: must be one statement",
        '  - segments.2.name: "dup" is listed twice',
        "  - database: must be a Glue database name (lower-case letters, digits, _)",
        "  - tables: name the tables the segment queries read",
        '  - dataLocations.0: must be an S3 location "s3://bucket/prefix/" (ending in "/")',
        "  - bytesScannedCutoffPerQuery: Too small: expected number to be >=10000000",
      ].join("\n"),
    );
  });

  it("rejects a segment memberKey on the pinpoint target, whose members are endpoint IDs", () => {
    expect(
      thrownMessage(() =>
        resolveSettings(ADVANCED_SEGMENTATION, {
          target: "pinpoint",
          pinpointApplicationId: "abc123",
          database: "datalake",
          tables: ["t"],
          dataLocations: ["s3://lake/t/"],
          segments: [{ name: "s", sql: SQL, token: "t", memberKey: "_email" }],
        }),
      ),
    ).to.equal("AdvancedSegmentation: invalid arguments:\n  - segments.0.memberKey: applies to customer-profiles only (pinpoint members are endpoint IDs)");
  });
});
