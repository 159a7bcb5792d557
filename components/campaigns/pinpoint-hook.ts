/**
 * The pinpoint target's wiring #11 and #12 share: Pinpoint's permission to invoke a CampaignHook
 * Lambda, and optionally a created project whose default hook it is.
 *
 * Permissions: the regional principal `pinpoint.<region>.amazonaws.com` with the source account and
 * an `AWS:SourceArn` condition, one permission per documented ARN form: the project itself
 * (`apps/<id>`, a project-default hook) and anything under it (`apps/<id>/*`, campaigns).
 * https://docs.aws.amazon.com/pinpoint/latest/developerguide/segments-dynamic.html
 * https://docs.aws.amazon.com/pinpoint/latest/developerguide/channels-custom-lambda-trust-policy-assign.html
 *
 * Project-default hook: only on a project created here, through `aws.pinpoint.App.campaignHook`
 * (deprecated with the Settings API, which ends on 2026-10-30); @pulumi/aws has no resource for an
 * existing project's settings. It applies to every campaign of the project without a hook of its own.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import { passThrough } from "../kit/contract";
import type { ArnBuilder, BundledFunction } from "../shared";

export const PINPOINT_APPLICATION_ID = /^[A-Za-z0-9]{1,64}$/;

/** The pinpoint target's settings common to #11 and #12. */
export const PINPOINT_HOOK_SETTINGS = {
  existingApplicationId: passThrough(z.string().regex(PINPOINT_APPLICATION_ID, "must be a Pinpoint project id (letters and digits)"))
    .optional()
    .describe("The Pinpoint project whose campaigns call the hook. Default: create a project (Pinpoint accepts no new customers since 2025-05-20)."),
  applicationName: z.string().min(1).max(64).default("campaign-hooks").describe("Name of the project created when existingApplicationId is not set."),
  projectDefaultHook: z
    .boolean()
    .optional()
    .describe("Make the hook the created project's default CampaignHook (FILTER), as the seed did; it then runs for every campaign without its own hook. Default: true for a created project; an existing project takes the hook per campaign."),
  hookTimeoutSeconds: z.int().min(3).max(14).default(10).describe("Hook timeout, seconds; Pinpoint stops waiting after 15 s."),
  memorySizeMb: z.int().min(128).max(10240).default(512).describe("Hook memory, MB."),
};

export interface HookWiring {
  fn: BundledFunction;
  permissions: aws.lambda.Permission[];
  application: aws.pinpoint.App | undefined;
  applicationId: pulumi.Output<string>;
}

interface HookSettings {
  existingApplicationId?: pulumi.Input<string>;
  applicationName: string;
  projectDefaultHook?: boolean;
}

/** The two source ARNs Pinpoint may present for project `applicationId`. */
export function pinpointSourceArns(arn: ArnBuilder, applicationId: pulumi.Input<string>): { project: pulumi.Output<string>; underProject: pulumi.Output<string> } {
  return { project: arn("mobiletargeting", pulumi.interpolate`apps/${applicationId}`), underProject: arn("mobiletargeting", pulumi.interpolate`apps/${applicationId}/*`) };
}

export function pinpointHookWiring(name: string, settings: HookSettings, fn: BundledFunction, arn: ArnBuilder, parent: pulumi.Resource): HookWiring {
  const projectDefault = settings.projectDefaultHook ?? settings.existingApplicationId === undefined;
  const application =
    settings.existingApplicationId !== undefined
      ? undefined
      : new aws.pinpoint.App(
          `${name}-project`,
          { name: settings.applicationName, ...(projectDefault ? { campaignHook: { lambdaFunctionName: fn.function.arn, mode: "FILTER" } } : {}) },
          { parent },
        );
  const applicationId = application ? application.applicationId : pulumi.output(settings.existingApplicationId!);
  const sources = pinpointSourceArns(arn, applicationId);
  const principal = pulumi.interpolate`pinpoint.${arn.region}.amazonaws.com`;
  const permission = (role: string, sourceArn: pulumi.Input<string>) =>
    new aws.lambda.Permission(`${name}-${role}`, { action: "lambda:InvokeFunction", function: fn.function.name, principal, sourceArn, sourceAccount: arn.accountId }, { parent });
  return { fn, permissions: [permission("invoke-from-project", sources.project), permission("invoke-from-campaigns", sources.underProject)], application, applicationId };
}
