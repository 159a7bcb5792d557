import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import {
  DEFAULT_REPLIES,
  FREE_TEXT_POLICIES,
  INBOUND,
  INBOUND_METRICS,
  MAX_REPLY_CHARACTERS,
  OPT_OUT_MODES,
  REPLY_ORDERS,
} from "../../functions/self-managed-opt-outs/contract";
import { buildKeywordSets, DEFAULT_HELP_KEYWORDS, DEFAULT_OPT_IN_KEYWORDS, DEFAULT_OPT_OUT_KEYWORDS } from "../../functions/shared/sms/inbound-sms";
import { MESSAGE_TYPES } from "../../functions/shared/sms/sms-config";
import { SMS_PREFERENCE_TABLE } from "../../functions/shared/runtime/tables";
import { defineContract, environmentFor, passThrough, resolveSettings, type ContractArgs, type ContractSettings } from "../kit/contract";
import {
  anyAboveZeroAlarm,
  architectureDashboard,
  arnBuilder,
  type ArnBuilder,
  BundledFunction,
  dashboardFunction,
  createAsyncFailureQueue,
  createIdempotencyTable,
  createTable,
  domainEventsTopic,
  EncryptedTopic,
  existingOrCreate,
  functionPlatform,
  idempotencyTableStatement,
  PlatformArgs,
  PolicyStatement,
  sendingEnvironment,
  sendingStatements,
  SENDING_SETTING,
  sendOutcomeUnknownAlarm,
  stableName,
} from "../shared";
import { dataFlow, external, named } from "../shared/flow";

/** The STOP confirmation is retried for about 3 s (functions/self-managed-opt-outs/process.ts). */
export const MIN_TIMEOUT_SECONDS = 10;
export const PHONE_NUMBER_TYPES = ["LONG_CODE", "TOLL_FREE", "TEN_DLC", "SIMULATOR"] as const;

const NAME_OR_ARN = /^[A-Za-z0-9_:/-]{1,256}$/;
const PHONE_NUMBER_ID = /^(phone-[a-z0-9]{32}|arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:phone-number\/phone-[a-z0-9]{32})$/;
const POOL_ID = /^(pool-[a-z0-9]{32}|arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:pool\/pool-[a-z0-9]{32})$/;

const reply = (fallback: string, what: string) =>
  z
    .string()
    .refine((text) => text.trim().length > 0 && text.length <= MAX_REPLY_CHARACTERS, `must be 1–${MAX_REPLY_CHARACTERS} characters`)
    .default(fallback)
    .describe(what);
const keywords = (fallback: readonly string[], what: string) =>
  z
    .array(z.string().min(1))
    .min(1)
    .default([...fallback])
    .describe(`${what}; replaces the default set (see functions/shared/sms/inbound-sms.ts).`);

/** The settings that need `createPhoneNumber: true`. */
const CREATE_ONLY = ["phoneNumberIsoCountryCode", "phoneNumberType", "phoneNumberMessageType", "phoneNumberRegistrationId"] as const;

