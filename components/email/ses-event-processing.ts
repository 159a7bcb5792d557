import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CONTACT_TABLE, IDEMPOTENCY_TABLE } from "../../functions/shared/tables";
import {
  accountContext,
  ArgumentErrors,
  BundledFunction,
  createTable,
  EncryptedTopic,
  FUNCTION_DEFAULTS,
  functionPlatform,
  hashSuffix,
  idempotencyTableStatement,
  isKnown,
  NAME_LIMITS,
  PlatformArgs,
  PolicyStatement,
  QueueWithDeadLetter,
  stableName,
  tableArnFromName,
  VISIBILITY_TIMEOUT_FACTOR,
} from "../shared";

/** SES v2 event types a configuration-set event destination can match. */
export const SES_EVENT_TYPES = [
  "SEND",
  "REJECT",
  "BOUNCE",
  "COMPLAINT",
  "DELIVERY",
  "OPEN",
  "CLICK",
  "RENDERING_FAILURE",
  "DELIVERY_DELAY",
  "SUBSCRIPTION",
] as const;
export type SesEventType = (typeof SES_EVENT_TYPES)[number];

/** Always routed: the two event types the processor acts on. */
export const REQUIRED_EVENT_TYPES: SesEventType[] = ["BOUNCE", "COMPLAINT"];

export interface SesEventProcessingArgs extends PlatformArgs {
  /**
   * Use this existing SES v2 configuration set instead of creating one. The component adds an event
   * destination to it and changes nothing else. Default: a configuration set is created (TLS
   * required, reputation metrics on).
   */
  existingConfigurationSetName?: pulumi.Input<string>;
  /** Event types routed besides BOUNCE and COMPLAINT (which are always routed). Default none. */
  additionalEventTypes?: SesEventType[];
  /**
   * Use this existing DynamoDB table (partition key `emailAddress`, type S) as the contact-status
   * table. Default: the component creates it.
   */
  existingContactTableName?: pulumi.Input<string>;
  /** Turn on account-level suppression for BOUNCE and COMPLAINT (account-wide SES setting). Default false. */
  enableAccountSuppression?: boolean;
  /**
   * Legacy: verified SES identities (addresses or domains) whose Bounce and Complaint feedback
   * notifications are routed to the topic. Only these identities are touched; removing one from the
   * list clears its notification topic. Default none.
   */
  legacyNotificationIdentities?: string[];
  /** Complaint feedback types that do not suppress. Default ["not-spam"]. */
  complaintExemptFeedbackTypes?: string[];
  /** Suppress an address after this many transient bounces within the window; 0 never. Default 0. */
  transientBounceThreshold?: number;
  /** The window for `transientBounceThreshold`, in hours. Default 72. */
  transientBounceWindowHours?: number;
  /** SNS raw message delivery to the queue (the processor accepts both forms). Default true. */
  rawMessageDelivery?: pulumi.Input<boolean>;
  /** Records per invocation, 1–10. Default 10. */
  batchSize?: number;
  /** Seconds to gather a batch, 0–300. Default 5. */
  maximumBatchingWindowSeconds?: number;
  /** Concurrent invocations the queue may drive, 2–1000. Default 5 (keeps SES API calls well under its rate). */
  maximumConcurrency?: number;
  /** Receives before a message moves to the DLQ. Default 5. */
  maxReceiveCount?: number;
  /** Processor timeout. Default 60 s; the queue's visibility timeout is six times this. */
  timeoutSeconds?: number;
  /** Processor memory. Default 256 MB. */
  memorySizeMb?: number;
}

/**
 * Architecture #1, SES Event Processing: SES v2 configuration-set events (BOUNCE, COMPLAINT) →
 * KMS-encrypted SNS topic → SQS queue with DLQ → Lambda that suppresses addresses and records
 * each contact's status in DynamoDB.
 */
