import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_MAX_REPLIES_PER_HOUR, MAX_REPLIES_PER_HOUR_LIMIT } from "../../functions/ses-auto-reply/limits";
import { AUTO_REPLY_STATE_TABLE } from "../../functions/shared/tables";
import {
  accountContext,
  anyAboveZeroAlarm,
  ArgumentErrors,
  BundledFunction,
  consolidate,
  createAsyncFailureQueue,
  createTable,
  functionPlatform,
  isKnown,
  PlatformArgs,
  PolicyStatement,
  sendGuaranteeEnvironment,
  sendOutcomeUnknownAlarm,
  stableName,
} from "../shared";

const AUTO_REPLY_METRICS_NAMESPACE = "DigitalUserEngagement/SesAutoReply";

/** Secure receipt-rule defaults (spec 01 §2.7): scan for spam and viruses, and require TLS. */
export const AUTO_REPLY_RULE_DEFAULTS: { scanEnabled: boolean; tlsPolicy: "Require" | "Optional" } = {
  scanEnabled: true,
  tlsPolicy: "Require",
};

export type AutoReplyTemplateSource = "ses" | "pinpoint";

export interface SesAutoReplyArgs extends PlatformArgs {
  // --- Rule set: existing or created (exactly one) -------------------------------------------
  /**
   * Add the rule to this existing receipt rule set (usually the active one; a rule in an inactive
   * set does nothing). Mutually exclusive with `createRuleSet`.
   */
  existingRuleSetName?: pulumi.Input<string>;
  /**
   * Create a receipt rule set for the rule. Mutually exclusive with `existingRuleSetName`.
   * Default false.
   */
  createRuleSet?: boolean;
  /**
   * With `createRuleSet`: make the created set the active one. A region has ONE active rule set,
   * so this deactivates whatever set was active before (its rules stop running). Default false.
   */
  activateRuleSet?: boolean;

  // --- The rule --------------------------------------------------------------------------------
  /** The receipt rule's name; 1–64 letters, digits, ".", "_" or "-". Default: `<project>-<stack>-<name>`. Never the template name. */
  ruleName?: string;
  /**
   * Place the rule after this rule of the existing set. With an existing set, exactly one of
   * `after` and `insertFirst` is required: placement is never implicit, because SES puts a rule
   * without `After` first, ahead of archiving or forwarding rules.
   */
  after?: pulumi.Input<string>;
  /** Place the rule first in the existing set (explicit opt-in). Default false. */
  insertFirst?: boolean;
  /**
   * Addresses, domains or `.subdomain` patterns the rule applies to; a comma-separated string is
   * split. Default: none, meaning every recipient of every verified domain in the region.
   */
  recipients?: string | string[];
  /**
   * Add a Stop action (scope RuleSet) after the Lambda action, so later rules do not process the
   * matched mail. Default: true when `recipients` is non-empty; not allowed with no recipients,
   * because that would stop the rule set for all inbound mail (the seed's bug).
   */
  stopRuleSet?: boolean;
  /** Spam and virus scanning, whose verdicts the responder checks. Default true (overriding warns). */
  scanEnabled?: boolean;
  /** TLS policy for inbound mail matched by the rule. Default "Require" (overriding warns). */
  tlsPolicy?: "Require" | "Optional";

  // --- Template --------------------------------------------------------------------------------
  /** "ses" (default): an SES email template. "pinpoint": a Pinpoint email template (legacy; Pinpoint templates end 2026-10-30). */
  templateSource?: AutoReplyTemplateSource;
  /** Use this existing template. Required with `templateSource: "pinpoint"`. Mutually exclusive with the template* content args. */
  existingTemplateName?: pulumi.Input<string>;
  /** Create an SES template with this subject prefix (prepended to the original subject). Default "". */
  templateSubjectPrefix?: pulumi.Input<string>;
  /** HTML part of the created template; %%NAME%% and %%ID%% are replaced (escaped). */
  templateHtml?: pulumi.Input<string>;
  /** Text part of the created template; %%NAME%% and %%ID%% are replaced. */
  templateText?: pulumi.Input<string>;

