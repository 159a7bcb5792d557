import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import {
  AUTO_REPLY_TARGETS,
  DEFAULT_MAX_REPLIES_PER_HOUR,
  MAX_REPLIES_PER_HOUR_LIMIT,
  RESPONDER,
  RESPONDER_METRICS,
  type SkipReason,
} from "../../functions/ses-auto-reply/contract";
import { AUTO_REPLY_STATE_TABLE } from "../../functions/shared/runtime/tables";
import { defineContract, environmentFor, passThrough, resolveSettings, type ContractArgs, type ContractSettings } from "../kit/contract";
import {
  anyAboveZeroAlarm,
  architectureDashboard,
  arnBuilder,
  type ArnBuilder,
  BundledFunction,
  dashboardFunction,
  consolidate,
  createAsyncFailureQueue,
  createTable,
  existingOrCreate,
  functionPlatform,
  PlatformArgs,
  PolicyStatement,
  sendingEnvironment,
  sendingStatements,
  SENDING_SETTING,
  sendOutcomeUnknownAlarm,
  stableName,
} from "../shared";
import { dataFlow, external } from "../shared/flow";

/** Secure receipt-rule defaults (spec 01 §2.7): scan for spam and viruses, and require TLS. */
export const AUTO_REPLY_RULE_DEFAULTS: { scanEnabled: boolean; tlsPolicy: "Require" | "Optional" } = {
  scanEnabled: true,
  tlsPolicy: "Require",
};

const ADDRESS = /^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/;
const DOMAIN = /^\.?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;
const AT_DOMAIN = /^@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;

const addressOr = (other: RegExp, what: string) =>
  z.string().refine((v) => ADDRESS.test(v) || other.test(v), { error: (issue) => `${JSON.stringify(issue.input)} is neither an address nor ${what}` });
const templateName = (max: number) =>
  passThrough(
    z.string().regex(new RegExp(`^[A-Za-z0-9_-]{1,${max}}$`), { error: (issue) => `must be 1–${max} letters, digits, "_" or "-", got ${JSON.stringify(issue.input)}` }),
  );
const TARGETS = AUTO_REPLY_TARGETS.map((t) => JSON.stringify(t)).join(" or ");
const EXISTING_TEMPLATE = 'Use this existing template: with "ses" instead of the content settings, with "pinpoint" required (the component creates SES templates only).';
const TARGET = 'Where the reply template lives: "ses" (the default), or "pinpoint" (legacy: Pinpoint templates end 2026-10-30).';