export class SesEventProcessing extends pulumi.ComponentResource {
  public readonly topic: aws.sns.Topic;
  /** The customer-managed key of the topic and the queue. */
  public readonly key: aws.kms.Key;
  public readonly queue: aws.sqs.Queue;
  public readonly deadLetterQueue: aws.sqs.Queue;
  public readonly function: aws.lambda.Function;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly eventSourceMapping: aws.lambda.EventSourceMapping;
  /** The created configuration set, or undefined when an existing one is used. */
  public readonly configurationSet: aws.sesv2.ConfigurationSet | undefined;
  public readonly configurationSetName: pulumi.Output<string>;
  public readonly configurationSetArn: pulumi.Output<string>;
  /** The name of the event destination this component adds to the configuration set. */
  public readonly eventDestinationName: string;
  /** The created contact-status table, or undefined when an existing one is used. */
  public readonly contactTable: aws.dynamodb.Table | undefined;
  public readonly contactTableName: pulumi.Output<string>;
  public readonly idempotencyTable: aws.dynamodb.Table;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];

  constructor(name: string, args: SesEventProcessingArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("due:email:SesEventProcessing", name, {}, opts);
    validateSesEventProcessingArgs(args);
    const invokeOpts = { parent: this };
    const { identity, region, partition } = accountContext(invokeOpts);
    const sesArn = (resource: pulumi.Input<string>) =>
      pulumi.interpolate`arn:${partition.partition}:ses:${region.region}:${identity.accountId}:${resource}`;

    // Configuration set: existing or created.
    if (args.existingConfigurationSetName === undefined) {
      this.configurationSet = new aws.sesv2.ConfigurationSet(
        `${name}-configuration-set`,
        {
          configurationSetName: stableName(name, NAME_LIMITS.sesConfigurationSet),
          deliveryOptions: { tlsPolicy: "REQUIRE" },
          reputationOptions: { reputationMetricsEnabled: true },
        },
        { parent: this },
      );
      this.configurationSetName = this.configurationSet.configurationSetName;
    } else {
      this.configurationSet = undefined;
      this.configurationSetName = pulumi.output(args.existingConfigurationSetName);
    }
    this.configurationSetArn = sesArn(pulumi.interpolate`configuration-set/${this.configurationSetName}`);
    const identities = args.legacyNotificationIdentities ?? [];

    // SES publishes for the configuration set, and (legacy) for each listed identity.
    const sesSourceArns = [this.configurationSetArn, ...identities.map((id) => sesArn(`identity/${id}`))];
    const topic = new EncryptedTopic(
      `${name}-notifications`,
      { displayName: "SES feedback", publishers: [{ service: "ses.amazonaws.com", sourceArns: sesSourceArns }] },
      { parent: this },
    );
    this.topic = topic.topic;
    this.key = topic.key;

    const timeoutSeconds = args.timeoutSeconds ?? 60;
    const queue = new QueueWithDeadLetter(
      `${name}-events`,
      {
        kmsKeyArn: this.key.arn,
        visibilityTimeoutSeconds: timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR,
        maxReceiveCount: args.maxReceiveCount ?? 5,
        allowedSenders: [{ service: "sns.amazonaws.com", sourceArn: this.topic.arn }],
        alarmActions: args.alarmActions,
      },
      { parent: this },
    );
    this.queue = queue.queue;
    this.deadLetterQueue = queue.deadLetterQueue!;

    const subscription = new aws.sns.TopicSubscription(
      `${name}-subscription`,
      {
        topic: this.topic.arn,
        protocol: "sqs",
        endpoint: this.queue.arn,
        rawMessageDelivery: args.rawMessageDelivery ?? true,
      },
      // SNS can deliver only once the queue policy lets it.
      { parent: this, dependsOn: [queue.queuePolicy] },
    );

    this.eventDestinationName = eventDestinationName(name);
    const eventDestination = new aws.sesv2.ConfigurationSetEventDestination(
      `${name}-event-destination`,
      {
        configurationSetName: this.configurationSetName,
        // Named after this component: a second pipeline in the same configuration set (another
        // stack, or #4's composed #1) must not collide with AlreadyExistsException.
        eventDestinationName: this.eventDestinationName,
        eventDestination: {
          enabled: true,
          matchingEventTypes: matchingEventTypes(args.additionalEventTypes),
          snsDestination: { topicArn: this.topic.arn },
        },
      },
      // SES checks it can publish when the destination is created.
      { parent: this, dependsOn: [topic.topicPolicy, subscription] },
    );

    // Legacy identity notifications: only the listed identities, one child per identity and type.
    for (const id of identities) {
      for (const notificationType of ["Bounce", "Complaint"] as const) {
        new aws.ses.IdentityNotificationTopic(
          `${name}-identity-${hashSuffix(id)}-${notificationType.toLowerCase()}`,
          { identity: id, notificationType, topicArn: this.topic.arn, includeOriginalHeaders: false },
          { parent: this, dependsOn: [topic.topicPolicy] },
        );
      }
    }

    if (args.enableAccountSuppression) {
      new aws.sesv2.AccountSuppressionAttributes(
        `${name}-account-suppression`,
        { suppressedReasons: ["BOUNCE", "COMPLAINT"] },
        { parent: this },
      );
    }

    // Contact-status table: existing or created.
    if (args.existingContactTableName === undefined) {
      this.contactTable = createTable(
        `${name}-contacts`,
        { schema: CONTACT_TABLE, deletionProtection: args.tableDeletionProtection },
        { parent: this },
      );
      this.contactTableName = this.contactTable.name;
    } else {
      this.contactTable = undefined;
      this.contactTableName = pulumi.output(args.existingContactTableName);
    }
    const contactTableArn = this.contactTable ? this.contactTable.arn : tableArnFromName(this.contactTableName, invokeOpts);
    this.idempotencyTable = createTable(
      `${name}-idempotency`,
      { schema: IDEMPOTENCY_TABLE, deletionProtection: args.tableDeletionProtection },
      { parent: this },
    );

    const processor = new BundledFunction(
      `${name}-processor`,
      {
        entry: "functions/ses-event-processing/processor.ts",
        description: "Suppresses bounced and complaining addresses and records contact status",
        timeoutSeconds,
        memorySizeMb: args.memorySizeMb ?? FUNCTION_DEFAULTS.memorySizeMb,
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        environment: {
          CONTACT_TABLE_NAME: this.contactTableName,
          IDEMPOTENCY_TABLE_NAME: this.idempotencyTable.name,
          COMPLAINT_EXEMPT_FEEDBACK_TYPES: (args.complaintExemptFeedbackTypes ?? ["not-spam"]).join(","),
          TRANSIENT_BOUNCE_THRESHOLD: String(args.transientBounceThreshold ?? 0),
          TRANSIENT_BOUNCE_WINDOW_HOURS: String(args.transientBounceWindowHours ?? 72),
          POWERTOOLS_METRICS_NAMESPACE: "DigitalUserEngagement/SesEventProcessing",
        },
        policyStatements: sesEventProcessorStatements({
          queueArn: this.queue.arn,
          keyArn: this.key.arn,
          contactTableArn,
          idempotencyTableArn: this.idempotencyTable.arn,
        }),
      },
      { parent: this },
    );
    this.function = processor.function;
    this.logGroup = processor.logGroup;

    this.eventSourceMapping = new aws.lambda.EventSourceMapping(
      `${name}-event-source`,
      {
        eventSourceArn: this.queue.arn,
        functionName: this.function.arn,
        batchSize: args.batchSize ?? 10,
        maximumBatchingWindowInSeconds: args.maximumBatchingWindowSeconds ?? 5,
        functionResponseTypes: ["ReportBatchItemFailures"],
        scalingConfig: { maximumConcurrency: args.maximumConcurrency ?? 5 },
      },
      { parent: this, dependsOn: [eventDestination] },
    );

    this.alarms = [...queue.alarms, ...processor.alarms];
    this.registerOutputs({
      topic: this.topic,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      function: this.function,
      logGroup: this.logGroup,
      configurationSetName: this.configurationSetName,
      eventDestinationName: this.eventDestinationName,
      contactTableName: this.contactTableName,
      idempotencyTable: this.idempotencyTable,
      alarms: this.alarms,
    });
  }
}

