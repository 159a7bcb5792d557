import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import {
  DEFAULT_RULES,
  PROCESSOR,
  PROCESSOR_METRICS,
  SES_DETAIL_TYPES,
  SegmentRuleSchema,
  sesEventTypesFor,
  type SegmentRule,
  type SesEventType,
} from "../../functions/event-based-segmentation/contract";
import { ATTRIBUTE_STORE_IAM, attributeStoreEnvironment } from "../../functions/shared/profiles/config";
import { VALUE_SET_DELIMITER } from "../../functions/shared/profiles/value-set";
import { defineContract, environmentFor, passThrough, resolveSettings, type ContractArgs, type ContractSettings } from "../kit/contract";
import {
  ALARM_DEFAULTS,
  anyAboveZeroAlarm,
  architectureDashboard,
  ArgumentErrors,
  arnBuilder,
  boundedName,
  BundledFunction,
  createServiceKey,
  dashboardFunction,
  denyInsecureTransport,
  existingOrCreate,
  functionPlatform,
  NAME_LIMITS,
  PlatformArgs,
  policyDocument,
  PolicyStatement,
  QUEUE_DEFAULTS,
  queueDepthAlarm,
  serviceTrustPolicy,
  stableName,
} from "../shared";
import { dataFlow, external } from "../shared/flow";

const TARGET =
  'Where person attributes are kept: "customer-profiles" (supported; Amazon Connect Customer Profiles profile attributes) or ' +
  "\"pinpoint\" (legacy; the seed's endpoint attributes, retired with Pinpoint's engagement features on 2026-10-30).";

const KINESIS_STREAM_ARN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/[A-Za-z0-9_.-]{1,128}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/** Settings of both targets. */
const BOTH_TARGETS = {
  rules: z
    .array(SegmentRuleSchema)
    .min(1)
    .max(100)
    .default(DEFAULT_RULES)
    .describe("Rules: event type (+ optional attribute match) → attribute, value and mode (set, add, remove). Default: the seed's two rules (email_opened, webinar_registration)."),
  sesEvents: z
    .boolean()
    .default(true)
    .describe("Route SES events of the configuration set (#1's, or existingConfigurationSetName) through EventBridge into the stream, for the SES event types the rules use."),
  existingConfigurationSetName: passThrough(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, hyphens or underscores"))
    .optional()
    .describe("The SES configuration set whose events are routed (this component adds an EventBridge event destination). Default: #1's configuration set."),
  sesIdentityTag: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/)
    .optional()
    .describe("SES message tag whose value identifies the person (a profile ID; an endpoint ID for pinpoint). Default: the recipient, when the message had exactly one."),
  existingStreamArn: passThrough(z.string().regex(KINESIS_STREAM_ARN, "must be a Kinesis data stream ARN"))
    .optional()
    .describe("Read this existing Kinesis data stream instead of creating one."),
  existingStreamKmsKeyArn: passThrough(z.string().regex(KMS_KEY_ARN, "must be a KMS key ARN"))
    .optional()
    .describe("The customer-managed key of existingStreamArn, for decrypt (and for the SES and Pinpoint producers). Only with existingStreamArn."),
  streamMode: z.enum(["ON_DEMAND", "PROVISIONED"]).default("ON_DEMAND").describe("Capacity mode of the created stream."),
  shardCount: z.int().min(1).max(500).optional().describe("Shards of the created stream; only with streamMode PROVISIONED (default 1)."),
  retentionHours: z.int().min(24).max(8760).default(24).describe("Retention of the created stream, hours (how long a failed batch can still be re-read)."),
  startingPosition: z.enum(["LATEST", "TRIM_HORIZON"]).default("LATEST").describe("Where a new mapping starts reading (the seed's TRIM_HORIZON replays the retention window)."),
  batchSize: z.int().min(1).max(10000).default(100).describe("Records per invocation."),
  maximumBatchingWindowSeconds: z.int().min(0).max(300).default(1).describe("Seconds to gather a batch."),
  parallelizationFactor: z.int().min(1).max(10).default(1).describe("Concurrent batches per shard (records of one partition key stay in order)."),
  maximumRetryAttempts: z.int().min(0).max(10000).default(3).describe("Retries of a failed batch before its coordinates go to the failure queue."),
  maximumRecordAgeSeconds: z.int().min(60).max(604800).default(3600).describe("Records older than this are not processed; their coordinates go to the failure queue."),
  writeConcurrency: z.int().min(1).max(100).default(10).describe("Attribute-store calls in flight per invocation (Customer Profiles has no batch update)."),
  timeoutSeconds: z.int().min(1).max(900).default(60).describe("Processor timeout, seconds."),
  memorySizeMb: z.int().min(128).max(10240).default(256).describe("Processor memory, MB."),
};