  // --- Replies ---------------------------------------------------------------------------------
  /** Send replies from this verified address. Default: the matched recipient, if in `allowedReplyFrom`. */
  replyFrom?: pulumi.Input<string>;
  /** Addresses or `@domains` the matched recipient may be used as a From address for. Default none. */
  allowedReplyFrom?: string[];
  /** Our own addresses or `@domains`: never answered (loop protection). Default none (the recipient and From are always included). */
  ownAddresses?: string[];
  /**
   * Identities (addresses or domains) `ses:SendEmail` is granted on. Default: derived from
   * `replyFrom` and `allowedReplyFrom` (an address grants the address and its domain).
   */
  sendingIdentities?: string[];
  /** Also skip mail whose DMARC verdict is FAIL. Default true. */
  skipOnDmarcFail?: boolean;
  /** At most one reply per sender per this many seconds. Default 86400 (24 h). */
  replyWindowSeconds?: number;
  /**
   * At most this many replies per UTC hour across all senders; more are skipped (reason
   * `hourly-cap`) and alarmed. 1–1000, default 100. There is no unlimited setting.
   */
  maxRepliesPerHour?: number;
  /**
   * Reply to a `Reply-To` outside the `From` address's domain. Default false: such a Reply-To is
   * ignored and the reply goes to `From`, so the sender cannot aim the reply at a third party.
   */
  allowExternalReplyTo?: boolean;
  /** How long each container caches the template. Default 300 s. */
  templateCacheTtlSeconds?: number;
  /** Existing SES configuration set used for the replies (e.g. #1's, for bounce handling). Default none. */
  configurationSetName?: pulumi.Input<string>;

  // --- Function --------------------------------------------------------------------------------
  /** Responder timeout. Default 30 s. */
  timeoutSeconds?: number;
  /** Responder memory. Default 256 MB. */
  memorySizeMb?: number;
}

/**
 * Architecture #2, SES Auto-Reply: an SES receipt rule (Lambda action, then an optional Stop
 * action) invokes a responder that answers inbound mail once with a template, with RFC 3834 loop
 * and backscatter protection, per-message idempotency, a per-sender window and an hourly cap
 * across senders (DynamoDB state table with TTL). Failed invocations go to an on-failure queue
 * after two retries; a reply whose outcome is unknown follows the platform's send guarantee.
 */
