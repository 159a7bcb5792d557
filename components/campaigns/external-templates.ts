import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import { HOOK } from "../../functions/external-templates/contract";
import { MISSING_OFFER_POLICIES } from "../../functions/shared/campaigns/offers";
import { TEMPLATE_KEY_PATTERN } from "../../functions/shared/campaigns/templates";
import { TEMPLATE_INDEX_TABLE } from "../../functions/shared/runtime/tables";
import { MAX_TEMPLATE_BYTES_LIMIT, TEMPLATE_STEP_NAME } from "../../functions/shared/sending/template-step";
import { defineContract, environmentFor, passThrough, resolveSettings, type ContractArgs } from "../kit/contract";
import {
  architectureDashboard,
  arnBuilder,
  BundledFunction,
  createTable,
  dashboardFunction,
  existingOrCreate,
  functionPlatform,
  SecureBucket,
  type ArnBuilder,
  type PlatformArgs,
  type PolicyStatement,
} from "../shared";
import { dataFlow, external } from "../shared/flow";
import { pinpointHookWiring, PINPOINT_HOOK_SETTINGS, type HookWiring } from "./pinpoint-hook";
import { templateStepStatements } from "./send-step-statements";

const TARGET_DESCRIPTION =
  "send-step: a template step the project's senders run before each send; pinpoint: the seed's CampaignHook (FILTER) Lambda that puts subject and HTML into endpoint attributes.";

const templateKey = z.string().regex(TEMPLATE_KEY_PATTERN, "must be letters, digits, _, - or . (at most 128)");
const locale = z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "must be a locale such as en or pt-BR");

