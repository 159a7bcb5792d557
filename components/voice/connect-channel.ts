import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import { CHANNEL, DIALABLE_CHANNEL_TYPES, DIALER, DIALER_METRICS, MAX_DEFER_SECONDS } from "../../functions/connect-channel/contract";
import { CONNECT_DIAL_OUTCOME_TABLE, RATE_LIMIT_TABLE } from "../../functions/shared/runtime/tables";
import { MESSAGE_ATTRIBUTE } from "../../functions/shared/voice/dial-request";
import { defineContract, environmentFor, passThrough, resolveSettings, type ContractArgs, type ContractSettings } from "../kit/contract";
import {
  anyAboveZeroAlarm,
  architectureDashboard,
  arnBuilder,
  BundledFunction,
  createServiceKey,
  createTable,
  dashboardFunction,
  existingOrCreate,
  functionPlatform,
  PlatformArgs,
  PolicyStatement,
  queueForFunction,
  sendingEnvironment,
  sendingStatements,
  SENDING_SETTING,
  sendOutcomeUnknownAlarm,
  stableName,
} from "../shared";
import { dataFlow, external } from "../shared/flow";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const INSTANCE_ARN = new RegExp(`^arn:aws[a-z-]*:connect:[a-z0-9-]+:\\d{12}:instance/${ID}$`);
const QUEUE_ARN = new RegExp(`^arn:aws[a-z-]*:connect:[a-z0-9-]+:\\d{12}:instance/${ID}/queue/${ID}$`);

/** The settings both targets share. */
const SHARED = {
  instanceId: passThrough(z.string().refine((v) => UUID.test(v) || INSTANCE_ARN.test(v), "must be an Amazon Connect instance id (UUID) or instance ARN")).describe(
    "The existing Amazon Connect instance that places the calls (id or ARN); outbound calling must be enabled on it.",
  ),
  queueId: passThrough(z.string().refine((v) => UUID.test(v) || QUEUE_ARN.test(v), "must be a Connect queue id (UUID) or queue ARN"))
    .optional()
    .describe("Existing queue of the instance for the calls (id or ARN); its outbound caller ID number is shown. Required unless sourcePhoneNumber is set."),
  sourcePhoneNumber: passThrough(z.string().regex(/^\+[1-9]\d{1,14}$/, "must be an E.164 number"))
    .optional()
    .describe("Existing phone number claimed by the instance, E.164, shown as caller ID. Required unless queueId is set."),
  existingContactFlowId: passThrough(z.string().regex(UUID, "must be a contact flow id (UUID)"))
    .optional()
    .describe(`Run this published contact flow. Default: create one that speaks $.Attributes.${MESSAGE_ATTRIBUTE}, then hangs up.`),
  sending: SENDING_SETTING,
  callsPerSecond: z
    .number()
    .gt(0, "must be greater than 0")
    .max(100)
    .default(2)
    .describe("Ceiling of StartOutboundVoiceContact calls per second (the API's account-wide default is 2, burst 5); the limiter finds the real rate below it."),
  ringTimeoutSeconds: z.int().min(15).max(60).optional().describe("Seconds a call rings before it fails (RingTimeoutInSeconds). Default: the API's 60."),
  maximumConcurrency: z.int().min(2).max(100).default(2).describe("Dialer invocations at once (the mapping's maximum concurrency); the rate is shared among them."),
  dialConcurrency: z.int().min(1).max(10).default(2).describe("Calls one dialer invocation places at once."),
  batchSize: z.int().min(1).max(10).default(10).describe("Dial requests per dialer invocation."),
  capacityWaitSeconds: z
    .int()
    .min(0)
    .max(600)
    .default(20)
    .describe("How long an invocation waits for active calls to end after LimitExceededException (concurrent calls) before putting the call back on the queue."),
  capacityRetryDelaySeconds: z.int().min(1).max(MAX_DEFER_SECONDS).default(60).describe("Delay of a call put back on the queue for capacity, seconds."),
  maxReceiveCount: z.int().min(1).max(1000).default(10).describe("Receives of one dial request before it moves to the DLQ (capacity waits do not count)."),
  timeoutSeconds: z.int().min(30).max(900).default(120).describe("Dialer timeout, seconds; the queue's visibility timeout is six times this."),
  memorySizeMb: z.int().min(128).max(10240).default(256).describe("Dialer memory, MB."),
};