/** Settings of both targets. */
const SHARED = {
  sending: SENDING_SETTING,
  createPhoneNumber: z
    .boolean()
    .default(false)
    .describe(
      "Request a new number (with phoneNumberIsoCountryCode, phoneNumberType, phoneNumberMessageType) with two-way SMS to the topic, self-managed opt-outs and the opt-out list. Exactly one of createPhoneNumber, existingPhoneNumberId and existingPoolId.",
    ),
  phoneNumberIsoCountryCode: z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code such as US").optional().describe("ISO 3166-1 alpha-2 country of the requested number."),
  phoneNumberType: z.enum(PHONE_NUMBER_TYPES).optional().describe("Type of the requested number."),
  phoneNumberMessageType: z.enum(MESSAGE_TYPES).optional().describe("The requested number's default message type."),
  phoneNumberRegistrationId: passThrough(z.string().min(1)).optional().describe("Registration to attach the requested number to (toll-free and 10DLC need one)."),
  phoneNumberDeletionProtection: z.boolean().default(true).describe("Deletion protection on the requested number (releasing a number is irreversible)."),
  phoneNumberWaitForActive: z
    .boolean()
    .default(true)
    .describe("Wait for the requested number to become ACTIVE; false for numbers awaiting carrier registration (10DLC, toll-free)."),
  existingPhoneNumberId: passThrough(z.string().regex(PHONE_NUMBER_ID, "must be a phone number id (phone-…) or its ARN"))
    .optional()
    .describe("An existing number the component does not manage; output originationIdentityUpdateCommand is the one call that configures it."),
  existingPoolId: passThrough(z.string().regex(POOL_ID, "must be a pool id (pool-…) or its ARN"))
    .optional()
    .describe("An existing pool, as existingPhoneNumberId (configured with UpdatePool)."),
  existingOptOutListName: passThrough(z.string().regex(NAME_OR_ARN, "must be an opt-out list name or ARN"))
    .optional()
    .describe("Use this opt-out list (name or ARN). Default: create one."),
  optOutMode: z
    .enum(OPT_OUT_MODES)
    .default("opt-out-list")
    .describe(
      "The transactional exemption: opt-out-list blocks every message to a number that sent STOP; preference-table-only records STOP only in the table, so transactional messages still go out.",
    ),
  optOutReplyOrder: z
    .enum(REPLY_ORDERS)
    .default("before-opt-out-list")
    .describe("before-opt-out-list confirms a STOP before listing the number (a listed number receives nothing); after-opt-out-list lists first."),
  optOutReply: reply(DEFAULT_REPLIES.OPT_OUT, "The STOP confirmation."),
  optInReply: reply(DEFAULT_REPLIES.OPT_IN, "The START confirmation."),
  helpReply: reply(DEFAULT_REPLIES.HELP, "The HELP answer; carriers expect the brand name and a contact."),
  optOutKeywords: keywords(DEFAULT_OPT_OUT_KEYWORDS, "Opt-out keywords, matched as the first word(s)"),
  optInKeywords: keywords(DEFAULT_OPT_IN_KEYWORDS, "Opt-in keywords, matched as the whole message"),
  helpKeywords: keywords(DEFAULT_HELP_KEYWORDS, "Help keywords, matched as the first word(s)"),
  freeTextOptOut: z
    .enum(FREE_TEXT_POLICIES)
    .default("flag")
    .describe("A message that is not a keyword: flag publishes it as sms.inbound.needs-review for a person to judge; ignore only counts it."),
  existingPreferenceTableName: passThrough(z.string().min(3).max(255))
    .optional()
    .describe("Use this preference table (partition key phoneNumber, type S). Default: create one."),
  existingEventsTopicArn: passThrough(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, "must be an SNS topic ARN"))
    .optional()
    .describe("Publish sms.preference.* events to this topic. Default: create one."),
  existingEventsTopicKmsKeyArn: passThrough(z.string().regex(/^arn:aws[a-z-]*:kms:/, "must be a KMS key ARN"))
    .optional()
    .describe("The customer-managed KMS key of existingEventsTopicArn, if it has one."),
  timeoutSeconds: z.int().min(MIN_TIMEOUT_SECONDS).max(900).default(30).describe("Handler timeout, seconds (the STOP confirmation is retried for about 3 s)."),
  memorySizeMb: z.int().min(128).max(10240).default(256).describe("Handler memory, MB."),
};

const TARGET_DESCRIPTION =
  "end-user-messaging: AWS End User Messaging SMS (opt-out list, SendTextMessage); pinpoint: the seed's wiring (endpoint OptOut, SendMessages), for accounts still migrating.";

