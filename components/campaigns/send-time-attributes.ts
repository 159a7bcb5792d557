import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import { HOOK } from "../../functions/send-time-attributes/contract";
import { RECIPIENT_KEYS } from "../../functions/shared/campaigns/campaign-hook";
import { MISSING_OFFER_POLICIES } from "../../functions/shared/campaigns/offers";
import { OFFER_TABLE } from "../../functions/shared/runtime/tables";
import { PERSONALIZE_STEP_NAME } from "../../functions/shared/sending/personalize-step";
import { defineContract, environmentFor, passThrough, resolveSettings, type ContractArgs } from "../kit/contract";
import { architectureDashboard, arnBuilder, BundledFunction, createTable, dashboardFunction, existingOrCreate, functionPlatform, type ArnBuilder, type PlatformArgs } from "../shared";
import { dataFlow, external } from "../shared/flow";
import { pinpointHookWiring, PINPOINT_HOOK_SETTINGS, type HookWiring } from "./pinpoint-hook";

const TARGET_DESCRIPTION =
  "send-step: a personalization step the project's senders run before each send; pinpoint: the seed's CampaignHook (FILTER) Lambda, for accounts still migrating.";

const SHARED = {
  existingOfferTableName: passThrough(z.string().min(3).max(255))
    .optional()
    .describe("Use this existing DynamoDB offer table (partition key recipientId, type S; the other attributes are the offer). Default: create one."),
  missingOffer: z.enum(MISSING_OFFER_POLICIES).default("keep").describe("A recipient with no offer: keep sends without one (its placeholders render empty), drop leaves the recipient out."),
};

/** #11's settings, declared once: the component's arguments and validation, the stack config and the docs come from here. */
export const SEND_TIME_ATTRIBUTES = defineContract(
  "SendTimeAttributes",
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
        recipientKeyContextEntry: z
          .string()
          .min(1)
          .optional()
          .describe("SMS: the send-context entry holding the offer key (e.g. id_1 of the SMS file drop). Default: the phone number (email: the address, lower-cased)."),
        maxValueLength: z.int().min(1).max(1600).default(100).describe("Longest offer value attached; a longer one is left out, never cut."),
      }),
      z.strictObject({
        target: z.literal("pinpoint").describe(TARGET_DESCRIPTION),
        ...SHARED,
        ...PINPOINT_HOOK_SETTINGS,
        recipientKey: z.enum(RECIPIENT_KEYS).default("endpointId").describe("Which endpoint value keys the offer table: the endpoint id or User.UserId."),
      }),
    ])
    .superRefine((c, ctx) => {
      if (c.target === "pinpoint" && c.projectDefaultHook === true && c.existingApplicationId !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["projectDefaultHook"],
          message: "needs a project this component creates: @pulumi/aws has no resource for an existing project's settings; attach the hook per campaign (CampaignHook) instead",
        });
      }
    }),
);

export type SendTimeAttributesArgs = ContractArgs<typeof SEND_TIME_ATTRIBUTES.settings> & PlatformArgs;
type Settings = ReturnType<typeof resolveSettings<typeof SEND_TIME_ATTRIBUTES.settings>>;

/** The step a sender runs (functions/shared/sending/personalize-step.ts) and its settings, outputs included. */
export interface SendTimeAttributesStep {
  name: typeof PERSONALIZE_STEP_NAME;
  settings: Record<string, pulumi.Input<unknown>>;
}

/**
 * Architecture #11, Send-Time Campaign Attributes: an offer store (DynamoDB, created or existing)
 * and the logic that attaches each recipient's offer at send time. Default target: the
 * "sendTimeAttributes" send step, offered to the project's senders (`sendStep`). Pinpoint target:
 * a CampaignHook (FILTER) Lambda, Pinpoint's permission to invoke it, and optionally a created
 * project whose default hook it is.
 */
