import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import { PROCESSOR } from "../../functions/pinpoint-event-processing/contract";
import { CONTACT_TABLE, IDEMPOTENCY_TABLE } from "../../functions/shared/tables";
import { defineContract, environmentFor, passThrough, resolveSettings, type ContractArgs, type ContractSettings } from "../kit/contract";
import {
  accountContext,
  BundledFunction,
  createAsyncFailureQueue,
  createTable,
  FUNCTION_DEFAULTS,
  functionPlatform,
  boundedName,
  NAME_LIMITS,
  PlatformArgs,
  policyDocument,
  PolicyStatement,
  SecureBucket,
  serviceTrustPolicy,
  tableArnFromName,
} from "../shared";
import { SES_EVENT_PROCESSING, SesEventProcessing, feedbackServiceStatements } from "./ses-event-processing";

/** Where Firehose writes event objects (the processor is notified for this prefix only). */
export const EVENTS_PREFIX = "events/";
/** Where Firehose writes records it could not deliver (never sent to the processor). */
export const ERRORS_PREFIX = "errors/";

/** #1's settings: what the "configuration-set" target hands to the composed #1 is declared, typed and checked as #1 declares it. */
const SES = SES_EVENT_PROCESSING.settings.shape;

const TARGET =
  'Which services to build on: "configuration-set" (supported) composes #1, fed by the SES configuration set Pinpoint email was sent with; ' +
  "\"pinpoint\" (legacy; Pinpoint's engagement features end 2026-10-30) streams the Pinpoint project's events through Firehose and S3 to a processor.";

/** Settings of both targets. */
const BOTH_TARGETS = {
  existingContactTableName: SES.existingContactTableName,
  complaintExemptFeedbackTypes: SES.complaintExemptFeedbackTypes,
  memorySizeMb: SES.memorySizeMb,
};

/** #4's settings, declared once: the component's arguments and validation, the stack config and the docs come from here. */
export const PINPOINT_EVENT_PROCESSING = defineContract(
  "PinpointEventProcessing",
  z.discriminatedUnion(
    "target",
    [
      z.strictObject({
        target: z.literal("configuration-set").default("configuration-set").describe(TARGET),
        configurationSetName: SES.existingConfigurationSetName.describe(
          "The existing SES configuration set the Pinpoint email was sent with (#1 adds its event destination). Default: #1 creates one.",
        ),
        enableAccountSuppression: SES.enableAccountSuppression,
        ...BOTH_TARGETS,
        timeoutSeconds: SES.timeoutSeconds,
      }),
      z
        .strictObject({
          target: z.literal("pinpoint").describe(TARGET),
          existingPinpointApplicationId: passThrough(z.string().regex(/^[a-f0-9]{32}$/, "must be a 32-character hexadecimal Pinpoint project id"))
            .optional()
            .describe("The Pinpoint project whose events are streamed. A project has ONE event stream: this replaces it, and destroying the stack removes it."),
          createPinpointApplication: z.boolean().default(false).describe("Create a Pinpoint project (not possible for accounts new to Pinpoint since 2025)."),
          pinpointApplicationName: passThrough(z.string().min(1)).optional().describe("Name of the created project. Default: autonamed."),
          bufferIntervalSeconds: z.int().min(60).max(900).default(300).describe("Firehose buffering interval, seconds."),
          bufferSizeMb: z.int().min(1).max(128).default(5).describe("Firehose buffering size, MB."),
          eventRetentionDays: z
            .int()
            .min(1)
            .max(3650)
            .default(90)
            .describe("Days event objects are kept (STANDARD_IA after 30 days when kept over 60); delivery errors are kept at most 30."),
          forceDestroyBucket: z.boolean().default(false).describe("Allow `pulumi destroy` to delete the non-empty events bucket."),
          ...BOTH_TARGETS,
          timeoutSeconds: z.int().min(1).max(900).default(300).describe("Processor timeout, seconds (it reads objects up to the buffer size)."),
        })
        .superRefine((c, ctx) => {
          const issue = (key: string, message: string) => ctx.addIssue({ code: "custom", path: [key], message });
          const existing = c.existingPinpointApplicationId !== undefined;
          if (existing && c.createPinpointApplication) issue("createPinpointApplication", "set either existingPinpointApplicationId or createPinpointApplication, not both");
          if (!existing && !c.createPinpointApplication) issue("existingPinpointApplicationId", 'target "pinpoint" needs existingPinpointApplicationId or createPinpointApplication: true');
          if (c.pinpointApplicationName !== undefined && !c.createPinpointApplication) issue("pinpointApplicationName", "applies only with createPinpointApplication: true");
        }),
    ],
    { error: (issue) => (issue.code === "invalid_union" ? 'must be "configuration-set" (the default) or "pinpoint"' : undefined) },
  ),
);

