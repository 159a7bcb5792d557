import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import { COMPLAINT_FEEDBACK_TYPES, PROCESSOR } from "../../functions/ses-event-processing/contract";
import { defineContract, environmentFor, passThrough, resolveSettings, type ContractArgs } from "../kit/contract";
import { CONTACT_TABLE } from "../../functions/shared/runtime/tables";
import {
  arnBuilder,
  architectureDashboard,
  createIdempotencyTable,
  dashboardFunction,
  createTable,
  EncryptedTopic,
  existingOrCreate,
  functionPlatform,
  hashSuffix,
  idempotencyTableStatement,
  NAME_LIMITS,
  PlatformArgs,
  PolicyStatement,
  queueForFunction,
  stableName,
} from "../shared";
import { dataFlow, external } from "../shared/flow";

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

/** #1's settings, declared once: the component's arguments and validation, the stack config and the docs come from here. */
export const SES_EVENT_PROCESSING = defineContract(
  "SesEventProcessing",
  z.strictObject({
    existingConfigurationSetName: passThrough(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, hyphens or underscores"))
      .optional()
      .describe("Use this existing SES v2 configuration set (the component only adds its event destination). Default: create one, TLS required, reputation metrics on."),
    additionalEventTypes: z.array(z.enum(SES_EVENT_TYPES)).default([]).describe("Event types routed besides BOUNCE and COMPLAINT, which are always routed."),
    existingContactTableName: passThrough(z.string().min(3).max(255))
      .optional()
      .describe("Use this existing DynamoDB table (partition key emailAddress, type S) as the contact-status table. Default: create one."),
    enableAccountSuppression: z.boolean().default(false).describe("Turn on account-level suppression for BOUNCE and COMPLAINT (an account-wide SES setting)."),
    legacyNotificationIdentities: z
      .array(z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$|^[a-z0-9.-]+\.[a-z]{2,}$/i, "must be an email address or a domain"))
      .default([])
      .refine((ids) => new Set(ids).size === ids.length, "must not contain duplicates")
      .describe("Legacy: verified identities whose Bounce and Complaint notifications go to the topic; only these are touched."),
    complaintExemptFeedbackTypes: z.array(z.enum(COMPLAINT_FEEDBACK_TYPES)).default(["not-spam"]).describe("Complaint feedback types that do not suppress."),
    transientBounceThreshold: z.int().min(0).max(1000).default(0).describe("Suppress after this many transient bounces within the window; 0 never."),
    transientBounceWindowHours: z.int().min(1).max(2160).default(72).describe("The window of transientBounceThreshold, hours."),
    rawMessageDelivery: passThrough(z.boolean()).default(true).describe("SNS raw message delivery to the queue (the processor accepts both forms)."),
    batchSize: z.int().min(1).max(10).default(10).describe("Records per invocation."),
    maximumBatchingWindowSeconds: z.int().min(0).max(300).default(5).describe("Seconds to gather a batch."),
    maximumConcurrency: z.int().min(2).max(1000).default(5).describe("Concurrent invocations the queue may drive (keeps SES API calls well under its rate)."),
    maxReceiveCount: z.int().min(1).max(1000).default(5).describe("Receives before a message moves to the DLQ."),
    timeoutSeconds: z.int().min(1).max(900).default(60).describe("Processor timeout, seconds; the queue's visibility timeout is six times this."),
    memorySizeMb: z.int().min(128).max(10240).default(256).describe("Processor memory, MB."),
  }),
);

