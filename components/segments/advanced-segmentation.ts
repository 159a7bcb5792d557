import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import {
  APPLIER,
  DIFFER,
  ENDPOINT_ID,
  MEMBER_COLUMN,
  SEGMENT_NAME,
  SEGMENT_TARGETS,
  SEGMENT_TOKEN,
  segmentRunInput,
  wrapSegmentQuery,
} from "../../functions/advanced-segmentation/contract";
import { segmentStateMachineDefinition } from "../../functions/advanced-segmentation/state-machine";
import { ATTRIBUTE_STORE_IAM, attributeStoreEnvironment } from "../../functions/shared/profiles/config";
import { SEGMENT_MEMBERS_TABLE } from "../../functions/shared/runtime/tables";
import { defineContract, environmentFor, passThrough, resolveSettings, type ContractArgs, type ContractSettings } from "../kit/contract";
import {
  anyAboveZeroAlarm,
  architectureDashboard,
  arnBuilder,
  BundledFunction,
  createAsyncFailureQueue,
  createServiceKey,
  dashboardFunction,
  domainEventsTopic,
  FUNCTION_DEFAULTS,
  functionPlatform,
  NAME_LIMITS,
  PlatformArgs,
  policyDocument,
  PolicyStatement,
  SecureBucket,
  serviceTrustPolicy,
  stableName,
  boundedName,
} from "../shared";
import { dataFlow, external } from "../shared/flow";

/** Key prefixes in the results bucket: Athena's results, the change files, the Distributed Map's run results. */
export const SEGMENT_RESULT_PREFIXES = { athena: "athena/", changes: "changes/", mapResults: "map-results/" } as const;

/**
 * The queries run in the account's AWS Glue Data Catalog: the grants name its catalog, database
 * and tables. (A federated catalog would need Lambda connector grants this component does not make.)
 */
const GLUE_DATA_CATALOG = "AwsDataCatalog";

/** Seconds added to a Lambda's timeout for the Task that invokes it (invoke latency, cold start). */
const TASK_TIMEOUT_MARGIN_SECONDS = 60;

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const GLUE_NAME = /^[a-z0-9_]{1,255}$/;
const S3_LOCATION = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/((?:[^*?\s]+\/)?)$/;
const SCHEDULE_EXPRESSION = /^(cron\([^()]+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\))$/;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const SEGMENT = z.strictObject({
  name: z.string().regex(SEGMENT_NAME, "must be 1–48 letters, digits, hyphens or underscores").describe("The segment's name (keys its stored members)."),
  sql: z
    .string()
    .trim()
    .min(1, "is required")
    .refine((sql) => new RegExp(`\\b${MEMBER_COLUMN}\\b`, "i").test(sql), `must return a column named ${MEMBER_COLUMN} (the member's identifier)`)
    .refine((sql) => !/\[ENTER [^\]]*\]/.test(sql), "still holds the seed's placeholder ([ENTER ...])")
    .refine((sql) => !/;\s*\S/.test(sql), "must be one statement")
    .describe(`A Trino SELECT returning ${MEMBER_COLUMN}; it runs as a subquery (distinct, non-null, ordered).`),
  token: z.string().regex(SEGMENT_TOKEN, 'must be 1–100 characters without "|" or surrounding spaces').describe("The value added to members' attribute."),
  schedule: z
    .string()
    .regex(SCHEDULE_EXPRESSION, "must be an EventBridge Scheduler cron(...), rate(...) or at(...) expression")
    .default("cron(0 2 * * ? *)")
    .describe("When the segment runs (EventBridge Scheduler expression)."),
  timeZone: z.string().refine(isTimeZone, "must be an IANA time zone, e.g. Europe/Paris").default("UTC").describe("The schedule's time zone."),
  enabled: z.boolean().default(true).describe("Whether the schedule is enabled (a disabled segment can still be run by hand)."),
  attribute: z.string().min(1).max(50).optional().describe("The attribute holding the token; default attributeName."),
  memberKey: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,255}$/, "must be a Customer Profiles search key name")
    .optional()
    .describe("customer-profiles only: the search key member_id holds (_email, _phone, _profileId or a domain key); default memberKey."),
});
export type AdvancedSegment = z.output<typeof SEGMENT>;

