import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SMS_FILE_CHECKPOINT_TABLE, SMS_OUTCOME_TABLE } from "../../functions/shared/tables";
import { DEFAULT_REPORT_PREFIX, MAX_ATTEMPTS_LIMIT, OUTCOME_WRITE_LOST_METRIC, redriveMaxReceiveCount } from "../../functions/sms-file-drop/config";
import {
  accountContext,
  anyAboveZeroAlarm,
  ArgumentErrors,
  BundledFunction,
  createAsyncFailureQueue,
  createTable,
  domainEventsTopic,
  functionPlatform,
  isKnown,
  PlatformArgs,
  PolicyStatement,
  QueueWithDeadLetter,
  SecureBucket,
  sendGuaranteeEnvironment,
  sendOutcomeUnknownAlarm,
  tableArnFromName,
  VISIBILITY_TIMEOUT_FACTOR,
} from "../shared";

export const SMS_FILE_DROP_TARGETS = ["end-user-messaging", "pinpoint"] as const;
const METRICS_NAMESPACE = "DigitalUserEngagement/SmsFileDrop";
export const CSV_COLUMNS = ["sms_number", "message", "external_campaign_id", "short_code", "message_type", "id_1", "id_2"] as const;

/** One origination identity the CSV may name, with its send rate. */
export interface SmsOriginationIdentity {
  /** What the CSV's short_code column holds: an E.164 number, a phone-number or pool id, a sender id or an ARN. */
  identity: string;
  /** Message parts per second this identity may send (its MPS quota). */
  mps: number;
  /**
   * ARN the sender's SendTextMessage permission is scoped to. Default: derived from `identity`
   * when it is an ARN, a phone-number id ("phone-…") or a pool id ("pool-…"). Required for an
   * E.164 number (its phone-number ARN) or a sender ID (its sender-id ARN) on the
   * end-user-messaging target: the permission is never widened to every number or sender ID.
   */
  arn?: string;
}

export interface SmsFileDropArgs extends PlatformArgs {
  /** The allow-list: a row naming any other origination identity is rejected. At least one. */
  originationIdentities: SmsOriginationIdentity[];
  /** "end-user-messaging" (default, SendTextMessage) or "pinpoint" (SendMessages, needs pinpointApplicationId). */
  target?: (typeof SMS_FILE_DROP_TARGETS)[number];
  pinpointApplicationId?: pulumi.Input<string>;

  /**
   * Read files from this existing bucket instead of creating one. Its other notifications are left
   * alone: files are picked up through an EventBridge rule, so the bucket must have EventBridge
   * notifications turned on (S3 console: Properties → Amazon EventBridge → On; the API call
   * replaces the whole notification configuration, so do it where that configuration is managed).
   * Default: a secure bucket is created and notifies the splitter directly.
   */
  existingBucketName?: pulumi.Input<string>;
  /** Customer-managed KMS key of `existingBucketName`, if it uses SSE-KMS. */
  existingBucketKmsKeyArn?: pulumi.Input<string>;
  /** Key prefix of the files to process. Default "files/". Only keys ending ".csv" are processed. */
  prefix?: string;
  /**
   * Key prefix of the error reports (`<reportPrefix><key>.errors.csv`). Default "reports/". Must
   * not overlap `prefix` (neither may start with the other), so a report never triggers the splitter
   * and every file under `prefix` is input, whatever its name.
   */
  reportPrefix?: string;
  /** Created bucket only: days after which dropped files (and their error reports) expire. Default 90. */
  fileRetentionDays?: number;
  /** Created bucket only: let `pulumi destroy` delete a non-empty bucket. Default false. */
  forceDestroyBucket?: boolean;

  /** Header names for the canonical columns, e.g. { sms_number: "phone" }. Default: the seed's header. */
  columnMap?: Partial<Record<(typeof CSV_COLUMNS)[number], string>>;
  /** Maximum message parts a row may need (1–30). Default 10. */
  maxSegments?: number;
  /** SendMessageBatch calls the splitter keeps in flight (1–50; 1 = strict file order). Default 8. */
  enqueueConcurrency?: number;
  /**
   * The self-managed opt-out architecture's preference table: PROMOTIONAL rows to numbers recorded
   * OPTED_OUT there are skipped. Default none (no check).
   */
  preferenceTableName?: pulumi.Input<string>;
  /** SMS configuration set for the sends (end-user-messaging only). Default none. */
  configurationSetName?: pulumi.Input<string>;
  /** Publish sms.file.processed summaries to this topic instead of a created one. */
  existingEventsTopicArn?: pulumi.Input<string>;
  existingEventsTopicKmsKeyArn?: pulumi.Input<string>;