type Issue = (key: string, message: string) => void;

/**
 * The rules travel in one environment variable; Lambda allows 4 KB for all of a function's
 * variables, so the rules get 3 KB of it.
 */
export const RULES_ENVIRONMENT_BUDGET = 3072;

/** Rules shared by both variants. */
function checkBoth(
  c: { existingStreamArn?: unknown; existingStreamKmsKeyArn?: unknown; streamMode: string; shardCount?: number; rules: SegmentRule[] },
  issue: Issue,
): void {
  if (c.existingStreamKmsKeyArn !== undefined && c.existingStreamArn === undefined) issue("existingStreamKmsKeyArn", "applies only with existingStreamArn");
  if (c.shardCount !== undefined && c.streamMode !== "PROVISIONED") issue("shardCount", 'applies only with streamMode "PROVISIONED"');
  const size = Buffer.byteLength(JSON.stringify(c.rules));
  if (size > RULES_ENVIRONMENT_BUDGET) issue("rules", `take ${size} bytes as JSON; at most ${RULES_ENVIRONMENT_BUDGET} fit in the processor's environment (Lambda allows 4 KB in all)`);
}

/** #7's settings, declared once: the component's arguments and validation, the stack config and the docs come from here. */
export const EVENT_BASED_SEGMENTATION = defineContract(
  "EventBasedSegmentation",
  z.discriminatedUnion(
    "target",
    [
      z
        .strictObject({
          target: z.literal("customer-profiles").default("customer-profiles").describe(TARGET),
          existingDomainName: passThrough(z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be a Customer Profiles domain name"))
            .optional()
            .describe("Use this existing Customer Profiles domain. Default: create one, encrypted with its own key."),
          domainExpirationDays: z.int().min(1).max(1098).default(366).describe("Default expiration of the created domain's data, days."),
          ...BOTH_TARGETS,
        })
        .superRefine((c, ctx) => {
          const issue: Issue = (key, message) => ctx.addIssue({ code: "custom", path: [key], message });
          checkBoth(c, issue);
          // A Customer Profiles attribute holds the set as one "|"-delimited string.
          c.rules.forEach((r, i) => {
            if (r.value.includes(VALUE_SET_DELIMITER)) ctx.addIssue({ code: "custom", path: ["rules", i, "value"], message: `must not contain "${VALUE_SET_DELIMITER}" (the set delimiter of Customer Profiles attributes)` });
          });
        }),
      z
        .strictObject({
          target: z.literal("pinpoint").describe(TARGET),
          existingPinpointApplicationId: passThrough(z.string().regex(/^[a-f0-9]{32}$/, "must be a 32-character hexadecimal Pinpoint project id"))
            .optional()
            .describe("The Pinpoint project whose endpoints are updated."),
          createPinpointApplication: z.boolean().default(false).describe("Create a Pinpoint project (not possible for accounts new to Pinpoint since 2025)."),
          pinpointApplicationName: passThrough(z.string().min(1)).optional().describe("Name of the created project. Default: autonamed."),
          pinpointEventStream: z
            .boolean()
            .default(true)
            .describe("Point the project's event stream at the stream (a project has ONE event stream: this replaces it)."),
          ...BOTH_TARGETS,
        })
        .superRefine((c, ctx) => {
          const issue: Issue = (key, message) => ctx.addIssue({ code: "custom", path: [key], message });
          checkBoth(c, issue);
          const existing = c.existingPinpointApplicationId !== undefined;
          if (existing && c.createPinpointApplication) issue("createPinpointApplication", "set either existingPinpointApplicationId or createPinpointApplication, not both");
          if (!existing && !c.createPinpointApplication) issue("existingPinpointApplicationId", 'target "pinpoint" needs existingPinpointApplicationId or createPinpointApplication: true');
          if (c.pinpointApplicationName !== undefined && !c.createPinpointApplication) issue("pinpointApplicationName", "applies only with createPinpointApplication: true");
        }),
    ],
    { error: (issue) => (issue.code === "invalid_union" ? 'must be "customer-profiles" (the default) or "pinpoint"' : undefined) },
  ),
);

export type EventBasedSegmentationArgs = ContractArgs<typeof EVENT_BASED_SEGMENTATION.settings> & PlatformArgs;
type Settings = ContractSettings<typeof EVENT_BASED_SEGMENTATION.settings>;
export type EventBasedSegmentationTarget = Settings["target"];

/** Where the attributes are kept, as other architectures (#10) need it. */
export type AttributeStoreLocation =
  | { target: "customerProfiles"; domainName: pulumi.Output<string> }
  | { target: "pinpoint"; applicationId: pulumi.Output<string> };

/**
 * The SES event destination's name: `<project>-<stack>-<component>-segments`, within SES's 64
 * characters, so it never collides with #1's destination in the same configuration set.
 */
export function segmentsDestinationName(componentName: string): string {
  return stableName(`${componentName}-segments`, NAME_LIMITS.sesEventDestination);
}

/**
 * Architecture #7, Event-Based Segmentation (the seed's "Add / Remove from Segments via Event
 * Activity"): SES engagement events (EventBridge), application events and, legacy, a Pinpoint event
 * stream arrive on one KMS-encrypted Kinesis stream; a processor applies the configured rules and
 * keeps person attributes in Customer Profiles (default) or Pinpoint endpoints.
 */
export class EventBasedSegmentation extends pulumi.ComponentResource {
  public readonly target: EventBasedSegmentationTarget;
  /** The created stream, or undefined when an existing one is read. */
  public readonly stream: aws.kinesis.Stream | undefined;
  public readonly streamArn: pulumi.Output<string>;
  /** The created stream's customer-managed key. */
  public readonly streamKey: aws.kms.Key | undefined;
  public readonly function: aws.lambda.Function;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly eventSourceMapping: aws.lambda.EventSourceMapping;
  /** Coordinates of batches that failed every retry, and SES events EventBridge could not deliver. */
  public readonly failureQueue: aws.sqs.Queue;
  /** The created Customer Profiles domain ("customer-profiles" without existingDomainName). */
  public readonly domain: aws.customerprofiles.Domain | undefined;
  /** The created Pinpoint project. */
  public readonly application: aws.pinpoint.App | undefined;
  public readonly pinpointEventStream: aws.pinpoint.EventStream | undefined;
  /** Where the attributes are kept. */
  public readonly attributeStore: AttributeStoreLocation;
  /** The SES wiring, when SES events are routed. */
  public readonly sesEventDestination: aws.sesv2.ConfigurationSetEventDestination | undefined;
  public readonly sesEventRule: aws.cloudwatch.EventRule | undefined;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];
  public readonly dashboard: aws.cloudwatch.Dashboard | undefined;

  constructor(name: string, args: EventBasedSegmentationArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("due:segments:EventBasedSegmentation", name, {}, opts);
    const settings = resolveSettings(EVENT_BASED_SEGMENTATION, args);
    this.target = settings.target;
    const sesTypes = settings.sesEvents ? sesEventTypesFor(settings.rules) : [];
    const errors = new ArgumentErrors("EventBasedSegmentation");
    errors.check(
      sesTypes.length > 0 && settings.existingConfigurationSetName === undefined,
      `sesEvents: the rules act on SES events (${sesTypes.join(", ")}) but no configuration set is given: set existingConfigurationSetName, enable #1, or set sesEvents: false`,
    );
    errors.throwIfAny();
    const arn = arnBuilder({ parent: this });

    // ---- the stream
    this.streamKey = settings.existingStreamArn === undefined ? createServiceKey(`${name}-stream-key`, `${name}: Kinesis stream encryption`, [], { parent: this }) : undefined;
    const streamKeyArn: pulumi.Input<string> | undefined = this.streamKey?.arn ?? settings.existingStreamKmsKeyArn;
    const stream = existingOrCreate(
      settings.existingStreamArn,
      () =>
        new aws.kinesis.Stream(
          `${name}-stream`,
          {
            encryptionType: "KMS",
            kmsKeyId: this.streamKey!.arn,
            retentionPeriod: settings.retentionHours,
            streamModeDetails: { streamMode: settings.streamMode },
            ...(settings.streamMode === "PROVISIONED" ? { shardCount: settings.shardCount ?? 1 } : {}),
          },
          { parent: this },
        ),
      (created) => created.arn,
    );
    this.stream = stream.created;
    this.streamArn = stream.value;
    const streamNode = this.stream ?? external("Kinesis data stream (existing)");
    dataFlow(external("Your applications (PutRecord)"), streamNode, "application events");

    // ---- the failure queue: Kinesis on-failure destination and EventBridge target DLQ
    this.failureQueue = new aws.sqs.Queue(
      `${name}-failures`,
      { name: boundedName(`${name}-failures`, NAME_LIMITS.sqsQueue), messageRetentionSeconds: QUEUE_DEFAULTS.deadLetterRetentionSeconds, sqsManagedSseEnabled: true },
      { parent: this },
    );

    // ---- the store
    const store = settings.target === "customer-profiles" ? this.customerProfilesStore(name, settings) : this.pinpointStore(name, settings, arn, streamKeyArn);
    this.domain = store.domain;
    this.application = store.application;
    this.pinpointEventStream = store.eventStream;
    this.attributeStore = store.location;

    // ---- SES events through EventBridge
    const ses = sesTypes.length > 0 ? this.routeSesEvents(name, settings.existingConfigurationSetName!, sesTypes, arn, streamKeyArn) : undefined;
    this.sesEventDestination = ses?.destination;
    this.sesEventRule = ses?.rule;
    new aws.sqs.QueuePolicy(
      `${name}-failures-policy`,
      {
        queueUrl: this.failureQueue.url,
        policy: policyDocument([
          denyInsecureTransport("sqs:*", [this.failureQueue.arn]),
          ...(ses === undefined
            ? []
            : [
                {
                  Sid: "AllowEventBridgeDeadLetters",
                  Effect: "Allow" as const,
                  Principal: { Service: "events.amazonaws.com" },
                  Action: "sqs:SendMessage",
                  Resource: this.failureQueue.arn,
                  Condition: { ArnEquals: { "aws:SourceArn": ses.rule.arn } },
                },
              ]),
        ]),
      },
      { parent: this },
    );

    // ---- the processor
    const location = store.location;
    const processor = new BundledFunction(
      `${name}-processor`,
      {
        handler: PROCESSOR,
        description: "Keeps person attributes up to date from engagement and application events",
        timeoutSeconds: settings.timeoutSeconds,
        memorySizeMb: settings.memorySizeMb,
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        environment: environmentFor(PROCESSOR, {
          ...attributeStoreEnvironment<pulumi.Output<string>>(
            location.target === "customerProfiles"
              ? { target: "customerProfiles", domainName: location.domainName, concurrency: settings.writeConcurrency }
              : { target: "pinpoint", applicationId: location.applicationId, concurrency: settings.writeConcurrency },
          ),
          SEGMENT_RULES: JSON.stringify(settings.rules),
          SES_IDENTITY_TAG: settings.sesIdentityTag ?? "",
        }),
        policyStatements: processorStatements({
          streamArn: this.streamArn,
          streamKeyArn,
          failureQueueArn: this.failureQueue.arn,
          store: location.target === "customerProfiles" ? { target: "customerProfiles", id: location.domainName } : { target: "pinpoint", id: location.applicationId },
          arn,
        }),
      },
      { parent: this },
    );
    this.function = processor.function;
    this.logGroup = processor.logGroup;

    this.eventSourceMapping = new aws.lambda.EventSourceMapping(
      `${name}-event-source`,
      {
        eventSourceArn: this.streamArn,
        functionName: this.function.arn,
        startingPosition: settings.startingPosition,
        batchSize: settings.batchSize,
        maximumBatchingWindowInSeconds: settings.maximumBatchingWindowSeconds,
        parallelizationFactor: settings.parallelizationFactor,
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: settings.maximumRetryAttempts,
        maximumRecordAgeInSeconds: settings.maximumRecordAgeSeconds,
        functionResponseTypes: ["ReportBatchItemFailures"],
        destinationConfig: { onFailure: { destinationArn: this.failureQueue.arn } },
      },
      { parent: this },
    );
    dataFlow(streamNode, this.function, "record batches");
    dataFlow(this.function, this.failureQueue, "failed batch coordinates");
    dataFlow(this.function, store.node, "attribute updates");

    const service = processor.serviceName;
    const metricAlarm = (suffix: string, metricName: string, description: string) =>
      anyAboveZeroAlarm(
        `${name}-${suffix}`,
        { namespace: PROCESSOR.namespace, metricName, dimensions: { service }, statistic: "Sum", description, alarmActions: args.alarmActions },
        { parent: this },
      );
    this.alarms = [
      ...processor.alarms,
      queueDepthAlarm(
        `${name}-failures-depth`,
        { queueName: this.failureQueue.name, description: pulumi.interpolate`Failed stream batches or undelivered SES events in ${this.failureQueue.name}`, alarmActions: args.alarmActions },
        { parent: this },
      ),
      metricAlarm("malformed", PROCESSOR_METRICS.MalformedRecord, `${name}: stream records that do not decode (not retried; see the processor's log for their sequence numbers)`),
      metricAlarm("rejected", PROCESSOR_METRICS.WriteRejected, `${name}: attribute changes over the store's limits (not stored)`),
      // Falling behind: records are half-way to the age at which they are dropped to the failure queue.
      new aws.cloudwatch.MetricAlarm(
        `${name}-iterator-age`,
        {
          name: boundedName(`${name}-iterator-age`, NAME_LIMITS.cloudwatchAlarm),
          alarmDescription: pulumi.interpolate`${this.function.name} is falling behind its stream`,
          namespace: "AWS/Lambda",
          metricName: "IteratorAge",
          dimensions: { FunctionName: this.function.name },
          statistic: "Maximum",
          period: ALARM_DEFAULTS.periodSeconds,
          evaluationPeriods: ALARM_DEFAULTS.evaluationPeriods,
          threshold: (settings.maximumRecordAgeSeconds * 1000) / 2,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
          alarmActions: args.alarmActions ?? [],
          okActions: args.alarmActions ?? [],
        },
        { parent: this },
      ),
    ];
    this.dashboard = architectureDashboard(name, args, { failureQueues: [this.failureQueue], functions: [dashboardFunction(processor, PROCESSOR)] }, this);

    this.registerOutputs({
      dashboard: this.dashboard,
      stream: this.stream,
      streamArn: this.streamArn,
      function: this.function,
      logGroup: this.logGroup,
      eventSourceMapping: this.eventSourceMapping,
      failureQueue: this.failureQueue,
      domain: this.domain,
      application: this.application,
      pinpointEventStream: this.pinpointEventStream,
      sesEventDestination: this.sesEventDestination,
      sesEventRule: this.sesEventRule,
      alarms: this.alarms,
    });
  }

  /** "customer-profiles": an existing domain, or one created with its own key. */
  private customerProfilesStore(name: string, settings: Extract<Settings, { target: "customer-profiles" }>): StoreParts {
    const domain = existingOrCreate(
      settings.existingDomainName,
      () => {
        // Customer Profiles uses the key through grants made when the domain is created by the
        // deployer (account delegation in the key policy); the processor needs no key permission.
        const key = createServiceKey(`${name}-domain-key`, `${name}: Customer Profiles domain encryption`, [], { parent: this });
        return new aws.customerprofiles.Domain(
          `${name}-domain`,
          {
            domainName: stableName(`${name}-profiles`, 64),
            defaultExpirationDays: settings.domainExpirationDays,
            defaultEncryptionKey: key.arn,
          },
          { parent: this },
        );
      },
      (created) => created.domainName,
    );
    return {
      domain: domain.created,
      location: { target: "customerProfiles", domainName: domain.value },
      node: domain.created ?? external("Customer Profiles domain (existing)"),
    };
  }

  /** "pinpoint" (legacy): the project's endpoints, and its event stream into the stream. */
  private pinpointStore(
    name: string,
    settings: Extract<Settings, { target: "pinpoint" }>,
    arn: ReturnType<typeof arnBuilder>,
    streamKeyArn: pulumi.Input<string> | undefined,
  ): StoreParts {
    const app = existingOrCreate(
      settings.existingPinpointApplicationId,
      () => new aws.pinpoint.App(`${name}-app`, { name: settings.pinpointApplicationName }, { parent: this }),
      (created) => created.applicationId,
    );
    const applicationId = app.value;
    const node = app.created ?? external("Amazon Pinpoint project (existing)");
    let eventStream: aws.pinpoint.EventStream | undefined;
    if (settings.pinpointEventStream) {
      // Pinpoint → Kinesis: a role Pinpoint may assume only for this project, in this account.
      const role = new aws.iam.Role(
        `${name}-pinpoint-stream-role`,
        {
          name: boundedName(`${name}-pinpoint-stream-role`, NAME_LIMITS.iamRole),
          assumeRolePolicy: serviceTrustPolicy("pinpoint.amazonaws.com", arn.accountId, arn("mobiletargeting", pulumi.interpolate`apps/${applicationId}`)),
        },
        { parent: this },
      );
      const policy = new aws.iam.RolePolicy(
        `${name}-pinpoint-stream-policy`,
        {
          name: boundedName(`${name}-pinpoint-stream-policy`, NAME_LIMITS.iamRolePolicy),
          role: role.id,
          policy: policyDocument(producerStatements("PutPinpointEvents", ["kinesis:PutRecords", "kinesis:DescribeStream"], this.streamArn, streamKeyArn)),
        },
        { parent: this },
      );
      // A project has one event stream: this replaces the project's existing stream, if any.
      eventStream = new aws.pinpoint.EventStream(
        `${name}-pinpoint-event-stream`,
        { applicationId, destinationStreamArn: this.streamArn, roleArn: role.arn },
        { parent: this, dependsOn: [policy] },
      );
      dataFlow(node, this.stream ?? external("Kinesis data stream (existing)"), "engagement events (event stream)");
    }
    return { application: app.created, eventStream, location: { target: "pinpoint", applicationId }, node };
  }

  /** SES → EventBridge (default bus) → the stream, for the event types the rules use. */
  private routeSesEvents(
    name: string,
    configurationSetName: pulumi.Input<string>,
    types: SesEventType[],
    arn: ReturnType<typeof arnBuilder>,
    streamKeyArn: pulumi.Input<string> | undefined,
  ): { destination: aws.sesv2.ConfigurationSetEventDestination; rule: aws.cloudwatch.EventRule } {
    const destination = new aws.sesv2.ConfigurationSetEventDestination(
      `${name}-ses-destination`,
      {
        configurationSetName,
        eventDestinationName: segmentsDestinationName(name),
        eventDestination: {
          enabled: true,
          matchingEventTypes: types,
          // SES publishes to the default bus only.
          eventBridgeDestination: { eventBusArn: arn("events", "event-bus/default") },
        },
      },
      { parent: this },
    );
    // SES tags every event with its configuration set: the rule takes only this set's events.
    const rule = new aws.cloudwatch.EventRule(
      `${name}-ses-rule`,
      {
        description: pulumi.interpolate`SES ${types.join(", ")} events of configuration set ${configurationSetName} for event-based segmentation`,
        eventPattern: pulumi.jsonStringify({
          source: ["aws.ses"],
          "detail-type": types.map((t) => SES_DETAIL_TYPES[t]),
          detail: { mail: { tags: { "ses:configuration-set": [configurationSetName] } } },
        }),
      },
      { parent: this },
    );
    const role = new aws.iam.Role(
      `${name}-ses-role`,
      { name: boundedName(`${name}-ses-role`, NAME_LIMITS.iamRole), assumeRolePolicy: serviceTrustPolicy("events.amazonaws.com", arn.accountId, rule.arn) },
      { parent: this },
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-ses-role-policy`,
      {
        name: boundedName(`${name}-ses-role-policy`, NAME_LIMITS.iamRolePolicy),
        role: role.id,
        policy: policyDocument(producerStatements("PutSesEvents", ["kinesis:PutRecord"], this.streamArn, streamKeyArn)),
      },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(
      `${name}-ses-target`,
      {
        rule: rule.name,
        arn: this.streamArn,
        roleArn: role.arn,
        // One message's events stay in order on one shard.
        kinesisTarget: { partitionKeyPath: "$.detail.mail.messageId" },
        retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
        deadLetterConfig: { arn: this.failureQueue.arn },
      },
      { parent: this, dependsOn: [policy] },
    );
    dataFlow(external("SES configuration set"), destination, "engagement events");
    dataFlow(destination, rule, "events (default bus)");
    dataFlow(rule, this.stream ?? external("Kinesis data stream (existing)"), "SES events");
    dataFlow(rule, this.failureQueue, "undeliverable events");
    return { destination, rule };
  }
}

interface StoreParts {
  domain?: aws.customerprofiles.Domain;
  application?: aws.pinpoint.App;
  eventStream?: aws.pinpoint.EventStream;
  location: AttributeStoreLocation;
  node: pulumi.Resource | ReturnType<typeof external>;
}

/** A producer's statements: put into the stream, and encrypt with its key when it has one. */
function producerStatements(sid: string, actions: string[], streamArn: pulumi.Input<string>, keyArn: pulumi.Input<string> | undefined): PolicyStatement[] {
  return [
    { Sid: sid, Effect: "Allow", Action: actions, Resource: streamArn },
    ...(keyArn === undefined ? [] : [{ Sid: "EncryptStreamRecords", Effect: "Allow" as const, Action: "kms:GenerateDataKey", Resource: keyArn }]),
  ];
}

/**
 * The processor's statements: read (and decrypt) the stream, send failed-batch coordinates to the
 * failure queue, and the attribute store's calls (functions/shared/profiles/config.ts).
 */
export function processorStatements(input: {
  streamArn: pulumi.Input<string>;
  streamKeyArn: pulumi.Input<string> | undefined;
  failureQueueArn: pulumi.Input<string>;
  store: { target: "customerProfiles" | "pinpoint"; id: pulumi.Input<string> };
  arn: (service: string, resource: pulumi.Input<string>) => pulumi.Output<string>;
}): PolicyStatement[] {
  return [
    {
      Sid: "ReadStream",
      Effect: "Allow",
      Action: ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"],
      Resource: input.streamArn,
    },
    ...(input.streamKeyArn === undefined ? [] : [{ Sid: "DecryptStream", Effect: "Allow" as const, Action: "kms:Decrypt", Resource: input.streamKeyArn }]),
    { Sid: "RecordFailedBatches", Effect: "Allow", Action: "sqs:SendMessage", Resource: input.failureQueueArn },
    ...ATTRIBUTE_STORE_IAM[input.store.target].map(
      (s): PolicyStatement => ({ Sid: s.sid, Effect: "Allow", Action: [...s.actions], Resource: input.arn(s.service, pulumi.output(input.store.id).apply(s.resource)) }),
    ),
  ];
}