export class SesAutoReply extends pulumi.ComponentResource {
  public readonly rule: aws.ses.ReceiptRule;
  public readonly ruleName: string;
  public readonly ruleSetName: pulumi.Output<string>;
  /** The created rule set, or undefined when an existing one is used. */
  public readonly ruleSet: aws.ses.ReceiptRuleSet | undefined;
  public readonly function: aws.lambda.Function;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly invokePermission: aws.lambda.Permission;
  public readonly stateTable: aws.dynamodb.Table;
  /** The created SES template, or undefined when an existing one is used. */
  public readonly template: aws.ses.Template | undefined;
  public readonly templateName: pulumi.Output<string>;
  /** Async invocations that failed every retry. */
  public readonly failureQueue: aws.sqs.Queue;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];

  constructor(name: string, args: SesAutoReplyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("due:email:SesAutoReply", name, {}, opts);
    validateSesAutoReplyArgs(args);
    const invokeOpts = { parent: this };
    const { identity, region, partition } = accountContext(invokeOpts);
    const arnPrefix = (service: string) => pulumi.interpolate`arn:${partition.partition}:${service}:${region.region}:${identity.accountId}`;

    const ruleSettings = consolidate("SesAutoReply", AUTO_REPLY_RULE_DEFAULTS, {
      scanEnabled: args.scanEnabled,
      tlsPolicy: args.tlsPolicy,
    });
    const recipients = normalizeRecipients(args.recipients);
    const stop = args.stopRuleSet ?? recipients.length > 0;
    const templateSource = args.templateSource ?? "ses";
    this.ruleName = args.ruleName ?? stableName(name, 64);

    // Rule set: existing or created.
    if (args.createRuleSet) {
      this.ruleSet = new aws.ses.ReceiptRuleSet(`${name}-rule-set`, { ruleSetName: stableName(`${name}-rules`, 64) }, { parent: this });
      this.ruleSetName = this.ruleSet.ruleSetName;
    } else {
      this.ruleSet = undefined;
      this.ruleSetName = pulumi.output(args.existingRuleSetName as pulumi.Input<string>);
    }

    // Template: existing or created (SES only).
    if (args.existingTemplateName === undefined) {
      this.template = new aws.ses.Template(
        `${name}-template`,
        {
          name: stableName(`${name}-template`, 64),
          subject: args.templateSubjectPrefix,
          html: args.templateHtml,
          text: args.templateText,
        },
        { parent: this },
      );
      this.templateName = this.template.name;
    } else {
      this.template = undefined;
      this.templateName = pulumi.output(args.existingTemplateName);
    }

    this.stateTable = createTable(
      `${name}-state`,
      { schema: AUTO_REPLY_STATE_TABLE, deletionProtection: args.tableDeletionProtection },
      { parent: this },
    );

    const failures = createAsyncFailureQueue(`${name}-failures`, args.alarmActions, this);
    this.failureQueue = failures.queue;

    const identities = args.sendingIdentities ?? [];
    const identityNames: pulumi.Output<string[]> =
      identities.length > 0
        ? pulumi.output(identities)
        : pulumi.output(args.replyFrom).apply((from) => deriveSendingIdentities(from, args.allowedReplyFrom ?? []));
    const configurationSetArn =
      args.configurationSetName === undefined ? undefined : pulumi.interpolate`${arnPrefix("ses")}:configuration-set/${args.configurationSetName}`;

    const responder = new BundledFunction(
      `${name}-responder`,
      {
        handler: { entry: "functions/ses-auto-reply/responder.ts" },
        description: "Answers inbound mail once with a template, with loop and backscatter protection",
        timeoutSeconds: args.timeoutSeconds ?? 30,
        memorySizeMb: args.memorySizeMb,
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        asyncMaximumRetryAttempts: 2,
        onFailureQueueArn: this.failureQueue.arn,
        environment: pulumi
          .all([this.stateTable.name, this.templateName, args.replyFrom, args.configurationSetName])
          .apply(([table, template, replyFrom, configurationSet]) =>
            autoReplyEnvironment({
              stateTableName: table,
              templateSource,
              templateName: template,
              templateCacheTtlSeconds: args.templateCacheTtlSeconds ?? 300,
              replyFrom,
              allowedReplyFrom: args.allowedReplyFrom ?? [],
              ownAddresses: args.ownAddresses ?? [],
              skipOnDmarcFail: args.skipOnDmarcFail ?? true,
              replyWindowSeconds: args.replyWindowSeconds ?? 86_400,
              maxRepliesPerHour: args.maxRepliesPerHour ?? DEFAULT_MAX_REPLIES_PER_HOUR,
              allowExternalReplyTo: args.allowExternalReplyTo ?? false,
              configurationSetName: configurationSet,
              sendGuarantee: args.sendGuarantee,
            }),
          ),
        policyStatements: pulumi
          .all([arnPrefix("ses"), arnPrefix("mobiletargeting"), identityNames, this.templateName, this.stateTable.arn, configurationSetArn])
          .apply(([sesArn, pinpointArn, names, template, tableArn, configSetArn]) =>
            sesAutoReplyStatements({
              identityArns: names.map((n) => `${sesArn}:identity/${n}`),
              configurationSetArn: configSetArn,
              templateSource,
              templateArn: templateSource === "ses" ? `${sesArn}:template/${template}` : `${pinpointArn}:templates/${template}/EMAIL`,
              stateTableArn: tableArn,
            }),
          ),
      },
      { parent: this },
    );
    this.function = responder.function;
    this.logGroup = responder.logGroup;

    // Only this rule may invoke the function (not any receipt rule in the account).
    this.invokePermission = new aws.lambda.Permission(
      `${name}-invoke-permission`,
      {
        action: "lambda:InvokeFunction",
        function: this.function.name,
        principal: "ses.amazonaws.com",
        sourceAccount: identity.accountId,
        sourceArn: pulumi.interpolate`${arnPrefix("ses")}:receipt-rule-set/${this.ruleSetName}:receipt-rule/${this.ruleName}`,
      },
      { parent: this },
    );

    // SES checks that it may invoke the function when the rule is created: depend on the permission.
    this.rule = new aws.ses.ReceiptRule(
      `${name}-rule`,
      {
        ruleSetName: this.ruleSetName,
        name: this.ruleName,
        ...(args.after === undefined ? {} : { after: args.after }),
        enabled: true,
        ...(recipients.length > 0 ? { recipients } : {}),
        scanEnabled: ruleSettings.scanEnabled,
        tlsPolicy: ruleSettings.tlsPolicy,
        lambdaActions: [{ functionArn: this.function.arn, invocationType: "Event", position: 1 }],
        ...(stop ? { stopActions: [{ scope: "RuleSet", position: 2 }] } : {}),
      },
      { parent: this, dependsOn: [this.invokePermission, ...(this.ruleSet ? [this.ruleSet] : [])] },
    );

    if (args.createRuleSet && args.activateRuleSet) {
      new aws.ses.ActiveReceiptRuleSet(
        `${name}-active-rule-set`,
        { ruleSetName: this.ruleSetName },
        // Activate only once the rule is in place, so no mail arrives at an empty set.
        { parent: this, dependsOn: [this.rule] },
      );
    }

    // The responder does not throw when the account or the From identity cannot send at all (a
    // retry minutes later cannot help, and a reply days later is worse than none); it counts
    // ReplySendingDisabled instead, so that count must page someone.
    const sendingDisabled = anyAboveZeroAlarm(
      `${name}-sending-disabled`,
      {
        namespace: AUTO_REPLY_METRICS_NAMESPACE,
        metricName: "ReplySendingDisabled",
        // Powertools adds the service dimension (the function's POWERTOOLS_SERVICE_NAME) to every metric.
        dimensions: { service: `${name}-responder` },
        statistic: "Sum",
        description: "Auto-replies are not sent: the SES account is suspended or paused, or the From domain is not verified",
        alarmActions: args.alarmActions,
      },
      { parent: this },
    );
    // Under at-most-once a reply whose outcome is unknown is not retried: someone should look.
    const sendOutcomeUnknown = sendOutcomeUnknownAlarm(
      `${name}-send-outcome-unknown`,
      { namespace: AUTO_REPLY_METRICS_NAMESPACE, serviceName: `${name}-responder`, alarmActions: args.alarmActions },
      { parent: this },
    );
    // Reaching the hourly cap means a flood (or a loop the checks missed): replies are being dropped.
    const hourlyCap = anyAboveZeroAlarm(
      `${name}-hourly-cap`,
      {
        namespace: AUTO_REPLY_METRICS_NAMESPACE,
        metricName: "ReplySkipped",
        dimensions: { service: `${name}-responder`, reason: "hourly-cap" },
        statistic: "Sum",
        description: "Auto-replies are skipped because the hourly reply cap (maxRepliesPerHour) was reached",
        alarmActions: args.alarmActions,
      },
      { parent: this },
    );
    this.alarms = [failures.alarm, ...responder.alarms, sendingDisabled, sendOutcomeUnknown, hourlyCap];
    this.registerOutputs({
      rule: this.rule,
      ruleName: this.ruleName,
      ruleSetName: this.ruleSetName,
      function: this.function,
      logGroup: this.logGroup,
      stateTable: this.stateTable,
      templateName: this.templateName,
      failureQueue: this.failureQueue,
      alarms: this.alarms,
    });
  }
}