export class SendTimeAttributes extends pulumi.ComponentResource {
  /** The created offer table, or undefined when an existing one is used. */
  public readonly offerTable: aws.dynamodb.Table | undefined;
  public readonly offerTableName: pulumi.Output<string>;
  public readonly offerTableArn: pulumi.Output<string>;
  /** send-step target: the step to add to senders' `sending.steps`. */
  public readonly sendStep: SendTimeAttributesStep | undefined;
  /** pinpoint target: the hook function, its log group and Pinpoint's invoke permissions. */
  public readonly function: aws.lambda.Function | undefined;
  public readonly logGroup: aws.cloudwatch.LogGroup | undefined;
  public readonly permissions: aws.lambda.Permission[];
  /** pinpoint target: the created project (undefined with an existing one). */
  public readonly application: aws.pinpoint.App | undefined;
  public readonly applicationId: pulumi.Output<string> | undefined;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];
  /** The hook's dashboard (pinpoint target; the send step runs in other architectures' senders). */
  public readonly dashboard: aws.cloudwatch.Dashboard | undefined;

  constructor(name: string, args: SendTimeAttributesArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("due:campaigns:SendTimeAttributes", name, {}, opts);
    const settings = resolveSettings(SEND_TIME_ATTRIBUTES, args);
    const arn = arnBuilder({ parent: this });

    const table = existingOrCreate(
      settings.existingOfferTableName,
      () => createTable(`${name}-offers`, { schema: OFFER_TABLE, deletionProtection: args.tableDeletionProtection }, { parent: this }),
      (created) => created.name,
    );
    this.offerTable = table.created;
    this.offerTableName = table.value;
    this.offerTableArn = this.offerTable ? this.offerTable.arn : arn("dynamodb", pulumi.interpolate`table/${this.offerTableName}`);
    const offerNode = this.offerTable ?? external("DynamoDB offer table (existing)");
    dataFlow(external("Your offer systems (CRM, pricing)"), offerNode, "offers");

    if (settings.target === "send-step") {
      this.sendStep = {
        name: PERSONALIZE_STEP_NAME,
        settings: {
          tableName: this.offerTableName,
          tableArn: this.offerTableArn,
          missingOffer: settings.missingOffer,
          maxValueLength: settings.maxValueLength,
          ...(settings.recipientKeyContextEntry === undefined ? {} : { recipientKeyContextEntry: settings.recipientKeyContextEntry }),
        },
      };
      dataFlow(offerNode, external("The project's senders (send step)"), "offers per recipient");
      this.permissions = [];
      this.alarms = [];
    } else {
      this.sendStep = undefined;
      const wiring = this.pinpointTarget(name, settings, arn, args);
      this.function = wiring.fn.function;
      this.logGroup = wiring.fn.logGroup;
      this.permissions = wiring.permissions;
      this.application = wiring.application;
      this.applicationId = wiring.applicationId;
      this.alarms = wiring.fn.alarms;
      this.dashboard = architectureDashboard(name, args, { functions: [dashboardFunction(wiring.fn, HOOK)] }, this);
      dataFlow(offerNode, this.function, "offers (BatchGetItem)");
    }
    this.registerOutputs({
      offerTableName: this.offerTableName,
      sendStep: this.sendStep,
      function: this.function,
      application: this.application,
      alarms: this.alarms,
      dashboard: this.dashboard,
    });
  }

  private pinpointTarget(name: string, settings: Extract<Settings, { target: "pinpoint" }>, arn: ArnBuilder, args: PlatformArgs): HookWiring {
    const fn = new BundledFunction(
      `${name}-hook`,
      {
        handler: HOOK,
        description: "Pinpoint CampaignHook (FILTER): attaches each endpoint's offer",
        timeoutSeconds: settings.hookTimeoutSeconds,
        memorySizeMb: settings.memorySizeMb,
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        environment: environmentFor(HOOK, {
          OFFER_TABLE_NAME: this.offerTableName,
          RECIPIENT_KEY: settings.recipientKey,
          MISSING_OFFER: settings.missingOffer,
          // The lookup's retries stop 2 s before the function's own timeout.
          LOOKUP_BUDGET_MS: String(settings.hookTimeoutSeconds * 1000 - 2000),
        }),
        policyStatements: [{ Sid: "ReadOffers", Effect: "Allow", Action: "dynamodb:BatchGetItem", Resource: this.offerTableArn }],
      },
      { parent: this },
    );
    return pinpointHookWiring(name, settings, fn, arn, this);
  }
}