/** The settings both targets share. */
const SHARED = {
  segments: z
    .array(SEGMENT)
    .min(1, "list at least one segment")
    .superRefine((segments, ctx) => {
      segments.forEach(({ name }, i) => {
        if (segments.findIndex((other) => other.name === name) < i) ctx.addIssue({ code: "custom", path: [i, "name"], message: `"${name}" is listed twice` });
      });
    })
    .describe("The segments {name, sql, token, schedule, timeZone, enabled, attribute, memberKey}."),
  attributeName: z.string().min(1).max(50).default("AdvancedSegmentTarget").describe("The attribute holding the segment tokens (the seed's README name)."),
  database: passThrough(z.string().regex(GLUE_NAME, "must be a Glue database name (lower-case letters, digits, _)")).describe("The Glue database the queries run in."),
  tables: z
    .array(z.string().regex(GLUE_NAME, "must be a Glue table name (lower-case letters, digits, _)"))
    .min(1, "name the tables the segment queries read")
    .describe("The Glue tables the queries may read (read-only grants on exactly these)."),
  dataLocations: z
    .array(z.string().regex(S3_LOCATION, 'must be an S3 location "s3://bucket/prefix/" (ending in "/")'))
    .min(1, "name the S3 locations of the tables")
    .describe('The tables\' S3 locations ("s3://bucket/prefix/"): read-only grants on exactly these.'),
  dataKmsKeyArns: z.array(z.string().regex(KMS_KEY_ARN, "must be a KMS key ARN")).default([]).describe("KMS keys of SSE-KMS data-lake objects (Decrypt only)."),
  bytesScannedCutoffPerQuery: z
    .int()
    .min(10_000_000)
    .max(Number.MAX_SAFE_INTEGER)
    .default(100_000_000_000)
    .describe("The workgroup's data-scanned limit per query, bytes (Athena's minimum is 10 MB); a query over it is cancelled."),
  resultRetentionDays: z.int().min(1).max(365).default(7).describe("Days query results, change files and map results are kept."),
  pollIntervalSeconds: z.int().min(1).max(300).default(15).describe("Seconds between two checks of the query."),
  maxPolls: z.int().min(1).max(10_000).default(240).describe("Checks before a still-running query is stopped and the run fails."),
  executionTimeoutSeconds: z.int().min(300).max(31_536_000).default(86_400).describe("TimeoutSeconds of a whole run."),
  applyConcurrency: z.int().min(1).max(1000).default(4).describe("Change files (of up to 1000 changes) applied at once."),
  writeConcurrency: z.int().min(1).max(100).default(5).describe("People located and written at once within one change file."),
  differTimeoutSeconds: z.int().min(180).max(900).default(900).describe("Differ timeout, seconds (it pauses 90 s before and is invoked again)."),
  differMemorySizeMb: z.int().min(128).max(10240).default(512).describe("Differ memory, MB."),
  applierTimeoutSeconds: z.int().min(30).max(900).default(300).describe("Applier timeout, seconds (one change file per invocation)."),
  applierMemorySizeMb: z.int().min(128).max(10240).default(256).describe("Applier memory, MB."),
  existingNotificationTopicArn: passThrough(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, "must be an SNS topic ARN"))
    .optional()
    .describe("Publish the success and failure notices to this topic. Default: create one."),
  existingNotificationTopicKmsKeyArn: passThrough(z.string().regex(KMS_KEY_ARN, "must be a KMS key ARN")).optional().describe("The KMS key of existingNotificationTopicArn, if it is encrypted with one."),
  forceDestroyResults: z.boolean().default(false).describe("Let `pulumi destroy` delete the results bucket while it holds objects."),
};

const TARGET = "Where the token is written: customer-profiles (profile attributes) or pinpoint (legacy endpoint attributes).";

