import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IDEMPOTENCY_TABLE, SMS_PREFERENCE_TABLE } from "../../functions/shared/tables";
import { buildKeywordSets } from "../../functions/shared/inbound-sms";
import { CONFIRMATION_OWED_METRIC } from "../../functions/self-managed-opt-outs/plan";
import {
  accountContext,
  ArgumentErrors,
  BundledFunction,
  createAsyncFailureQueue,
  createTable,
  domainEventsTopic,
  EncryptedTopic,
  FUNCTION_DEFAULTS,
  functionPlatform,
  idempotencyTableStatement,
  isKnown,
  PlatformArgs,
  PolicyStatement,
  anyAboveZeroAlarm,
  sendGuaranteeEnvironment,
  sendOutcomeUnknownAlarm,
  stableName,
  tableArnFromName,
} from "../shared";

export const SMS_TARGETS = ["end-user-messaging", "pinpoint"] as const;
export type SmsTarget = (typeof SMS_TARGETS)[number];
export const OPT_OUT_MODES = ["opt-out-list", "preference-table-only"] as const;
export type OptOutMode = (typeof OPT_OUT_MODES)[number];
export const REPLY_ORDERS = ["after-opt-out-list", "before-opt-out-list"] as const;
export type ReplyOrder = (typeof REPLY_ORDERS)[number];
export const FREE_TEXT_POLICIES = ["ignore", "flag"] as const;
export type FreeTextPolicy = (typeof FREE_TEXT_POLICIES)[number];
export const METRICS_NAMESPACE = "DigitalUserEngagement/SelfManagedOptOuts";
/** The STOP confirmation is retried for about 3 s (functions/self-managed-opt-outs/process.ts). */
export const MIN_TIMEOUT_SECONDS = 10;
export const PHONE_NUMBER_TYPES = ["LONG_CODE", "TOLL_FREE", "TEN_DLC", "SIMULATOR"] as const;
export const MESSAGE_TYPES = ["TRANSACTIONAL", "PROMOTIONAL"] as const;

const NAME_OR_ARN = /^[A-Za-z0-9_:/-]{1,256}$/;
const PHONE_NUMBER_ID = /^(phone-[a-z0-9]{32}|arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:phone-number\/phone-[a-z0-9]{32})$/;
const POOL_ID = /^(pool-[a-z0-9]{32}|arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:pool\/pool-[a-z0-9]{32})$/;

export interface SelfManagedOptOutsArgs extends PlatformArgs {
  /**
   * Where the handler records opt-outs and sends replies. "end-user-messaging" (default): AWS End
   * User Messaging SMS (opt-out list, SendTextMessage). "pinpoint": the seed's wiring (Pinpoint
   * UpdateEndpoint OptOut and SendMessages), for accounts still migrating; needs `pinpointApplicationId`.
   */
  target?: SmsTarget;
  /** Pinpoint project id; required with target "pinpoint", not allowed otherwise. */
  pinpointApplicationId?: pulumi.Input<string>;

  /**
   * Request a new phone number and configure it: two-way SMS to the component's topic,
   * self-managed opt-outs on, the opt-out list attached. Exactly one of `createPhoneNumber`,
   * `existingPhoneNumberId` and `existingPoolId`. Needs `phoneNumberIsoCountryCode`,
   * `phoneNumberType` and `phoneNumberMessageType`.
   */
  createPhoneNumber?: boolean;
  /** ISO 3166-1 alpha-2 country of the requested number, e.g. "US". */
  phoneNumberIsoCountryCode?: string;
  /** LONG_CODE, TOLL_FREE, TEN_DLC or SIMULATOR. */
  phoneNumberType?: (typeof PHONE_NUMBER_TYPES)[number];
  /** TRANSACTIONAL or PROMOTIONAL: the number's default message type. */
  phoneNumberMessageType?: (typeof MESSAGE_TYPES)[number];
  /** Registration to attach the number to (toll-free and 10DLC need one). Default none. */
  phoneNumberRegistrationId?: pulumi.Input<string>;
  /** Deletion protection on the requested number. Default true: releasing a number is irreversible. */
  phoneNumberDeletionProtection?: boolean;
  /**
   * Wait for the number to become ACTIVE. Default true; set false for numbers awaiting carrier
   * registration (10DLC, toll-free), which can stay PENDING for weeks.
   */
  phoneNumberWaitForActive?: boolean;
  /**
   * An existing phone number (id "phone-…" or its ARN) the component does not manage. The
   * component exports `originationIdentityUpdateCommand`: the one UpdatePhoneNumber call that turns
   * on two-way SMS to the topic, self-managed opt-outs and the opt-out list.
   */
  existingPhoneNumberId?: pulumi.Input<string>;
  /** An existing pool (id "pool-…" or its ARN); as `existingPhoneNumberId`, with UpdatePool. */
  existingPoolId?: pulumi.Input<string>;

