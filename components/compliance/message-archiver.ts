import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import { ARCHIVE_PREFIX_PATTERN, ARCHIVE_STEP, DEFAULT_ARCHIVE_PREFIX } from "../../functions/shared/archive/layout";
import { ARCHIVER, ERASER, ERASER_METRICS, QUEUER, QUEUER_METRICS } from "../../functions/message-archiver/contract";
import { defineContract, environmentFor, passThrough, resolveSettings, type ContractArgs, type ContractSettings } from "../kit/contract";
import {
  anyAboveZeroAlarm,
  architectureDashboard,
  arnBuilder,
  type ArnBuilder,
  boundedName,
  BundledFunction,
  createAsyncFailureQueue,
  createServiceKey,
  dashboardFunction,
  FUNCTION_DEFAULTS,
  functionPlatform,
  NAME_LIMITS,
  PlatformArgs,
  policyDocument,
  PolicyStatement,
  queueForFunction,
  SecureBucket,
  serviceTrustPolicy,
  stableName,
  ArgumentErrors,
} from "../shared";
import { dataFlow, external } from "../shared/flow";
import { ConfigurationSetArchivingOptions } from "./archiving-options";

/** Mail Manager archive retention periods (AWS's values). */
export const MAIL_MANAGER_RETENTION_PERIODS = [
  "THREE_MONTHS",
  "SIX_MONTHS",
  "NINE_MONTHS",
  "ONE_YEAR",
  "EIGHTEEN_MONTHS",
  "TWO_YEARS",
  "THIRTY_MONTHS",
  "THREE_YEARS",
  "FOUR_YEARS",
  "FIVE_YEARS",
  "SIX_YEARS",
  "SEVEN_YEARS",
  "EIGHT_YEARS",
  "NINE_YEARS",
  "TEN_YEARS",
  "PERMANENT",
] as const;

/** Where the legacy Firehose delivers the event stream inside the archive bucket (outside the archive prefix). */
const EVENTS_PREFIX = "events/";
const EVENT_ERRORS_PREFIX = "event-errors/";

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:/;

const OBJECT_LOCK = z.strictObject({
  mode: z.enum(["GOVERNANCE", "COMPLIANCE"]).describe("GOVERNANCE: users with s3:BypassGovernanceRetention may delete early; COMPLIANCE: nobody can, not even the root user."),
  retentionDays: z.int().min(1).max(36_500).describe("Default retention of each archive object, days."),
});

/** The settings both targets share. */
const SHARED = {
  archivePrefix: z
    .string()
    .regex(ARCHIVE_PREFIX_PATTERN, 'must be a key prefix without leading or trailing "/"')
    .refine((p) => !`${p}/`.startsWith(EVENTS_PREFIX) && !`${p}/`.startsWith(EVENT_ERRORS_PREFIX), "must not be events or event-errors (the legacy event stream's prefixes)")
    .default(DEFAULT_ARCHIVE_PREFIX)
    .describe("Key prefix of the archive: objects are <archivePrefix>/<recipient>/…"),
  archiveRetentionDays: z.int().min(1).max(36_500).default(365).describe("Days after which archive objects expire (lifecycle); at least objectLock.retentionDays."),
  noncurrentVersionExpirationDays: z.int().min(1).max(36_500).default(30).describe("Days a replaced or deleted archive version is kept before it expires."),
  objectLock: OBJECT_LOCK.optional().describe("S3 Object Lock for regulated archives: {mode, retentionDays}. Locked objects cannot be erased before their date. Default none. Set at bucket creation only."),
  forceDestroyBucket: z.boolean().default(false).describe("Let `pulumi destroy` delete the bucket while it holds archives."),
  smsSendStep: z.boolean().default(true).describe("Offer the archive send step to the project's SMS senders (one record per SMS sent)."),
  emailSendStep: z.boolean().default(false).describe("Also offer it to the email senders: a per-recipient S3 copy of each email they send, erasable at once."),
  senders: z.array(z.string().min(1)).optional().describe("Config keys of the sending architectures that run the step. Default: every one."),
  eraseTimeoutSeconds: z.int().min(10).max(900).default(300).describe("Erase function timeout, seconds."),
};

