import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import { MESSAGE_GROUP_ID_PATTERN } from "../../functions/shared/sms/sms-config";
import { CONSUMED_EVENT_TYPES } from "../../functions/shared/sms/sms-delivery-events";
import { RATE_LIMIT_TABLE, SMS_FILE_CHECKPOINT_TABLE, SMS_OUTCOME_TABLE } from "../../functions/shared/runtime/tables";
import {
  CSV_COLUMNS,
  DEFAULT_REPORT_PREFIX,
  DELIVERY,
  MAX_ATTEMPTS_LIMIT,
  MIN_REPORT_DEADLINE_HOURS,
  redriveMaxReceiveCount,
  REPORTER,
  SENDER,
  SENDER_METRICS,
  SPLITTER,
} from "../../functions/sms-file-drop/contract";
import { defineContract, environmentFor, passThrough, resolveSettings, type ContractArgs, type ContractSettings } from "../kit/contract";
import {
  architectureDashboard,
  anyAboveZeroAlarm,
  arnBuilder,
  type ArnBuilder,
  BundledFunction,
  dashboardFunction,
  createAsyncFailureQueue,
  EncryptedTopic,
  stableName,
  createTable,
  domainEventsTopic,
  existingOrCreate,
  functionPlatform,
  PlatformArgs,
  PolicyStatement,
  queueForFunction,
  SecureBucket,
  sendingEnvironment,
  sendingStatements,
  SENDING_SETTING,
  sendOutcomeUnknownAlarm,
} from "../shared";
import { objectCreatedPattern } from "../shared/s3-events";
import { dataFlow, external, named } from "../shared/flow";
import { enqueueCallsStatements } from "../voice/connect-channel";

/** Days dropped files and their error reports are kept in a created bucket, unless configured. */
const DEFAULT_FILE_RETENTION_DAYS = 90;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:/;
const MPS_RANGE = "must be greater than 0 and at most 10000";

const ORIGINATION_IDENTITY = z.strictObject({
  identity: z.string().regex(MESSAGE_GROUP_ID_PATTERN, "must be 1–128 characters without spaces (it is the FIFO message group)"),
  mps: z.number().gt(0, MPS_RANGE).max(10_000, MPS_RANGE),
  arn: z
    .string()
    .regex(/^arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:(phone-number|pool|sender-id)\/\S+$/, "must be an sms-voice phone-number, pool or sender-id ARN")
    .optional(),
});
/** One origination identity the CSV may name, with its send rate and the ARN its send permission is scoped to. */
export type SmsOriginationIdentity = z.output<typeof ORIGINATION_IDENTITY>;