  /** Splitter timeout. Default 900 s (it stops 30 s early and resumes from its checkpoint). */
  splitterTimeoutSeconds?: number;
  /** Splitter memory. Default 1024 MB (parsing and validation are CPU-bound). */
  splitterMemorySizeMb?: number;
  /** Sender timeout. Default 60 s; the queue's visibility timeout is six times this. */
  senderTimeoutSeconds?: number;
  senderMemorySizeMb?: number;
  /** Sender invocations the queue may drive at once, 2–1000. Default 2. */
  senderMaximumConcurrency?: number;
  /** Records per sender invocation, 1–10. Default 10. */
  batchSize?: number;
  /**
   * Attempts of one message before it moves to the FIFO DLQ, 1–100. Default 5. The sender counts
   * each message's own attempts and moves it itself; the queue's redrive policy is a backstop at
   * maxReceiveCount × batchSize (at most 1000), because SQS also counts receives of the messages
   * held behind a failing one, which are not attempts.
   */
  maxReceiveCount?: number;
}

/**
 * Architecture #9, Sending SMS Triggered by S3 File Drop: a CSV under a prefix → splitter Lambda
 * (streaming parse, validation, error report, checkpointed SendMessageBatch) → SQS FIFO queue
 * grouped by origination identity → sender Lambda (token bucket per identity, idempotent
 * SendTextMessage, per-row outcomes).
 */