/** #8's settings, declared once: the component's arguments and validation, the stack config and the docs come from here. */
export const SELF_MANAGED_OPT_OUTS = defineContract(
  "SelfManagedOptOuts",
  z
    .discriminatedUnion("target", [
      z.strictObject({
        target: z.literal("end-user-messaging").default("end-user-messaging").describe(TARGET_DESCRIPTION),
        ...SHARED,
        configurationSetName: passThrough(z.string().regex(NAME_OR_ARN, "must be a configuration set name or ARN"))
          .optional()
          .describe("SMS configuration set for the replies. Default none."),
      }),
      z.strictObject({
        target: z.literal("pinpoint").describe(TARGET_DESCRIPTION),
        ...SHARED,
        // Optional to zod so that a missing id is reported with the rule below, not as "Invalid input".
        pinpointApplicationId: passThrough(z.string().regex(/^[A-Za-z0-9]{1,64}$/, "must be a Pinpoint project id (letters and digits)"))
          .optional()
          .describe("The Pinpoint project whose endpoints record opt-outs and which sends the replies; required."),
      }),
    ])
    .superRefine((c, ctx) => {
      // Runs even when a field failed (see `when`), so read the values defensively.
      if (c.target === "pinpoint" && c.pinpointApplicationId === undefined) {
        ctx.addIssue({ code: "custom", path: ["pinpointApplicationId"], message: 'is required when target is "pinpoint"' });
      }
      const sources = [c.createPhoneNumber === true, c.existingPhoneNumberId !== undefined, c.existingPoolId !== undefined].filter(Boolean).length;
      if (sources !== 1) {
        const message = sources === 0 ? "set one of createPhoneNumber, existingPhoneNumberId or existingPoolId" : "set only one of createPhoneNumber, existingPhoneNumberId and existingPoolId";
        ctx.addIssue({ code: "custom", path: ["createPhoneNumber"], message });
      }
      if (c.createPhoneNumber === true) {
        for (const key of ["phoneNumberIsoCountryCode", "phoneNumberType", "phoneNumberMessageType"] as const) {
          if (c[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: "is required with createPhoneNumber: true" });
        }
      } else {
        for (const key of CREATE_ONLY) if (c[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: "applies only with createPhoneNumber: true" });
        // Their defaults cannot be told from an explicit true; a false is a setting that would do nothing.
        for (const key of ["phoneNumberDeletionProtection", "phoneNumberWaitForActive"] as const) {
          if (c[key] === false) ctx.addIssue({ code: "custom", path: [key], message: "applies only with createPhoneNumber: true" });
        }
      }
      if (c.existingEventsTopicKmsKeyArn !== undefined && c.existingEventsTopicArn === undefined) {
        ctx.addIssue({ code: "custom", path: ["existingEventsTopicKmsKeyArn"], message: "applies only with existingEventsTopicArn" });
      }
      const lists: unknown[] = [c.optOutKeywords, c.optInKeywords, c.helpKeywords];
      if (lists.every((list) => Array.isArray(list) && list.every((word) => typeof word === "string"))) {
        try {
          buildKeywordSets({ optOut: c.optOutKeywords, optIn: c.optInKeywords, help: c.helpKeywords });
        } catch (error) {
          ctx.addIssue({ code: "custom", path: ["optOutKeywords/optInKeywords/helpKeywords"], message: (error as Error).message });
        }
      }
    }, { when: () => true }),
);

export type SelfManagedOptOutsArgs = ContractArgs<typeof SELF_MANAGED_OPT_OUTS.settings> & PlatformArgs;
type Settings = ContractSettings<typeof SELF_MANAGED_OPT_OUTS.settings>;

/**
 * Architecture #8, Self-Managed Opt Outs: a phone number (or pool) sends inbound SMS to a
 * KMS-encrypted SNS topic → Lambda classifies STOP / START / HELP exactly, records the preference
 * (opt-out list and/or DynamoDB), publishes a domain event and confirms from the number texted.
 */
