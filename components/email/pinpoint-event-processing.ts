import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CONTACT_TABLE, IDEMPOTENCY_TABLE } from "../../functions/shared/tables";
import {
  accountContext,
  ArgumentErrors,
  BundledFunction,
  createTable,
  functionPlatform,
  boundedName,
  isKnown,
  NAME_LIMITS,
  PlatformArgs,
  policyDocument,
  PolicyStatement,
  SecureBucket,
  serviceTrustPolicy,
  tableArnFromName,
} from "../shared";
import { createAsyncFailureQueue } from "../shared";
import { SesEventProcessing, feedbackServiceStatements } from "./ses-event-processing";

export type PinpointEventSource = "configuration-set" | "pinpoint-event-stream";

/** Where Firehose writes event objects (the processor is notified for this prefix only). */
export const EVENTS_PREFIX = "events/";
/** Where Firehose writes records it could not deliver (never sent to the processor). */
export const ERRORS_PREFIX = "errors/";

export interface PinpointEventProcessingArgs extends PlatformArgs {
  /**
   * "configuration-set" (default, supported): the SES configuration set Pinpoint email was sent
   * with publishes BOUNCE and COMPLAINT to architecture #1's pipeline, composed as a child.
   * "pinpoint-event-stream" (legacy, Pinpoint engagement features end 2026-10-30): the Pinpoint
   * project's event stream → Firehose → S3 → the legacy processor Lambda.
   */
  source?: PinpointEventSource;

  // --- "configuration-set" --------------------------------------------------------------------
  /** The existing SES configuration set the Pinpoint email was sent with. Default: #1 creates one. */
  configurationSetName?: pulumi.Input<string>;
  /** Turn on account-level suppression for BOUNCE and COMPLAINT (account-wide). Default false. */
  enableAccountSuppression?: boolean;

  // --- "pinpoint-event-stream" (legacy) -------------------------------------------------------
  /**
   * The existing Pinpoint project whose events are streamed. A project has ONE event stream: this
   * replaces any stream the project already has, and destroying the stack removes it.
   * Mutually exclusive with `createPinpointApplication`.
   */
  existingPinpointApplicationId?: pulumi.Input<string>;
  /** Create a Pinpoint project (not possible for accounts new to Pinpoint since 2025). Default false. */
  createPinpointApplication?: boolean;
  /** Name of the created project. Default: autonamed. */
  pinpointApplicationName?: pulumi.Input<string>;
  /** Firehose buffering interval, 60–900 s. Default 300. */
  bufferIntervalSeconds?: number;
  /** Firehose buffering size, 1–128 MB. Default 5. */
  bufferSizeMb?: number;
  /**
   * Days event objects are kept (a STANDARD_IA transition after 30 days applies when kept longer
   * than 60; S3 skips objects under 128 KB by default, so small deliveries stay in STANDARD). Default 90.
   */
  eventRetentionDays?: number;
  /** Allow `pulumi destroy` to delete the non-empty events bucket. Default false. */
  forceDestroyBucket?: boolean;

  // --- Both -----------------------------------------------------------------------------------
  /** Existing contact-status table (partition key `emailAddress`, S), e.g. #1's. Default: created. */
  existingContactTableName?: pulumi.Input<string>;
  /** Complaint feedback types that do not suppress. Default ["not-spam"]. */
  complaintExemptFeedbackTypes?: string[];
  /** Processor timeout. Default 60 s ("configuration-set") or 300 s ("pinpoint-event-stream", objects up to the buffer size). */
  timeoutSeconds?: number;
  /** Processor memory. Default 256 MB. */
  memorySizeMb?: number;
}

/**
 * Architecture #4, Pinpoint Event Processing: suppress addresses that hard-bounce or complain on
 * email sent through Pinpoint. Default: reuse #1 fed by the configuration set. Legacy: the seed's
 * event stream → Firehose → S3 → Lambda path, with the seed's bugs fixed.
 */
export class PinpointEventProcessing extends pulumi.ComponentResource {
  public readonly source: PinpointEventSource;
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
    validatePinpointEventProcessingArgs(args);
    this.source = args.source ?? "configuration-set";
    // Settings both sources hand to their function.
    const functionSettings = {
      memorySizeMb: args.memorySizeMb,
      ...functionPlatform(args),
      alarmActions: args.alarmActions,
    };