export type PinpointEventProcessingArgs = ContractArgs<typeof PINPOINT_EVENT_PROCESSING.settings> & PlatformArgs;
type Settings = ContractSettings<typeof PINPOINT_EVENT_PROCESSING.settings>;
export type PinpointEventProcessingTarget = Settings["target"];

/** What one target builds: its function and alarms, and that target's own resources (the other's stay undefined). */
type TargetParts = Pick<PinpointEventProcessing, "function" | "logGroup" | "alarms"> &
  Partial<Pick<PinpointEventProcessing, "sesEventProcessing" | "applicationId" | "application" | "eventStream" | "deliveryStream" | "bucket" | "failureQueue">>;

/**
 * Architecture #4, Pinpoint Event Processing: suppress addresses that hard-bounce or complain on
 * email sent through Pinpoint. Default: reuse #1 fed by the configuration set. Legacy: the seed's
 * event stream → Firehose → S3 → Lambda path, with the seed's bugs fixed.
 */
export class PinpointEventProcessing extends pulumi.ComponentResource {
  public readonly target: PinpointEventProcessingTarget;
  /** The processing function (#1's processor, or the legacy S3-triggered one). */
  public readonly function: aws.lambda.Function;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  /** "configuration-set": the composed #1 component. */
  public readonly sesEventProcessing: SesEventProcessing | undefined;
  /** Legacy: the Pinpoint project id (created or existing). */
  public readonly applicationId: pulumi.Output<string> | undefined;
  /** Legacy: the created Pinpoint project. */
  public readonly application: aws.pinpoint.App | undefined;
  public readonly eventStream: aws.pinpoint.EventStream | undefined;
  public readonly deliveryStream: aws.kinesis.FirehoseDeliveryStream | undefined;
  public readonly bucket: aws.s3.Bucket | undefined;
  /** Legacy: S3 events whose processing failed every retry. */
  public readonly failureQueue: aws.sqs.Queue | undefined;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];

  constructor(name: string, args: PinpointEventProcessingArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("due:email:PinpointEventProcessing", name, {}, opts);
    const settings = resolveSettings(PINPOINT_EVENT_PROCESSING, args);
    this.target = settings.target;
    const parts = settings.target === "pinpoint" ? this.streamPinpointEvents(name, settings, args) : this.composeSesEventProcessing(name, settings, args);
    ({
      function: this.function,
      logGroup: this.logGroup,
      alarms: this.alarms,
      sesEventProcessing: this.sesEventProcessing,
      applicationId: this.applicationId,
      application: this.application,
      eventStream: this.eventStream,
      deliveryStream: this.deliveryStream,
      bucket: this.bucket,
      failureQueue: this.failureQueue,
    } = parts);
    // The other target's (undefined) fields are not registered.
    this.registerOutputs({
      function: this.function,
      logGroup: this.logGroup,
      sesEventProcessing: this.sesEventProcessing,
      applicationId: this.applicationId,
      eventStream: this.eventStream,
      deliveryStream: this.deliveryStream,
      bucket: this.bucket,
      failureQueue: this.failureQueue,
      alarms: this.alarms,
    });
  }

  /** "configuration-set": #1, composed as the only child, with the configuration set Pinpoint email used as its event source. */
  private composeSesEventProcessing(name: string, settings: Extract<Settings, { target: "configuration-set" }>, platform: PlatformArgs): TargetParts {
    const ses = new SesEventProcessing(
      `${name}-ses-events`,
      {
        existingConfigurationSetName: settings.configurationSetName,
        enableAccountSuppression: settings.enableAccountSuppression,
        existingContactTableName: settings.existingContactTableName,
        complaintExemptFeedbackTypes: settings.complaintExemptFeedbackTypes,
        timeoutSeconds: settings.timeoutSeconds,
        memorySizeMb: settings.memorySizeMb,
        ...functionPlatform(platform),
        alarmActions: platform.alarmActions,
        tableDeletionProtection: platform.tableDeletionProtection,
      },
      { parent: this },
    );
    return { sesEventProcessing: ses, function: ses.function, logGroup: ses.logGroup, alarms: ses.alarms };
  }

  /** "pinpoint" (legacy): the project's event stream → Firehose → S3 → the legacy processor. */
  private streamPinpointEvents(name: string, settings: Extract<Settings, { target: "pinpoint" }>, platform: PlatformArgs): TargetParts {
    const invokeOpts = { parent: this };
    const { identity, region, partition } = accountContext(invokeOpts);

    // Pinpoint project: existing or created.
    const application = settings.createPinpointApplication
      ? new aws.pinpoint.App(`${name}-app`, { name: settings.pinpointApplicationName }, { parent: this })
      : undefined;
    const applicationId = application ? application.applicationId : pulumi.output(settings.existingPinpointApplicationId!);

    const retention = settings.eventRetentionDays;
    const events = new SecureBucket(
      `${name}-events`,
      {
        forceDestroy: settings.forceDestroyBucket,
        lifecycleRules: [
          {
            id: "events",
            prefix: EVENTS_PREFIX,
            expirationDays: retention,
            ...(retention > 60 ? { transitionToInfrequentAccessDays: 30 } : {}),
          },
          { id: "delivery-errors", prefix: ERRORS_PREFIX, expirationDays: Math.min(retention, 30) },
        ],
      },
      { parent: this },
    );
    const bucket = events.bucket;

    // Firehose: its own error log, a role scoped to this bucket and that log stream.
    const firehoseLogs = new aws.cloudwatch.LogGroup(
      `${name}-firehose-logs`,
      { namePrefix: `/aws/kinesisfirehose/${name}-`, retentionInDays: platform.logRetentionInDays ?? FUNCTION_DEFAULTS.logRetentionInDays },
      { parent: this },
    );
    const firehoseLogStream = new aws.cloudwatch.LogStream(
      `${name}-firehose-log-stream`,
      { logGroupName: firehoseLogs.name, name: "S3Delivery" },
      { parent: this },
    );
    const firehoseRole = new aws.iam.Role(
      `${name}-firehose-role`,
      {
        name: boundedName(`${name}-firehose-role`, NAME_LIMITS.iamRole),
        // Firehose documents sts:ExternalId = the account id as its confused-deputy condition.
        // https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html
        assumeRolePolicy: policyDocument([
          {
            Effect: "Allow",
            Principal: { Service: "firehose.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "sts:ExternalId": identity.accountId } },
          },
        ]),
      },
      { parent: this },
    );
    const firehosePolicy = new aws.iam.RolePolicy(
      `${name}-firehose-policy`,
      {
        name: boundedName(`${name}-firehose-policy`, NAME_LIMITS.iamRolePolicy),
        role: firehoseRole.id,
        policy: policyDocument(
          firehoseDeliveryStatements({
            bucketArn: bucket.arn,
            logStreamArn: pulumi.interpolate`${firehoseLogs.arn}:log-stream:${firehoseLogStream.name}`,
          }),
        ),
      },
      { parent: this },
    );
    const deliveryStream = new aws.kinesis.FirehoseDeliveryStream(
      `${name}-delivery-stream`,
      {
        name: boundedName(`${name}-delivery-stream`, NAME_LIMITS.firehoseStream),
        destination: "extended_s3",
        serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
        extendedS3Configuration: {
          roleArn: firehoseRole.arn,
          bucketArn: bucket.arn,
          prefix: `${EVENTS_PREFIX}!{timestamp:yyyy/MM/dd/HH}/`,
          errorOutputPrefix: `${ERRORS_PREFIX}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/`,
          bufferingInterval: settings.bufferIntervalSeconds,
          bufferingSize: settings.bufferSizeMb,
          // The processor detects gzip by content and decompresses while streaming.
          compressionFormat: "GZIP",
          cloudwatchLoggingOptions: { enabled: true, logGroupName: firehoseLogs.name, logStreamName: firehoseLogStream.name },
        },
      },
      { parent: this, dependsOn: [firehosePolicy, ...events.ready] },
    );

    // Pinpoint → Firehose: a role Pinpoint may assume only for this project, in this account.
    const streamRole = new aws.iam.Role(
      `${name}-stream-role`,
      {
        name: boundedName(`${name}-stream-role`, NAME_LIMITS.iamRole),
        assumeRolePolicy: serviceTrustPolicy(
          "pinpoint.amazonaws.com",
          identity.accountId,
          pulumi.interpolate`arn:${partition.partition}:mobiletargeting:${region.region}:${identity.accountId}:apps/${applicationId}`,
        ),
      },
      { parent: this },
    );
    const streamPolicy = new aws.iam.RolePolicy(
      `${name}-stream-policy`,
      {
        name: boundedName(`${name}-stream-policy`, NAME_LIMITS.iamRolePolicy),
        role: streamRole.id,
        policy: policyDocument([
          {
            Sid: "PutEvents",
            Effect: "Allow",
            Action: ["firehose:PutRecordBatch", "firehose:DescribeDeliveryStream"],
            Resource: deliveryStream.arn,
          },
        ]),
      },
      { parent: this },
    );
    // A project has one event stream: this replaces the project's existing stream, if any.
    const eventStream = new aws.pinpoint.EventStream(
      `${name}-event-stream`,
      { applicationId, destinationStreamArn: deliveryStream.arn, roleArn: streamRole.arn },
      { parent: this, dependsOn: [streamPolicy] },
    );

    // The contact table has #1's shape (and may be #1's own); the idempotency table is this processor's.
    const contactTable =
      settings.existingContactTableName === undefined
        ? createTable(`${name}-contacts`, { schema: CONTACT_TABLE, deletionProtection: platform.tableDeletionProtection }, { parent: this })
        : undefined;
    const contactTableName = contactTable ? contactTable.name : pulumi.output(settings.existingContactTableName!);
    const contactTableArn = contactTable ? contactTable.arn : tableArnFromName(contactTableName, invokeOpts);
    const idempotencyTable = createTable(
      `${name}-idempotency`,
      { schema: IDEMPOTENCY_TABLE, deletionProtection: platform.tableDeletionProtection },
      { parent: this },
    );

    const failures = createAsyncFailureQueue(`${name}-failures`, platform.alarmActions, this);

    const processor = new BundledFunction(
      `${name}-processor`,
      {
        handler: PROCESSOR,
        description: "Suppresses hard-bounced and complaining addresses from Pinpoint event-stream objects",
        timeoutSeconds: settings.timeoutSeconds,
        memorySizeMb: settings.memorySizeMb,
        ...functionPlatform(platform),
        alarmActions: platform.alarmActions,
        asyncMaximumRetryAttempts: 2,
        onFailureQueueArn: failures.queue.arn,
        environment: environmentFor(PROCESSOR, {
          CONTACT_TABLE_NAME: contactTableName,
          IDEMPOTENCY_TABLE_NAME: idempotencyTable.name,
          COMPLAINT_EXEMPT_FEEDBACK_TYPES: settings.complaintExemptFeedbackTypes.join(","),
        }),
        policyStatements: pinpointEventProcessorStatements({
          bucketArn: bucket.arn,
          contactTableArn,
          idempotencyTableArn: idempotencyTable.arn,
        }),
      },
      { parent: this },
    );

    const permission = new aws.lambda.Permission(
      `${name}-s3-invoke-permission`,
      {
        statementId: boundedName(`${name}-s3-invoke-permission`, NAME_LIMITS.lambdaStatementId),
        action: "lambda:InvokeFunction",
        function: processor.function.name,
        principal: "s3.amazonaws.com",
        sourceArn: bucket.arn,
        sourceAccount: identity.accountId,
      },
      { parent: this },
    );
    // S3 validates the destination when the notification is saved: depend on the permission.
    new aws.s3.BucketNotification(
      `${name}-notification`,
      {
        bucket: bucket.id,
        lambdaFunctions: [{ lambdaFunctionArn: processor.function.arn, events: ["s3:ObjectCreated:*"], filterPrefix: EVENTS_PREFIX }],
      },
      { parent: this, dependsOn: [permission, ...events.ready] },
    );

    return {
      function: processor.function,
      logGroup: processor.logGroup,
      alarms: [failures.alarm, ...processor.alarms],
      applicationId,
      application,
      eventStream,
      deliveryStream,
      bucket,
      failureQueue: failures.queue,
    };
  }
}