/** The settings of both targets. */
const SHARED = {
  sending: SENDING_SETTING,
  existingRuleSetName: passThrough(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: (issue) => `${JSON.stringify(issue.input)} is not a valid rule set name` }),
  )
    .optional()
    .describe("Add the rule to this existing receipt rule set (usually the active one: a rule in an inactive set does nothing). Exclusive with createRuleSet."),
  createRuleSet: z.boolean().default(false).describe("Create a receipt rule set for the rule. Exclusive with existingRuleSetName."),
  activateRuleSet: z
    .boolean()
    .default(false)
    .describe("With createRuleSet: make the created set the region's active one, which deactivates the set active before (its rules stop running)."),
  ruleName: z
    .string()
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/, {
      error: (issue) => `must be 1–64 letters, digits, ".", "_" or "-", starting and ending with a letter or digit, got ${JSON.stringify(issue.input)}`,
    })
    .optional()
    .describe("The receipt rule's name, never the template's. Default: <project>-<stack>-<component name>."),
  after: passThrough(z.string().min(1))
    .optional()
    .describe("Existing set: place the rule after this rule. Exactly one of after and insertFirst: SES puts a rule without After first, ahead of others."),
  insertFirst: z.boolean().default(false).describe("Existing set: place the rule first (explicit opt-in)."),
  recipients: z
    .union([z.string(), z.array(z.string())])
    .default([])
    .describe("Addresses, domains or .subdomains the rule matches; a list or a comma-separated string. Empty: every recipient of every verified domain in the region."),
  stopRuleSet: z
    .boolean()
    .optional()
    .describe("Add a Stop action after the Lambda action, so later rules skip the matched mail. Default: true with recipients; not allowed without them."),
  scanEnabled: z.boolean().default(AUTO_REPLY_RULE_DEFAULTS.scanEnabled).describe("Spam and virus scanning, whose verdicts the responder checks (overriding warns)."),
  tlsPolicy: z.enum(["Require", "Optional"]).default(AUTO_REPLY_RULE_DEFAULTS.tlsPolicy).describe("TLS policy for inbound mail matched by the rule (overriding warns)."),
  replyFrom: passThrough(z.email({ error: (issue) => `must be a plain address (local@domain), got ${JSON.stringify(issue.input)}` }))
    .optional()
    .describe("Send replies from this verified address. Default: the matched recipient, if allowedReplyFrom allows it."),
  allowedReplyFrom: z.array(addressOr(AT_DOMAIN, "an @domain")).default([]).describe("Addresses or @domains the matched recipient may be used as a From address for."),
  ownAddresses: z
    .array(addressOr(AT_DOMAIN, "an @domain"))
    .default([])
    .describe("Our own addresses or @domains, never answered (loop protection); the recipient and From are always included."),
  sendingIdentities: z
    .array(addressOr(DOMAIN, "a domain"))
    .optional()
    .describe("Identities (addresses or domains) ses:SendEmail is granted on. Default: replyFrom and allowedReplyFrom, each address with its domain."),
  skipOnDmarcFail: z.boolean().default(true).describe("Also skip mail whose DMARC verdict is FAIL (spam and virus FAIL always skip)."),
  replyWindowSeconds: z.int().min(60).max(365 * 86_400).default(86_400).describe("At most one reply per sender per this many seconds."),
  maxRepliesPerHour: z
    .int()
    .min(1)
    .max(MAX_REPLIES_PER_HOUR_LIMIT)
    .default(DEFAULT_MAX_REPLIES_PER_HOUR)
    .describe("Replies per UTC hour across all senders (no unlimited setting); more are skipped (reason hourly-cap) and alarmed."),
  allowExternalReplyTo: z
    .boolean()
    .default(false)
    .describe("Reply to a Reply-To outside the From address's domain. Default: such a Reply-To is ignored and the reply goes to From."),
  templateCacheTtlSeconds: z.int().min(1).max(86_400).default(300).describe("How long each responder container caches the template, seconds."),
  configurationSetName: passThrough(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, "_" or "-"'))
    .optional()
    .describe("Existing SES configuration set for the replies. In a stack, #1's when it is enabled and this is unset."),
  timeoutSeconds: z.int().min(1).max(900).default(30).describe("Responder timeout, seconds."),
  memorySizeMb: z.int().min(128).max(10240).default(256).describe("Responder memory, MB."),
};

/** target "ses" (the default): an existing SES template, or one created from the content settings. */
const SES_TARGET = z.strictObject({
  target: z.literal("ses").default("ses").describe(TARGET),
  ...SHARED,
  existingTemplateName: templateName(64).optional().describe(EXISTING_TEMPLATE),
  templateSubjectPrefix: passThrough(z.string()).optional().describe('Created template: subject prefix, prepended to the original subject. Default "".'),
  templateHtml: passThrough(z.string().min(1)).optional().describe("Created template: HTML part; %%NAME%% and %%ID%% are replaced (escaped)."),
  templateText: passThrough(z.string().min(1)).optional().describe("Created template: text part; %%NAME%% and %%ID%% are replaced."),
});

/** target "pinpoint": an existing Pinpoint email template. */
const PINPOINT_TARGET = z.strictObject({
  target: z.literal("pinpoint").describe(TARGET),
  ...SHARED,
  existingTemplateName: templateName(128).optional().describe(EXISTING_TEMPLATE),
});