  /** Use this opt-out list (name or ARN) instead of creating one. Default: a list is created. */
  existingOptOutListName?: pulumi.Input<string>;
  /**
   * The transactional exemption. "opt-out-list" (default): STOP puts the number on the opt-out list
   * (Pinpoint: endpoint OptOut ALL), which blocks EVERY message from identities linked to the list,
   * one-time passwords included. "preference-table-only": STOP is recorded only in the preference
   * table, so transactional messages still go out; promotional senders must consult the table.
   */
  optOutMode?: OptOutMode;
  /**
   * "before-opt-out-list" (default) records the STOP in the preference table, publishes, confirms,
   * then adds the number to the list: AWS documents that a number on a list linked to the sending
   * identity receives nothing from it, so a confirmation sent afterwards would be refused.
   * "after-opt-out-list" adds to the list first and counts the refused confirmation.
   */
  optOutReplyOrder?: ReplyOrder;
  /** Confirmation texts (1–1600 characters). Defaults: see functions/self-managed-opt-outs/config.ts. */
  optOutReply?: string;
  optInReply?: string;
  /** HELP answer; carriers expect the brand name and a contact. */
  helpReply?: string;
  /** Keyword sets, each replacing its default (e.g. add "ARRET" to the opt-out words). */
  optOutKeywords?: string[];
  optInKeywords?: string[];
  helpKeywords?: string[];
  /**
   * A message that is not a keyword ("please don't text me anymore"). "flag" (default) publishes it
   * as an `sms.inbound.needs-review` event, with its text, for a person to judge whether it revokes
   * consent; "ignore" only counts it. No keyword list can judge free text honestly.
   */
  freeTextOptOut?: FreeTextPolicy;
  /** SMS configuration set for the replies (end-user-messaging only). Default none. */
  configurationSetName?: pulumi.Input<string>;

  /** Use this preference table (partition key `phoneNumber`, S). Default: created. */
  existingPreferenceTableName?: pulumi.Input<string>;
  /** Publish sms.preference.* events to this topic instead of a created one. */
  existingEventsTopicArn?: pulumi.Input<string>;
  /** KMS key of `existingEventsTopicArn`, when it is encrypted with a customer-managed key. */
  existingEventsTopicKmsKeyArn?: pulumi.Input<string>;