export class SelfManagedOptOuts extends pulumi.ComponentResource {
  /** The two-way topic the number publishes inbound SMS to. */
  public readonly topic: aws.sns.Topic;
  public readonly key: aws.kms.Key;
  /** Topic of sms.preference.opted-out / opted-in events (created or existing). */
  public readonly eventsTopicArn: pulumi.Output<string>;
  public readonly optOutList: aws.pinpoint.Smsvoicev2OptOutList | undefined;
  public readonly optOutListName: pulumi.Output<string>;
  public readonly phoneNumber: aws.pinpoint.Smsvoicev2PhoneNumber | undefined;
  /** The phone number (E.164) when created, else the id of the existing number or pool. */
  public readonly originationIdentity: pulumi.Output<string>;
  /** For an existing number or pool: the AWS CLI call that configures it; undefined when created. */
  public readonly originationIdentityUpdateCommand: pulumi.Output<string> | undefined;
  public readonly preferenceTable: aws.dynamodb.Table | undefined;
  public readonly preferenceTableName: pulumi.Output<string>;
  public readonly idempotencyTable: aws.dynamodb.Table;
  public readonly failureQueue: aws.sqs.Queue;
  public readonly function: aws.lambda.Function;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly subscription: aws.sns.TopicSubscription;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];
  /** The architecture's CloudWatch dashboard; undefined when dashboards are off. */
  public readonly dashboard: aws.cloudwatch.Dashboard | undefined;

  constructor(name: string, args: SelfManagedOptOutsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("due:sms:SelfManagedOptOuts", name, {}, opts);
    const settings = resolveSettings(SELF_MANAGED_OPT_OUTS, args);
    const arn = arnBuilder({ parent: this });

    // The two-way topic. AWS documents the SourceArn of two-way publishing only as the account's
    // sms-voice resources (arn:…:sms-voice:<region>:<account>:*), so that is the scope used.
    // https://docs.aws.amazon.com/sms-voice/latest/userguide/two-way-sms-iam-policy-auto.html
    const inbound = new EncryptedTopic(
      `${name}-inbound`,
      {
        displayName: "Two-way SMS",
        publishers: [{ service: "sms-voice.amazonaws.com", sourceArns: [arn("sms-voice", "*")] }],
        deliverToEncryptedQueues: false,
      },
      { parent: this },
    );
    this.topic = inbound.topic;
    this.key = inbound.key;

    const optOutList = existingOrCreate(
      settings.existingOptOutListName === undefined ? undefined : pulumi.output(settings.existingOptOutListName).apply(lastSegment),
      () => new aws.pinpoint.Smsvoicev2OptOutList(`${name}-opt-out-list`, { name: stableName(`${name}-opt-outs`, 64) }, { parent: this }),
      (list) => list.name,
    );
    this.optOutList = optOutList.created;
    this.optOutListName = optOutList.value;

    // Origination identity: requested here, or an existing number / pool configured by one call.
    const pool = settings.existingPoolId !== undefined;
    const existingId = settings.createPhoneNumber ? undefined : pulumi.output((pool ? settings.existingPoolId : settings.existingPhoneNumberId)!);
    const phoneNumber = existingOrCreate(
      existingId?.apply(lastSegment),
      () =>
        new aws.pinpoint.Smsvoicev2PhoneNumber(
          `${name}-phone-number`,
          {
            // Present: the contract requires them with createPhoneNumber.
            isoCountryCode: settings.phoneNumberIsoCountryCode!,
            numberType: settings.phoneNumberType!,
            messageType: settings.phoneNumberMessageType!,
            numberCapabilities: ["SMS"],
            optOutListName: this.optOutListName,
            selfManagedOptOutsEnabled: true,
            twoWayChannelEnabled: true,
            twoWayChannelArn: this.topic.arn,
            registrationId: settings.phoneNumberRegistrationId,
            deletionProtectionEnabled: settings.phoneNumberDeletionProtection,
            waitForActive: settings.phoneNumberWaitForActive,
          },
          // The service checks it may publish to the topic when two-way SMS is turned on.
          { parent: this, dependsOn: [inbound.topicPolicy, inbound.key] },
        ),
      (created) => created.phoneNumber,
    );
    this.phoneNumber = phoneNumber.created;
    this.originationIdentity = phoneNumber.value;
    this.originationIdentityUpdateCommand =
      existingId &&
      pulumi
        .all([existingId, this.topic.arn, this.optOutListName, arn.region])
        .apply(([id, topicArn, listName, region]) => originationUpdateCommand(pool ? "pool" : "phone-number", id, topicArn, listName, region));
    // Replies go out from the number the customer texted (inside the pool, unknown here), so a
    // pool needs the phone-number resource type across the account's numbers.
    const originationArns = this.phoneNumber
      ? [this.phoneNumber.arn]
      : pool
        ? [arn("sms-voice", pulumi.interpolate`pool/${this.originationIdentity}`), arn("sms-voice", "phone-number/*")]
        : [arn("sms-voice", pulumi.interpolate`phone-number/${this.originationIdentity}`)];

    const preferences = existingOrCreate(
      settings.existingPreferenceTableName,
      () => createTable(`${name}-preferences`, { schema: SMS_PREFERENCE_TABLE, deletionProtection: args.tableDeletionProtection }, { parent: this }),
      (table) => table.name,
    );
    this.preferenceTable = preferences.created;
    this.preferenceTableName = preferences.value;
    const preferenceTableArn = this.preferenceTable ? this.preferenceTable.arn : arn("dynamodb", pulumi.interpolate`table/${this.preferenceTableName}`);
    this.idempotencyTable = createIdempotencyTable(`${name}-idempotency`, args.tableDeletionProtection, { parent: this });

    // Events for other systems: existing or created topic.
    const events = domainEventsTopic(
      `${name}-events`,
      { displayName: "SMS preference events", existingTopicArn: settings.existingEventsTopicArn, existingKmsKeyArn: settings.existingEventsTopicKmsKeyArn },
      this,
    );
    this.eventsTopicArn = events.topicArn;

    const failures = createAsyncFailureQueue(`${name}-failures`, args.alarmActions, this);
    this.failureQueue = failures.queue;

    const optOutListArn = arn("sms-voice", pulumi.interpolate`opt-out-list/${this.optOutListName}`);
    const target =
      settings.target === "pinpoint" ? pinpointTarget(settings, arn) : endUserMessagingTarget(settings, { optOutListArn, originationArns, arn });
    const handler = new BundledFunction(
      `${name}-handler`,
      {
        handler: INBOUND,
        description: "Handles STOP, START and HELP for self-managed SMS opt-outs",
        timeoutSeconds: settings.timeoutSeconds,
        memorySizeMb: settings.memorySizeMb,
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        asyncInvoke: { maximumRetryAttempts: 2, onFailure: failures },
        environment: {
          ...environmentFor(INBOUND, {
            ...target.environment,
            OPT_OUT_MODE: settings.optOutMode,
            OPT_OUT_REPLY_ORDER: settings.optOutReplyOrder,
            OPT_OUT_LIST_NAME: this.optOutListName,
            PREFERENCE_TABLE_NAME: this.preferenceTableName,
            IDEMPOTENCY_TABLE_NAME: this.idempotencyTable.name,
            EVENTS_TOPIC_ARN: this.eventsTopicArn,
            OPT_OUT_REPLY: settings.optOutReply,
            OPT_IN_REPLY: settings.optInReply,
            HELP_REPLY: settings.helpReply,
            OPT_OUT_KEYWORDS: JSON.stringify(settings.optOutKeywords),
            OPT_IN_KEYWORDS: JSON.stringify(settings.optInKeywords),
            HELP_KEYWORDS: JSON.stringify(settings.helpKeywords),
            FREE_TEXT_OPT_OUT: settings.freeTextOptOut,
          }),
          ...sendingEnvironment({ sending: settings.sending, sendGuarantee: args.sendGuarantee }),
        },
        policyStatements: [
          ...target.statements,
          { Sid: "Preferences", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: preferenceTableArn },
          idempotencyTableStatement(this.idempotencyTable.arn),
          { Sid: "PublishEvents", Effect: "Allow", Action: "sns:Publish", Resource: this.eventsTopicArn },
          // Publishing to a KMS-encrypted topic needs a data key from the topic's key.
          ...(events.keyArn === undefined ? [] : [{ Sid: "EncryptEvents", Effect: "Allow" as const, Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: events.keyArn }]),
          ...sendingStatements({ sending: settings.sending }),
        ],
      },
      { parent: this },
    );
    this.function = handler.function;
    this.logGroup = handler.logGroup;

    const permission = new aws.lambda.Permission(
      `${name}-sns-invoke-permission`,
      { action: "lambda:InvokeFunction", function: this.function.name, principal: "sns.amazonaws.com", sourceArn: this.topic.arn },
      { parent: this },
    );
    this.subscription = new aws.sns.TopicSubscription(
      `${name}-subscription`,
      { topic: this.topic.arn, protocol: "lambda", endpoint: this.function.arn },
      // SNS confirms a Lambda subscription by invoking it: the permission must exist first.
      { parent: this, dependsOn: [permission] },
    );
    const originationNode = this.phoneNumber ?? external(pool ? "End User Messaging SMS pool (existing)" : "End User Messaging SMS phone number (existing)");
    dataFlow(external("Customers' phones"), originationNode, "inbound SMS");
    dataFlow(originationNode, this.topic, "two-way messages");
    dataFlow(this.topic, this.function, "messages");
    dataFlow(this.function, this.optOutList ?? external("End User Messaging SMS opt-out list (existing)"), "opt-outs");
    dataFlow(this.function, this.preferenceTable ?? external("DynamoDB preference table (existing)"), "rows");
    dataFlow(this.function, this.idempotencyTable, "rows");
    dataFlow(this.function, settings.existingEventsTopicArn === undefined ? named("aws:sns/topic:Topic", `${name}-events-topic`) : external("SNS events topic (existing)"), "preference events");
    dataFlow(this.function, external(settings.target === "pinpoint" ? "Amazon Pinpoint (SendMessages)" : "End User Messaging SMS (SendTextMessage)"), "replies");
    dataFlow(this.function, this.failureQueue, "failed invocations");

    // Powertools adds the `service` dimension to the handler's metrics: the function block's service name.
    const unknownAlarm = sendOutcomeUnknownAlarm(
      `${name}-send-outcome-unknown`,
      { namespace: INBOUND.namespace, serviceName: handler.serviceName, alarmActions: args.alarmActions },
      { parent: this },
    );
    const owedAlarm = anyAboveZeroAlarm(
      `${name}-confirmation-owed`,
      {
        namespace: INBOUND.namespace,
        metricName: INBOUND_METRICS.ConfirmationOwed,
        dimensions: { service: handler.serviceName },
        statistic: "Sum",
        description: "A STOP confirmation could not be sent; the number is on the opt-out list and the preference item records the confirmation as owed",
        alarmActions: args.alarmActions,
      },
      { parent: this },
    );

    this.alarms = [...handler.alarms, unknownAlarm, owedAlarm];
    this.dashboard = architectureDashboard(name, args, { failureQueues: [this.failureQueue], functions: [dashboardFunction(handler, INBOUND)] }, this);
    this.registerOutputs({
      dashboard: this.dashboard,
      topic: this.topic,
      eventsTopicArn: this.eventsTopicArn,
      optOutListName: this.optOutListName,
      originationIdentity: this.originationIdentity,
      originationIdentityUpdateCommand: this.originationIdentityUpdateCommand,
      preferenceTableName: this.preferenceTableName,
      idempotencyTable: this.idempotencyTable,
      failureQueue: this.failureQueue,
      function: this.function,
      logGroup: this.logGroup,
      alarms: this.alarms,
    });
  }
}