const TARGET = "What feeds the dialer queue: queue (the project's senders, e.g. #9's VOICE rows, and your own code) or pinpoint (also a Pinpoint custom-channel Lambda).";

/** #13's settings, declared once: the component's arguments and validation, the stack config and the docs come from here. */
export const CONNECT_CHANNEL = defineContract(
  "ConnectChannel",
  z
    .discriminatedUnion("target", [
      z.strictObject({ target: z.literal("queue").default("queue").describe(TARGET), ...SHARED }),
      z.strictObject({
        target: z.literal("pinpoint").describe(TARGET),
        ...SHARED,
        pinpointApplicationId: passThrough(z.string().regex(/^[A-Za-z0-9]{1,64}$/, "must be a Pinpoint project id (no wildcard)")).describe(
          "The Pinpoint project whose campaigns and journeys may invoke the custom-channel Lambda.",
        ),
        channelTypes: z
          .array(z.enum(DIALABLE_CHANNEL_TYPES))
          .min(1)
          .default([...DIALABLE_CHANNEL_TYPES])
          .refine((t) => new Set(t).size === t.length, "must not contain duplicates")
          .describe("Endpoint ChannelTypes the custom channel dials (their Address must be E.164)."),
        channelTimeoutSeconds: z.int().min(3).max(60).default(15).describe("Custom-channel Lambda timeout, seconds (it only queues the calls)."),
      }),
    ])
    .superRefine((s, ctx) => {
      if (s.queueId === undefined && s.sourcePhoneNumber === undefined) {
        ctx.addIssue({ code: "custom", path: ["queueId"], message: "set queueId or sourcePhoneNumber (StartOutboundVoiceContact needs one for the caller ID)" });
      }
      // Both known ARNs: the queue must belong to the instance.
      if (typeof s.instanceId === "string" && typeof s.queueId === "string" && QUEUE_ARN.test(s.queueId)) {
        const instance = INSTANCE_ARN.test(s.instanceId) ? s.instanceId : undefined;
        const queueInstance = s.queueId.slice(0, s.queueId.indexOf("/queue/"));
        const sameId = instanceIdOf(s.instanceId) === instanceIdOf(queueInstance);
        if (!sameId || (instance !== undefined && instance !== queueInstance)) {
          ctx.addIssue({ code: "custom", path: ["queueId"], message: "must be a queue of the instance named by instanceId" });
        }
      }
      if (s.capacityWaitSeconds >= s.timeoutSeconds) {
        ctx.addIssue({ code: "custom", path: ["capacityWaitSeconds"], message: `must be less than timeoutSeconds (${s.timeoutSeconds})` });
      }
    }),
);

export type ConnectChannelArgs = ContractArgs<typeof CONNECT_CHANNEL.settings> & PlatformArgs;
type Settings = ContractSettings<typeof CONNECT_CHANNEL.settings>;

/**
 * The contact flow, in Amazon Connect Flow Language (the only format aws.connect.ContactFlow
 * accepts; the seed's console export is not): speak the contact attribute `Message` with
 * text-to-speech, then hang up, also when the prompt fails. Action types per the Flow Language
 * reference: MessageParticipant (Parameters.Text, dynamic as a JSONPath; error NoMatchingError) and
 * DisconnectParticipant (no parameters, no transitions).
 */
export function contactFlowContent(): Record<string, unknown> {
  return {
    Version: "2019-10-30",
    StartAction: "speak-message",
    Actions: [
      {
        Identifier: "speak-message",
        Type: "MessageParticipant",
        Parameters: { Text: `$.Attributes.${MESSAGE_ATTRIBUTE}` },
        Transitions: { NextAction: "hang-up", Errors: [{ NextAction: "hang-up", ErrorType: "NoMatchingError" }], Conditions: [] },
      },
      { Identifier: "hang-up", Type: "DisconnectParticipant", Parameters: {}, Transitions: {} },
    ],
  };
}