export class SmsFileDrop extends pulumi.ComponentResource {
  /** The created bucket, or undefined with `existingBucketName`. */
  public readonly bucket: aws.s3.Bucket | undefined;
  public readonly bucketName: pulumi.Output<string>;
  public readonly queue: aws.sqs.Queue;
  public readonly deadLetterQueue: aws.sqs.Queue;
  public readonly checkpointTable: aws.dynamodb.Table;
  public readonly outcomeTable: aws.dynamodb.Table;
  public readonly eventsTopicArn: pulumi.Output<string>;
  public readonly failureQueue: aws.sqs.Queue;
  public readonly splitter: aws.lambda.Function;
  public readonly sender: aws.lambda.Function;
  public readonly eventSourceMapping: aws.lambda.EventSourceMapping;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];

  constructor(name: string, args: SmsFileDropArgs, opts?: pulumi.ComponentResourceOptions) {
    super("due:sms:SmsFileDrop", name, {}, opts);
    validateSmsFileDropArgs(args);
    const invokeOpts = { parent: this };
    const { identity, region, partition } = accountContext(invokeOpts);
    const prefix = args.prefix ?? "files/";
    const reportPrefix = args.reportPrefix ?? DEFAULT_REPORT_PREFIX;
    const target = args.target ?? "end-user-messaging";
    const maxAttempts = args.maxReceiveCount ?? 5;
    const batchSize = args.batchSize ?? 10;

    // Bucket: created (direct notification) or existing (EventBridge rule, below).
    let bucketReady: pulumi.Resource[] = [];
    let bucketArn: pulumi.Output<string>;
    if (args.existingBucketName === undefined) {
      const bucket = new SecureBucket(
        `${name}-files`,
        {
          forceDestroy: args.forceDestroyBucket ?? false,
          lifecycleRules: [
            { id: "expire-dropped-files", prefix, expirationDays: args.fileRetentionDays ?? 90 },
            { id: "expire-error-reports", prefix: reportPrefix, expirationDays: args.fileRetentionDays ?? 90 },
          ],
        },
        { parent: this },
      );
      this.bucket = bucket.bucket;
      this.bucketName = bucket.bucket.bucket;
      bucketArn = bucket.bucket.arn;
      bucketReady = bucket.ready;
    } else {
      this.bucket = undefined;
      this.bucketName = pulumi.output(args.existingBucketName);
      bucketArn = pulumi.interpolate`arn:${partition.partition}:s3:::${this.bucketName}`;
    }

    const senderTimeout = args.senderTimeoutSeconds ?? 60;
    const queue = new QueueWithDeadLetter(
      `${name}-messages`,
      {
        fifo: true,
        visibilityTimeoutSeconds: senderTimeout * VISIBILITY_TIMEOUT_FACTOR,
        // A backstop: the sender moves a message to the DLQ after its own maxAttempts (sender.ts).
        maxReceiveCount: redriveMaxReceiveCount(maxAttempts, batchSize),
        alarmActions: args.alarmActions,
      },
      { parent: this },
    );
    this.queue = queue.queue;
    this.deadLetterQueue = queue.deadLetterQueue!;

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

    const events = domainEventsTopic(
      `${name}-events`,
      { displayName: "SMS file drop events", existingTopicArn: args.existingEventsTopicArn, existingKmsKeyArn: args.existingEventsTopicKmsKeyArn },
      this,
    );
    this.eventsTopicArn = events.topicArn;
    const eventsKeyArn = events.keyArn;

    const failures = createAsyncFailureQueue(`${name}-failures`, args.alarmActions, this);
    this.failureQueue = failures.queue;

    const identitiesJson = JSON.stringify(args.originationIdentities.map(({ identity: id, mps }) => ({ identity: id, mps })));
    const common = {
      ...functionPlatform(args),
      alarmActions: args.alarmActions,
    };

    const splitter = new BundledFunction(
      `${name}-splitter`,
      {
        ...common,
        handler: { entry: "functions/sms-file-drop/splitter.ts" },
        description: "Validates dropped CSV files and queues one SMS per valid row",
        timeoutSeconds: args.splitterTimeoutSeconds ?? 900,
        memorySizeMb: args.splitterMemorySizeMb ?? 1024,
        asyncMaximumRetryAttempts: 2,
        onFailureQueueArn: this.failureQueue.arn,
        environment: {
          QUEUE_URL: this.queue.url,
          CHECKPOINT_TABLE_NAME: this.checkpointTable.name,
          EVENTS_TOPIC_ARN: this.eventsTopicArn,
          ORIGINATION_IDENTITIES: identitiesJson,
          MAX_SEGMENTS: String(args.maxSegments ?? 10),
          ENQUEUE_CONCURRENCY: String(args.enqueueConcurrency ?? 8),
          REPORT_PREFIX: reportPrefix,
          ...(args.columnMap ? { COLUMN_MAP: JSON.stringify(args.columnMap) } : {}),
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        },
        policyStatements: splitterStatements({
          bucketArn,
          prefix,
          reportPrefix,
          bucketKeyArn: args.existingBucketKmsKeyArn,
          queueArn: this.queue.arn,
          checkpointTableArn: this.checkpointTable.arn,
          eventsTopicArn: this.eventsTopicArn,
          eventsKeyArn,
        }),
      },
      { parent: this },
    );
    this.splitter = splitter.function;

    const smsVoiceArn = (resource: string) => pulumi.interpolate`arn:${partition.partition}:sms-voice:${region.region}:${identity.accountId}:${resource}`;
    const preferenceTableArn = args.preferenceTableName === undefined ? undefined : tableArnFromName(args.preferenceTableName, invokeOpts);
    const sender = new BundledFunction(
      `${name}-sender`,
      {
        ...common,
        handler: { entry: "functions/sms-file-drop/sender.ts" },
        description: "Sends queued SMS at each origination identity's rate, once per row",
        timeoutSeconds: senderTimeout,
        memorySizeMb: args.senderMemorySizeMb ?? 256,
        environment: {
          TARGET: target,
          ORIGINATION_IDENTITIES: identitiesJson,
          OUTCOME_TABLE_NAME: this.outcomeTable.name,
          DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.url,
          MAX_ATTEMPTS: String(maxAttempts),
          ...sendGuaranteeEnvironment(args),
          ...(args.pinpointApplicationId !== undefined ? { PINPOINT_APPLICATION_ID: args.pinpointApplicationId } : {}),
          ...(args.preferenceTableName !== undefined ? { PREFERENCE_TABLE_NAME: args.preferenceTableName } : {}),
          ...(args.configurationSetName !== undefined ? { CONFIGURATION_SET_NAME: args.configurationSetName } : {}),
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        },
        policyStatements: senderStatements({
          queueArn: this.queue.arn,
          deadLetterQueueArn: this.deadLetterQueue.arn,
          outcomeTableArn: this.outcomeTable.arn,
          preferenceTableArn,
          sendResources:
            target === "pinpoint"
              ? [pulumi.interpolate`arn:${partition.partition}:mobiletargeting:${region.region}:${identity.accountId}:apps/${args.pinpointApplicationId}/messages`]
              : [
                  ...originationIdentityResources(args.originationIdentities).map((r) => (r.startsWith("arn:") ? pulumi.output(r) : smsVoiceArn(r))),
                  // SendTextMessage accepts a name or an ARN; the policy needs the ARN either way.
                  ...(args.configurationSetName !== undefined
                    ? [
                        pulumi
                          .output(args.configurationSetName)
                          .apply((c) => (c.startsWith("arn:") ? pulumi.output(c) : smsVoiceArn(`configuration-set/${c}`))),
                      ]
                    : []),
                ],
          target,
        }),
      },
      { parent: this },
    );
    this.sender = sender.function;

    this.eventSourceMapping = new aws.lambda.EventSourceMapping(
      `${name}-sender-event-source`,
      {
        eventSourceArn: this.queue.arn,
        functionName: this.sender.arn,
        batchSize,
        functionResponseTypes: ["ReportBatchItemFailures"],
        scalingConfig: { maximumConcurrency: args.senderMaximumConcurrency ?? 2 },
      },
      { parent: this },
    );

    if (args.existingBucketName === undefined) {
      const permission = new aws.lambda.Permission(
        `${name}-s3-invoke-permission`,
        {
          action: "lambda:InvokeFunction",
          function: this.splitter.name,
          principal: "s3.amazonaws.com",
          sourceArn: bucketArn,
          sourceAccount: identity.accountId,
        },
        { parent: this },
      );
      // S3 validates the destination when the notification is saved: depend on the permission.
      new aws.s3.BucketNotification(
        `${name}-notification`,
        {
          bucket: this.bucketName,
          lambdaFunctions: [{ lambdaFunctionArn: this.splitter.arn, events: ["s3:ObjectCreated:*"], filterPrefix: prefix, filterSuffix: ".csv" }],
        },
        { parent: this, dependsOn: [permission, ...bucketReady] },
      );
    } else {
      const rule = new aws.cloudwatch.EventRule(
        `${name}-object-created`,
        {
          description: "CSV files dropped for the SMS file drop",
          eventPattern: pulumi.jsonStringify(objectCreatedPattern(this.bucketName, prefix)),
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
    const senderMetrics = { namespace: METRICS_NAMESPACE, serviceName: `${name}-sender`, alarmActions: args.alarmActions };
    const unknownAlarm = sendOutcomeUnknownAlarm(`${name}-send-outcome-unknown`, senderMetrics, { parent: this });
    const outcomeLostAlarm = anyAboveZeroAlarm(
      `${name}-outcome-write-lost`,
      {
        namespace: METRICS_NAMESPACE,
        metricName: OUTCOME_WRITE_LOST_METRIC,
        dimensions: { service: `${name}-sender` },
        statistic: "Sum",
        description: `${name}-sender could not record a row's outcome after sending it; the row stays SENDING in the outcome table`,
        alarmActions: args.alarmActions,
      },
      { parent: this },
    );
    this.alarms = [...queue.alarms, failures.alarm, ...splitter.alarms, ...sender.alarms, unknownAlarm, outcomeLostAlarm];
    this.registerOutputs({
      bucket: this.bucket,
      bucketName: this.bucketName,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      checkpointTable: this.checkpointTable,
      outcomeTable: this.outcomeTable,
      eventsTopicArn: this.eventsTopicArn,
      failureQueue: this.failureQueue,
      splitter: this.splitter,
      sender: this.sender,
      eventSourceMapping: this.eventSourceMapping,
      alarms: this.alarms,
    });
  }
}

/** EventBridge pattern for "Object Created" under the prefix with a .csv suffix, in one bucket. */
export function objectCreatedPattern(bucketName: pulumi.Input<string>, prefix: string): Record<string, unknown> {
  return {
    source: ["aws.s3"],
    "detail-type": ["Object Created"],
    detail: { bucket: { name: [bucketName] }, object: { key: [{ wildcard: `${prefix}*.csv` }] } },
  };
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
    if (resource === undefined) throw new Error(`origination identity "${identity}" has no ARN (validateSmsFileDropArgs requires one)`);
    resources.add(resource);
  }
  return [...resources];
}

/** The error for an identity whose SendTextMessage resource is missing or of the wrong kind, or undefined. */
export function identityArnError(index: number, identity: string, arn: string | undefined): string | undefined {
  const e164 = /^\+[1-9]\d{1,14}$/.test(identity);
  if (arn === undefined) {
    if (identityResource(identity) !== undefined) return undefined;
    return `originationIdentities[${index}].arn is required for "${identity}" (${e164 ? "an E.164 number: its phone-number ARN" : "a sender ID: its sender-id ARN"}), so that SendTextMessage is granted on that identity only`;
  }
  const kind = /:(phone-number|pool|sender-id)\//.exec(arn)?.[1];
  if (e164 && kind !== undefined && kind !== "phone-number") return `originationIdentities[${index}].arn must be a phone-number ARN for the E.164 number "${identity}", got "${arn}"`;
  return undefined;
}

/** The error for report and trigger prefixes that overlap (one starts with the other), or undefined. */
export function reportPrefixOverlapError(prefix: string, reportPrefix: string): string | undefined {
  if (!reportPrefix.startsWith(prefix) && !prefix.startsWith(reportPrefix)) return undefined;
  return `reportPrefix "${reportPrefix}" must not overlap prefix "${prefix}" (neither may start with the other): error reports written there would be read as input files`;
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
  if (resources.eventsKeyArn !== undefined) {
    statements.push({ Sid: "EncryptSummaries", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: resources.eventsKeyArn });
  }
  if (resources.bucketKeyArn !== undefined) {
    statements.push({ Sid: "UseBucketKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: resources.bucketKeyArn });
  }
  return statements;
}

/** The sender's exact permissions: consume the queue, record outcomes, read preferences, send. */
export function senderStatements(resources: {
  target: (typeof SMS_FILE_DROP_TARGETS)[number];
  queueArn: pulumi.Input<string>;
  deadLetterQueueArn: pulumi.Input<string>;
  outcomeTableArn: pulumi.Input<string>;
  preferenceTableArn?: pulumi.Input<string>;
  sendResources: pulumi.Input<string>[];
}): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    {
      Sid: "ConsumeQueue",
      Effect: "Allow",
      Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
      Resource: resources.queueArn,
    },
    // The sender moves malformed messages (at once) and messages out of attempts to the DLQ itself,
    // so that the messages held behind them are not dead-lettered untried.
    { Sid: "MoveToDeadLetterQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: resources.deadLetterQueueArn },
    { Sid: "RecordOutcomes", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: resources.outcomeTableArn },
  ];
  if (resources.preferenceTableArn !== undefined) {
    statements.push({ Sid: "ReadPreferences", Effect: "Allow", Action: "dynamodb:GetItem", Resource: resources.preferenceTableArn });
  }
  statements.push({
    Sid: "SendMessages",
    Effect: "Allow",
    Action: resources.target === "pinpoint" ? "mobiletargeting:SendMessages" : "sms-voice:SendTextMessage",
    Resource: resources.sendResources,
  });
  return statements;
}

export function validateSmsFileDropArgs(args: SmsFileDropArgs): void {
  const errors = new ArgumentErrors("SmsFileDrop");
  const identities = args.originationIdentities ?? [];
  errors.check(identities.length === 0, "originationIdentities must list at least one identity");
  const seen = new Set<string>();
  for (const [i, { identity, mps, arn }] of identities.entries()) {
    errors.check(
      !/^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/.test(identity ?? ""),
      `originationIdentities[${i}].identity must be 1–128 characters without spaces (it is the FIFO message group), got "${identity}"`,
    );
    errors.check(seen.has(identity), `originationIdentities[${i}].identity "${identity}" is listed twice`);
    seen.add(identity);
    errors.check(!(typeof mps === "number" && mps > 0 && mps <= 10_000), `originationIdentities[${i}].mps must be greater than 0 and at most 10000, got ${mps}`);
    errors.check(arn !== undefined && !/^arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:(phone-number|pool|sender-id)\/\S+$/.test(arn), `originationIdentities[${i}].arn must be an sms-voice phone-number, pool or sender-id ARN, got "${arn}"`);
    // Only the end-user-messaging target grants per identity (Pinpoint grants on the project).
    const arnError = (args.target ?? "end-user-messaging") === "end-user-messaging" ? identityArnError(i, identity ?? "", arn) : undefined;
    errors.check(arnError !== undefined, arnError ?? "");
  }
  const target = args.target ?? "end-user-messaging";
  errors.check(!(SMS_FILE_DROP_TARGETS as readonly string[]).includes(target), `target must be one of ${SMS_FILE_DROP_TARGETS.join(", ")}, got "${target}"`);
  errors.check(target === "pinpoint" && args.pinpointApplicationId === undefined, 'target "pinpoint" needs pinpointApplicationId');
  errors.check(target !== "pinpoint" && args.pinpointApplicationId !== undefined, 'pinpointApplicationId applies only to target "pinpoint"');
  errors.check(target === "pinpoint" && args.configurationSetName !== undefined, 'configurationSetName applies only to target "end-user-messaging"');
  const prefix = args.prefix ?? "files/";
  errors.check(!/^[A-Za-z0-9!_.'()/-]*$/.test(prefix) || prefix.startsWith("/"), `prefix must be an S3 key prefix without "*", "?" or a leading "/", got "${prefix}"`);
  errors.check(prefix !== "" && !prefix.endsWith("/"), `prefix must end with "/" (a folder), got "${prefix}"`);
  const reportPrefix = args.reportPrefix ?? DEFAULT_REPORT_PREFIX;
  errors.check(!/^([A-Za-z0-9!_.'()-]+\/)+$/.test(reportPrefix), `reportPrefix must be a key prefix ending with "/" (a folder), got "${reportPrefix}"`);
  const overlap = reportPrefixOverlapError(prefix, reportPrefix);
  errors.check(overlap !== undefined, overlap ?? "");
  if (args.existingBucketName !== undefined) {
    errors.check(args.fileRetentionDays !== undefined, "fileRetentionDays applies only to a created bucket (not with existingBucketName)");
    errors.check(args.forceDestroyBucket !== undefined, "forceDestroyBucket applies only to a created bucket (not with existingBucketName)");
  } else {
    errors.check(args.existingBucketKmsKeyArn !== undefined, "existingBucketKmsKeyArn applies only with existingBucketName");
  }
  if (isKnown(args.existingBucketName)) {
    errors.check(!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(args.existingBucketName), `existingBucketName must be an S3 bucket name, got "${args.existingBucketName}"`);
  }
  errors.check(
    args.existingEventsTopicKmsKeyArn !== undefined && args.existingEventsTopicArn === undefined,
    "existingEventsTopicKmsKeyArn applies only with existingEventsTopicArn",
  );
  for (const key of Object.keys(args.columnMap ?? {})) {
    errors.check(!(CSV_COLUMNS as readonly string[]).includes(key), `columnMap: "${key}" is not a column (${CSV_COLUMNS.join(", ")})`);
  }
  const range = (key: keyof SmsFileDropArgs, min: number, max: number) => {
    const value = args[key];
    if (typeof value === "number") errors.check(!Number.isInteger(value) || value < min || value > max, `${key} must be an integer between ${min} and ${max}, got ${value}`);
  };
  range("maxSegments", 1, 30);
  range("enqueueConcurrency", 1, 50);
  range("fileRetentionDays", 1, 3650);
  range("splitterTimeoutSeconds", 60, 900);
  range("splitterMemorySizeMb", 128, 10240);
  range("senderTimeoutSeconds", 1, 900);
  range("senderMemorySizeMb", 128, 10240);
  range("senderMaximumConcurrency", 2, 1000);
  range("batchSize", 1, 10);
  range("maxReceiveCount", 1, MAX_ATTEMPTS_LIMIT);
  const attempts = args.maxReceiveCount ?? 5;
  const batch = args.batchSize ?? 10;
  errors.check(
    redriveMaxReceiveCount(attempts, batch) > 1000,
    `maxReceiveCount × batchSize must be at most 1000 (the queue's backstop redrive is their product), got ${attempts} × ${batch}`,
  );
  errors.throwIfAny();
}