    if (this.source === "configuration-set") {
      // Compose #1: the configuration set Pinpoint email used becomes #1's event source.
      const ses = new SesEventProcessing(
        `${name}-ses-events`,
        {
          ...functionSettings,
          complaintExemptFeedbackTypes: args.complaintExemptFeedbackTypes,
          tableDeletionProtection: args.tableDeletionProtection,
          existingConfigurationSetName: args.configurationSetName,
          existingContactTableName: args.existingContactTableName,
          enableAccountSuppression: args.enableAccountSuppression,
          timeoutSeconds: args.timeoutSeconds,
        },
        { parent: this },
      );
      this.sesEventProcessing = ses;
      this.function = ses.function;
      this.logGroup = ses.logGroup;
      this.alarms = ses.alarms;
      this.applicationId = undefined;
      this.application = undefined;
      this.eventStream = undefined;
      this.deliveryStream = undefined;
      this.bucket = undefined;
      this.failureQueue = undefined;
      this.registerOutputs({ function: this.function, logGroup: this.logGroup, sesEventProcessing: ses, alarms: this.alarms });
      return;
    }

    this.sesEventProcessing = undefined;
    const invokeOpts = { parent: this };
    const { identity, region, partition } = accountContext(invokeOpts);

    // Pinpoint project: existing or created.
    if (args.createPinpointApplication) {
      this.application = new aws.pinpoint.App(`${name}-app`, { name: args.pinpointApplicationName }, { parent: this });
      this.applicationId = this.application.applicationId;
    } else {
      this.application = undefined;
      this.applicationId = pulumi.output(args.existingPinpointApplicationId as pulumi.Input<string>);
    }

    const retention = args.eventRetentionDays ?? 90;
    const events = new SecureBucket(
      `${name}-events`,
      {
        forceDestroy: args.forceDestroyBucket ?? false,
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
    this.bucket = events.bucket;

    // Firehose: its own error log, a role scoped to this bucket and that log stream.
    const firehoseLogs = new aws.cloudwatch.LogGroup(
      `${name}-firehose-logs`,
      { namePrefix: `/aws/kinesisfirehose/${name}-`, retentionInDays: args.logRetentionInDays ?? 30 },
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
            bucketArn: this.bucket.arn,
            logStreamArn: pulumi.interpolate`${firehoseLogs.arn}:log-stream:${firehoseLogStream.name}`,
          }),
        ),
      },
      { parent: this },
    );
    this.deliveryStream = new aws.kinesis.FirehoseDeliveryStream(
      `${name}-delivery-stream`,
      {
        name: boundedName(`${name}-delivery-stream`, NAME_LIMITS.firehoseStream),
        destination: "extended_s3",
        serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
        extendedS3Configuration: {
          roleArn: firehoseRole.arn,
          bucketArn: this.bucket.arn,
          prefix: `${EVENTS_PREFIX}!{timestamp:yyyy/MM/dd/HH}/`,
          errorOutputPrefix: `${ERRORS_PREFIX}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/`,
          bufferingInterval: args.bufferIntervalSeconds ?? 300,
          bufferingSize: args.bufferSizeMb ?? 5,
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
          pulumi.interpolate`arn:${partition.partition}:mobiletargeting:${region.region}:${identity.accountId}:apps/${this.applicationId}`,
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
            Resource: this.deliveryStream.arn,
          },
        ]),
      },
      { parent: this },
    );
    // A project has one event stream: this replaces the project's existing stream, if any.
    this.eventStream = new aws.pinpoint.EventStream(
      `${name}-event-stream`,
      { applicationId: this.applicationId, destinationStreamArn: this.deliveryStream.arn, roleArn: streamRole.arn },
      { parent: this, dependsOn: [streamPolicy] },
    );

    // Tables shared in shape (and optionally in fact) with #1.
    const contactTable =
      args.existingContactTableName === undefined
        ? createTable(`${name}-contacts`, { schema: CONTACT_TABLE, deletionProtection: args.tableDeletionProtection }, { parent: this })
        : undefined;
    const contactTableName = contactTable ? contactTable.name : pulumi.output(args.existingContactTableName as pulumi.Input<string>);
    const contactTableArn = contactTable ? contactTable.arn : tableArnFromName(contactTableName, invokeOpts);
    const idempotencyTable = createTable(
      `${name}-idempotency`,
      { schema: IDEMPOTENCY_TABLE, deletionProtection: args.tableDeletionProtection },
      { parent: this },
    );

    const failures = createAsyncFailureQueue(`${name}-failures`, args.alarmActions, this);
    this.failureQueue = failures.queue;

    const processor = new BundledFunction(
      `${name}-processor`,
      {
        ...functionSettings,
        handler: { entry: "functions/pinpoint-event-processing/processor.ts" },
        description: "Suppresses hard-bounced and complaining addresses from Pinpoint event-stream objects",
        timeoutSeconds: args.timeoutSeconds ?? 300,
        asyncMaximumRetryAttempts: 2,
        onFailureQueueArn: this.failureQueue.arn,
        environment: {
          CONTACT_TABLE_NAME: contactTableName,
          IDEMPOTENCY_TABLE_NAME: idempotencyTable.name,
          COMPLAINT_EXEMPT_FEEDBACK_TYPES: (args.complaintExemptFeedbackTypes ?? ["not-spam"]).join(","),
          POWERTOOLS_METRICS_NAMESPACE: "DigitalUserEngagement/PinpointEventProcessing",
        },
        policyStatements: pinpointEventProcessorStatements({
          bucketArn: this.bucket.arn,
          contactTableArn,
          idempotencyTableArn: idempotencyTable.arn,
        }),
      },
      { parent: this },
    );
    this.function = processor.function;
    this.logGroup = processor.logGroup;

    const permission = new aws.lambda.Permission(
      `${name}-s3-invoke-permission`,
      {
        statementId: boundedName(`${name}-s3-invoke-permission`, NAME_LIMITS.lambdaStatementId),
        action: "lambda:InvokeFunction",
        function: this.function.name,
        principal: "s3.amazonaws.com",
        sourceArn: this.bucket.arn,
        sourceAccount: identity.accountId,
      },
      { parent: this },
    );
    // S3 validates the destination when the notification is saved: depend on the permission.
    new aws.s3.BucketNotification(
      `${name}-notification`,
      {
        bucket: this.bucket.id,
        lambdaFunctions: [{ lambdaFunctionArn: this.function.arn, events: ["s3:ObjectCreated:*"], filterPrefix: EVENTS_PREFIX }],
      },
      { parent: this, dependsOn: [permission, ...events.ready] },
    );

    this.alarms = [failures.alarm, ...processor.alarms];
    this.registerOutputs({
      function: this.function,
      logGroup: this.logGroup,
      applicationId: this.applicationId,
      eventStream: this.eventStream,
      deliveryStream: this.deliveryStream,
      bucket: this.bucket,
      failureQueue: this.failureQueue,
      alarms: this.alarms,
    });
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