/** "arn:…:opt-out-list/x" or "x" → "x": the services take either, the handler and policies the name. */
function lastSegment(idOrArn: string): string {
  return idOrArn.split("/").pop() ?? idOrArn;
}

/** What a target adds to the handler: permissions to record opt-outs and send replies, and its variables. */
interface TargetWiring {
  statements: PolicyStatement[];
  environment: { TARGET: Settings["target"]; PINPOINT_APPLICATION_ID: pulumi.Input<string>; CONFIGURATION_SET_NAME: pulumi.Input<string> };
}

/** End User Messaging SMS: the opt-out list (opt-out-list mode) and SendTextMessage from the texted number. */
function endUserMessagingTarget(
  settings: Extract<Settings, { target: "end-user-messaging" }>,
  resources: { optOutListArn: pulumi.Input<string>; originationArns: pulumi.Input<string>[]; arn: ArnBuilder },
): TargetWiring {
  const configurationSet = settings.configurationSetName;
  // SendTextMessage accepts a name or an ARN; the policy needs the ARN either way.
  const configurationSetArn =
    configurationSet === undefined
      ? []
      : [pulumi.output(configurationSet).apply((c) => (c.startsWith("arn:") ? pulumi.output(c) : resources.arn("sms-voice", `configuration-set/${c}`)))];
  return {
    statements: [
      ...(settings.optOutMode === "opt-out-list"
        ? [{ Sid: "RecordOptOuts", Effect: "Allow" as const, Action: ["sms-voice:PutOptedOutNumber", "sms-voice:DeleteOptedOutNumber"], Resource: resources.optOutListArn }]
        : []),
      { Sid: "SendReplies", Effect: "Allow", Action: "sms-voice:SendTextMessage", Resource: [...resources.originationArns, ...configurationSetArn] },
    ],
    // Blank is "not set" to the handler (functions/shared/sms/sms-config.ts parseEnv).
    environment: { TARGET: settings.target, PINPOINT_APPLICATION_ID: "", CONFIGURATION_SET_NAME: configurationSet ?? "" },
  };
}