/** Firehose → S3 (the documented action set, on this bucket and its objects only) and its error log stream. */
export function firehoseDeliveryStatements(resources: {
  bucketArn: pulumi.Input<string>;
  logStreamArn: pulumi.Input<string>;
}): PolicyStatement[] {
  return [
    {
      Sid: "DeliverToBucket",
      Effect: "Allow",
      Action: [
        "s3:AbortMultipartUpload",
        "s3:GetBucketLocation",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:ListBucketMultipartUploads",
        "s3:PutObject",
      ],
      Resource: [resources.bucketArn, pulumi.interpolate`${resources.bucketArn}/*`],
    },
    { Sid: "LogDeliveryErrors", Effect: "Allow", Action: "logs:PutLogEvents", Resource: resources.logStreamArn },
  ];
}

/** The legacy processor's exact permissions: read event objects, suppress, and write its two tables. */
export function pinpointEventProcessorStatements(resources: {
  bucketArn: pulumi.Input<string>;
  contactTableArn: pulumi.Input<string>;
  idempotencyTableArn: pulumi.Input<string>;
}): PolicyStatement[] {
  return [
    {
      // The bucket is versioned, so notifications carry a versionId and reads are GetObjectVersion.
      Sid: "ReadEventObjects",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: pulumi.interpolate`${resources.bucketArn}/${EVENTS_PREFIX}*`,
    },
    ...feedbackServiceStatements(resources),
  ];
}