/** #10's settings, declared once: the component's arguments and validation, the stack config and the docs come from here. */
export const ADVANCED_SEGMENTATION = defineContract(
  "AdvancedSegmentation",
  z
    .discriminatedUnion("target", [
      z.strictObject({
        target: z.literal(SEGMENT_TARGETS[0]).default(SEGMENT_TARGETS[0]).describe(TARGET),
        ...SHARED,
        profilesDomainName: passThrough(z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be a Customer Profiles domain name")).describe("The Customer Profiles domain holding the profiles."),
        memberKey: z.string().regex(/^[A-Za-z0-9_.-]{1,255}$/, "must be a Customer Profiles search key name").default("_profileId").describe("The search key member_id holds, unless a segment names its own."),
      }),
      z.strictObject({
        target: z.literal(SEGMENT_TARGETS[1]).describe(TARGET),
        ...SHARED,
        pinpointApplicationId: passThrough(z.string().regex(/^[A-Za-z0-9]{1,64}$/, "must be a Pinpoint project id")).describe("The Pinpoint project whose endpoints (member_id = endpoint ID) get the token."),
      }),
    ])
    .superRefine((s, ctx) => {
      if (s.target !== "pinpoint") return;
      s.segments.forEach((segment, i) => {
        if (segment.memberKey !== undefined) ctx.addIssue({ code: "custom", path: ["segments", i, "memberKey"], message: "applies to customer-profiles only (pinpoint members are endpoint IDs)" });
      });
    }),
);

export type AdvancedSegmentationArgs = ContractArgs<typeof ADVANCED_SEGMENTATION.settings> & PlatformArgs;
type Settings = ContractSettings<typeof ADVANCED_SEGMENTATION.settings>;

/** A data-lake location as IAM resources: its bucket, and its objects' prefix. */
export function dataLakeLocation(location: string): { bucket: string; prefix: string } {
  const match = S3_LOCATION.exec(location);
  if (!match) throw new Error(`not an S3 location: ${location}`);
  return { bucket: match[1], prefix: match[2] };
}

/**
 * Architecture #10, Advanced Segmentation: per segment, an EventBridge Scheduler schedule starts a
 * Standard state machine that runs the segment's SQL in a dedicated Athena workgroup, diffs the
 * result with the stored members (DynamoDB), adds the segment's token to joiners and removes it
 * from leavers through the shared attribute store (Customer Profiles, or Pinpoint endpoints), and
 * publishes a notice on success or failure.
 */
export class AdvancedSegmentation extends pulumi.ComponentResource {
  public readonly key: aws.kms.Key;
  public readonly resultsBucket: aws.s3.Bucket;
  public readonly workgroup: aws.athena.Workgroup;
  public readonly membersTable: aws.dynamodb.Table;
  public readonly notificationTopicArn: pulumi.Output<string>;
  public readonly differ: aws.lambda.Function;
  public readonly applier: aws.lambda.Function;
  public readonly stateMachine: aws.sfn.StateMachine;
  public readonly stateMachineRole: aws.iam.Role;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly schedules: aws.scheduler.Schedule[];
  public readonly scheduleRole: aws.iam.Role;
  /** Where a schedule's StartExecution goes when every retry failed. */
  public readonly scheduleDeadLetterQueue: aws.sqs.Queue;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];
  public readonly dashboard: aws.cloudwatch.Dashboard | undefined;

  constructor(name: string, args: AdvancedSegmentationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("due:segments:AdvancedSegmentation", name, {}, opts);
    const settings = resolveSettings(ADVANCED_SEGMENTATION, args);
    const arn = arnBuilder({ parent: this });

    // Query results and change files name people: encrypted with a key of their own, kept briefly.
    this.key = createServiceKey(`${name}-key`, "Encrypts advanced segmentation query results and change files", [], { parent: this });
    const results = new SecureBucket(
      `${name}-results`,
      {
        kmsKeyArn: this.key.arn,
        // Transient data: no versions to keep.
        versioning: false,
        lifecycleRules: Object.entries(SEGMENT_RESULT_PREFIXES).map(([id, prefix]) => ({ id, prefix, expirationDays: settings.resultRetentionDays })),
        forceDestroy: settings.forceDestroyResults,
      },
      { parent: this },
    );
    this.resultsBucket = results.bucket;
    const bucketArn = this.resultsBucket.arn;

    this.workgroup = new aws.athena.Workgroup(
      `${name}-workgroup`,
      {
        name: stableName(`${name}-segments`, 128),
        description: "Advanced segmentation queries",
        // Deleting the workgroup deletes only its saved query history.
        forceDestroy: true,
        configuration: {
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          bytesScannedCutoffPerQuery: settings.bytesScannedCutoffPerQuery,
          engineVersion: { selectedEngineVersion: "Athena engine version 3" },
          resultConfiguration: {
            outputLocation: pulumi.interpolate`s3://${this.resultsBucket.bucket}/${SEGMENT_RESULT_PREFIXES.athena}`,
            encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: this.key.arn },
            expectedBucketOwner: arn.accountId,
          },
        },
      },
      { parent: this, dependsOn: results.ready },
    );
    const workgroupArn = arn("athena", pulumi.interpolate`workgroup/${this.workgroup.name}`);

    this.membersTable = new aws.dynamodb.Table(
      `${name}-members`,
      {
        name: boundedName(`${name}-members`, NAME_LIMITS.dynamodbTable),
        billingMode: "PAY_PER_REQUEST",
        hashKey: SEGMENT_MEMBERS_TABLE.partitionKey,
        rangeKey: SEGMENT_MEMBERS_TABLE.sortKey,
        attributes: [
          { name: SEGMENT_MEMBERS_TABLE.partitionKey, type: "S" },
          { name: SEGMENT_MEMBERS_TABLE.sortKey, type: "S" },
        ],
        serverSideEncryption: { enabled: true },
        pointInTimeRecovery: { enabled: true },
        deletionProtectionEnabled: args.tableDeletionProtection ?? false,
      },
      { parent: this },
    );

    const topic = domainEventsTopic(
      `${name}-notifications`,
      { displayName: "Advanced segmentation runs", existingTopicArn: settings.existingNotificationTopicArn, existingKmsKeyArn: settings.existingNotificationTopicKmsKeyArn },
      this,
    );
    this.notificationTopicArn = topic.topicArn;

    const differ = new BundledFunction(
      `${name}-differ`,
      {
        handler: DIFFER,
        description: "Diffs a segment query's result with the stored members and writes the change files",
        timeoutSeconds: settings.differTimeoutSeconds,
        memorySizeMb: settings.differMemorySizeMb,
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        environment: environmentFor(DIFFER, {
          RESULTS_BUCKET: this.resultsBucket.bucket,
          CHANGES_PREFIX: SEGMENT_RESULT_PREFIXES.changes,
          MEMBERS_TABLE_NAME: this.membersTable.name,
        }),
        policyStatements: segmentDifferStatements({ workgroupArn, bucketArn, keyArn: this.key.arn, tableArn: this.membersTable.arn }),
      },
      { parent: this },
    );
    this.differ = differ.function;

    const store = storeOf(settings);
    const applier = new BundledFunction(
      `${name}-applier`,
      {
        handler: APPLIER,
        description: "Adds or removes a segment token for the members of one change file",
        timeoutSeconds: settings.applierTimeoutSeconds,
        memorySizeMb: settings.applierMemorySizeMb,
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        environment: environmentFor(APPLIER, {
          RESULTS_BUCKET: this.resultsBucket.bucket,
          MEMBERS_TABLE_NAME: this.membersTable.name,
          ...attributeStoreEnvironment<pulumi.Input<string>>(
            store.target === "customerProfiles"
              ? { target: "customerProfiles", domainName: store.id, concurrency: settings.writeConcurrency }
              : { target: "pinpoint", applicationId: store.id, concurrency: settings.writeConcurrency },
          ),
        }),
        policyStatements: segmentApplierStatements({
          bucketArn,
          keyArn: this.key.arn,
          tableArn: this.membersTable.arn,
          targetStatements: ATTRIBUTE_STORE_IAM[store.target].map((s) => ({
            Sid: s.sid,
            Effect: "Allow" as const,
            Action: [...s.actions],
            Resource: pulumi.output(store.id).apply((id) => arn(s.service, s.resource(id))),
          })),
        }),
      },
      { parent: this },
    );
    this.applier = applier.function;

    // Explicit name, so the role's policy can name the state machine (the Distributed Map starts its own child executions).
    const stateMachineName = stableName(`${name}-runs`, 80);
    const stateMachineArn = arn("states", `stateMachine:${stateMachineName}`);
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-state-machine-logs`,
      { namePrefix: `/aws/vendedlogs/states/${name}-`, retentionInDays: args.logRetentionInDays ?? FUNCTION_DEFAULTS.logRetentionInDays },
      { parent: this },
    );
    this.stateMachineRole = new aws.iam.Role(
      `${name}-state-machine-role`,
      { name: boundedName(`${name}-state-machine-role`, NAME_LIMITS.iamRole), assumeRolePolicy: serviceTrustPolicy("states.amazonaws.com", arn.accountId, stateMachineArn) },
      { parent: this },
    );
    const tracing = (args.tracing ?? FUNCTION_DEFAULTS.tracing) === "Active";
    const stateMachinePolicy = new aws.iam.RolePolicy(
      `${name}-state-machine-policy`,
      {
        name: boundedName(`${name}-state-machine-policy`, NAME_LIMITS.iamRolePolicy),
        role: this.stateMachineRole.id,
        policy: policyDocument(
          segmentStateMachineStatements({
            settings,
            workgroupArn,
            catalogArn: arn("glue", "catalog"),
            glueArn: (resource) => arn("glue", resource),
            bucketArn,
            keyArn: this.key.arn,
            functionArns: [this.differ.arn, this.applier.arn],
            stateMachineArn,
            // The state machine's executions, and its Map Runs' child executions (execution:<name>/<map run>:<child>).
            executionsArns: [arn("states", `execution:${stateMachineName}:*`), arn("states", `execution:${stateMachineName}/*`)],
            topicArn: topic.topicArn,
            topicKeyArn: topic.keyArn,
            partition: arn.partition,
            tracing,
          }),
        ),
      },
      { parent: this },
    );
    const definition = pulumi
      .all([this.workgroup.name, settings.database, this.differ.arn, this.applier.arn, topic.topicArn, this.resultsBucket.bucket])
      .apply(([workGroup, database, differArn, applierArn, topicArn, resultsBucket]) =>
        JSON.stringify(
          segmentStateMachineDefinition({
            workGroup,
            database,
            catalog: GLUE_DATA_CATALOG,
            differArn,
            applierArn,
            topicArn,
            resultsBucket,
            mapResultsPrefix: SEGMENT_RESULT_PREFIXES.mapResults,
            pollIntervalSeconds: settings.pollIntervalSeconds,
            maxPolls: settings.maxPolls,
            differTimeoutSeconds: settings.differTimeoutSeconds + TASK_TIMEOUT_MARGIN_SECONDS,
            applierTimeoutSeconds: settings.applierTimeoutSeconds + TASK_TIMEOUT_MARGIN_SECONDS,
            applyConcurrency: settings.applyConcurrency,
            executionTimeoutSeconds: settings.executionTimeoutSeconds,
          }),
        ),
      );
    this.stateMachine = new aws.sfn.StateMachine(
      `${name}-state-machine`,
      {
        name: stateMachineName,
        type: "STANDARD",
        roleArn: this.stateMachineRole.arn,
        definition,
        // Errors only, without execution data: inputs and outputs stay out of the logs.
        loggingConfiguration: { level: "ERROR", includeExecutionData: false, logDestination: pulumi.interpolate`${this.logGroup.arn}:*` },
        tracingConfiguration: { enabled: tracing },
      },
      { parent: this, dependsOn: [stateMachinePolicy] },
    );

    // Schedules: one per segment, each starting the state machine with its segment's run input.
    const dlq = createAsyncFailureQueue(`${name}-schedule-dlq`, args.alarmActions, this);
    this.scheduleDeadLetterQueue = dlq.queue;
    const scheduleNames = settings.segments.map((segment) => stableName(`${name}-${segment.name}`, 64));
    this.scheduleRole = new aws.iam.Role(
      `${name}-schedule-role`,
      {
        name: boundedName(`${name}-schedule-role`, NAME_LIMITS.iamRole),
        // Only this component's schedules (in the default group) may use the role.
        assumeRolePolicy: policyDocument([
          {
            Effect: "Allow",
            Principal: { Service: "scheduler.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": arn.accountId }, ArnLike: { "aws:SourceArn": scheduleNames.map((n) => arn("scheduler", `schedule/default/${n}`)) } },
          },
        ]),
      },
      { parent: this },
    );
    const schedulePolicy = new aws.iam.RolePolicy(
      `${name}-schedule-policy`,
      {
        name: boundedName(`${name}-schedule-policy`, NAME_LIMITS.iamRolePolicy),
        role: this.scheduleRole.id,
        policy: policyDocument(segmentScheduleStatements(this.stateMachine.arn, dlq.queue.arn)),
      },
      { parent: this },
    );
    this.schedules = settings.segments.map(
      (segment, i) =>
        new aws.scheduler.Schedule(
          `${name}-${segment.name}-schedule`,
          {
            name: scheduleNames[i],
            description: `Advanced segmentation: runs segment ${segment.name}`,
            scheduleExpression: segment.schedule,
            scheduleExpressionTimezone: segment.timeZone,
            flexibleTimeWindow: { mode: "OFF" },
            state: segment.enabled ? "ENABLED" : "DISABLED",
            target: {
              arn: this.stateMachine.arn,
              roleArn: this.scheduleRole.arn,
              input: JSON.stringify(segmentRunInput(segmentRunOf(settings, segment))),
              retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
              deadLetterConfig: { arn: dlq.queue.arn },
            },
          },
          { parent: this, dependsOn: [schedulePolicy] },
        ),
    );

    this.alarms = [
      ...differ.alarms,
      ...applier.alarms,
      dlq.alarm,
      ...(["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"] as const).map((metricName) =>
        anyAboveZeroAlarm(
          `${name}-${metricName.replace("Executions", "executions-").toLowerCase()}`,
          {
            namespace: "AWS/States",
            metricName,
            dimensions: { StateMachineArn: this.stateMachine.arn },
            statistic: "Sum",
            description: pulumi.interpolate`Advanced segmentation runs of ${this.stateMachine.name}: ${metricName}`,
            alarmActions: args.alarmActions,
          },
          { parent: this },
        ),
      ),
    ];

    dataFlow(external("EventBridge Scheduler (one schedule per segment)"), this.stateMachine, "segment runs");
    dataFlow(this.stateMachine, this.workgroup, "segment queries");
    dataFlow(external("Data lake (Glue tables on S3)"), this.workgroup, "rows");
    dataFlow(this.workgroup, this.resultsBucket, "query results");
    dataFlow(this.stateMachine, this.differ, "diff invocations");
    dataFlow(this.resultsBucket, this.differ, "result pages");
    dataFlow(this.membersTable, this.differ, "previous members");
    dataFlow(this.differ, this.resultsBucket, "change files");
    dataFlow(this.stateMachine, this.applier, "one change file per child execution");
    dataFlow(this.applier, external(store.target === "customerProfiles" ? "Customer Profiles (SearchProfiles, UpdateProfile)" : "Pinpoint endpoints (GetEndpoint, UpdateEndpointsBatch)"), "token added / removed");
    dataFlow(this.applier, this.membersTable, "applied changes");
    dataFlow(this.stateMachine, external("SNS notices"), "success / failure");

    this.dashboard = architectureDashboard(
      name,
      args,
      { failureQueues: [dlq.queue], stateMachines: [this.stateMachine], functions: [dashboardFunction(differ, DIFFER), dashboardFunction(applier, APPLIER)] },
      this,
    );
    this.registerOutputs({
      key: this.key,
      resultsBucket: this.resultsBucket,
      workgroup: this.workgroup,
      membersTable: this.membersTable,
      notificationTopicArn: this.notificationTopicArn,
      differ: this.differ,
      applier: this.applier,
      stateMachine: this.stateMachine,
      schedules: this.schedules,
      scheduleDeadLetterQueue: this.scheduleDeadLetterQueue,
      alarms: this.alarms,
      dashboard: this.dashboard,
    });
  }
}

/** The attribute store's target and the id (domain name or Pinpoint project) its grants and environment name. */
function storeOf(settings: Settings): { target: "customerProfiles" | "pinpoint"; id: pulumi.Input<string> } {
  return settings.target === "pinpoint" ? { target: "pinpoint", id: settings.pinpointApplicationId } : { target: "customerProfiles", id: settings.profilesDomainName };
}

/** A segment's run input: its wrapped query, token, attribute and member key. */
export function segmentRunOf(settings: Settings, segment: AdvancedSegment) {
  return {
    name: segment.name,
    token: segment.token,
    attribute: segment.attribute ?? settings.attributeName,
    memberKey: settings.target === "pinpoint" ? ENDPOINT_ID : (segment.memberKey ?? settings.memberKey),
    queryString: wrapSegmentQuery(segment.sql),
  };
}

export function segmentDifferStatements(r: { workgroupArn: pulumi.Input<string>; bucketArn: pulumi.Input<string>; keyArn: pulumi.Input<string>; tableArn: pulumi.Input<string> }): PolicyStatement[] {
  return [
    { Sid: "ReadQueryResults", Effect: "Allow", Action: "athena:GetQueryResults", Resource: r.workgroupArn },
    // GetQueryResults reads the result file from S3 with the caller's credentials.
    { Sid: "ReadResultFiles", Effect: "Allow", Action: "s3:GetObject", Resource: pulumi.interpolate`${r.bucketArn}/${SEGMENT_RESULT_PREFIXES.athena}*` },
    // The change files, and the cursor a paused diff saves beside them.
    { Sid: "WriteChangeFiles", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: pulumi.interpolate`${r.bucketArn}/${SEGMENT_RESULT_PREFIXES.changes}*` },
    { Sid: "UseResultsKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: r.keyArn },
    { Sid: "ReadMembers", Effect: "Allow", Action: "dynamodb:Query", Resource: r.tableArn },
  ];
}

export function segmentApplierStatements(r: {
  bucketArn: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  tableArn: pulumi.Input<string>;
  targetStatements: PolicyStatement[];
}): PolicyStatement[] {
  return [
    { Sid: "ReadChangeFiles", Effect: "Allow", Action: "s3:GetObject", Resource: pulumi.interpolate`${r.bucketArn}/${SEGMENT_RESULT_PREFIXES.changes}*` },
    { Sid: "DecryptChangeFiles", Effect: "Allow", Action: "kms:Decrypt", Resource: r.keyArn },
    { Sid: "RecordMembers", Effect: "Allow", Action: ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"], Resource: r.tableArn },
    ...r.targetStatements,
  ];
}

export function segmentScheduleStatements(stateMachineArn: pulumi.Input<string>, deadLetterQueueArn: pulumi.Input<string>): PolicyStatement[] {
  return [
    { Sid: "StartSegmentRuns", Effect: "Allow", Action: "states:StartExecution", Resource: stateMachineArn },
    { Sid: "SendToDeadLetterQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: deadLetterQueueArn },
  ];
}

/**
 * The state machine role: Athena in its workgroup, and what Athena then does with the caller's
 * credentials (Glue reads of the named database and tables, S3 reads of the named locations, writes
 * of the results prefix); the two handlers; the Distributed Map (its child executions, listing the
 * change files, writing its run results); the notices; log delivery and traces.
 */
export function segmentStateMachineStatements(r: {
  settings: Pick<Settings, "database" | "tables" | "dataLocations" | "dataKmsKeyArns">;
  workgroupArn: pulumi.Input<string>;
  catalogArn: pulumi.Input<string>;
  glueArn: (resource: pulumi.Input<string>) => pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  functionArns: pulumi.Input<string>[];
  stateMachineArn: pulumi.Input<string>;
  executionsArns: pulumi.Input<string>[];
  topicArn: pulumi.Input<string>;
  topicKeyArn: pulumi.Input<string> | undefined;
  partition: pulumi.Input<string>;
  tracing: boolean;
}): PolicyStatement[] {
  const { database, tables, dataLocations, dataKmsKeyArns } = r.settings;
  const locations = dataLocations.map(dataLakeLocation);
  const buckets = [...new Set(locations.map((l) => l.bucket))];
  const bucket = (name: string) => pulumi.interpolate`arn:${r.partition}:s3:::${name}`;
  const statements: PolicyStatement[] = [
    {
      Sid: "RunSegmentQueries",
      Effect: "Allow",
      Action: ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:StopQueryExecution"],
      Resource: r.workgroupArn,
    },
    {
      Sid: "ReadCatalog",
      Effect: "Allow",
      Action: ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions"],
      Resource: [r.catalogArn, r.glueArn(pulumi.interpolate`database/${database}`), ...tables.map((t) => r.glueArn(pulumi.interpolate`table/${database}/${t}`))],
    },
    { Sid: "ReadDataLake", Effect: "Allow", Action: "s3:GetObject", Resource: locations.map((l) => pulumi.interpolate`${bucket(l.bucket)}/${l.prefix}*`) },
    ...buckets.map(
      (name, i): PolicyStatement => ({
        Sid: `ListDataLake${i}`,
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:GetBucketLocation"],
        Resource: bucket(name),
        Condition: { StringLike: { "s3:prefix": locations.filter((l) => l.bucket === name).map((l) => `${l.prefix}*`) } },
      }),
    ),
    ...(dataKmsKeyArns.length === 0 ? [] : [{ Sid: "DecryptDataLake", Effect: "Allow" as const, Action: "kms:Decrypt", Resource: dataKmsKeyArns }]),
    {
      Sid: "WriteQueryResults",
      Effect: "Allow",
      Action: ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"],
      Resource: pulumi.interpolate`${r.bucketArn}/${SEGMENT_RESULT_PREFIXES.athena}*`,
    },
    {
      Sid: "ListResults",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
      Resource: r.bucketArn,
      Condition: { StringLike: { "s3:prefix": [`${SEGMENT_RESULT_PREFIXES.athena}*`, `${SEGMENT_RESULT_PREFIXES.changes}*`] } },
    },
    {
      Sid: "WriteMapResults",
      Effect: "Allow",
      Action: ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject"],
      Resource: pulumi.interpolate`${r.bucketArn}/${SEGMENT_RESULT_PREFIXES.mapResults}*`,
    },
    { Sid: "UseResultsKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: r.keyArn },
    { Sid: "InvokeHandlers", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: r.functionArns.flatMap((a) => [a, pulumi.interpolate`${a}:*`]) },
    { Sid: "StartChangeFileExecutions", Effect: "Allow", Action: "states:StartExecution", Resource: r.stateMachineArn },
    { Sid: "ManageChangeFileExecutions", Effect: "Allow", Action: ["states:DescribeExecution", "states:StopExecution"], Resource: r.executionsArns },
    { Sid: "PublishNotices", Effect: "Allow", Action: "sns:Publish", Resource: r.topicArn },
    ...(r.topicKeyArn === undefined ? [] : [{ Sid: "EncryptNotices", Effect: "Allow" as const, Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: r.topicKeyArn }]),
    {
      // Log delivery actions support no resource-level permissions.
      Sid: "DeliverLogs",
      Effect: "Allow",
      Action: [
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
      ],
      Resource: "*",
    },
  ];
  if (r.tracing) {
    statements.push({
      Sid: "WriteTraces",
      Effect: "Allow",
      Action: ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"],
      Resource: "*",
    });
  }
  return statements;
}