/** Pinpoint (legacy): the endpoint's OptOut (opt-out-list mode) and SendMessages, scoped to the project. */
function pinpointTarget(settings: Extract<Settings, { target: "pinpoint" }>, arn: ArnBuilder): TargetWiring {
  // Present: the contract requires it on this target.
  const app = settings.pinpointApplicationId!;
  return {
    statements: [
      ...(settings.optOutMode === "opt-out-list"
        ? [{ Sid: "RecordOptOuts", Effect: "Allow" as const, Action: "mobiletargeting:UpdateEndpoint", Resource: arn("mobiletargeting", pulumi.interpolate`apps/${app}/endpoints/*`) }]
        : []),
      { Sid: "SendReplies", Effect: "Allow", Action: "mobiletargeting:SendMessages", Resource: arn("mobiletargeting", pulumi.interpolate`apps/${app}/messages`) },
    ],
    environment: { TARGET: settings.target, PINPOINT_APPLICATION_ID: app, CONFIGURATION_SET_NAME: "" },
  };
}

/**
 * The one call that configures a number or pool the component does not own (UpdatePhoneNumber /
 * UpdatePool): two-way SMS to the topic, self-managed opt-outs, the opt-out list.
 */
export function originationUpdateCommand(
  kind: "phone-number" | "pool",
  id: string,
  topicArn: string,
  optOutListName: string,
  region: string,
): string {
  const idFlag = kind === "pool" ? "--pool-id" : "--phone-number-id";
  return [
    `aws pinpoint-sms-voice-v2 update-${kind} ${idFlag} ${id}`,
    "--two-way-enabled",
    `--two-way-channel-arn ${topicArn}`,
    "--self-managed-opt-outs-enabled",
    `--opt-out-list-name ${optOutListName}`,
    // A bare id resolves in the caller's default region, which need not be the stack's.
    `--region ${region}`,
  ].join(" ");
}