export type SesEventProcessingArgs = ContractArgs<typeof SES_EVENT_PROCESSING.settings> & PlatformArgs;

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
  /** The architecture's CloudWatch dashboard; undefined when dashboards are off. */
  public readonly dashboard: aws.cloudwatch.Dashboard | undefined;

  constructor(name: string, args: SesEventProcessingArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("due:email:SesEventProcessing", name, {}, opts);
    const settings = resolveSettings(SES_EVENT_PROCESSING, args);
    const arn = arnBuilder({ parent: this });

    const configurationSet = existingOrCreate(
      settings.existingConfigurationSetName,
      () =>
        new aws.sesv2.ConfigurationSet(
          `${name}-configuration-set`,
          {
            configurationSetName: stableName(name, NAME_LIMITS.sesConfigurationSet),
            deliveryOptions: { tlsPolicy: "REQUIRE" },
            reputationOptions: { reputationMetricsEnabled: true },
          },
          { parent: this },
        ),
      (created) => created.configurationSetName,
    );
    this.configurationSet = configurationSet.created;
    this.configurationSetName = configurationSet.value;
    this.configurationSetArn = arn("ses", pulumi.interpolate`configuration-set/${this.configurationSetName}`);
    const identities = settings.legacyNotificationIdentities;

    // SES publishes for the configuration set, and (legacy) for each listed identity.
    const sesSourceArns = [this.configurationSetArn, ...identities.map((id) => arn("ses", `identity/${id}`))];
    const topic = new EncryptedTopic(
      `${name}-notifications`,
      { displayName: "SES feedback", publishers: [{ service: "ses.amazonaws.com", sourceArns: sesSourceArns }] },
      { parent: this },
    );
    this.topic = topic.topic;
    this.key = topic.key;

    const events = queueForFunction(
      `${name}-events`,
      {
        consumerTimeoutSeconds: settings.timeoutSeconds,
        kmsKeyArn: this.key.arn,
        maxReceiveCount: settings.maxReceiveCount,
        allowedSenders: [{ service: "sns.amazonaws.com", sourceArn: this.topic.arn }],
        alarmActions: args.alarmActions,
      },
      { parent: this },
    );
    const queue = events.queue;
    this.queue = queue.queue;
    this.deadLetterQueue = queue.deadLetterQueue!;

    const subscription = new aws.sns.TopicSubscription(
      `${name}-subscription`,
      {
        topic: this.topic.arn,
        protocol: "sqs",
        endpoint: this.queue.arn,
        rawMessageDelivery: settings.rawMessageDelivery,
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
          matchingEventTypes: matchingEventTypes(settings.additionalEventTypes),
          snsDestination: { topicArn: this.topic.arn },
        },
      },
      // SES checks it can publish when the destination is created.
      { parent: this, dependsOn: [topic.topicPolicy, subscription] },
    );
    const configurationSetNode = this.configurationSet ?? external("SES configuration set (existing)");
    dataFlow(external("Amazon SES (your senders)"), configurationSetNode, "sent mail");
    dataFlow(configurationSetNode, this.topic, "bounce and complaint events");
    dataFlow(this.topic, this.queue, "messages");

    // Legacy identity notifications: only the listed identities, one child per identity and type.
    for (const id of identities) {
      for (const notificationType of ["Bounce", "Complaint"] as const) {
        new aws.ses.IdentityNotificationTopic(
          `${name}-identity-${hashSuffix(id)}-${notificationType.toLowerCase()}`,
          { identity: id, notificationType, topicArn: this.topic.arn, includeOriginalHeaders: false },
          { parent: this, dependsOn: [topic.topicPolicy] },
        );
        dataFlow(external("SES identities (legacy)"), this.topic, "notifications");
      }
    }

    if (settings.enableAccountSuppression) {
      new aws.sesv2.AccountSuppressionAttributes(
        `${name}-account-suppression`,
        { suppressedReasons: ["BOUNCE", "COMPLAINT"] },
        { parent: this },
      );
    }

    const contactTable = existingOrCreate(
      settings.existingContactTableName,
      () => createTable(`${name}-contacts`, { schema: CONTACT_TABLE, deletionProtection: args.tableDeletionProtection }, { parent: this }),
      (created) => created.name,
    );
    this.contactTable = contactTable.created;
    this.contactTableName = contactTable.value;
    const contactTableArn = this.contactTable ? this.contactTable.arn : arn("dynamodb", pulumi.interpolate`table/${this.contactTableName}`);
    this.idempotencyTable = createIdempotencyTable(`${name}-idempotency`, args.tableDeletionProtection, { parent: this });

    const processor = events.deliverTo(
      `${name}-processor`,
      {
        handler: PROCESSOR,
        description: "Suppresses bounced and complaining addresses and records contact status",
        memorySizeMb: settings.memorySizeMb,
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        environment: environmentFor(PROCESSOR, {
          CONTACT_TABLE_NAME: this.contactTableName,
          IDEMPOTENCY_TABLE_NAME: this.idempotencyTable.name,
          COMPLAINT_EXEMPT_FEEDBACK_TYPES: settings.complaintExemptFeedbackTypes.join(","),
          TRANSIENT_BOUNCE_THRESHOLD: String(settings.transientBounceThreshold),
          TRANSIENT_BOUNCE_WINDOW_HOURS: String(settings.transientBounceWindowHours),
        }),
        policyStatements: feedbackServiceStatements({ contactTableArn, idempotencyTableArn: this.idempotencyTable.arn }),
      },
      {
        mappingName: `${name}-event-source`,
        batchSize: settings.batchSize,
        maximumBatchingWindowSeconds: settings.maximumBatchingWindowSeconds,
        maximumConcurrency: settings.maximumConcurrency,
      },
      { parent: this, dependsOn: [eventDestination] },
    );
    this.function = processor.fn.function;
    this.logGroup = processor.fn.logGroup;
    this.eventSourceMapping = processor.mapping;
    dataFlow(this.queue, this.function, "batches");
    dataFlow(this.function, external("SES account suppression list"), "suppressions");
    dataFlow(this.function, this.contactTable ?? external("DynamoDB contact table (existing)"), "rows");
    dataFlow(this.function, this.idempotencyTable, "rows");

    this.alarms = processor.alarms;
    this.dashboard = architectureDashboard(name, args, { queues: [queue], functions: [dashboardFunction(processor.fn, PROCESSOR, { Suppressed: ["Reason"] })] }, this);
    this.registerOutputs({
      dashboard: this.dashboard,
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

/**
 * What the shared feedback service (functions/shared/email/feedback/idempotent-feedback.ts) calls:
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