  /** Handler timeout. Default 30 s, at least 10 s (the STOP confirmation is retried for about 3 s). */
  timeoutSeconds?: number;
  /** Handler memory. Default 256 MB. */
  memorySizeMb?: number;
}

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

  constructor(name: string, args: SelfManagedOptOutsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("due:sms:SelfManagedOptOuts", name, {}, opts);
    validateSelfManagedOptOutsArgs(args);
    const invokeOpts = { parent: this };
    const { identity, region, partition } = accountContext(invokeOpts);
    const smsVoiceArn = (resource: pulumi.Input<string>) =>
      pulumi.interpolate`arn:${partition.partition}:sms-voice:${region.region}:${identity.accountId}:${resource}`;
    const target = args.target ?? "end-user-messaging";
    const mode = args.optOutMode ?? "opt-out-list";

    // The two-way topic. AWS documents the SourceArn of two-way publishing only as the account's
    // sms-voice resources (arn:…:sms-voice:<region>:<account>:*), so that is the scope used.
    // https://docs.aws.amazon.com/sms-voice/latest/userguide/two-way-sms-iam-policy-auto.html
    const inbound = new EncryptedTopic(
      `${name}-inbound`,
      {
        displayName: "Two-way SMS",
        publishers: [{ service: "sms-voice.amazonaws.com", sourceArns: [smsVoiceArn("*")] }],
        deliverToEncryptedQueues: false,
      },
      { parent: this },
    );
    this.topic = inbound.topic;
    this.key = inbound.key;

    // Opt-out list: existing or created.
    if (args.existingOptOutListName === undefined) {
      this.optOutList = new aws.pinpoint.Smsvoicev2OptOutList(`${name}-opt-out-list`, { name: stableName(`${name}-opt-outs`, 64) }, { parent: this });
      this.optOutListName = this.optOutList.name;
    } else {
      this.optOutList = undefined;
      this.optOutListName = pulumi.output(args.existingOptOutListName).apply((n) => n.split("/").pop() ?? n);
    }
    const optOutListArn = smsVoiceArn(pulumi.interpolate`opt-out-list/${this.optOutListName}`);

    // Origination identity: requested here, or an existing number / pool configured by one call.
    let originationArns: pulumi.Input<string>[];
    if (args.createPhoneNumber) {
      this.phoneNumber = new aws.pinpoint.Smsvoicev2PhoneNumber(
        `${name}-phone-number`,
        {
          isoCountryCode: args.phoneNumberIsoCountryCode!,
          numberType: args.phoneNumberType!,
          messageType: args.phoneNumberMessageType!,
          numberCapabilities: ["SMS"],
          optOutListName: this.optOutListName,
          selfManagedOptOutsEnabled: true,
          twoWayChannelEnabled: true,
          twoWayChannelArn: this.topic.arn,
          registrationId: args.phoneNumberRegistrationId,
          deletionProtectionEnabled: args.phoneNumberDeletionProtection ?? true,
          waitForActive: args.phoneNumberWaitForActive ?? true,
        },
        // The service checks it may publish to the topic when two-way SMS is turned on.
        { parent: this, dependsOn: [inbound.topicPolicy, inbound.key] },
      );
      this.originationIdentity = this.phoneNumber.phoneNumber;
      this.originationIdentityUpdateCommand = undefined;
      originationArns = [this.phoneNumber.arn];
    } else {
      this.phoneNumber = undefined;
      const pool = args.existingPoolId !== undefined;
      const raw = pulumi.output((pool ? args.existingPoolId : args.existingPhoneNumberId) as pulumi.Input<string>);
      this.originationIdentity = raw.apply((id) => id.split("/").pop() ?? id);
      this.originationIdentityUpdateCommand = pulumi
        .all([raw, this.topic.arn, this.optOutListName, region.region])
        .apply(([id, topicArn, listName, regionName]) => originationUpdateCommand(pool ? "pool" : "phone-number", id, topicArn, listName, regionName));
      // Replies go out from the number the customer texted (inside the pool, unknown here), so a
      // pool needs the phone-number resource type across the account's numbers.
      originationArns = pool
        ? [smsVoiceArn(pulumi.interpolate`pool/${this.originationIdentity}`), smsVoiceArn("phone-number/*")]
        : [smsVoiceArn(pulumi.interpolate`phone-number/${this.originationIdentity}`)];
    }

    // Tables.
    if (args.existingPreferenceTableName === undefined) {
      this.preferenceTable = createTable(
        `${name}-preferences`,
        { schema: SMS_PREFERENCE_TABLE, deletionProtection: args.tableDeletionProtection },
        { parent: this },
      );
      this.preferenceTableName = this.preferenceTable.name;
    } else {
      this.preferenceTable = undefined;
      this.preferenceTableName = pulumi.output(args.existingPreferenceTableName);
    }
    const preferenceTableArn = this.preferenceTable ? this.preferenceTable.arn : tableArnFromName(this.preferenceTableName, invokeOpts);
    this.idempotencyTable = createTable(
      `${name}-idempotency`,
      { schema: IDEMPOTENCY_TABLE, deletionProtection: args.tableDeletionProtection },
      { parent: this },
    );

    // Events for other systems: existing or created topic.
    const events = domainEventsTopic(
      `${name}-events`,
      { displayName: "SMS preference events", existingTopicArn: args.existingEventsTopicArn, existingKmsKeyArn: args.existingEventsTopicKmsKeyArn },
      this,
    );
    this.eventsTopicArn = events.topicArn;
    const eventsKeyArn = events.keyArn;

    const failures = createAsyncFailureQueue(`${name}-failures`, args.alarmActions, this);
    this.failureQueue = failures.queue;

    const configurationSetArn =
      args.configurationSetName === undefined
        ? undefined
        : // SendTextMessage accepts a name or an ARN; the policy needs the ARN either way.
          pulumi.output(args.configurationSetName).apply((c) => (c.startsWith("arn:") ? pulumi.output(c) : smsVoiceArn(`configuration-set/${c}`)));
    const mobileTargetingArn = (resource: pulumi.Input<string>) =>
      pulumi.interpolate`arn:${partition.partition}:mobiletargeting:${region.region}:${identity.accountId}:${resource}`;
    const handler = new BundledFunction(
      `${name}-handler`,
      {
        handler: { entry: "functions/self-managed-opt-outs/inbound.ts" },
        description: "Handles STOP, START and HELP for self-managed SMS opt-outs",
        timeoutSeconds: args.timeoutSeconds ?? 30,
        memorySizeMb: args.memorySizeMb ?? FUNCTION_DEFAULTS.memorySizeMb,
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        asyncMaximumRetryAttempts: 2,
        onFailureQueueArn: this.failureQueue.arn,
        environment: selfManagedOptOutsEnvironment(args, {
          optOutListName: this.optOutListName,
          preferenceTableName: this.preferenceTableName,
          idempotencyTableName: this.idempotencyTable.name,
          eventsTopicArn: this.eventsTopicArn,
        }),
        policyStatements: selfManagedOptOutsStatements({
          target,
          mode,
          optOutListArn,
          originationArns,
          configurationSetArn,
          pinpointEndpointsArn:
            args.pinpointApplicationId === undefined ? undefined : mobileTargetingArn(pulumi.interpolate`apps/${args.pinpointApplicationId}/endpoints/*`),
          pinpointMessagesArn:
            args.pinpointApplicationId === undefined ? undefined : mobileTargetingArn(pulumi.interpolate`apps/${args.pinpointApplicationId}/messages`),
          preferenceTableArn,
          idempotencyTableArn: this.idempotencyTable.arn,
          eventsTopicArn: this.eventsTopicArn,
          eventsKeyArn,
        }),
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

    const metricAlarmArgs = { namespace: METRICS_NAMESPACE, serviceName: `${name}-handler`, alarmActions: args.alarmActions };
    const unknownAlarm = sendOutcomeUnknownAlarm(`${name}-send-outcome-unknown`, metricAlarmArgs, { parent: this });
    const owedAlarm = anyAboveZeroAlarm(
      `${name}-confirmation-owed`,
      {
        namespace: METRICS_NAMESPACE,
        metricName: CONFIRMATION_OWED_METRIC,
        // Powertools adds the `service` dimension: the function block sets it to the block's name.
        dimensions: { service: metricAlarmArgs.serviceName },
        statistic: "Sum",
        description: "A STOP confirmation could not be sent; the number is on the opt-out list and the preference item records the confirmation as owed",
        alarmActions: args.alarmActions,
      },
      { parent: this },
    );

    this.alarms = [failures.alarm, ...handler.alarms, unknownAlarm, owedAlarm];
    this.registerOutputs({
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

/** The handler's environment (see functions/self-managed-opt-outs/config.ts for each variable). */
export function selfManagedOptOutsEnvironment(
  args: SelfManagedOptOutsArgs,
  resources: {
    optOutListName: pulumi.Input<string>;
    preferenceTableName: pulumi.Input<string>;
    idempotencyTableName: pulumi.Input<string>;
    eventsTopicArn: pulumi.Input<string>;
  },
): Record<string, pulumi.Input<string>> {
  const env: Record<string, pulumi.Input<string>> = {
    TARGET: args.target ?? "end-user-messaging",
    OPT_OUT_MODE: args.optOutMode ?? "opt-out-list",
    OPT_OUT_REPLY_ORDER: args.optOutReplyOrder ?? "before-opt-out-list",
    OPT_OUT_LIST_NAME: resources.optOutListName,
    PREFERENCE_TABLE_NAME: resources.preferenceTableName,
    IDEMPOTENCY_TABLE_NAME: resources.idempotencyTableName,
    EVENTS_TOPIC_ARN: resources.eventsTopicArn,
    FREE_TEXT_OPT_OUT: args.freeTextOptOut ?? "flag",
    ...sendGuaranteeEnvironment(args),
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  };
  const optional: Array<[string, pulumi.Input<string> | undefined]> = [
    ["PINPOINT_APPLICATION_ID", args.pinpointApplicationId],
    ["CONFIGURATION_SET_NAME", args.configurationSetName],
    ["OPT_OUT_REPLY", args.optOutReply],
    ["OPT_IN_REPLY", args.optInReply],
    ["HELP_REPLY", args.helpReply],
    ["OPT_OUT_KEYWORDS", args.optOutKeywords && JSON.stringify(args.optOutKeywords)],
    ["OPT_IN_KEYWORDS", args.optInKeywords && JSON.stringify(args.optInKeywords)],
    ["HELP_KEYWORDS", args.helpKeywords && JSON.stringify(args.helpKeywords)],
  ];
  for (const [key, value] of optional) if (value !== undefined) env[key] = value;
  return env;
}

/** The handler's exact permissions for the chosen target and mode. */
export function selfManagedOptOutsStatements(resources: {
  target: SmsTarget;
  mode: OptOutMode;
  optOutListArn: pulumi.Input<string>;
  originationArns: pulumi.Input<string>[];
  configurationSetArn?: pulumi.Input<string>;
  pinpointEndpointsArn?: pulumi.Input<string>;
  pinpointMessagesArn?: pulumi.Input<string>;
  preferenceTableArn: pulumi.Input<string>;
  idempotencyTableArn: pulumi.Input<string>;
  eventsTopicArn: pulumi.Input<string>;
  eventsKeyArn?: pulumi.Input<string>;
}): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  if (resources.target === "end-user-messaging") {
    if (resources.mode === "opt-out-list") {
      statements.push({
        Sid: "RecordOptOuts",
        Effect: "Allow",
        Action: ["sms-voice:PutOptedOutNumber", "sms-voice:DeleteOptedOutNumber"],
        Resource: resources.optOutListArn,
      });
    }
    statements.push({
      Sid: "SendReplies",
      Effect: "Allow",
      Action: "sms-voice:SendTextMessage",
      Resource: [...resources.originationArns, ...(resources.configurationSetArn ? [resources.configurationSetArn] : [])],
    });
  } else {
    if (resources.mode === "opt-out-list") {
      statements.push({ Sid: "RecordOptOuts", Effect: "Allow", Action: "mobiletargeting:UpdateEndpoint", Resource: resources.pinpointEndpointsArn! });
    }
    statements.push({ Sid: "SendReplies", Effect: "Allow", Action: "mobiletargeting:SendMessages", Resource: resources.pinpointMessagesArn! });
  }
  statements.push(
    { Sid: "Preferences", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: resources.preferenceTableArn },
    idempotencyTableStatement(resources.idempotencyTableArn),
    { Sid: "PublishEvents", Effect: "Allow", Action: "sns:Publish", Resource: resources.eventsTopicArn },
  );
  if (resources.eventsKeyArn !== undefined) {
    // Publishing to a KMS-encrypted topic needs a data key from the topic's key.
    statements.push({ Sid: "EncryptEvents", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: resources.eventsKeyArn });
  }
  return statements;
}

const CREATE_ONLY: (keyof SelfManagedOptOutsArgs)[] = [
  "phoneNumberIsoCountryCode",
  "phoneNumberType",
  "phoneNumberMessageType",
  "phoneNumberRegistrationId",
  "phoneNumberDeletionProtection",
  "phoneNumberWaitForActive",
];

export function validateSelfManagedOptOutsArgs(args: SelfManagedOptOutsArgs): void {
  const errors = new ArgumentErrors("SelfManagedOptOuts");
  const target = args.target ?? "end-user-messaging";
  errors.check(!(SMS_TARGETS as readonly string[]).includes(target), `target must be one of ${SMS_TARGETS.join(", ")}, got "${target}"`);
  errors.check(target === "pinpoint" && args.pinpointApplicationId === undefined, 'target "pinpoint" needs pinpointApplicationId');
  errors.check(target !== "pinpoint" && args.pinpointApplicationId !== undefined, 'pinpointApplicationId applies only to target "pinpoint"');
  if (isKnown(args.pinpointApplicationId)) {
    errors.check(!/^[A-Za-z0-9]{1,64}$/.test(args.pinpointApplicationId), `pinpointApplicationId must be letters and digits, got "${args.pinpointApplicationId}"`);
  }

  const sources = [args.createPhoneNumber === true, args.existingPhoneNumberId !== undefined, args.existingPoolId !== undefined].filter(Boolean).length;
  errors.check(sources === 0, "set one of createPhoneNumber, existingPhoneNumberId or existingPoolId");
  errors.check(sources > 1, "set only one of createPhoneNumber, existingPhoneNumberId and existingPoolId");
  if (args.createPhoneNumber) {
    errors.check(!/^[A-Z]{2}$/.test(args.phoneNumberIsoCountryCode ?? ""), `phoneNumberIsoCountryCode must be two upper-case letters (ISO 3166-1 alpha-2), got "${args.phoneNumberIsoCountryCode ?? ""}"`);
    errors.check(
      !(PHONE_NUMBER_TYPES as readonly string[]).includes(args.phoneNumberType ?? ""),
      `phoneNumberType must be one of ${PHONE_NUMBER_TYPES.join(", ")}, got "${args.phoneNumberType ?? ""}"`,
    );
    errors.check(
      !(MESSAGE_TYPES as readonly string[]).includes(args.phoneNumberMessageType ?? ""),
      `phoneNumberMessageType must be one of ${MESSAGE_TYPES.join(", ")}, got "${args.phoneNumberMessageType ?? ""}"`,
    );
  } else {
    for (const key of CREATE_ONLY) errors.check(args[key] !== undefined, `${key} applies only with createPhoneNumber: true`);
  }
  if (isKnown(args.existingPhoneNumberId)) {
    errors.check(!PHONE_NUMBER_ID.test(args.existingPhoneNumberId), `existingPhoneNumberId must be a phone number id (phone-…) or its ARN, got "${args.existingPhoneNumberId}"`);
  }
  if (isKnown(args.existingPoolId)) {
    errors.check(!POOL_ID.test(args.existingPoolId), `existingPoolId must be a pool id (pool-…) or its ARN, got "${args.existingPoolId}"`);
  }
  if (isKnown(args.existingOptOutListName)) {
    errors.check(!NAME_OR_ARN.test(args.existingOptOutListName), `existingOptOutListName must be an opt-out list name or ARN, got "${args.existingOptOutListName}"`);
  }
  if (isKnown(args.configurationSetName)) {
    errors.check(target === "pinpoint", 'configurationSetName applies only to target "end-user-messaging"');
    errors.check(!NAME_OR_ARN.test(args.configurationSetName), `configurationSetName must be a configuration set name or ARN, got "${args.configurationSetName}"`);
  }
  const mode = args.optOutMode ?? "opt-out-list";
  errors.check(!(OPT_OUT_MODES as readonly string[]).includes(mode), `optOutMode must be one of ${OPT_OUT_MODES.join(", ")}, got "${mode}"`);
  const freeText = args.freeTextOptOut ?? "flag";
  errors.check(!(FREE_TEXT_POLICIES as readonly string[]).includes(freeText), `freeTextOptOut must be one of ${FREE_TEXT_POLICIES.join(", ")}, got "${freeText}"`);
  const order = args.optOutReplyOrder ?? "before-opt-out-list";
  errors.check(!(REPLY_ORDERS as readonly string[]).includes(order), `optOutReplyOrder must be one of ${REPLY_ORDERS.join(", ")}, got "${order}"`);
  for (const key of ["optOutReply", "optInReply", "helpReply"] as const) {
    const text = args[key];
    if (text !== undefined) errors.check(text.trim().length === 0 || text.length > 1600, `${key} must be 1–1600 characters, got ${text.length}`);
  }
  try {
    buildKeywordSets({ optOut: args.optOutKeywords, optIn: args.optInKeywords, help: args.helpKeywords });
  } catch (error) {
    errors.add(`keywords: ${(error as Error).message}`);
  }
  errors.check(
    args.existingEventsTopicKmsKeyArn !== undefined && args.existingEventsTopicArn === undefined,
    "existingEventsTopicKmsKeyArn applies only with existingEventsTopicArn",
  );
  const range = (key: "timeoutSeconds" | "memorySizeMb", min: number, max: number) => {
    const value = args[key];
    if (typeof value === "number") errors.check(!Number.isInteger(value) || value < min || value > max, `${key} must be an integer between ${min} and ${max}, got ${value}`);
  };
  range("timeoutSeconds", MIN_TIMEOUT_SECONDS, 900);
  range("memorySizeMb", 128, 10240);
  errors.throwIfAny();
}