/**
 * The event destination's name: `<project>-<stack>-<component>-feedback`, within SES's 64
 * characters (letters, digits, "_" and "-"), so two components or stacks sharing a configuration
 * set never collide. https://docs.aws.amazon.com/ses/latest/APIReference/API_EventDestination.html
 */
export function eventDestinationName(componentName: string): string {
  return stableName(`${componentName}-feedback`, NAME_LIMITS.sesEventDestination);
}

/** BOUNCE and COMPLAINT, plus the extra types, each once, in SES's documented order. */
export function matchingEventTypes(additional: SesEventType[] = []): SesEventType[] {
  const wanted = new Set<SesEventType>([...REQUIRED_EVENT_TYPES, ...additional]);
  return SES_EVENT_TYPES.filter((t) => wanted.has(t));
}

/** The processor's exact permissions: read its queue, decrypt it, suppress, and write its two tables. */
export function sesEventProcessorStatements(resources: {
  queueArn: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  contactTableArn: pulumi.Input<string>;
  idempotencyTableArn: pulumi.Input<string>;
}): PolicyStatement[] {
  return [
    {
      Sid: "ConsumeQueue",
      Effect: "Allow",
      Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
      Resource: resources.queueArn,
    },
    { Sid: "DecryptQueue", Effect: "Allow", Action: "kms:Decrypt", Resource: resources.keyArn },
    ...feedbackServiceStatements(resources),
  ];
}