/** The settings both targets share. */
const SHARED = {
  sending: SENDING_SETTING,
  originationIdentities: z
    .array(ORIGINATION_IDENTITY)
    .min(1, "list at least one origination identity with its mps")
    .superRefine((identities, ctx) => {
      identities.forEach(({ identity }, i) => {
        if (identities.findIndex((other) => other.identity === identity) < i) ctx.addIssue({ code: "custom", path: [i, "identity"], message: `"${identity}" is listed twice` });
      });
    })
    .describe(
      "The allow-list {identity, mps, arn}: identity is what the CSV's short_code holds, mps its message parts per second; arn (required for an E.164 number or sender ID on end-user-messaging) scopes the send permission.",
    ),
  existingBucketName: passThrough(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name"))
    .optional()
    .describe("Read files from this bucket through an EventBridge rule (turn on its EventBridge notifications; its other notifications are left alone). Default: create one."),
  existingBucketKmsKeyArn: passThrough(z.string().regex(KMS_KEY_ARN, "must be a KMS key ARN")).optional().describe("The customer-managed KMS key of existingBucketName, if it uses SSE-KMS."),
  prefix: z
    .string()
    .regex(/^([A-Za-z0-9!_.'()-]+\/)*$/, 'must be an S3 key prefix ending in "/" (a folder), without "*", "?" or a leading "/"')
    .default("files/")
    .describe('Key prefix of the files to process; only keys ending ".csv" are.'),
  reportPrefix: z
    .string()
    .regex(/^([A-Za-z0-9!_.'()-]+\/)+$/, 'must be a key prefix ending in "/" (a folder)')
    .default(DEFAULT_REPORT_PREFIX)
    .describe("Key prefix of the error reports (<reportPrefix><key>.errors.csv); must not overlap prefix."),
  fileRetentionDays: z
    .int()
    .min(1)
    .max(3650)
    .optional()
    .describe(`Created bucket only: days after which dropped files and their error reports expire (default ${DEFAULT_FILE_RETENTION_DAYS}).`),
  forceDestroyBucket: z.boolean().optional().describe("Created bucket only: let `pulumi destroy` delete it while it holds files (default false)."),
  columnMap: z.partialRecord(z.enum(CSV_COLUMNS), z.string().min(1)).default({}).describe('Header names for the canonical columns, e.g. {sms_number: phone}; default the seed\'s header.'),
  maxSegments: z.int().min(1).max(30).default(10).describe("Message parts a row may need at most."),
  enqueueConcurrency: z.int().min(1).max(50).default(8).describe("SendMessageBatch calls the splitter keeps in flight (1 = strict file order)."),
  voiceDialerQueueUrl: passThrough(z.string().regex(/^https:\/\/\S+$/, "must be an SQS queue URL"))
    .optional()
    .describe("Send rows whose channel is VOICE to this dialer queue (#13). Default: #13's when it is enabled; without one, VOICE rows are rejected."),
  voiceDialerQueueArn: passThrough(z.string().regex(/^arn:aws[a-z-]*:sqs:/, "must be an SQS queue ARN")).optional().describe("The ARN of voiceDialerQueueUrl."),
  voiceDialerKmsKeyArn: passThrough(z.string().regex(KMS_KEY_ARN, "must be a KMS key ARN")).optional().describe("The KMS key of voiceDialerQueueUrl."),
  preferenceTableName: passThrough(z.string().min(3).max(255))
    .optional()
    .describe("Skip PROMOTIONAL rows to numbers recorded OPTED_OUT in this preference table. Default: #8's when #8 is enabled, else no check."),
  existingEventsTopicArn: passThrough(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, "must be an SNS topic ARN"))
    .optional()
    .describe("Publish sms.file.processed summaries to this topic. Default: create one."),
  existingEventsTopicKmsKeyArn: passThrough(z.string().regex(KMS_KEY_ARN, "must be a KMS key ARN")).optional().describe("The KMS key of existingEventsTopicArn, if it is encrypted with one."),
  splitterTimeoutSeconds: z.int().min(60).max(900).default(900).describe("Splitter timeout, seconds (it stops 30 s early and resumes from its checkpoint)."),
  splitterMemorySizeMb: z.int().min(128).max(10240).default(1024).describe("Splitter memory, MB (parsing and validation are CPU-bound)."),
  senderTimeoutSeconds: z.int().min(1).max(900).default(60).describe("Sender timeout, seconds; the queue's visibility timeout is six times this."),
  senderMemorySizeMb: z.int().min(128).max(10240).default(256).describe("Sender memory, MB."),
  senderMaximumConcurrency: z.int().min(2).max(1000).default(2).describe("Sender invocations the queue may drive at once."),
  batchSize: z.int().min(1).max(10).default(10).describe("Records per sender invocation."),
  skipPermanentFailures: z
    .boolean()
    .default(true)
    .describe(
      "Skip rows to numbers the preference table records as permanently failing (TEXT_INVALID, TEXT_BLOCKED delivery events); needs a preference table. The splitter checks TRANSACTIONAL rows (one BatchGetItem per 100 numbers); the sender reads only the rest.",
    ),
  // At most 100, so that with batches of up to 10 the backstop redrive stays within SQS's 1000.
  maxReceiveCount: z
    .int()
    .min(1)
    .max(MAX_ATTEMPTS_LIMIT)
    .default(5)
    .describe("Attempts of one message before the sender moves it to the FIFO DLQ; the queue's backstop redrive is maxReceiveCount × batchSize (at most 1000)."),
};

const TARGET = "Where the sender sends: end-user-messaging (SendTextMessage) or pinpoint (legacy SendMessages).";

/** #9's settings, declared once: the component's arguments and validation, the stack config and the docs come from here. */
export const SMS_FILE_DROP = defineContract(
  "SmsFileDrop",
  z
    .discriminatedUnion("target", [
      z.strictObject({
        target: z.literal("end-user-messaging").default("end-user-messaging").describe(TARGET),
        ...SHARED,
        configurationSetName: passThrough(z.string().regex(/^[A-Za-z0-9_:/-]{1,256}$/, "must be a configuration set name or ARN"))
          .optional()
          .describe("Existing SMS configuration set for the sends; one event destination (SNS) is added to it for delivery outcomes. Default: create one."),
        deliveryReportDeadlineHours: z
          .int()
          .min(MIN_REPORT_DEADLINE_HOURS, `must be at least ${MIN_REPORT_DEADLINE_HOURS}: carriers' final events can take 72 hours`)
          .max(720)
          .default(MIN_REPORT_DEADLINE_HOURS)
          .describe("Hours after a file is split when its delivery report is published even with rows still pending."),
        recordPermanentFailures: z
          .boolean()
          .default(true)
          .describe("Record numbers whose messages fail permanently (TEXT_INVALID, TEXT_BLOCKED) in the preference table; needs one. #8's START clears the record."),
      }),
      z.strictObject({
        target: z.literal("pinpoint").describe(TARGET),
        ...SHARED,
        pinpointApplicationId: passThrough(z.string().regex(/^[A-Za-z0-9]{1,64}$/, "must be a Pinpoint project id")).describe("The Pinpoint project the sender sends through."),
      }),
    ])
    .superRefine((s, ctx) => {
      const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
      if (s.reportPrefix.startsWith(s.prefix) || s.prefix.startsWith(s.reportPrefix)) {
        issue(["reportPrefix"], `"${s.reportPrefix}" must not overlap prefix "${s.prefix}" (neither may start with the other): error reports written there would be read as input files`);
      }
      // Only the end-user-messaging target grants per identity (Pinpoint grants on the project).
      if (s.target === "end-user-messaging") {
        s.originationIdentities.forEach(({ identity, arn }, i) => {
          const error = identityArnError(identity, arn);
          if (error !== undefined) issue(["originationIdentities", i, "arn"], error);
        });
      }
      if (s.existingBucketName !== undefined) {
        for (const key of ["fileRetentionDays", "forceDestroyBucket"] as const) {
          if (s[key] !== undefined) issue([key], "applies only to a created bucket (not with existingBucketName)");
        }
      } else if (s.existingBucketKmsKeyArn !== undefined) {
        issue(["existingBucketKmsKeyArn"], "applies only with existingBucketName");
      }
      const voice = [s.voiceDialerQueueUrl, s.voiceDialerQueueArn, s.voiceDialerKmsKeyArn].filter((v) => v !== undefined).length;
      if (voice !== 0 && voice !== 3) issue(["voiceDialerQueueUrl"], "set voiceDialerQueueUrl, voiceDialerQueueArn and voiceDialerKmsKeyArn together");
      if (s.existingEventsTopicKmsKeyArn !== undefined && s.existingEventsTopicArn === undefined) {
        issue(["existingEventsTopicKmsKeyArn"], "applies only with existingEventsTopicArn");
      }
    })
    // After the rules, so that a resolved config still passes them (the stack resolves, the component again).
    .transform((s) => (s.existingBucketName === undefined ? { ...s, fileRetentionDays: s.fileRetentionDays ?? DEFAULT_FILE_RETENTION_DAYS } : s)),
);

export type SmsFileDropArgs = ContractArgs<typeof SMS_FILE_DROP.settings> & PlatformArgs;
type Settings = ContractSettings<typeof SMS_FILE_DROP.settings>;

/** What the sender's target decides: its target-only variables and what it may send on. */
interface Sending {
  environment: { PINPOINT_APPLICATION_ID: pulumi.Input<string>; CONFIGURATION_SET_NAME: pulumi.Input<string> };
  action: string;
  resources: pulumi.Input<string>[];
}

/** end-user-messaging: SendTextMessage from each allowed identity, through the configuration set. */
function endUserMessagingSending(settings: Extract<Settings, { target: "end-user-messaging" }>, configurationSet: SmsConfigurationSetRef, arn: ArnBuilder): Sending {
  return {
    environment: { PINPOINT_APPLICATION_ID: "", CONFIGURATION_SET_NAME: configurationSet.configurationSetName },
    action: "sms-voice:SendTextMessage",
    resources: [
      ...originationIdentityResources(settings.originationIdentities).map((r) => (r.startsWith("arn:") ? pulumi.output(r) : arn("sms-voice", r))),
      configurationSet.configurationSetArn,
    ],
  };
}

/** The configuration set the sends go through (created or existing), by name and ARN. */
export interface SmsConfigurationSetRef {
  configurationSetName: pulumi.Output<string>;
  configurationSetArn: pulumi.Output<string>;
}

/** The configuration set's name and ARN from a setting that holds either (SendTextMessage accepts both). */
function existingConfigurationSet(nameOrArn: pulumi.Input<string>, arn: ArnBuilder): SmsConfigurationSetRef {
  const value = pulumi.output(nameOrArn);
  return {
    configurationSetName: value.apply((c) => (c.startsWith("arn:") ? c.slice(c.lastIndexOf("/") + 1) : c)),
    configurationSetArn: value.apply((c) => (c.startsWith("arn:") ? pulumi.output(c) : arn("sms-voice", `configuration-set/${c}`))),
  };
}

/** pinpoint: SendMessages on the project (Pinpoint grants on the project, not per identity). */
function pinpointSending(settings: Extract<Settings, { target: "pinpoint" }>, arn: ArnBuilder): Sending {
  return {
    environment: { PINPOINT_APPLICATION_ID: settings.pinpointApplicationId, CONFIGURATION_SET_NAME: "" },
    action: "mobiletargeting:SendMessages",
    resources: [arn("mobiletargeting", pulumi.interpolate`apps/${settings.pinpointApplicationId}/messages`)],
  };
}

/**
 * Architecture #9, Sending SMS Triggered by S3 File Drop: a CSV under a prefix → splitter Lambda
 * (streaming parse, validation, error report, checkpointed SendMessageBatch) → SQS FIFO queue
 * grouped by origination identity → sender Lambda (adaptive rate per identity, idempotent
 * SendTextMessage through a configuration set, per-row outcomes) → the configuration set's delivery
 * events → per-row delivery outcomes and a per-file delivery report.
 */
export class SmsFileDrop extends pulumi.ComponentResource {
  /** The created bucket, or undefined with `existingBucketName`. */
  public readonly bucket: aws.s3.Bucket | undefined;
  public readonly bucketName: pulumi.Output<string>;
  public readonly queue: aws.sqs.Queue;
  public readonly deadLetterQueue: aws.sqs.Queue;
  public readonly checkpointTable: aws.dynamodb.Table;
  public readonly outcomeTable: aws.dynamodb.Table;
  /** The shared adaptive limiter's learned rate per origination identity (functions/shared/rate). */
  public readonly rateTable: aws.dynamodb.Table;
  public readonly eventsTopicArn: pulumi.Output<string>;
  public readonly failureQueue: aws.sqs.Queue;
  public readonly splitter: aws.lambda.Function;
  public readonly sender: aws.lambda.Function;
  public readonly eventSourceMapping: aws.lambda.EventSourceMapping;
  /** The SMS configuration set the sends go through (created or existing); undefined on the pinpoint target. */
  public readonly configurationSet: aws.pinpoint.Smsvoicev2ConfigurationSet | undefined;
  public readonly configurationSetName: pulumi.Output<string> | undefined;
  public readonly configurationSetArn: pulumi.Output<string> | undefined;
  /** Delivery outcomes (end-user-messaging target): the events topic, its queue, the consumer and the reporter. */
  public readonly deliveryEventsTopic: aws.sns.Topic | undefined;
  public readonly deliveryEventsQueue: aws.sqs.Queue | undefined;
  public readonly deliveryEventsDeadLetterQueue: aws.sqs.Queue | undefined;
  public readonly deliveryEventsFunction: aws.lambda.Function | undefined;
  public readonly reporter: aws.lambda.Function | undefined;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];
  /** The architecture's CloudWatch dashboard; undefined when dashboards are off. */
  public readonly dashboard: aws.cloudwatch.Dashboard | undefined;

  constructor(name: string, args: SmsFileDropArgs, opts?: pulumi.ComponentResourceOptions) {
    super("due:sms:SmsFileDrop", name, {}, opts);
    const settings = resolveSettings(SMS_FILE_DROP, args);
    const arn = arnBuilder({ parent: this });
    const { prefix, reportPrefix } = settings;

    // Bucket: created (direct notification) or existing (EventBridge rule, below).
    const files = existingOrCreate(
      settings.existingBucketName,
      () =>
        new SecureBucket(
          `${name}-files`,
          {
            forceDestroy: settings.forceDestroyBucket,
            lifecycleRules: [
              { id: "expire-dropped-files", prefix, expirationDays: settings.fileRetentionDays },
              { id: "expire-error-reports", prefix: reportPrefix, expirationDays: settings.fileRetentionDays },
            ],
          },
          { parent: this },
        ),
      (created) => created.bucket.bucket,
    );
    this.bucket = files.created?.bucket;
    this.bucketName = files.value;
    const bucketArn = files.created ? files.created.bucket.arn : pulumi.interpolate`arn:${arn.partition}:s3:::${this.bucketName}`;

    const messages = queueForFunction(
      `${name}-messages`,
      {
        fifo: true,
        consumerTimeoutSeconds: settings.senderTimeoutSeconds,
        // A backstop: the sender moves a message to the DLQ after its own maxAttempts (sender.ts).
        maxReceiveCount: redriveMaxReceiveCount(settings.maxReceiveCount, settings.batchSize),
        alarmActions: args.alarmActions,
      },
      { parent: this },
    );
    this.queue = messages.queue.queue;
    this.deadLetterQueue = messages.queue.deadLetterQueue!;

    this.checkpointTable = createTable(
      `${name}-checkpoints`,
      { schema: SMS_FILE_CHECKPOINT_TABLE, deletionProtection: args.tableDeletionProtection },
      { parent: this },
    );
    this.outcomeTable = createTable(
      `${name}-outcomes`,
      { schema: SMS_OUTCOME_TABLE, deletionProtection: args.tableDeletionProtection },
      { parent: this },
    );

    this.rateTable = createTable(`${name}-rates`, { schema: RATE_LIMIT_TABLE, deletionProtection: args.tableDeletionProtection }, { parent: this });

    const events = domainEventsTopic(
      `${name}-events`,
      { displayName: "SMS file drop events", existingTopicArn: settings.existingEventsTopicArn, existingKmsKeyArn: settings.existingEventsTopicKmsKeyArn },
      this,
    );
    this.eventsTopicArn = events.topicArn;
    const eventsKeyArn = events.keyArn;

    const failures = createAsyncFailureQueue(`${name}-failures`, args.alarmActions, this);
    this.failureQueue = failures.queue;

    const identitiesJson = JSON.stringify(settings.originationIdentities.map(({ identity: id, mps }) => ({ identity: id, mps })));
    const common = {
      ...functionPlatform(args),
      alarmActions: args.alarmActions,
    };

    // The splitter checks TRANSACTIONAL rows' numbers for permanent failures, 100 per read, so the
    // sender needs no read of its own for them (split-file.ts).
    const checkPermanentFailures = settings.skipPermanentFailures && settings.preferenceTableName !== undefined;
    const splitter = new BundledFunction(
      `${name}-splitter`,
      {
        ...common,
        handler: SPLITTER,
        description: "Validates dropped CSV files and queues one SMS per valid row",
        timeoutSeconds: settings.splitterTimeoutSeconds,
        memorySizeMb: settings.splitterMemorySizeMb,
        asyncInvoke: { maximumRetryAttempts: 2, onFailure: failures },
        environment: environmentFor(SPLITTER, {
          QUEUE_URL: this.queue.url,
          CHECKPOINT_TABLE_NAME: this.checkpointTable.name,
          EVENTS_TOPIC_ARN: this.eventsTopicArn,
          ORIGINATION_IDENTITIES: identitiesJson,
          MAX_SEGMENTS: String(settings.maxSegments),
          ENQUEUE_CONCURRENCY: String(settings.enqueueConcurrency),
          REPORT_PREFIX: reportPrefix,
          COLUMN_MAP: JSON.stringify(settings.columnMap),
          VOICE_DIALER_QUEUE_URL: settings.voiceDialerQueueUrl ?? "",
          PREFERENCE_TABLE_NAME: checkPermanentFailures ? settings.preferenceTableName! : "",
        }),
        policyStatements: splitterStatements({
          bucketArn,
          prefix,
          reportPrefix,
          bucketKeyArn: settings.existingBucketKmsKeyArn,
          queueArn: this.queue.arn,
          checkpointTableArn: this.checkpointTable.arn,
          eventsTopicArn: this.eventsTopicArn,
          eventsKeyArn,
          preferenceTableArn: checkPermanentFailures ? arn("dynamodb", pulumi.interpolate`table/${settings.preferenceTableName}`) : undefined,
        }).concat(
          settings.voiceDialerQueueArn === undefined || settings.voiceDialerKmsKeyArn === undefined
            ? []
            : enqueueCallsStatements({ queueArn: settings.voiceDialerQueueArn, keyArn: settings.voiceDialerKmsKeyArn }),
        ),
      },
      { parent: this },
    );
    this.splitter = splitter.function;

    // The configuration set: its events are the delivery outcomes (end-user-messaging only).
    let configurationSet: SmsConfigurationSetRef | undefined;
    if (settings.target === "end-user-messaging") {
      if (settings.configurationSetName !== undefined) {
        configurationSet = existingConfigurationSet(settings.configurationSetName, arn);
      } else {
        this.configurationSet = new aws.pinpoint.Smsvoicev2ConfigurationSet(`${name}-configuration-set`, { name: stableName(`${name}-sends`, 64) }, { parent: this });
        configurationSet = { configurationSetName: this.configurationSet.name, configurationSetArn: this.configurationSet.arn };
      }
    }
    this.configurationSetName = configurationSet?.configurationSetName;
    this.configurationSetArn = configurationSet?.configurationSetArn;
    const sending = settings.target === "pinpoint" || configurationSet === undefined ? pinpointSending(settings as Extract<Settings, { target: "pinpoint" }>, arn) : endUserMessagingSending(settings, configurationSet, arn);
    const sender = messages.deliverTo(
      `${name}-sender`,
      {
        ...common,
        handler: SENDER,
        description: "Sends queued SMS at each origination identity's rate, once per row",
        memorySizeMb: settings.senderMemorySizeMb,
        environment: {
          ...environmentFor(SENDER, {
            TARGET: settings.target,
            ...sending.environment,
            ORIGINATION_IDENTITIES: identitiesJson,
            OUTCOME_TABLE_NAME: this.outcomeTable.name,
            DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.url,
            MAX_ATTEMPTS: String(settings.maxReceiveCount),
            PREFERENCE_TABLE_NAME: settings.preferenceTableName ?? "",
            RATE_TABLE_NAME: this.rateTable.name,
            SKIP_PERMANENT_FAILURES: String(settings.skipPermanentFailures),
          }),
          ...sendingEnvironment({ sending: settings.sending, sendGuarantee: args.sendGuarantee }),
        },
        policyStatements: [
          ...senderStatements({
            deadLetterQueueArn: this.deadLetterQueue.arn,
            outcomeTableArn: this.outcomeTable.arn,
            rateTableArn: this.rateTable.arn,
            preferenceTableArn: settings.preferenceTableName === undefined ? undefined : arn("dynamodb", pulumi.interpolate`table/${settings.preferenceTableName}`),
            sendAction: sending.action,
            sendResources: sending.resources,
          }),
          ...sendingStatements({ sending: settings.sending }),
        ],
      },
      { mappingName: `${name}-sender-event-source`, batchSize: settings.batchSize, maximumConcurrency: settings.senderMaximumConcurrency },
      { parent: this },
    );
    this.sender = sender.fn.function;
    this.eventSourceMapping = sender.mapping;
    const bucketNode = this.bucket ?? external("S3 bucket (existing, via EventBridge)");
    dataFlow(external("Your uploaders"), bucketNode, "CSV files");
    dataFlow(bucketNode, this.splitter, "object-created notifications");
    dataFlow(this.splitter, this.checkpointTable, "rows");
    dataFlow(this.splitter, bucketNode, "error reports");
    dataFlow(this.splitter, this.queue, "messages");
    dataFlow(this.splitter, settings.existingEventsTopicArn === undefined ? named("aws:sns/topic:Topic", `${name}-events-topic`) : external("SNS events topic (existing)"), "file events");
    dataFlow(this.splitter, this.failureQueue, "failed invocations");
    dataFlow(checkPermanentFailures ? external("DynamoDB preference table (#8)") : undefined, this.splitter, "permanent failures");
    dataFlow(this.queue, this.sender, "batches");
    dataFlow(settings.preferenceTableName === undefined ? undefined : external("DynamoDB preference table (#8)"), this.sender, "opt-outs");
    dataFlow(this.sender, this.outcomeTable, "rows");
    dataFlow(this.sender, this.rateTable, "learned rates");
    dataFlow(this.sender, external(settings.target === "pinpoint" ? "Amazon Pinpoint (SendMessages)" : "End User Messaging SMS (SendTextMessage)"), "SMS");
    dataFlow(this.sender, this.deadLetterQueue, "failed messages");

    const delivery =
      configurationSet === undefined
        ? undefined
        : this.deliveryOutcomes(name, args, settings as Extract<Settings, { target: "end-user-messaging" }>, {
            configurationSet,
            bucketArn,
            reportPrefix,
            failures,
            eventsKeyArn,
            arn,
          });
    this.deliveryEventsTopic = delivery?.topic;
    this.deliveryEventsQueue = delivery?.queue.queue;
    this.deliveryEventsDeadLetterQueue = delivery?.queue.deadLetterQueue;
    this.deliveryEventsFunction = delivery?.consumer.function;
    this.reporter = delivery?.reporter.function;

    if (files.created !== undefined) {
      const permission = new aws.lambda.Permission(
        `${name}-s3-invoke-permission`,
        {
          action: "lambda:InvokeFunction",
          function: this.splitter.name,
          principal: "s3.amazonaws.com",
          sourceArn: bucketArn,
          sourceAccount: arn.accountId,
        },
        { parent: this },
      );
      files.created.notify(
        `${name}-notification`,
        { lambdaFunctions: [{ functionArn: this.splitter.arn, events: ["s3:ObjectCreated:*"], filterPrefix: prefix, filterSuffix: ".csv", permission }] },
        { parent: this },
      );
    } else {
      const rule = new aws.cloudwatch.EventRule(
        `${name}-object-created`,
        {
          description: "CSV files dropped for the SMS file drop",
          eventPattern: pulumi.jsonStringify(objectCreatedPattern(this.bucketName, prefix, [".csv"])),
        },
        { parent: this },
      );
      const permission = new aws.lambda.Permission(
        `${name}-eventbridge-invoke-permission`,
        { action: "lambda:InvokeFunction", function: this.splitter.name, principal: "events.amazonaws.com", sourceArn: rule.arn },
        { parent: this },
      );
      new aws.cloudwatch.EventTarget(
        `${name}-object-created-target`,
        { rule: rule.name, arn: this.splitter.arn },
        { parent: this, dependsOn: [permission] },
      );
    }

    // Sends whose outcome is unknown (at-most-once: recorded UNKNOWN, not re-sent), and outcome
    // writes lost after a send (the row stays SENDING): both need a person to look.
    const unknownAlarm = sendOutcomeUnknownAlarm(
      `${name}-send-outcome-unknown`,
      { namespace: SENDER.namespace, serviceName: sender.fn.serviceName, alarmActions: args.alarmActions },
      { parent: this },
    );
    const outcomeLostAlarm = anyAboveZeroAlarm(
      `${name}-outcome-write-lost`,
      {
        namespace: SENDER.namespace,
        metricName: SENDER_METRICS.OutcomeWriteLost,
        dimensions: { service: sender.fn.serviceName },
        statistic: "Sum",
        description: `${sender.fn.serviceName} could not record a row's outcome after sending it; the row stays SENDING in the outcome table`,
        alarmActions: args.alarmActions,
      },
      { parent: this },
    );
    this.alarms = [
      ...messages.queue.alarms,
      ...splitter.alarms,
      ...sender.fn.alarms,
      unknownAlarm,
      outcomeLostAlarm,
      ...(delivery === undefined ? [] : [...delivery.queue.alarms, ...delivery.consumer.alarms, ...delivery.reporter.alarms]),
    ];
    this.dashboard = architectureDashboard(
      name,
      args,
      {
        queues: [messages.queue, ...(delivery === undefined ? [] : [delivery.queue])],
        failureQueues: [this.failureQueue],
        functions: [
          dashboardFunction(splitter, SPLITTER),
          dashboardFunction(sender.fn, SENDER),
          ...(delivery === undefined ? [] : [dashboardFunction(delivery.consumer, DELIVERY), dashboardFunction(delivery.reporter, REPORTER)]),
        ],
      },
      this,
    );
    this.registerOutputs({
      dashboard: this.dashboard,
      bucket: this.bucket,
      bucketName: this.bucketName,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      checkpointTable: this.checkpointTable,
      outcomeTable: this.outcomeTable,
      rateTable: this.rateTable,
      eventsTopicArn: this.eventsTopicArn,
      failureQueue: this.failureQueue,
      splitter: this.splitter,
      sender: this.sender,
      eventSourceMapping: this.eventSourceMapping,
      configurationSet: this.configurationSet,
      configurationSetName: this.configurationSetName,
      configurationSetArn: this.configurationSetArn,
      deliveryEventsTopic: this.deliveryEventsTopic,
      deliveryEventsQueue: this.deliveryEventsQueue,
      deliveryEventsDeadLetterQueue: this.deliveryEventsDeadLetterQueue,
      deliveryEventsFunction: this.deliveryEventsFunction,
      reporter: this.reporter,
      alarms: this.alarms,
    });
  }

  /**
   * Delivery outcomes: the configuration set's events (one SNS event destination: AWS allows 5 per
   * configuration set) → an encrypted topic → SQS → the consumer (each row's outcome, permanent
   * failures in the preference table); a scheduled reporter publishes each file's delivery report.
   */
  private deliveryOutcomes(
    name: string,
    args: SmsFileDropArgs,
    settings: Extract<Settings, { target: "end-user-messaging" }>,
    refs: {
      configurationSet: SmsConfigurationSetRef;
      bucketArn: pulumi.Input<string>;
      reportPrefix: string;
      failures: ReturnType<typeof createAsyncFailureQueue>;
      eventsKeyArn: pulumi.Input<string> | undefined;
      arn: ArnBuilder;
    },
  ) {
    const { arn } = refs;
    // AWS documents the configuration set as the aws:SourceArn of its event publishing:
    // https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-sns-creating-role.html
    const topic = new EncryptedTopic(
      `${name}-delivery-events`,
      { displayName: "SMS delivery events", publishers: [{ service: "sms-voice.amazonaws.com", sourceArns: [refs.configurationSet.configurationSetArn] }] },
      { parent: this },
    );
    const events = queueForFunction(
      `${name}-delivery-queue`,
      {
        consumerTimeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
        kmsKeyArn: topic.key.arn,
        maxReceiveCount: 5,
        allowedSenders: [{ service: "sns.amazonaws.com", sourceArn: topic.topic.arn }],
        alarmActions: args.alarmActions,
      },
      { parent: this },
    );
    const subscription = new aws.sns.TopicSubscription(
      `${name}-delivery-subscription`,
      { topic: topic.topic.arn, protocol: "sqs", endpoint: events.queue.queue.arn, rawMessageDelivery: true },
      { parent: this, dependsOn: [events.queue.queuePolicy] },
    );
    const destination = new aws.pinpoint.Smsvoicev2EventDestination(
      `${name}-delivery-destination`,
      {
        configurationSetName: refs.configurationSet.configurationSetName,
        // Named after this component, so another pipeline on the same configuration set cannot collide.
        eventDestinationName: stableName(`${name}-delivery`, 64),
        enabled: true,
        matchingEventTypes: CONSUMED_EVENT_TYPES,
        snsDestination: { topicArn: topic.topic.arn },
      },
      { parent: this, dependsOn: [topic.topicPolicy, subscription] },
    );
    const preferenceTableArn =
      settings.preferenceTableName === undefined ? undefined : arn("dynamodb", pulumi.interpolate`table/${settings.preferenceTableName}`);
    const recordFailures = settings.recordPermanentFailures && preferenceTableArn !== undefined;
    const consumer = events.deliverTo(
      `${name}-delivery`,
      {
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        handler: DELIVERY,
        description: "Records SMS delivery events on each file row and permanent failures in the preference table",
        memorySizeMb: 256,
        environment: environmentFor(DELIVERY, {
          OUTCOME_TABLE_NAME: this.outcomeTable.name,
          PREFERENCE_TABLE_NAME: recordFailures ? settings.preferenceTableName! : "",
          RECORD_PERMANENT_FAILURES: String(recordFailures),
        }),
        policyStatements: deliveryStatements({ outcomeTableArn: this.outcomeTable.arn, preferenceTableArn: recordFailures ? preferenceTableArn : undefined }),
      },
      { mappingName: `${name}-delivery-event-source`, batchSize: 10, maximumConcurrency: 2 },
      { parent: this, dependsOn: [destination] },
    );
    const reporter = new BundledFunction(
      `${name}-reporter`,
      {
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        handler: REPORTER,
        description: "Publishes each dropped file's delivery report when final or at its deadline",
        timeoutSeconds: 900,
        memorySizeMb: 512,
        asyncInvoke: { maximumRetryAttempts: 0, onFailure: refs.failures },
        environment: environmentFor(REPORTER, {
          CHECKPOINT_TABLE_NAME: this.checkpointTable.name,
          OUTCOME_TABLE_NAME: this.outcomeTable.name,
          EVENTS_TOPIC_ARN: this.eventsTopicArn,
          REPORT_PREFIX: refs.reportPrefix,
          REPORT_DEADLINE_HOURS: String(settings.deliveryReportDeadlineHours),
        }),
        policyStatements: reporterStatements({
          checkpointTableArn: this.checkpointTable.arn,
          outcomeTableArn: this.outcomeTable.arn,
          bucketArn: refs.bucketArn,
          reportPrefix: refs.reportPrefix,
          eventsTopicArn: this.eventsTopicArn,
          eventsKeyArn: refs.eventsKeyArn,
          bucketKeyArn: settings.existingBucketKmsKeyArn,
        }),
      },
      { parent: this },
    );
    const schedule = new aws.cloudwatch.EventRule(
      `${name}-report-schedule`,
      { description: "Looks at the SMS file drop's open delivery reports", scheduleExpression: "rate(10 minutes)" },
      { parent: this },
    );
    const permission = new aws.lambda.Permission(
      `${name}-report-schedule-permission`,
      { action: "lambda:InvokeFunction", function: reporter.function.name, principal: "events.amazonaws.com", sourceArn: schedule.arn },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(`${name}-report-schedule-target`, { rule: schedule.name, arn: reporter.function.arn }, { parent: this, dependsOn: [permission] });

    const configurationSetNode = this.configurationSet ?? external("SMS configuration set (existing)");
    dataFlow(this.sender, configurationSetNode, "sends");
    dataFlow(configurationSetNode, topic.topic, "delivery events");
    dataFlow(topic.topic, events.queue.queue, "messages");
    dataFlow(events.queue.queue, consumer.fn.function, "batches");
    dataFlow(consumer.fn.function, this.outcomeTable, "delivery outcomes");
    dataFlow(recordFailures ? consumer.fn.function : undefined, external("DynamoDB preference table (#8)"), "permanent failures");
    dataFlow(this.outcomeTable, reporter.function, "rows");
    dataFlow(reporter.function, this.bucket ?? external("S3 bucket (existing, via EventBridge)"), "delivery reports");
    return { topic: topic.topic, queue: events.queue, consumer: consumer.fn, reporter };
  }
}

/** The delivery-event consumer's timeout (its queue's visibility timeout is six times this). */
const DELIVERY_TIMEOUT_SECONDS = 30;

/** The delivery-event consumer's permissions (queueForFunction adds ConsumeQueue before them). */
export function deliveryStatements(resources: { outcomeTableArn: pulumi.Input<string>; preferenceTableArn?: pulumi.Input<string> }): PolicyStatement[] {
  return [
    { Sid: "RecordDeliveryOutcomes", Effect: "Allow", Action: "dynamodb:UpdateItem", Resource: resources.outcomeTableArn },
    ...(resources.preferenceTableArn === undefined
      ? []
      : [{ Sid: "RecordPermanentFailures", Effect: "Allow" as const, Action: "dynamodb:UpdateItem", Resource: resources.preferenceTableArn }]),
  ];
}

/** The reporter's permissions: open files and their state, the rows' outcomes, the report object, the event. */
export function reporterStatements(resources: {
  checkpointTableArn: pulumi.Input<string>;
  outcomeTableArn: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  reportPrefix: string;
  eventsTopicArn: pulumi.Input<string>;
  eventsKeyArn?: pulumi.Input<string>;
  bucketKeyArn?: pulumi.Input<string>;
}): PolicyStatement[] {
  return [
    { Sid: "OpenReports", Effect: "Allow", Action: ["dynamodb:Scan", "dynamodb:UpdateItem"], Resource: resources.checkpointTableArn },
    { Sid: "ReadRowOutcomes", Effect: "Allow", Action: "dynamodb:BatchGetItem", Resource: resources.outcomeTableArn },
    { Sid: "WriteDeliveryReports", Effect: "Allow", Action: "s3:PutObject", Resource: pulumi.interpolate`${resources.bucketArn}/${resources.reportPrefix}*` },
    { Sid: "PublishReports", Effect: "Allow", Action: "sns:Publish", Resource: resources.eventsTopicArn },
    ...(resources.eventsKeyArn === undefined ? [] : [{ Sid: "EncryptReports", Effect: "Allow" as const, Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: resources.eventsKeyArn }]),
    ...(resources.bucketKeyArn === undefined ? [] : [{ Sid: "UseBucketKey", Effect: "Allow" as const, Action: ["kms:GenerateDataKey"], Resource: resources.bucketKeyArn }]),
  ];
}

/**
 * The SendTextMessage resource for an identity, relative to arn:…:sms-voice:<region>:<account>:,
 * or an absolute ARN; undefined when it cannot be derived (E.164 number, sender id).
 */
export function identityResource(identity: string): string | undefined {
  if (identity.startsWith("arn:")) return identity;
  if (/^phone-[a-z0-9]{32}$/.test(identity)) return `phone-number/${identity}`;
  if (/^pool-[a-z0-9]{32}$/.test(identity)) return `pool/${identity}`;
  return undefined;
}

/**
 * Every identity's send resource, de-duplicated. Validation guarantees each identity has one (an
 * E.164 number or sender ID must come with its `arn`); nothing is ever widened to a wildcard.
 */
export function originationIdentityResources(identities: SmsOriginationIdentity[]): string[] {
  const resources = new Set<string>();
  for (const { identity, arn } of identities) {
    const resource = arn ?? identityResource(identity);
    if (resource === undefined) throw new Error(`origination identity "${identity}" has no ARN (the contract requires one)`);
    resources.add(resource);
  }
  return [...resources];
}

/** The problem with an identity's ARN on the end-user-messaging target (missing or of the wrong kind), or undefined. */
function identityArnError(identity: string, arn: string | undefined): string | undefined {
  const e164 = /^\+[1-9]\d{1,14}$/.test(identity);
  if (arn === undefined) {
    if (identityResource(identity) !== undefined) return undefined;
    return `is required for "${identity}" (${e164 ? "an E.164 number: its phone-number ARN" : "a sender ID: its sender-id ARN"}), so that SendTextMessage is granted on that identity only`;
  }
  const kind = /:(phone-number|pool|sender-id)\//.exec(arn)?.[1];
  if (e164 && kind !== undefined && kind !== "phone-number") return `must be a phone-number ARN for the E.164 number "${identity}", got "${arn}"`;
  return undefined;
}

/** The splitter's exact permissions: read dropped files, write error reports, queue, checkpoint, summarize. */
export function splitterStatements(resources: {
  bucketArn: pulumi.Input<string>;
  prefix: string;
  reportPrefix: string;
  bucketKeyArn?: pulumi.Input<string>;
  queueArn: pulumi.Input<string>;
  checkpointTableArn: pulumi.Input<string>;
  eventsTopicArn: pulumi.Input<string>;
  eventsKeyArn?: pulumi.Input<string>;
  /** Only when the splitter checks permanent failures (skipPermanentFailures with a preference table). */
  preferenceTableArn?: pulumi.Input<string>;
}): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    {
      // GetObjectVersion: events from a versioned bucket carry the version id the splitter reads.
      Sid: "ReadDroppedFiles",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: pulumi.interpolate`${resources.bucketArn}/${resources.prefix}*`,
    },
    {
      // Without ListBucket S3 answers a deleted file with 403 instead of 404 (NoSuchKey), and the
      // splitter could not tell "deleted since the event" (skip) from a real failure (retry). No
      // s3:prefix condition: a GetObject carries no prefix, a condition on a missing key evaluates
      // false, and the 404 would be a 403 again. ListBucket reveals key names, not contents.
      Sid: "ListDroppedFiles",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: resources.bucketArn,
    },
    {
      // Only under the report prefix, which does not overlap the trigger prefix: the splitter
      // cannot overwrite or add input files, and a report never triggers it.
      Sid: "WriteErrorReports",
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: pulumi.interpolate`${resources.bucketArn}/${resources.reportPrefix}*`,
    },
    { Sid: "QueueMessages", Effect: "Allow", Action: "sqs:SendMessage", Resource: resources.queueArn },
    { Sid: "Checkpoints", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: resources.checkpointTableArn },
    { Sid: "PublishSummaries", Effect: "Allow", Action: "sns:Publish", Resource: resources.eventsTopicArn },
  ];
  if (resources.preferenceTableArn !== undefined) {
    statements.push({ Sid: "CheckPermanentFailures", Effect: "Allow", Action: "dynamodb:BatchGetItem", Resource: resources.preferenceTableArn });
  }
  if (resources.eventsKeyArn !== undefined) {
    statements.push({ Sid: "EncryptSummaries", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: resources.eventsKeyArn });
  }
  if (resources.bucketKeyArn !== undefined) {
    statements.push({ Sid: "UseBucketKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: resources.bucketKeyArn });
  }
  return statements;
}

/** The sender's own permissions (queueForFunction adds ConsumeQueue before them): dead-letter, record outcomes, read preferences, send. */
export function senderStatements(resources: {
  deadLetterQueueArn: pulumi.Input<string>;
  outcomeTableArn: pulumi.Input<string>;
  rateTableArn: pulumi.Input<string>;
  preferenceTableArn?: pulumi.Input<string>;
  sendAction: string;
  sendResources: pulumi.Input<string>[];
}): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    // The sender moves malformed messages (at once) and messages out of attempts to the DLQ itself,
    // so that the messages held behind them are not dead-lettered untried.
    { Sid: "MoveToDeadLetterQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: resources.deadLetterQueueArn },
    { Sid: "RecordOutcomes", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: resources.outcomeTableArn },
    // The adaptive limiter reads the learned rate and writes it only when it decreases.
    { Sid: "ShareLearnedRate", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Resource: resources.rateTableArn },
  ];
  if (resources.preferenceTableArn !== undefined) {
    // BatchGetItem: one read of a batch's numbers for the permanent-failure check.
    statements.push({ Sid: "ReadPreferences", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:BatchGetItem"], Resource: resources.preferenceTableArn });
  }
  statements.push({
    Sid: "SendMessages",
    Effect: "Allow",
    Action: resources.sendAction,
    Resource: resources.sendResources,
  });
  return statements;
}
