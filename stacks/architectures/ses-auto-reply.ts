import * as z from "zod";
import { SesAutoReply } from "../../components/email/ses-auto-reply";
import { SesEventProcessing } from "../../components/email/ses-event-processing";
import { DEFAULT_MAX_REPLIES_PER_HOUR, MAX_REPLIES_PER_HOUR_LIMIT } from "../../functions/ses-auto-reply/limits";
import { logRetention } from "../config/schema";
import { defineArchitecture, platformArgs } from "./types";

const addressOrAtDomain = z
  .string()
  .regex(/^([^@\s,]+@[^@\s,]+\.[^@\s,]+|@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$/, "must be an address (local@domain) or an @domain");

export const sesAutoReplySchema = z
  .strictObject({
    enabled: z.boolean(),
    /** Add the rule to this existing receipt rule set (exclusive with createRuleSet). */
    existingRuleSetName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "must be a receipt rule set name").optional(),
    /** Create a rule set for the rule (exclusive with existingRuleSetName). */
    createRuleSet: z.boolean().default(false),
    /** With createRuleSet: make it the region's active rule set (deactivates the current one). */
    activateRuleSet: z.boolean().default(false),
    /** Receipt rule name (never the template name). Default: <project>-<stack>-ses-auto-reply. */
    ruleName: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/, "must be 1–64 letters, digits, '.', '_' or '-'").optional(),
    /** Existing set: the rule to place this one after (or insertFirst: true). */
    after: z.string().min(1).optional(),
    insertFirst: z.boolean().default(false),
    /** Addresses/domains the rule matches; a list or a comma-separated string. Empty = all. */
    recipients: z.union([z.string(), z.array(z.string())]).default([]),
    /** Stop the rule set after replying. Default: true when recipients is non-empty. */
    stopRuleSet: z.boolean().optional(),
    scanEnabled: z.boolean().default(true),
    tlsPolicy: z.enum(["Require", "Optional"]).default("Require"),
    templateSource: z.enum(["ses", "pinpoint"]).default("ses"),
    existingTemplateName: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "must be letters, digits, '_' or '-'").optional(),
    templateSubjectPrefix: z.string().optional(),
    templateHtml: z.string().min(1).optional(),
    templateText: z.string().min(1).optional(),
    replyFrom: z.email().optional(),
    allowedReplyFrom: z.array(addressOrAtDomain).default([]),
    ownAddresses: z.array(addressOrAtDomain).default([]),
    sendingIdentities: z.array(z.string().min(3)).optional(),
    skipOnDmarcFail: z.boolean().default(true),
    replyWindowSeconds: z.int().min(60).max(365 * 86_400).default(86_400),
    /** Replies per UTC hour across all senders, 1–1000 (no unlimited); more are skipped and alarmed. */
    maxRepliesPerHour: z.int().min(1).max(MAX_REPLIES_PER_HOUR_LIMIT).default(DEFAULT_MAX_REPLIES_PER_HOUR),
    /** Reply to a Reply-To outside the From domain (default false: reply to From instead). */
    allowExternalReplyTo: z.boolean().default(false),
    templateCacheTtlSeconds: z.int().min(1).max(86_400).default(300),
    configurationSetName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, hyphens or underscores").optional(),
    timeoutSeconds: z.int().min(1).max(900).default(30),
    memorySizeMb: z.int().min(128).max(10240).default(256),
    logRetentionInDays: logRetention.optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.enabled) return;
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (c.existingRuleSetName !== undefined && c.createRuleSet) issue("createRuleSet", "set either existingRuleSetName or createRuleSet, not both");
    if (c.existingRuleSetName === undefined && !c.createRuleSet) issue("existingRuleSetName", "set existingRuleSetName or createRuleSet: true");
    if (c.activateRuleSet && !c.createRuleSet) issue("activateRuleSet", "applies only with createRuleSet: true");
    if (c.existingRuleSetName !== undefined && (c.after === undefined) === !c.insertFirst) {
      issue("after", "rule placement must be explicit: set exactly one of after or insertFirst: true");
    }
    if (c.existingTemplateName === undefined && c.templateHtml === undefined && c.templateText === undefined) {
      issue("existingTemplateName", "set existingTemplateName, or templateHtml and/or templateText to create a template");
    }
    if (c.replyFrom === undefined && c.allowedReplyFrom.length === 0) issue("replyFrom", "set replyFrom or allowedReplyFrom");
  });

export const sesAutoReplyArchitecture = defineArchitecture({
  key: "sesAutoReply",
  title: "#2 SES Auto-Reply",
  schema: sesAutoReplySchema,
  minimalConfig: {
    enabled: true,
    createRuleSet: true,
    replyFrom: "noreply@example.com",
    templateHtml: "<p>This address is not monitored. Reference: %%ID%%</p>",
  },
  build(config, ctx) {
    const { enabled: _enabled, logRetentionInDays, configurationSetName, ...settings } = config;
    // Replies go through #1's configuration set when it is enabled, so their bounces and
    // complaints are processed like any other mail.
    const eventProcessing = ctx.built.get("sesEventProcessing") as SesEventProcessing | undefined;
    const component = new SesAutoReply("ses-auto-reply", {
      ...settings,
      configurationSetName: configurationSetName ?? eventProcessing?.configurationSetName,
      ...platformArgs(ctx, logRetentionInDays),
    });
    return {
      component,
      outputs: {
        ruleName: component.ruleName,
        ruleSetName: component.ruleSetName,
        functionName: component.function.name,
        templateName: component.templateName,
        stateTableName: component.stateTable.name,
        failureQueueUrl: component.failureQueue.url,
      },
    };
  },
});