/** An instance (or queue) id or ARN → the id: the ARN's last segment. */
export function instanceIdOf(value: string): string {
  return value.startsWith("arn:") ? value.slice(value.lastIndexOf("/") + 1) : value;
}

/**
 * Architecture #13, Connect as a Channel: an encrypted SQS queue (with DLQ) of dial requests → a
 * dialer Lambda that places each call once with StartOutboundVoiceContact, under the shared
 * adaptive limiter, running a Flow Language contact flow that speaks the message. Target
 * `pinpoint` adds the custom-channel Lambda a Pinpoint campaign or journey invokes.
 */
export class ConnectChannel extends pulumi.ComponentResource {
  /** Key of the queue: senders need kms:GenerateDataKey on it to enqueue. */
  public readonly key: aws.kms.Key;
  public readonly queue: aws.sqs.Queue;
  public readonly deadLetterQueue: aws.sqs.Queue;
  public readonly outcomeTable: aws.dynamodb.Table;
  public readonly rateTable: aws.dynamodb.Table;
  /** The created contact flow, or undefined with existingContactFlowId. */
  public readonly contactFlow: aws.connect.ContactFlow | undefined;
  public readonly contactFlowId: pulumi.Output<string>;
  public readonly instanceId: pulumi.Output<string>;
  public readonly function: aws.lambda.Function;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly eventSourceMapping: aws.lambda.EventSourceMapping;
  /** The custom-channel Lambda (target pinpoint), else undefined. */
  public readonly channelFunction: aws.lambda.Function | undefined;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];
  public readonly dashboard: aws.cloudwatch.Dashboard | undefined;

  constructor(name: string, args: ConnectChannelArgs, opts?: pulumi.ComponentResourceOptions) {
    super("due:voice:ConnectChannel", name, {}, opts);
    const settings = resolveSettings(CONNECT_CHANNEL, args);
    const arn = arnBuilder({ parent: this });
    const instance = pulumi.output(settings.instanceId);
    this.instanceId = instance.apply(instanceIdOf);
    const instanceArn = instance.apply((v) => (v.startsWith("arn:") ? pulumi.output(v) : arn("connect", `instance/${v}`)));

    // No AWS service writes to the queue (only IAM principals): a customer-managed key still lets
    // each sender be granted explicitly, in its own policy.
    this.key = createServiceKey(`${name}-key`, "Dial requests of the Connect dialer queue", [], { parent: this });
    const calls = queueForFunction(
      `${name}-calls`,
      { consumerTimeoutSeconds: settings.timeoutSeconds, kmsKeyArn: this.key.arn, maxReceiveCount: settings.maxReceiveCount, alarmActions: args.alarmActions },
      { parent: this },
    );
    this.queue = calls.queue.queue;
    this.deadLetterQueue = calls.queue.deadLetterQueue!;

    this.outcomeTable = createTable(`${name}-outcomes`, { schema: CONNECT_DIAL_OUTCOME_TABLE, deletionProtection: args.tableDeletionProtection }, { parent: this });
    this.rateTable = createTable(`${name}-rates`, { schema: RATE_LIMIT_TABLE, deletionProtection: args.tableDeletionProtection }, { parent: this });

    const flow = existingOrCreate(
      settings.existingContactFlowId,
      () =>
        new aws.connect.ContactFlow(
          `${name}-contact-flow`,
          {
            instanceId: this.instanceId,
            name: stableName(`${name}-speak-message`, 127),
            type: "CONTACT_FLOW",
            description: `Speaks the contact attribute ${MESSAGE_ATTRIBUTE}, then hangs up (placed by the dialer)`,
            content: JSON.stringify(contactFlowContent()),
          },
          { parent: this },
        ),
      // The flow id is the last segment of its ARN (…:instance/<id>/contact-flow/<flowId>, API
      // reference of StartOutboundVoiceContact); the ARN is also what the runtime mocks compute.
      (created) => created.arn.apply((flowArn) => flowArn.slice(flowArn.lastIndexOf("/") + 1)),
    );
    this.contactFlow = flow.created;
    this.contactFlowId = flow.value;

    const dialer = calls.deliverTo(
      `${name}-dialer`,
      {
        handler: DIALER,
        description: "Places queued calls once each with StartOutboundVoiceContact, under the shared adaptive limiter",
        memorySizeMb: settings.memorySizeMb,
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        environment: {
          ...environmentFor(DIALER, {
            INSTANCE_ID: this.instanceId,
            CONTACT_FLOW_ID: this.contactFlowId,
            QUEUE_ID: settings.queueId === undefined ? "" : pulumi.output(settings.queueId).apply(instanceIdOf),
            SOURCE_PHONE_NUMBER: settings.sourcePhoneNumber ?? "",
            RING_TIMEOUT_SECONDS: settings.ringTimeoutSeconds === undefined ? "" : String(settings.ringTimeoutSeconds),
            OUTCOME_TABLE_NAME: this.outcomeTable.name,
            RATE_TABLE_NAME: this.rateTable.name,
            DIALER_QUEUE_URL: this.queue.url,
            CALLS_PER_SECOND: String(settings.callsPerSecond),
            LIMITER_SHARES: String(settings.maximumConcurrency),
            DIAL_CONCURRENCY: String(settings.dialConcurrency),
            CAPACITY_WAIT_SECONDS: String(settings.capacityWaitSeconds),
            CAPACITY_RETRY_DELAY_SECONDS: String(settings.capacityRetryDelaySeconds),
          }),
          ...sendingEnvironment({ sending: settings.sending, sendGuarantee: args.sendGuarantee }),
        },
        policyStatements: [
          ...dialerStatements({
            contactArn: pulumi.interpolate`${instanceArn}/contact/*`,
            queueArn: this.queue.arn,
            keyArn: this.key.arn,
            outcomeTableArn: this.outcomeTable.arn,
            rateTableArn: this.rateTable.arn,
          }),
          ...sendingStatements({ sending: settings.sending }),
        ],
      },
      { mappingName: `${name}-dialer-event-source`, batchSize: settings.batchSize, maximumConcurrency: settings.maximumConcurrency },
      { parent: this },
    );
    this.function = dialer.fn.function;
    this.logGroup = dialer.fn.logGroup;
    this.eventSourceMapping = dialer.mapping;

    const channel = settings.target === "pinpoint" ? this.pinpointChannel(name, settings, args, arn) : undefined;
    this.channelFunction = channel?.function;

    dataFlow(external("Senders (e.g. #9 VOICE rows)"), this.queue, "dial requests");
    dataFlow(this.channelFunction, this.queue, "dial requests");
    dataFlow(this.queue, this.function, "batches");
    dataFlow(this.function, this.outcomeTable, "outcomes");
    dataFlow(this.function, this.rateTable, "learned rate");
    dataFlow(this.function, this.queue, "deferred calls");
    dataFlow(this.function, external("Amazon Connect (StartOutboundVoiceContact)"), "calls");
    dataFlow(external("Amazon Connect (StartOutboundVoiceContact)"), this.contactFlow, "runs for each call");

    const unknownAlarm = sendOutcomeUnknownAlarm(
      `${name}-call-outcome-unknown`,
      { namespace: DIALER.namespace, serviceName: dialer.fn.serviceName, alarmActions: args.alarmActions },
      { parent: this },
    );
    const outcomeLostAlarm = anyAboveZeroAlarm(
      `${name}-outcome-write-lost`,
      {
        namespace: DIALER.namespace,
        metricName: DIALER_METRICS.OutcomeWriteLost,
        dimensions: { service: dialer.fn.serviceName },
        statistic: "Sum",
        description: `${dialer.fn.serviceName} could not record a call's outcome after placing it; the call stays DIALING in the outcome table`,
        alarmActions: args.alarmActions,
      },
      { parent: this },
    );
    this.alarms = [...dialer.alarms, ...(channel?.alarms ?? []), unknownAlarm, outcomeLostAlarm];
    this.dashboard = architectureDashboard(
      name,
      args,
      {
        queues: [calls.queue],
        functions: [dashboardFunction(dialer.fn, DIALER), ...(channel === undefined ? [] : [dashboardFunction(channel, CHANNEL)])],
      },
      this,
    );
    this.registerOutputs({
      key: this.key,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      outcomeTable: this.outcomeTable,
      rateTable: this.rateTable,
      contactFlowId: this.contactFlowId,
      function: this.function,
      channelFunction: this.channelFunction,
      alarms: this.alarms,
      dashboard: this.dashboard,
    });
  }

  /** Target pinpoint: the custom-channel Lambda and Pinpoint's permission to invoke it for one project. */
  private pinpointChannel(name: string, settings: Extract<Settings, { target: "pinpoint" }>, args: ConnectChannelArgs, arn: ReturnType<typeof arnBuilder>): BundledFunction {
    const channel = new BundledFunction(
      `${name}-channel`,
      {
        handler: CHANNEL,
        description: "Pinpoint custom channel: queues one call per endpoint for the dialer",
        timeoutSeconds: settings.channelTimeoutSeconds,
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        environment: environmentFor(CHANNEL, { DIALER_QUEUE_URL: this.queue.url, CHANNEL_TYPES: settings.channelTypes.join(",") }),
        policyStatements: channelStatements({ queueArn: this.queue.arn, keyArn: this.key.arn }),
      },
      { parent: this },
    );
    // Current docs write the source ARN without a slash after the account (apps/<id>/...), older
    // ones and the seed with one (/apps/<id>...): one permission for each form, never apps/*.
    for (const [suffix, prefix] of [
      ["", "apps"],
      ["-legacy-arn", "/apps"],
    ] as const) {
      new aws.lambda.Permission(
        `${name}-pinpoint-invoke${suffix}`,
        {
          action: "lambda:InvokeFunction",
          function: channel.function.name,
          principal: pulumi.interpolate`pinpoint.${arn.region}.amazonaws.com`,
          sourceArn: pulumi.interpolate`arn:${arn.partition}:mobiletargeting:${arn.region}:${arn.accountId}:${prefix}/${settings.pinpointApplicationId}/*`,
          sourceAccount: arn.accountId,
        },
        { parent: this },
      );
    }
    dataFlow(external("Amazon Pinpoint campaigns and journeys (custom channel)"), channel.function, "endpoints");
    return channel;
  }
}