/** Splits a comma-separated string, trims, drops empties and duplicates (first occurrence wins). */
export function normalizeRecipients(recipients: string | string[] | undefined): string[] {
  const list = typeof recipients === "string" ? recipients.split(",") : (recipients ?? []);
  return [...new Set(list.map((r) => r.trim()).filter((r) => r !== ""))];
}

/**
 * The SES identities replies can be sent from: each address and its domain (SES authorizes a
 * send against the address identity if verified, else its domain), and each `@domain`.
 */
export function deriveSendingIdentities(replyFrom: string | undefined, allowedReplyFrom: string[]): string[] {
  const out = new Set<string>();
  for (const entry of [...(replyFrom ? [replyFrom] : []), ...allowedReplyFrom].map((e) => e.trim())) {
    const at = entry.lastIndexOf("@");
    const domain = entry.slice(at + 1).toLowerCase();
    if (at > 0) out.add(entry);
    out.add(domain);
  }
  return [...out];
}

export interface AutoReplyEnvironmentInput {
  stateTableName: string;
  templateSource: AutoReplyTemplateSource;
  templateName: string;
  templateCacheTtlSeconds: number;
  replyFrom: string | undefined;
  allowedReplyFrom: string[];
  ownAddresses: string[];
  skipOnDmarcFail: boolean;
  replyWindowSeconds: number;
  maxRepliesPerHour: number;
  allowExternalReplyTo: boolean;
  configurationSetName: string | undefined;
  /** Unset means the platform default (at-most-once). */
  sendGuarantee: PlatformArgs["sendGuarantee"];
}