const LEGACY_ONLY: (keyof PinpointEventProcessingArgs)[] = [
  "existingPinpointApplicationId",
  "createPinpointApplication",
  "pinpointApplicationName",
  "bufferIntervalSeconds",
  "bufferSizeMb",
  "eventRetentionDays",
  "forceDestroyBucket",
];
const CONFIGURATION_SET_ONLY: (keyof PinpointEventProcessingArgs)[] = ["configurationSetName", "enableAccountSuppression"];

export function validatePinpointEventProcessingArgs(args: PinpointEventProcessingArgs): void {
  const errors = new ArgumentErrors("PinpointEventProcessing");
  const source = args.source ?? "configuration-set";
  errors.check(
    source !== "configuration-set" && source !== "pinpoint-event-stream",
    `source must be "configuration-set" or "pinpoint-event-stream", got "${source}"`,
  );
  if (source === "configuration-set") {
    for (const key of LEGACY_ONLY) errors.check(args[key] !== undefined, `${key} applies only to source "pinpoint-event-stream"`);
    if (isKnown(args.configurationSetName)) {
      errors.check(
        !/^[A-Za-z0-9_-]{1,64}$/.test(args.configurationSetName),
        `configurationSetName must be 1–64 letters, digits, hyphens or underscores, got "${args.configurationSetName}"`,
      );
    }
  }
  if (source === "pinpoint-event-stream") {
    for (const key of CONFIGURATION_SET_ONLY) errors.check(args[key] !== undefined, `${key} applies only to source "configuration-set"`);
    const existing = args.existingPinpointApplicationId !== undefined;
    const create = args.createPinpointApplication === true;
    errors.check(existing && create, "set either existingPinpointApplicationId or createPinpointApplication, not both");
    errors.check(!existing && !create, 'source "pinpoint-event-stream" needs existingPinpointApplicationId or createPinpointApplication: true');
    errors.check(args.pinpointApplicationName !== undefined && !create, "pinpointApplicationName applies only with createPinpointApplication: true");
    if (isKnown(args.existingPinpointApplicationId)) {
      errors.check(
        !/^[a-f0-9]{32}$/.test(args.existingPinpointApplicationId),
        `existingPinpointApplicationId must be a 32-character hexadecimal project id, got "${args.existingPinpointApplicationId}"`,
      );
    }
  }
  const range = (key: keyof PinpointEventProcessingArgs, min: number, max: number) => {
    const value = args[key];
    if (typeof value === "number") errors.check(!Number.isInteger(value) || value < min || value > max, `${key} must be an integer between ${min} and ${max}, got ${value}`);
  };
  range("bufferIntervalSeconds", 60, 900);
  range("bufferSizeMb", 1, 128);
  range("eventRetentionDays", 1, 3650);
  range("timeoutSeconds", 1, 900);
  errors.throwIfAny();
}