/** #2's settings, declared once: the component's arguments and validation, the stack config and the docs come from here. */
export const SES_AUTO_REPLY = defineContract(
  "SesAutoReply",
  z
    .discriminatedUnion("target", [SES_TARGET, PINPOINT_TARGET], {
      error: (issue) => (issue.code === "invalid_union" ? `must be ${TARGETS}, got ${JSON.stringify((issue.input as { target?: unknown }).target)}` : undefined),
    })
    .superRefine((s, ctx) => {
      const issue = (key: string, message: string) => ctx.addIssue({ code: "custom", path: [key], message });
      const existingSet = s.existingRuleSetName !== undefined;
      if (existingSet && s.createRuleSet) issue("createRuleSet", "set either existingRuleSetName or createRuleSet, not both");
      if (!existingSet && !s.createRuleSet) issue("existingRuleSetName", "set existingRuleSetName (add the rule to an existing set) or createRuleSet: true");
      if (s.activateRuleSet && !s.createRuleSet) issue("activateRuleSet", "applies only with createRuleSet: true");
      if (existingSet && s.after !== undefined && s.insertFirst) issue("insertFirst", "set either after or insertFirst, not both");
      if (existingSet && s.after === undefined && !s.insertFirst) issue("after", "rule placement must be explicit: set after (the rule to follow) or insertFirst: true");
      if (s.createRuleSet && (s.after !== undefined || s.insertFirst)) {
        issue(s.after !== undefined ? "after" : "insertFirst", "after and insertFirst apply only to an existing rule set");
      }
      const recipients = normalizeRecipients(s.recipients);
      for (const r of recipients) if (!ADDRESS.test(r) && !DOMAIN.test(r)) issue("recipients", `${JSON.stringify(r)} is neither an address, a domain nor a .subdomain`);
      if (s.stopRuleSet === true && recipients.length === 0) {
        issue("stopRuleSet", "needs recipients: a Stop action on a rule without recipients would stop the rule set for all inbound mail");
      }
      if (s.target === "pinpoint") {
        if (s.existingTemplateName === undefined) issue("existingTemplateName", 'target "pinpoint" needs existingTemplateName (the component creates SES templates only)');
      } else if (s.existingTemplateName !== undefined) {
        if (s.templateHtml !== undefined || s.templateText !== undefined || s.templateSubjectPrefix !== undefined) {
          issue("existingTemplateName", "set either existingTemplateName or the template content (templateSubjectPrefix, templateHtml, templateText), not both");
        }
      } else if (s.templateHtml === undefined && s.templateText === undefined) {
        issue("existingTemplateName", "set existingTemplateName, or templateHtml and/or templateText to create a template");
      }
      if (s.replyFrom === undefined && s.allowedReplyFrom.length === 0) {
        issue("replyFrom", "set replyFrom, or allowedReplyFrom to reply from the address the mail was sent to");
      }
    }),
);

