/**
 * The IAM statements #11's and #12's send steps need in a sender's role, by step settings
 * (registered in components/shared/sending.ts SEND_STEP_DECLARATIONS). Settings may hold outputs
 * (the ARNs of this architecture's table and bucket).
 */
import * as pulumi from "@pulumi/pulumi";
import type { PolicyStatement } from "../shared/iam";

/** A step listed by hand in a sender's `sending.steps` must carry the ARNs its grants are scoped to. */
function required(settings: Record<string, unknown>, step: string, key: string, path = key): pulumi.Input<string> {
  if (settings[key] === undefined) throw new Error(`send step "${step}": settings.${path} is required (its IAM statement is scoped to it)`);
  return settings[key] as pulumi.Input<string>;
}

/** "sendTimeAttributes": one BatchGetItem on the offer table. */
export function personalizeStepStatements(settings: Record<string, unknown>): pulumi.Input<PolicyStatement>[] {
  required(settings, "sendTimeAttributes", "tableArn");
  return [{ Sid: "ReadOffers", Effect: "Allow", Action: "dynamodb:BatchGetItem", Resource: settings.tableArn as pulumi.Input<string> }];
}

/**
 * "externalTemplates": read template objects under the prefix (and pinned versions, with the
 * index); list the bucket so a missing template is a 404 (NoSuchKey) rather than a 403, which the
 * locale fallback needs; the index and the offer table when configured.
 */
export function templateStepStatements(settings: Record<string, unknown>): pulumi.Input<PolicyStatement>[] {
  const bucketArn = required(settings, "externalTemplates", "bucketArn");
  const prefix = (settings.prefix as string | undefined) ?? "templates/";
  const indexTableArn = settings.indexTableName === undefined ? undefined : required(settings, "externalTemplates", "indexTableArn");
  const offers = settings.offers as Record<string, unknown> | undefined;
  const offersArn = offers === undefined ? undefined : required(offers, "externalTemplates", "tableArn", "offers.tableArn");
  return [
    { Sid: "ReadTemplates", Effect: "Allow", Action: indexTableArn === undefined ? "s3:GetObject" : ["s3:GetObject", "s3:GetObjectVersion"], Resource: pulumi.interpolate`${bucketArn}/${prefix}*` },
    { Sid: "TellMissingTemplates", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn },
    ...(indexTableArn === undefined ? [] : [{ Sid: "ReadTemplateIndex", Effect: "Allow" as const, Action: "dynamodb:BatchGetItem", Resource: indexTableArn }]),
    ...(offersArn === undefined ? [] : [{ Sid: "ReadOffersForTemplates", Effect: "Allow" as const, Action: "dynamodb:BatchGetItem", Resource: offersArn }]),
  ];
}