/** The responder's environment (see functions/ses-auto-reply/config.ts for the meaning of each). */
export function autoReplyEnvironment(input: AutoReplyEnvironmentInput): Record<string, string> {
  return {
    STATE_TABLE_NAME: input.stateTableName,
    TEMPLATE_SOURCE: input.templateSource,
    TEMPLATE_NAME: input.templateName,
    TEMPLATE_CACHE_TTL_SECONDS: String(input.templateCacheTtlSeconds),
    ...(input.replyFrom ? { REPLY_FROM: input.replyFrom } : {}),
    ALLOWED_REPLY_FROM: input.allowedReplyFrom.join(","),
    OWN_ADDRESSES: input.ownAddresses.join(","),
    SKIP_ON_DMARC_FAIL: String(input.skipOnDmarcFail),
    REPLY_WINDOW_SECONDS: String(input.replyWindowSeconds),
    MAX_REPLIES_PER_HOUR: String(input.maxRepliesPerHour),
    ALLOW_EXTERNAL_REPLY_TO: String(input.allowExternalReplyTo),
    ...(input.configurationSetName ? { CONFIGURATION_SET_NAME: input.configurationSetName } : {}),
    ...sendGuaranteeEnvironment({ sendGuarantee: input.sendGuarantee }),
    POWERTOOLS_METRICS_NAMESPACE: AUTO_REPLY_METRICS_NAMESPACE,
  };
}

/** The responder's exact permissions: send from its identities, read its template, write its state. */
export function sesAutoReplyStatements(resources: {
  identityArns: string[];
  configurationSetArn: string | undefined;
  templateSource: AutoReplyTemplateSource;
  templateArn: string;
  stateTableArn: string;
}): PolicyStatement[] {
  return [
    {
      // SendEmail is authorized against the From identity and, when used, the configuration set.
      Sid: "SendReplies",
      Effect: "Allow",
      Action: "ses:SendEmail",
      Resource: [...resources.identityArns, ...(resources.configurationSetArn ? [resources.configurationSetArn] : [])],
    },
    {
      Sid: "ReadTemplate",
      Effect: "Allow",
      Action: resources.templateSource === "ses" ? "ses:GetEmailTemplate" : "mobiletargeting:GetEmailTemplate",
      Resource: resources.templateArn,
    },
    {
      // Put/Delete: message claims and sender windows; Update: the hourly reply counter.
      Sid: "ReplyState",
      Effect: "Allow",
      Action: ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      Resource: resources.stateTableArn,
    },
  ];
}

const ADDRESS = /^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/;
const DOMAIN = /^\.?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;
const AT_DOMAIN = /^@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;