const SHARED = {
  existingBucketName: passThrough(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name"))
    .optional()
    .describe("Use this existing bucket (versioned, SSE-S3 or AWS-managed key) as the template store. Default: create one (versioned, encrypted, TLS only)."),
  prefix: z
    .string()
    .regex(/^([A-Za-z0-9!_.*'()-]+\/)*$/, "must be empty or end with /")
    .max(512)
    .default("templates/")
    .describe("Key prefix of the templates: <prefix><key>/<channel>/<locale>.json."),
  createIndexTable: z.boolean().default(false).describe("Create the optional DynamoDB index (partition key templateId = <key>#<channel>#<locale>; objectKey, versionId) so the locale fallback is one read and versions can be pinned."),
  existingIndexTableName: passThrough(z.string().min(3).max(255)).optional().describe("Use this existing index table instead (same key schema)."),
  defaultLocale: locale.default("en").describe("The last locale of the fallback (requested → its language → this)."),
  cacheTtlSeconds: z.int().min(0).max(86_400).default(300).describe("How long a container reuses a fetched template, seconds."),
  maxTemplateBytes: z.int().min(1).max(MAX_TEMPLATE_BYTES_LIMIT).default(262_144).describe("A template object larger than this is refused, bytes."),
};

/** #12's settings, declared once: the component's arguments and validation, the stack config and the docs come from here. */
export const EXTERNAL_TEMPLATES = defineContract(
  "ExternalTemplates",
  z
    .discriminatedUnion("target", [
      z.strictObject({
        target: z.literal("send-step").default("send-step").describe(TARGET_DESCRIPTION),
        ...SHARED,
        senders: z
          .array(z.string().min(1))
          .min(1)
          .default(["smsFileDrop"])
          .describe("The sending architectures (config keys) whose senders run the step. Default: the SMS file drop's campaign sends only, never #2's auto-replies or #8's opt-out confirmations unless listed."),
        templateKey: templateKey.optional().describe("The template of every message, unless templateKeyContextEntry names one. One of the two is required."),
        templateKeyContextEntry: z.string().min(1).optional().describe("SMS: the send-context entry naming the template (e.g. external_campaign_id)."),
        localeContextEntry: z.string().min(1).optional().describe("SMS: the send-context entry holding the recipient's locale. Default: defaultLocale."),
        missingTemplate: z.enum(["skip", "keep"]).default("skip").describe("No usable template: skip withholds the message (recorded, nothing sent), keep sends the sender's own content."),
        renderOffers: z.boolean().default(true).describe("Render with the recipient's offer ({{Attributes.x}}) from #11's offer table when sendTimeAttributes is enabled."),
      }),
      z.strictObject({
        target: z.literal("pinpoint").describe(TARGET_DESCRIPTION),
        ...SHARED,
        ...PINPOINT_HOOK_SETTINGS,
        templateKey: templateKey.describe("The template of every endpoint, unless templateKeyAttribute names one."),
        templateKeyAttribute: z.string().min(1).max(50).optional().describe("An endpoint attribute naming the endpoint's template."),
        maxAttributeValueLength: z
          .int()
          .min(1)
          .max(1_000_000)
          .default(100_000)
          .describe("Longest rendered subject/HTML put into an attribute (Pinpoint documents 100 characters for stored endpoint values; see the page)."),
        missingTemplate: z.enum(MISSING_OFFER_POLICIES).default("keep").describe("No usable template: keep sends the endpoint without the attributes, drop leaves it out."),
      }),
    ])
    .superRefine((c, ctx) => {
      if (c.createIndexTable === true && c.existingIndexTableName !== undefined) {
        ctx.addIssue({ code: "custom", path: ["createIndexTable"], message: "set only one of createIndexTable and existingIndexTableName" });
      }
      if (c.target === "send-step" && c.templateKey === undefined && c.templateKeyContextEntry === undefined) {
        ctx.addIssue({ code: "custom", path: ["templateKey"], message: "set templateKey, templateKeyContextEntry or both" });
      }
      if (c.target === "pinpoint" && c.projectDefaultHook === true && c.existingApplicationId !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["projectDefaultHook"],
          message: "needs a project this component creates: @pulumi/aws has no resource for an existing project's settings; attach the hook per campaign (CampaignHook) instead",
        });
      }
    }),
);

/** What the stack composes in (not config): #11's offer table, for rendering offers. */
export interface ExternalTemplatesComposition {
  offerStore?: { tableName: pulumi.Input<string>; tableArn: pulumi.Input<string> };
}

export type ExternalTemplatesArgs = ContractArgs<typeof EXTERNAL_TEMPLATES.settings> & PlatformArgs & ExternalTemplatesComposition;
type Settings = ReturnType<typeof resolveSettings<typeof EXTERNAL_TEMPLATES.settings>>;

export interface ExternalTemplatesStep {
  name: typeof TEMPLATE_STEP_NAME;
  settings: Record<string, pulumi.Input<unknown>>;
}

/**
 * Architecture #12, External Campaign Templates: a template store (S3, versioned; optional
 * DynamoDB index) and template resolution by key, locale with fallback and channel, cached, size
 * limited, rendered with Handlebars (HTML escaped). Default target: the "externalTemplates" send
 * step, offered to the project's senders (`sendStep`). Pinpoint target: a CampaignHook (FILTER)
 * Lambda that puts the rendered subject and HTML into endpoint attributes, as in the seed.
 */
export class ExternalTemplates extends pulumi.ComponentResource {
  /** The created template store, or undefined when an existing bucket is used. */
  public readonly bucket: aws.s3.Bucket | undefined;
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  /** The created index table (createIndexTable), or undefined. */
  public readonly indexTable: aws.dynamodb.Table | undefined;
  public readonly indexTableName: pulumi.Output<string> | undefined;
  public readonly sendStep: ExternalTemplatesStep | undefined;
  public readonly function: aws.lambda.Function | undefined;
  public readonly logGroup: aws.cloudwatch.LogGroup | undefined;
  public readonly permissions: aws.lambda.Permission[];
  public readonly application: aws.pinpoint.App | undefined;
  public readonly applicationId: pulumi.Output<string> | undefined;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];
  /** The hook's dashboard (pinpoint target; the send step runs in other architectures' senders). */
  public readonly dashboard: aws.cloudwatch.Dashboard | undefined;

  constructor(name: string, args: ExternalTemplatesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("due:campaigns:ExternalTemplates", name, {}, opts);
    const settings = resolveSettings(EXTERNAL_TEMPLATES, args);
    const arn = arnBuilder({ parent: this });

    const store = existingOrCreate(
      settings.existingBucketName,
      () => new SecureBucket(`${name}-templates`, { versioning: true }, { parent: this }),
      (created) => created.bucket.bucket,
    );
    this.bucket = store.created?.bucket;
    this.bucketName = store.value;
    this.bucketArn = this.bucket ? this.bucket.arn : pulumi.interpolate`arn:${arn.partition}:s3:::${this.bucketName}`;
    const bucketNode = this.bucket ?? external("S3 template bucket (existing)");
    dataFlow(external("Your CMS or template authors"), bucketNode, "templates");

    this.indexTable = settings.createIndexTable
      ? createTable(`${name}-index`, { schema: TEMPLATE_INDEX_TABLE, deletionProtection: args.tableDeletionProtection }, { parent: this })
      : undefined;
    this.indexTableName = this.indexTable ? this.indexTable.name : settings.existingIndexTableName === undefined ? undefined : pulumi.output(settings.existingIndexTableName);
    const indexTableArn = this.indexTable ? this.indexTable.arn : this.indexTableName === undefined ? undefined : arn("dynamodb", pulumi.interpolate`table/${this.indexTableName}`);
    if (this.indexTable) dataFlow(external("Your CMS or template authors"), this.indexTable, "index items");

    if (settings.target === "send-step") {
      const offers = settings.renderOffers ? args.offerStore : undefined;
      this.sendStep = {
        name: TEMPLATE_STEP_NAME,
        settings: {
          bucketName: this.bucketName,
          bucketArn: this.bucketArn,
          prefix: settings.prefix,
          ...(this.indexTableName === undefined ? {} : { indexTableName: this.indexTableName, indexTableArn: indexTableArn! }),
          ...(settings.templateKey === undefined ? {} : { templateKey: settings.templateKey }),
          ...(settings.templateKeyContextEntry === undefined ? {} : { templateKeyContextEntry: settings.templateKeyContextEntry }),
          ...(settings.localeContextEntry === undefined ? {} : { localeContextEntry: settings.localeContextEntry }),
          defaultLocale: settings.defaultLocale,
          cacheTtlSeconds: settings.cacheTtlSeconds,
          maxTemplateBytes: settings.maxTemplateBytes,
          missingTemplate: settings.missingTemplate,
          ...(offers === undefined ? {} : { offers: { tableName: offers.tableName, tableArn: offers.tableArn } }),
        },
      };
      dataFlow(bucketNode, external("The project's senders (send step)"), "templates");
      this.permissions = [];
      this.alarms = [];
    } else {
      const wiring = this.pinpointTarget(name, settings, arn, args, indexTableArn);
      this.function = wiring.fn.function;
      this.logGroup = wiring.fn.logGroup;
      this.permissions = wiring.permissions;
      this.application = wiring.application;
      this.applicationId = wiring.applicationId;
      this.alarms = wiring.fn.alarms;
      this.dashboard = architectureDashboard(name, args, { functions: [dashboardFunction(wiring.fn, HOOK)] }, this);
      dataFlow(bucketNode, this.function, "templates (GetObject)");
      dataFlow(this.indexTable, this.function, "index items");
    }
    this.registerOutputs({
      bucketName: this.bucketName,
      indexTableName: this.indexTableName,
      sendStep: this.sendStep,
      function: this.function,
      application: this.application,
      alarms: this.alarms,
      dashboard: this.dashboard,
    });
  }

  private pinpointTarget(
    name: string,
    settings: Extract<Settings, { target: "pinpoint" }>,
    arn: ArnBuilder,
    args: PlatformArgs,
    indexTableArn: pulumi.Output<string> | undefined,
  ): HookWiring {
    // The same reads as the send step: templates under the prefix, ListBucket for 404s, the index.
    const statements = templateStepStatements({ bucketArn: this.bucketArn, prefix: settings.prefix, indexTableName: this.indexTableName, indexTableArn }) as PolicyStatement[];
    const fn = new BundledFunction(
      `${name}-hook`,
      {
        handler: HOOK,
        description: "Pinpoint CampaignHook (FILTER): puts each endpoint's rendered subject and HTML into its attributes",
        timeoutSeconds: settings.hookTimeoutSeconds,
        memorySizeMb: settings.memorySizeMb,
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        environment: environmentFor(HOOK, {
          TEMPLATE_BUCKET_NAME: this.bucketName,
          TEMPLATE_PREFIX: settings.prefix,
          TEMPLATE_INDEX_TABLE_NAME: this.indexTableName ?? "",
          TEMPLATE_KEY: settings.templateKey,
          TEMPLATE_KEY_ATTRIBUTE: settings.templateKeyAttribute ?? "",
          DEFAULT_LOCALE: settings.defaultLocale,
          CACHE_TTL_SECONDS: String(settings.cacheTtlSeconds),
          MAX_TEMPLATE_BYTES: String(settings.maxTemplateBytes),
          MAX_ATTRIBUTE_VALUE_LENGTH: String(settings.maxAttributeValueLength),
          MISSING_TEMPLATE: settings.missingTemplate,
        }),
        policyStatements: statements,
      },
      { parent: this },
    );
    return pinpointHookWiring(name, settings, fn, arn, this);
  }
}