/**
 * What the shared feedback service (functions/ses-event-processing/idempotent-feedback.ts) calls:
 * suppress, record contact status, and its idempotency records. #4's legacy processor uses it too.
 */
export function feedbackServiceStatements(resources: {
  contactTableArn: pulumi.Input<string>;
  idempotencyTableArn: pulumi.Input<string>;
}): PolicyStatement[] {
  return [
    {
      // PutSuppressedDestination acts on the account-level suppression list; it has no resource type.
      Sid: "SuppressAddresses",
      Effect: "Allow",
      Action: "ses:PutSuppressedDestination",
      Resource: "*",
    },
    { Sid: "RecordContactStatus", Effect: "Allow", Action: "dynamodb:UpdateItem", Resource: resources.contactTableArn },
    idempotencyTableStatement(resources.idempotencyTableArn),
  ];
}

export function validateSesEventProcessingArgs(args: SesEventProcessingArgs): void {
  const errors = new ArgumentErrors("SesEventProcessing");
  for (const t of args.additionalEventTypes ?? []) {
    errors.check(!(SES_EVENT_TYPES as readonly string[]).includes(t), `additionalEventTypes: "${t}" is not an SES event type (${SES_EVENT_TYPES.join(", ")})`);
  }
  const range = (key: keyof SesEventProcessingArgs, min: number, max: number) => {
    const value = args[key];
    if (typeof value === "number") errors.check(!Number.isInteger(value) || value < min || value > max, `${key} must be an integer between ${min} and ${max}, got ${value}`);
  };
  range("batchSize", 1, 10);
  range("maximumBatchingWindowSeconds", 0, 300);
  range("maximumConcurrency", 2, 1000);
  range("maxReceiveCount", 1, 1000);
  range("transientBounceThreshold", 0, 1000);
  range("transientBounceWindowHours", 1, 24 * 90);
  // A queue's visibility timeout is at most 12 h, and must be six times the function timeout.
  range("timeoutSeconds", 1, 900);
  const identities = args.legacyNotificationIdentities ?? [];
  errors.check(new Set(identities).size !== identities.length, "legacyNotificationIdentities must not contain duplicates");
  for (const id of identities) {
    errors.check(!/^[^@\s]+@[^@\s]+\.[^@\s]+$|^[a-z0-9.-]+\.[a-z]{2,}$/i.test(id), `legacyNotificationIdentities: "${id}" is neither an email address nor a domain`);
  }
  if (isKnown(args.existingConfigurationSetName)) {
    errors.check(
      !/^[A-Za-z0-9_-]{1,64}$/.test(args.existingConfigurationSetName),
      `existingConfigurationSetName must be 1–64 letters, digits, hyphens or underscores, got "${args.existingConfigurationSetName}"`,
    );
  }
  errors.throwIfAny();
}