export function validateSesAutoReplyArgs(args: SesAutoReplyArgs): void {
  const errors = new ArgumentErrors("SesAutoReply");
  const existingSet = args.existingRuleSetName !== undefined;
  const createSet = args.createRuleSet === true;
  errors.check(existingSet && createSet, "set either existingRuleSetName or createRuleSet, not both");
  errors.check(!existingSet && !createSet, "set existingRuleSetName (add the rule to an existing set) or createRuleSet: true");
  errors.check(args.activateRuleSet === true && !createSet, "activateRuleSet applies only with createRuleSet: true");
  if (existingSet) {
    errors.check(args.after !== undefined && args.insertFirst === true, "set either after or insertFirst, not both");
    errors.check(
      args.after === undefined && args.insertFirst !== true,
      "rule placement must be explicit: set after (the rule to follow) or insertFirst: true",
    );
  }
  if (createSet) errors.check(args.after !== undefined || args.insertFirst === true, "after and insertFirst apply only to an existing rule set");
  if (isKnown(args.existingRuleSetName)) {
    errors.check(!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(args.existingRuleSetName), `existingRuleSetName "${args.existingRuleSetName}" is not a valid rule set name`);
  }
  if (args.ruleName !== undefined) {
    errors.check(
      !/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/.test(args.ruleName),
      `ruleName must be 1–64 letters, digits, ".", "_" or "-", starting and ending with a letter or digit, got "${args.ruleName}"`,
    );
  }

  const recipients = normalizeRecipients(args.recipients);
  for (const r of recipients) {
    errors.check(!ADDRESS.test(r) && !DOMAIN.test(r), `recipients: "${r}" is neither an address, a domain nor a .subdomain`);
  }
  errors.check(
    args.stopRuleSet === true && recipients.length === 0,
    "stopRuleSet needs recipients: a Stop action on a rule without recipients would stop the rule set for all inbound mail",
  );

  const source = args.templateSource ?? "ses";
  errors.check(source !== "ses" && source !== "pinpoint", `templateSource must be "ses" or "pinpoint", got "${source}"`);
  const creates = args.templateHtml !== undefined || args.templateText !== undefined || args.templateSubjectPrefix !== undefined;
  if (args.existingTemplateName !== undefined) {
    errors.check(creates, "set either existingTemplateName or the template content (templateSubjectPrefix, templateHtml, templateText), not both");
  } else {
    errors.check(source === "pinpoint", 'templateSource "pinpoint" needs existingTemplateName (the component creates SES templates only)');
    errors.check(
      source === "ses" && args.templateHtml === undefined && args.templateText === undefined,
      "set existingTemplateName, or templateHtml and/or templateText to create a template",
    );
  }
  if (isKnown(args.existingTemplateName)) {
    const max = source === "pinpoint" ? 128 : 64;
    errors.check(
      !new RegExp(`^[A-Za-z0-9_-]{1,${max}}$`).test(args.existingTemplateName),
      `existingTemplateName must be 1–${max} letters, digits, "_" or "-", got "${args.existingTemplateName}"`,
    );
  }

  errors.check(
    args.replyFrom === undefined && (args.allowedReplyFrom ?? []).length === 0,
    "set replyFrom, or allowedReplyFrom to reply from the address the mail was sent to",
  );
  if (isKnown(args.replyFrom)) errors.check(!ADDRESS.test(args.replyFrom), `replyFrom must be a plain address (local@domain), got "${args.replyFrom}"`);
  for (const [key, list] of [
    ["allowedReplyFrom", args.allowedReplyFrom ?? []],
    ["ownAddresses", args.ownAddresses ?? []],
  ] as const) {
    for (const entry of list) errors.check(!ADDRESS.test(entry) && !AT_DOMAIN.test(entry), `${key}: "${entry}" is neither an address nor an @domain`);
  }
  for (const entry of args.sendingIdentities ?? []) {
    errors.check(!ADDRESS.test(entry) && !DOMAIN.test(entry), `sendingIdentities: "${entry}" is neither an address nor a domain`);
  }
  const positive = (key: keyof SesAutoReplyArgs, min: number, max: number) => {
    const value = args[key];
    if (typeof value === "number") errors.check(!Number.isInteger(value) || value < min || value > max, `${key} must be an integer between ${min} and ${max}, got ${value}`);
  };
  positive("replyWindowSeconds", 60, 365 * 86_400);
  positive("maxRepliesPerHour", 1, MAX_REPLIES_PER_HOUR_LIMIT);
  positive("templateCacheTtlSeconds", 1, 86_400);
  positive("timeoutSeconds", 1, 900);
  if (isKnown(args.configurationSetName)) {
    errors.check(!/^[A-Za-z0-9_-]{1,64}$/.test(args.configurationSetName), `configurationSetName must be 1–64 letters, digits, "_" or "-", got "${args.configurationSetName}"`);
  }
  errors.throwIfAny();
}