const TARGET =
  'Where archives come from: "send-time" (default: SES Mail Manager archiving for email, the archive send step for SMS) or "pinpoint" (legacy: re-render from the Pinpoint event stream).';

/** #6's settings, declared once: the component's arguments and validation, the stack config and the docs come from here. */
export const MESSAGE_ARCHIVER = defineContract(
  "MessageArchiver",
  z
    .discriminatedUnion("target", [
      z.strictObject({
        target: z.literal("send-time").default("send-time").describe(TARGET),
        ...SHARED,
        mailManagerArchive: z.boolean().default(true).describe("Archive every email sent through the configuration set in an SES Mail Manager archive (the bytes SES sent)."),
        configurationSetName: passThrough(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be an SES configuration set name"))
          .optional()
          .describe("The SES configuration set whose mail is archived. Default: #1's when #1 is enabled (required otherwise, with mailManagerArchive)."),
        mailManagerRetention: z.enum(MAIL_MANAGER_RETENTION_PERIODS).default("ONE_YEAR").describe("How long Mail Manager keeps archived email; it expires only whole messages by age."),
        mailManagerKmsKeyArn: passThrough(z.string().regex(KMS_KEY_ARN, "must be a KMS key ARN")).optional().describe("A customer-managed KMS key for the Mail Manager archive. Default: Mail Manager's own encryption."),
      }),
      z.strictObject({
        target: z.literal("pinpoint").describe(TARGET),
        ...SHARED,
        pinpointApplicationId: passThrough(z.string().regex(/^[A-Za-z0-9]{1,64}$/, "must be a Pinpoint project id")).describe("The Pinpoint project whose campaign and journey sends are archived."),
        attachEventStream: z.boolean().default(true).describe("Point the project's event stream at the archiver's Firehose (a project has one event stream: this replaces any other)."),
        eventRetentionDays: z.int().min(1).max(3650).default(30).describe("Days the raw event stream is kept under events/ (it holds endpoint snapshots)."),
        bufferIntervalSeconds: z.int().min(60).max(900).default(300).describe("Firehose buffering interval, seconds."),
        bufferSizeMb: z.int().min(1).max(128).default(5).describe("Firehose buffering size, MB."),
        batchSize: z.int().min(1).max(10).default(10).describe("Queued sends per archiver invocation."),
        maximumConcurrency: z.int().min(2).max(1000).default(5).describe("Archiver invocations the queue may drive (bounds the Pinpoint read rate)."),
        maxReceiveCount: z.int().min(1).max(1000).default(5).describe("Receives before a send moves to the DLQ."),
        archiverTimeoutSeconds: z.int().min(1).max(900).default(60).describe("Archiver timeout, seconds; the queue's visibility timeout is six times this."),
        archiverMemorySizeMb: z.int().min(128).max(10240).default(512).describe("Archiver memory, MB."),
      }),
    ])
    .superRefine((s, ctx) => {
      if (s.objectLock !== undefined && s.archiveRetentionDays < s.objectLock.retentionDays) {
        ctx.addIssue({ code: "custom", path: ["archiveRetentionDays"], message: `must be at least objectLock.retentionDays (${s.objectLock.retentionDays}): locked objects cannot expire earlier` });
      }
      if (!s.smsSendStep && s.senders !== undefined && !s.emailSendStep) ctx.addIssue({ code: "custom", path: ["senders"], message: "applies only with smsSendStep or emailSendStep" });
    }),
);

export type MessageArchiverArgs = ContractArgs<typeof MESSAGE_ARCHIVER.settings> & PlatformArgs;
type Settings = ContractSettings<typeof MESSAGE_ARCHIVER.settings>;

/** What the archiver offers the senders: the archive step with its settings (bucket, prefix, key). */
export interface ArchiveSendStep {
  name: string;
  settings: { bucket: pulumi.Output<string>; bucketArn: pulumi.Output<string>; prefix: string; kmsKeyArn: pulumi.Output<string> };
  channels: ("sms" | "email")[];
  senders: string[] | undefined;
}

/**
 * Architecture #6, Message Archiver: a compliance archive of every message sent, per recipient,
 * erasable on request. One encrypted, versioned bucket (optional Object Lock), an erase function,
 * and per target:
 * - "send-time" (default): a Mail Manager archive attached to the SES configuration set (email,
 *   the bytes SES sent), and the archive send step offered to the project's senders (SMS, and
 *   optionally a per-recipient S3 copy of email);
 * - "pinpoint" (legacy): the project's event stream → Firehose (queuer transformation) → SQS →
 *   archiver, which re-renders each campaign or journey send from the versions it used.
 */
export class MessageArchiver extends pulumi.ComponentResource {
  public readonly target: "send-time" | "pinpoint";
  public readonly key: aws.kms.Key;
  public readonly bucket: aws.s3.Bucket;
  public readonly bucketName: pulumi.Output<string>;
  public readonly archivePrefix: string;
  public readonly objectLockConfiguration: aws.s3.BucketObjectLockConfiguration | undefined;
  /** The erase function (both targets). */
  public readonly eraseFunction: aws.lambda.Function;
  /** Where asynchronous erase invocations that failed every attempt go. */
  public readonly eraseFailureQueue: aws.sqs.Queue;
  /** The archive step the senders run, or undefined when neither smsSendStep nor emailSendStep is on. */
  public readonly sendStep: ArchiveSendStep | undefined;
  public readonly mailManagerArchive: aws.mailmanager.Archive | undefined;
  public readonly archivingOptions: ConfigurationSetArchivingOptions | undefined;
  public readonly queue: aws.sqs.Queue | undefined;
  public readonly deadLetterQueue: aws.sqs.Queue | undefined;
  public readonly queuer: aws.lambda.Function | undefined;
  public readonly archiver: aws.lambda.Function | undefined;
  public readonly deliveryStream: aws.kinesis.FirehoseDeliveryStream | undefined;
  public readonly eventStream: aws.pinpoint.EventStream | undefined;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];
  /** The architecture's CloudWatch dashboard; undefined when dashboards are off. */
  public readonly dashboard: aws.cloudwatch.Dashboard | undefined;

  constructor(name: string, args: MessageArchiverArgs, opts?: pulumi.ComponentResourceOptions) {
    super("due:compliance:MessageArchiver", name, {}, opts);
    const settings = resolveSettings(MESSAGE_ARCHIVER, args);
    const errors = new ArgumentErrors("MessageArchiver");
    if (settings.target === "send-time") {
      errors.check(
        settings.mailManagerArchive && settings.configurationSetName === undefined,
        "configurationSetName is required with mailManagerArchive (the stack fills it from #1's configuration set when #1 is enabled)",
      );
    }
    errors.throwIfAny();
    const arn = arnBuilder({ parent: this });
    this.target = settings.target;
    this.archivePrefix = settings.archivePrefix;

    this.key = createServiceKey(`${name}-key`, "Message archive: archived messages (personal data)", [], { parent: this });
    const lock = settings.objectLock;
    const legacy = settings.target === "pinpoint";
    const archive = new SecureBucket(
      `${name}-archive`,
      {
        kmsKeyArn: this.key.arn,
        forceDestroy: settings.forceDestroyBucket,
        noncurrentVersionExpirationDays: settings.noncurrentVersionExpirationDays,
        lifecycleRules: [
          { id: "expire-archive", prefix: `${settings.archivePrefix}/`, expirationDays: settings.archiveRetentionDays },
          ...(legacy
            ? [
                { id: "expire-events", prefix: EVENTS_PREFIX, expirationDays: settings.eventRetentionDays },
                { id: "expire-event-errors", prefix: EVENT_ERRORS_PREFIX, expirationDays: settings.eventRetentionDays },
              ]
            : []),
        ],
      },
      // Object Lock can only be turned on when the bucket is created. SecureBucket has no setting
      // for it yet, so the flag is added to its bucket here.
      { parent: this, transformations: lock === undefined ? [] : [enableObjectLock] },
    );
    this.bucket = archive.bucket;
    this.bucketName = archive.bucket.bucket;
    const bucketArn = archive.bucket.arn;
    this.objectLockConfiguration =
      lock === undefined
        ? undefined
        : new aws.s3.BucketObjectLockConfiguration(
            `${name}-object-lock`,
            { bucket: archive.bucket.id, objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: lock.mode, days: lock.retentionDays } } },
            { parent: this, dependsOn: archive.ready },
          );

    const platform = { ...functionPlatform(args), alarmActions: args.alarmActions };
    // A request workflow may also invoke the eraser asynchronously: what fails every attempt lands here (alarmed).
    const eraseFailures = createAsyncFailureQueue(`${name}-erase-failures`, args.alarmActions, this);
    this.eraseFailureQueue = eraseFailures.queue;
    const eraser = new BundledFunction(
      `${name}-eraser`,
      {
        ...platform,
        handler: ERASER,
        description: "Erases one person's message archive (every version) on request",
        timeoutSeconds: settings.eraseTimeoutSeconds,
        // Erasure is idempotent: a retried request deletes what is left and reports it.
        asyncInvoke: { maximumRetryAttempts: 2, onFailure: eraseFailures },
        environment: environmentFor(ERASER, { BUCKET_NAME: this.bucketName, ARCHIVE_PREFIX: settings.archivePrefix }),
        policyStatements: eraserStatements({ bucketArn, prefix: settings.archivePrefix }),
      },
      { parent: this },
    );
    this.eraseFunction = eraser.function;
    const incomplete = anyAboveZeroAlarm(
      `${name}-erasure-incomplete`,
      {
        namespace: ERASER.namespace,
        metricName: ERASER_METRICS.ErasureIncomplete,
        dimensions: { service: eraser.serviceName },
        statistic: "Sum",
        description: `${eraser.serviceName} left archive versions behind (per-key errors or concurrent writes): run the erasure again`,
        alarmActions: args.alarmActions,
      },
      { parent: this },
    );
    dataFlow(external("Operators / data-subject requests"), this.eraseFunction, "erasure requests");
    dataFlow(this.eraseFunction, this.bucket, "version deletions");

    const channels: ("sms" | "email")[] = [...(settings.smsSendStep ? (["sms"] as const) : []), ...(settings.emailSendStep ? (["email"] as const) : [])];
    this.sendStep =
      channels.length === 0
        ? undefined
        : {
            name: ARCHIVE_STEP,
            settings: { bucket: this.bucketName, bucketArn, prefix: settings.archivePrefix, kmsKeyArn: this.key.arn },
            channels,
            senders: settings.senders,
          };
    if (this.sendStep !== undefined) dataFlow(external("The project's senders (archive send step)"), this.bucket, `${channels.join(" and ")} archive records`);

    const parts =
      settings.target === "pinpoint"
        ? this.legacyPipeline(name, settings, args, arn, archive, bucketArn)
        : { alarms: [], dashboardQueues: [], dashboardFunctions: [], ...this.mailManager(name, settings, arn) };
    this.mailManagerArchive = parts.mailManagerArchive;
    this.archivingOptions = parts.archivingOptions;
    this.queue = parts.queue;
    this.deadLetterQueue = parts.deadLetterQueue;
    this.queuer = parts.queuer;
    this.archiver = parts.archiver;
    this.deliveryStream = parts.deliveryStream;
    this.eventStream = parts.eventStream;

    this.alarms = [...eraser.alarms, incomplete, ...parts.alarms];
    this.dashboard = architectureDashboard(
      name,
      args,
      { queues: parts.dashboardQueues, failureQueues: [this.eraseFailureQueue], functions: [dashboardFunction(eraser, ERASER), ...parts.dashboardFunctions] },
      this,
    );
    this.registerOutputs({
      dashboard: this.dashboard,
      key: this.key,
      bucket: this.bucket,
      bucketName: this.bucketName,
      eraseFunction: this.eraseFunction,
      eraseFailureQueue: this.eraseFailureQueue,
      mailManagerArchive: this.mailManagerArchive,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      queuer: this.queuer,
      archiver: this.archiver,
      deliveryStream: this.deliveryStream,
      eventStream: this.eventStream,
      alarms: this.alarms,
    });
  }

  /** "send-time" email: a Mail Manager archive, attached to the configuration set. */
  private mailManager(name: string, settings: Extract<Settings, { target: "send-time" }>, arn: ArnBuilder): Partial<TargetParts> {
    if (!settings.mailManagerArchive) return {};
    const mailArchive = new aws.mailmanager.Archive(
      `${name}-mail-archive`,
      {
        name: stableName(`${name}-mail`, 64),
        retention: { retentionPeriod: settings.mailManagerRetention },
        ...(settings.mailManagerKmsKeyArn === undefined ? {} : { kmsKeyArn: settings.mailManagerKmsKeyArn }),
      },
      { parent: this },
    );
    const archivingOptions = new ConfigurationSetArchivingOptions(
      `${name}-archiving-options`,
      { configurationSetName: settings.configurationSetName!, archiveArn: mailArchive.arn, region: arn.region },
      { parent: this },
    );
    dataFlow(external("SES configuration set (sent mail)"), mailArchive, "every email as sent");
    return { mailManagerArchive: mailArchive, archivingOptions };
  }

  /** "pinpoint" (legacy): event stream → Firehose (queuer) → SQS → archiver → bucket. */
  private legacyPipeline(
    name: string,
    settings: Extract<Settings, { target: "pinpoint" }>,
    platform: PlatformArgs,
    arn: ArnBuilder,
    archive: SecureBucket,
    bucketArn: pulumi.Output<string>,
  ): TargetParts {
    const common = { ...functionPlatform(platform), alarmActions: platform.alarmActions };
    const work = queueForFunction(
      `${name}-work`,
      { consumerTimeoutSeconds: settings.archiverTimeoutSeconds, maxReceiveCount: settings.maxReceiveCount, alarmActions: platform.alarmActions },
      { parent: this },
    );
    const queue = work.queue.queue;

    // Firehose waits for the transformation; 60 s is well above a batch's SendMessageBatch calls.
    const queuer = new BundledFunction(
      `${name}-queuer`,
      {
        ...common,
        handler: QUEUER,
        description: "Passes the Pinpoint event stream through and queues campaign and journey sends for archiving",
        timeoutSeconds: 60,
        environment: environmentFor(QUEUER, { QUEUE_URL: queue.url }),
        // SendMessageBatch is authorized as sqs:SendMessage.
        policyStatements: [{ Sid: "QueueSends", Effect: "Allow", Action: "sqs:SendMessage", Resource: queue.arn }],
      },
      { parent: this },
    );
    const archiver = work.deliverTo(
      `${name}-archiver`,
      {
        ...common,
        handler: ARCHIVER,
        description: "Archives each campaign or journey send, rendered from the versions it used, as MIME",
        memorySizeMb: settings.archiverMemorySizeMb,
        environment: environmentFor(ARCHIVER, { BUCKET_NAME: this.bucketName, ARCHIVE_PREFIX: settings.archivePrefix }),
        policyStatements: archiverStatements({ bucketArn, prefix: settings.archivePrefix, keyArn: this.key.arn, applicationId: settings.pinpointApplicationId, arn }),
      },
      { mappingName: `${name}-archiver-event-source`, batchSize: settings.batchSize, maximumConcurrency: settings.maximumConcurrency },
      { parent: this },
    );

    // Firehose → the bucket's events/ prefix, through the queuer (one processor per stream).
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-firehose-logs`,
      { namePrefix: `/aws/kinesisfirehose/${name}-`, retentionInDays: platform.logRetentionInDays ?? FUNCTION_DEFAULTS.logRetentionInDays },
      { parent: this },
    );
    const logStream = new aws.cloudwatch.LogStream(`${name}-firehose-log-stream`, { logGroupName: logGroup.name, name: "S3Delivery" }, { parent: this });
    const firehoseRole = new aws.iam.Role(
      `${name}-firehose-role`,
      {
        name: boundedName(`${name}-firehose-role`, NAME_LIMITS.iamRole),
        assumeRolePolicy: policyDocument([
          { Effect: "Allow", Principal: { Service: "firehose.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "sts:ExternalId": arn.accountId } } },
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
          legacyFirehoseStatements({
            bucketArn,
            keyArn: this.key.arn,
            queuerArn: queuer.function.arn,
            logStreamArn: pulumi.interpolate`${logGroup.arn}:log-stream:${logStream.name}`,
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
          bucketArn,
          prefix: `${EVENTS_PREFIX}!{timestamp:yyyy/MM/dd/HH}/`,
          errorOutputPrefix: `${EVENT_ERRORS_PREFIX}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/`,
          bufferingInterval: settings.bufferIntervalSeconds,
          bufferingSize: settings.bufferSizeMb,
          compressionFormat: "GZIP",
          kmsKeyArn: this.key.arn,
          cloudwatchLoggingOptions: { enabled: true, logGroupName: logGroup.name, logStreamName: logStream.name },
          processingConfiguration: {
            enabled: true,
            processors: [
              {
                type: "Lambda",
                parameters: [
                  { parameterName: "LambdaArn", parameterValue: queuer.function.arn },
                  // Small buffers keep the queuer's invocations short and the archive close to the send.
                  { parameterName: "BufferSizeInMBs", parameterValue: "1" },
                  { parameterName: "BufferIntervalInSeconds", parameterValue: "60" },
                ],
              },
            ],
          },
        },
      },
      { parent: this, dependsOn: [firehosePolicy, ...archive.ready] },
    );

    let eventStream: aws.pinpoint.EventStream | undefined;
    if (settings.attachEventStream) {
      const appId = settings.pinpointApplicationId;
      const streamRole = new aws.iam.Role(
        `${name}-stream-role`,
        {
          name: boundedName(`${name}-stream-role`, NAME_LIMITS.iamRole),
          assumeRolePolicy: serviceTrustPolicy("pinpoint.amazonaws.com", arn.accountId, arn("mobiletargeting", pulumi.interpolate`apps/${appId}`)),
        },
        { parent: this },
      );
      const streamPolicy = new aws.iam.RolePolicy(
        `${name}-stream-policy`,
        {
          name: boundedName(`${name}-stream-policy`, NAME_LIMITS.iamRolePolicy),
          role: streamRole.id,
          policy: policyDocument([{ Sid: "PutEvents", Effect: "Allow", Action: ["firehose:PutRecordBatch", "firehose:DescribeDeliveryStream"], Resource: deliveryStream.arn }]),
        },
        { parent: this },
      );
      // A project has one event stream: this replaces the project's existing stream, if any.
      eventStream = new aws.pinpoint.EventStream(
        `${name}-event-stream`,
        { applicationId: appId, destinationStreamArn: deliveryStream.arn, roleArn: streamRole.arn },
        { parent: this, dependsOn: [streamPolicy] },
      );
    }
    const pinpointNode = external("Amazon Pinpoint project (event stream)");
    dataFlow(pinpointNode, deliveryStream, "events");
    dataFlow(deliveryStream, queuer.function, "record batches (transformation)");
    dataFlow(queuer.function, queue, "campaign and journey sends");
    dataFlow(deliveryStream, this.bucket, "events, unchanged");
    dataFlow(queue, archiver.fn.function, "batches");
    dataFlow(external("Amazon Pinpoint (campaigns, journeys, templates)"), archiver.fn.function, "versions and templates");
    dataFlow(archiver.fn.function, this.bucket, "MIME archives");

    const unqueueable = anyAboveZeroAlarm(
      `${name}-unqueueable-sends`,
      {
        namespace: QUEUER.namespace,
        metricName: QUEUER_METRICS.UnqueueableRecord,
        dimensions: { service: queuer.serviceName },
        statistic: "Sum",
        description: `${queuer.serviceName} could not queue a send event (SQS refused it): that send is not archived`,
        alarmActions: platform.alarmActions,
      },
      { parent: this },
    );
    return {
      queue,
      deadLetterQueue: work.queue.deadLetterQueue,
      queuer: queuer.function,
      archiver: archiver.fn.function,
      deliveryStream,
      eventStream,
      alarms: [...queuer.alarms, ...archiver.alarms, unqueueable],
      dashboardQueues: [work.queue],
      dashboardFunctions: [dashboardFunction(queuer, QUEUER), dashboardFunction(archiver.fn, ARCHIVER, {})],
    };
  }
}

interface TargetParts {
  mailManagerArchive?: aws.mailmanager.Archive;
  archivingOptions?: ConfigurationSetArchivingOptions;
  queue?: aws.sqs.Queue;
  deadLetterQueue?: aws.sqs.Queue;
  queuer?: aws.lambda.Function;
  archiver?: aws.lambda.Function;
  deliveryStream?: aws.kinesis.FirehoseDeliveryStream;
  eventStream?: aws.pinpoint.EventStream;
  alarms: aws.cloudwatch.MetricAlarm[];
  dashboardQueues: ReturnType<typeof queueForFunction>["queue"][];
  dashboardFunctions: ReturnType<typeof dashboardFunction>[];
}

/** Adds `objectLockEnabled` to the bucket SecureBucket creates (a creation-time-only setting). */
const enableObjectLock: pulumi.ResourceTransformation = (a) =>
  a.type === "aws:s3/bucket:Bucket" ? { props: { ...a.props, objectLockEnabled: true }, opts: a.opts } : undefined;

/** The eraser's exact permissions: list versions under the prefix, read lock state, delete versions. */
export function eraserStatements(resources: { bucketArn: pulumi.Input<string>; prefix: string }): PolicyStatement[] {
  const objects = pulumi.interpolate`${resources.bucketArn}/${resources.prefix}/*`;
  return [
    {
      Sid: "ListArchiveVersions",
      Effect: "Allow",
      Action: "s3:ListBucketVersions",
      Resource: resources.bucketArn,
      Condition: { StringLike: { "s3:prefix": `${resources.prefix}/*` } },
    },
    { Sid: "ReadObjectLock", Effect: "Allow", Action: "s3:GetBucketObjectLockConfiguration", Resource: resources.bucketArn },
    { Sid: "ReadVersionLocks", Effect: "Allow", Action: ["s3:GetObjectRetention", "s3:GetObjectLegalHold"], Resource: objects },
    { Sid: "DeleteArchiveVersions", Effect: "Allow", Action: "s3:DeleteObjectVersion", Resource: objects },
  ];
}

/** The legacy archiver's permissions: read what Pinpoint sent, write archives under the prefix. */
export function archiverStatements(resources: {
  bucketArn: pulumi.Input<string>;
  prefix: string;
  keyArn: pulumi.Input<string>;
  applicationId: pulumi.Input<string>;
  arn: ArnBuilder;
}): PolicyStatement[] {
  const { arn } = resources;
  return [
    {
      Sid: "ReadCampaignsAndJourneys",
      Effect: "Allow",
      Action: ["mobiletargeting:GetCampaignVersions", "mobiletargeting:GetJourney"],
      Resource: [
        arn("mobiletargeting", pulumi.interpolate`apps/${resources.applicationId}/campaigns/*`),
        arn("mobiletargeting", pulumi.interpolate`apps/${resources.applicationId}/journeys/*`),
      ],
    },
    {
      Sid: "ReadTemplates",
      Effect: "Allow",
      Action: ["mobiletargeting:GetEmailTemplate", "mobiletargeting:GetSmsTemplate", "mobiletargeting:GetPushTemplate", "mobiletargeting:GetVoiceTemplate"],
      Resource: arn("mobiletargeting", "templates/*"),
    },
    // GetObject for the HEAD a redelivery makes before writing (store.ts).
    { Sid: "WriteArchives", Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: pulumi.interpolate`${resources.bucketArn}/${resources.prefix}/*` },
    { Sid: "EncryptArchives", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: resources.keyArn },
  ];
}

/** The legacy Firehose's role: deliver under events/ and event-errors/ only, run the queuer, log errors. */
export function legacyFirehoseStatements(resources: {
  bucketArn: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  queuerArn: pulumi.Input<string>;
  logStreamArn: pulumi.Input<string>;
}): PolicyStatement[] {
  return [
    {
      Sid: "DeliverEvents",
      Effect: "Allow",
      Action: ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListBucketMultipartUploads", "s3:PutObject"],
      Resource: [pulumi.interpolate`${resources.bucketArn}/${EVENTS_PREFIX}*`, pulumi.interpolate`${resources.bucketArn}/${EVENT_ERRORS_PREFIX}*`],
    },
    { Sid: "LocateBucket", Effect: "Allow", Action: ["s3:GetBucketLocation", "s3:ListBucket"], Resource: resources.bucketArn },
    { Sid: "EncryptEvents", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: resources.keyArn },
    { Sid: "TransformRecords", Effect: "Allow", Action: ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"], Resource: resources.queuerArn },
    { Sid: "LogDeliveryErrors", Effect: "Allow", Action: "logs:PutLogEvents", Resource: resources.logStreamArn },
  ];
}