/** The dialer's own permissions (queueForFunction adds ConsumeQueue and DecryptQueue before them). */
export function dialerStatements(resources: {
  contactArn: pulumi.Input<string>;
  queueArn: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  outcomeTableArn: pulumi.Input<string>;
  rateTableArn: pulumi.Input<string>;
}): PolicyStatement[] {
  return [
    { Sid: "PlaceCalls", Effect: "Allow", Action: "connect:StartOutboundVoiceContact", Resource: resources.contactArn },
    // Calls deferred for capacity or rate go back on the dialer's own queue, with a delay.
    { Sid: "DeferCalls", Effect: "Allow", Action: "sqs:SendMessage", Resource: resources.queueArn },
    { Sid: "EncryptDeferredCalls", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: resources.keyArn },
    { Sid: "RecordOutcomes", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: resources.outcomeTableArn },
    { Sid: "ShareLearnedRate", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Resource: resources.rateTableArn },
  ];
}

/** What any sender needs to put dial requests on the queue: SendMessage and the key's data keys. */
export function enqueueCallsStatements(resources: { queueArn: pulumi.Input<string>; keyArn: pulumi.Input<string> }): PolicyStatement[] {
  return [
    { Sid: "QueueCalls", Effect: "Allow", Action: "sqs:SendMessage", Resource: resources.queueArn },
    // GenerateDataKey to encrypt; Decrypt because SQS checks the data key it reuses for the key's period.
    { Sid: "EncryptCalls", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: resources.keyArn },
  ];
}

/** The custom-channel Lambda: enqueue only. */
export function channelStatements(resources: { queueArn: pulumi.Input<string>; keyArn: pulumi.Input<string> }): PolicyStatement[] {
  return enqueueCallsStatements(resources);
}