export type SesAutoReplyArgs = ContractArgs<typeof SES_AUTO_REPLY.settings> & PlatformArgs;
type Settings = ContractSettings<typeof SES_AUTO_REPLY.settings>;

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
  /** The architecture's CloudWatch dashboard; undefined when dashboards are off. */
  public readonly dashboard: aws.cloudwatch.Dashboard | undefined;

  constructor(name: string, args: SesAutoReplyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("due:email:SesAutoReply", name, {}, opts);
    const settings = resolveSettings(SES_AUTO_REPLY, args);
    const arn = arnBuilder({ parent: this });

    const ruleSettings = consolidate("SesAutoReply", AUTO_REPLY_RULE_DEFAULTS, { scanEnabled: settings.scanEnabled, tlsPolicy: settings.tlsPolicy });
    const recipients = normalizeRecipients(settings.recipients);
    const stop = settings.stopRuleSet ?? recipients.length > 0;
    this.ruleName = settings.ruleName ?? stableName(name, 64);

    const ruleSet = existingOrCreate(
      settings.existingRuleSetName,
      () => new aws.ses.ReceiptRuleSet(`${name}-rule-set`, { ruleSetName: stableName(`${name}-rules`, 64) }, { parent: this }),
      (created) => created.ruleSetName,
    );
    this.ruleSet = ruleSet.created;
    this.ruleSetName = ruleSet.value;

    const template = settings.target === "ses" ? sesTemplate(name, settings, arn, this) : pinpointTemplate(settings, arn);
    this.template = template.created;
    this.templateName = template.name;

    this.stateTable = createTable(
      `${name}-state`,
      { schema: AUTO_REPLY_STATE_TABLE, deletionProtection: args.tableDeletionProtection },
      { parent: this },
    );

    const failures = createAsyncFailureQueue(`${name}-failures`, args.alarmActions, this);
    this.failureQueue = failures.queue;

    const identities = settings.sendingIdentities ?? [];
    const identityNames: pulumi.Output<string[]> =
      identities.length > 0
        ? pulumi.output(identities)
        : pulumi.output(settings.replyFrom).apply((from) => deriveSendingIdentities(from, settings.allowedReplyFrom));
    const identityArns = identityNames.apply((names) => pulumi.all(names.map((n) => arn("ses", `identity/${n}`))));
    const configurationSetArn =
      settings.configurationSetName === undefined ? undefined : arn("ses", pulumi.interpolate`configuration-set/${settings.configurationSetName}`);
    const orEmpty = (value: pulumi.Input<string> | undefined) => pulumi.output(value).apply((v) => v ?? "");

    const responder = new BundledFunction(
      `${name}-responder`,
      {
        handler: RESPONDER,
        description: "Answers inbound mail once with a template, with loop and backscatter protection",
        timeoutSeconds: settings.timeoutSeconds,
        memorySizeMb: settings.memorySizeMb,
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        asyncInvoke: { maximumRetryAttempts: 2, onFailure: failures },
        // See functions/ses-auto-reply/config.ts for the meaning of each; "" is unset.
        environment: {
          ...sendingEnvironment({ sending: settings.sending, sendGuarantee: args.sendGuarantee }),
          ...environmentFor(RESPONDER, {
            STATE_TABLE_NAME: this.stateTable.name,
            TEMPLATE_SOURCE: settings.target,
            TEMPLATE_NAME: this.templateName,
            TEMPLATE_CACHE_TTL_SECONDS: String(settings.templateCacheTtlSeconds),
            REPLY_FROM: orEmpty(settings.replyFrom),
            ALLOWED_REPLY_FROM: settings.allowedReplyFrom.join(","),
            OWN_ADDRESSES: settings.ownAddresses.join(","),
            SKIP_ON_DMARC_FAIL: String(settings.skipOnDmarcFail),
            REPLY_WINDOW_SECONDS: String(settings.replyWindowSeconds),
            MAX_REPLIES_PER_HOUR: String(settings.maxRepliesPerHour),
            ALLOW_EXTERNAL_REPLY_TO: String(settings.allowExternalReplyTo),
            CONFIGURATION_SET_NAME: orEmpty(settings.configurationSetName),
          }),
        },
        policyStatements: pulumi
          .all([identityArns, template.arn, this.stateTable.arn, configurationSetArn, sendingStatements({ sending: settings.sending })])
          .apply(([identityArns, templateArn, tableArn, configSetArn, stepStatements]) => [
            ...sesAutoReplyStatements({
              identityArns,
              configurationSetArn: configSetArn,
              readTemplateAction: template.readAction,
              templateArn,
              stateTableArn: tableArn,
            }),
            ...stepStatements,
          ]),
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
        sourceAccount: arn.accountId,
        sourceArn: arn("ses", pulumi.interpolate`receipt-rule-set/${this.ruleSetName}:receipt-rule/${this.ruleName}`),
      },
      { parent: this },
    );

    // SES checks that it may invoke the function when the rule is created: depend on the permission.
    this.rule = new aws.ses.ReceiptRule(
      `${name}-rule`,
      {
        ruleSetName: this.ruleSetName,
        name: this.ruleName,
        ...(settings.after === undefined ? {} : { after: settings.after }),
        enabled: true,
        ...(recipients.length > 0 ? { recipients } : {}),
        scanEnabled: ruleSettings.scanEnabled,
        tlsPolicy: ruleSettings.tlsPolicy,
        lambdaActions: [{ functionArn: this.function.arn, invocationType: "Event", position: 1 }],
        ...(stop ? { stopActions: [{ scope: "RuleSet", position: 2 }] } : {}),
      },
      { parent: this, dependsOn: [this.invokePermission, ...(this.ruleSet ? [this.ruleSet] : [])] },
    );
    dataFlow(external("Amazon SES inbound mail"), this.rule, "mail");
    dataFlow(this.rule, this.function, "invocations");
    dataFlow(this.template ?? external(settings.target === "ses" ? "SES template (existing)" : "Pinpoint template"), this.function, "template");
    dataFlow(this.function, this.stateTable, "rows");
    dataFlow(this.function, external("Amazon SES (SendEmail)"), "replies");
    dataFlow(this.function, this.failureQueue, "failed invocations");

    if (settings.activateRuleSet) {
      new aws.ses.ActiveReceiptRuleSet(
        `${name}-active-rule-set`,
        { ruleSetName: this.ruleSetName },
        // Activate only once the rule is in place, so no mail arrives at an empty set.
        { parent: this, dependsOn: [this.rule] },
      );
    }

    // Powertools puts the responder's service name on every custom metric as the `service` dimension.
    const { namespace } = RESPONDER;
    const service = responder.serviceName;
    // The responder does not throw when the account or the From identity cannot send at all (a
    // retry minutes later cannot help, and a reply days later is worse than none); it counts
    // ReplySendingDisabled instead, so that count must page someone.
    const sendingDisabled = anyAboveZeroAlarm(
      `${name}-sending-disabled`,
      {
        namespace,
        metricName: RESPONDER_METRICS.ReplySendingDisabled,
        dimensions: { service },
        statistic: "Sum",
        description: "Auto-replies are not sent: the SES account is suspended or paused, or the From domain is not verified",
        alarmActions: args.alarmActions,
      },
      { parent: this },
    );
    // Under at-most-once a reply whose outcome is unknown is not retried: someone should look.
    const sendOutcomeUnknown = sendOutcomeUnknownAlarm(
      `${name}-send-outcome-unknown`,
      { namespace, serviceName: service, alarmActions: args.alarmActions },
      { parent: this },
    );
    // Reaching the hourly cap means a flood (or a loop the checks missed): replies are being dropped.
    const hourlyCap = anyAboveZeroAlarm(
      `${name}-hourly-cap`,
      {
        namespace,
        metricName: RESPONDER_METRICS.ReplySkipped,
        dimensions: { service, reason: "hourly-cap" satisfies SkipReason },
        statistic: "Sum",
        description: "Auto-replies are skipped because the hourly reply cap (maxRepliesPerHour) was reached",
        alarmActions: args.alarmActions,
      },
      { parent: this },
    );
    this.alarms = [...responder.alarms, sendingDisabled, sendOutcomeUnknown, hourlyCap];
    this.dashboard = architectureDashboard(name, args, { failureQueues: [this.failureQueue], functions: [dashboardFunction(responder, RESPONDER, { ReplySkipped: ["reason"] })] }, this);
    this.registerOutputs({
      dashboard: this.dashboard,
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

/** The reply template of one target, and how the responder reads it. */
interface ReplyTemplate {
  /** The created SES template, or undefined when an existing one is used. */
  created: aws.ses.Template | undefined;
  name: pulumi.Output<string>;
  readAction: string;
  arn: pulumi.Output<string>;
}

/** target "ses": an existing SES template, or one created from the content settings. */
function sesTemplate(
  name: string,
  settings: Extract<Settings, { target: "ses" }>,
  arn: ArnBuilder,
  parent: pulumi.Resource,
): ReplyTemplate {
  const template = existingOrCreate(
    settings.existingTemplateName,
    () =>
      new aws.ses.Template(
        `${name}-template`,
        { name: stableName(`${name}-template`, 64), subject: settings.templateSubjectPrefix, html: settings.templateHtml, text: settings.templateText },
        { parent },
      ),
    (created) => created.name,
  );
  return { created: template.created, name: template.value, readAction: "ses:GetEmailTemplate", arn: arn("ses", pulumi.interpolate`template/${template.value}`) };
}

/** target "pinpoint": an existing Pinpoint email template (the contract requires its name). */
function pinpointTemplate(settings: Extract<Settings, { target: "pinpoint" }>, arn: ArnBuilder): ReplyTemplate {
  const name = pulumi.output(settings.existingTemplateName!);
  return { created: undefined, name, readAction: "mobiletargeting:GetEmailTemplate", arn: arn("mobiletargeting", pulumi.interpolate`templates/${name}/EMAIL`) };
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

/** The responder's exact permissions: send from its identities, read its template, write its state. */
export function sesAutoReplyStatements(resources: {
  identityArns: string[];
  configurationSetArn: string | undefined;
  readTemplateAction: string;
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
    { Sid: "ReadTemplate", Effect: "Allow", Action: resources.readTemplateAction, Resource: resources.templateArn },
    {
      // Put/Delete: message claims and sender windows; Update: the hourly reply counter.
      Sid: "ReplyState",
      Effect: "Allow",
      Action: ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      Resource: resources.stateTableArn,
    },
  ];
}
