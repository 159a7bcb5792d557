import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import { PROCESSOR } from "../../functions/pinpoint-event-processing/contract";
import { CONTACT_TABLE } from "../../functions/shared/runtime/tables";
import { defineContract, environmentFor, passThrough, resolveSettings, type ContractArgs, type ContractSettings } from "../kit/contract";
import {
  architectureDashboard,
  arnBuilder,
  BundledFunction,
  dashboardFunction,
  createAsyncFailureQueue,
  createIdempotencyTable,
  createTable,
  existingOrCreate,
  firehoseToBucket,
  FUNCTION_DEFAULTS,
  functionPlatform,
  boundedName,
  NAME_LIMITS,
  PlatformArgs,
  policyDocument,
  PolicyStatement,
  SecureBucket,
  serviceTrustPolicy,
} from "../shared";
import { dataFlow, external } from "../shared/flow";
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
  Partial<Pick<PinpointEventProcessing, "sesEventProcessing" | "dashboard" | "applicationId" | "application" | "eventStream" | "deliveryStream" | "bucket" | "failureQueue">>;

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
  /** The architecture's CloudWatch dashboard (the composed #1's for "configuration-set"); undefined when dashboards are off. */
  public readonly dashboard: aws.cloudwatch.Dashboard | undefined;

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
      dashboard: this.dashboard,
      applicationId: this.applicationId,
      application: this.application,
      eventStream: this.eventStream,
      deliveryStream: this.deliveryStream,
      bucket: this.bucket,
      failureQueue: this.failureQueue,
    } = parts);
    // The other target's (undefined) fields are not registered.
    this.registerOutputs({
      dashboard: this.dashboard,
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
        dashboards: platform.dashboards,
      },
      { parent: this },
    );
    return { sesEventProcessing: ses, dashboard: ses.dashboard, function: ses.function, logGroup: ses.logGroup, alarms: ses.alarms };
  }

  /** "pinpoint" (legacy): the project's event stream → Firehose → S3 → the legacy processor. */
  private streamPinpointEvents(name: string, settings: Extract<Settings, { target: "pinpoint" }>, platform: PlatformArgs): TargetParts {
    // Its account id also conditions the stream role's trust and the S3 invoke permission.
    const arn = arnBuilder({ parent: this });

    const app = existingOrCreate(
      settings.existingPinpointApplicationId,
      () => new aws.pinpoint.App(`${name}-app`, { name: settings.pinpointApplicationName }, { parent: this }),
      (created) => created.applicationId,
    );
    const applicationId = app.value;

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

    // GZIP (the default): the processor detects gzip by content and decompresses while streaming.
    const { deliveryStream } = firehoseToBucket(
      name,
      {
        bucketArn: bucket.arn,
        prefix: `${EVENTS_PREFIX}!{timestamp:yyyy/MM/dd/HH}/`,
        errorOutputPrefix: `${ERRORS_PREFIX}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/`,
        bufferingIntervalSeconds: settings.bufferIntervalSeconds,
        bufferingSizeMb: settings.bufferSizeMb,
        logRetentionInDays: platform.logRetentionInDays ?? FUNCTION_DEFAULTS.logRetentionInDays,
        dependsOn: events.ready,
      },
      { parent: this },
    );

    // Pinpoint → Firehose: a role Pinpoint may assume only for this project, in this account.
    const streamRole = new aws.iam.Role(
      `${name}-stream-role`,
      {
        name: boundedName(`${name}-stream-role`, NAME_LIMITS.iamRole),
        assumeRolePolicy: serviceTrustPolicy("pinpoint.amazonaws.com", arn.accountId, arn("mobiletargeting", pulumi.interpolate`apps/${applicationId}`)),
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
    const contactTable = existingOrCreate(
      settings.existingContactTableName,
      () => createTable(`${name}-contacts`, { schema: CONTACT_TABLE, deletionProtection: platform.tableDeletionProtection }, { parent: this }),
      (created) => created.name,
    );
    const contactTableName = contactTable.value;
    const contactTableArn = contactTable.created ? contactTable.created.arn : arn("dynamodb", pulumi.interpolate`table/${contactTableName}`);
    const idempotencyTable = createIdempotencyTable(`${name}-idempotency`, platform.tableDeletionProtection, { parent: this });

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
        asyncInvoke: { maximumRetryAttempts: 2, onFailure: failures },
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
        sourceAccount: arn.accountId,
      },
      { parent: this },
    );
    dataFlow(app.created ?? external("Amazon Pinpoint project (existing)"), deliveryStream, "engagement events (event stream)");
    dataFlow(deliveryStream, bucket, "event files");
    dataFlow(bucket, processor.function, "object-created notifications");
    dataFlow(processor.function, external("SES account suppression list"), "suppressions");
    dataFlow(processor.function, contactTable.created ?? external("DynamoDB contact table (existing)"), "rows");
    dataFlow(processor.function, idempotencyTable, "rows");
    dataFlow(processor.function, failures.queue, "failed invocations");
    events.notify(
      `${name}-notification`,
      { lambdaFunctions: [{ functionArn: processor.function.arn, events: ["s3:ObjectCreated:*"], filterPrefix: EVENTS_PREFIX, permission }] },
      { parent: this },
    );

    return {
      dashboard: architectureDashboard(name, platform, { failureQueues: [failures.queue], functions: [dashboardFunction(processor, PROCESSOR, { Suppressed: ["Reason"] })] }, this),
      function: processor.function,
      logGroup: processor.logGroup,
      alarms: processor.alarms,
      applicationId,
      application: app.created,
      eventStream,
      deliveryStream,
      bucket,
      failureQueue: failures.queue,
    };
  }
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
