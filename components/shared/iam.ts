import * as pulumi from "@pulumi/pulumi";

/**
 * One IAM policy statement, as data. Documents are built from these with `pulumi.jsonStringify`,
 * never by string concatenation, so Outputs resolve and the JSON is always valid.
 */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | Record<string, pulumi.Input<string> | pulumi.Input<string>[]>;
  Action: string | string[];
  Resource?: pulumi.Input<string> | pulumi.Input<string>[];
  Condition?: Record<string, Record<string, pulumi.Input<string> | pulumi.Input<string>[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** A policy document as a JSON Output, built from plain data. */
export function policyDocument(statements: pulumi.Input<pulumi.Input<PolicyStatement>[]>): pulumi.Output<string> {
  return pulumi.jsonStringify(pulumi.output(statements).apply((s) => ({ Version: "2012-10-17", Statement: s })));
}

/** The trust policy that lets one AWS service assume a role, pinned to this account (confused deputy). */
export function serviceTrustPolicy(service: string, accountId: pulumi.Input<string>, sourceArn?: pulumi.Input<string>): pulumi.Output<string> {
  const condition: NonNullable<PolicyStatement["Condition"]> = { StringEquals: { "aws:SourceAccount": accountId } };
  if (sourceArn !== undefined) condition.ArnLike = { "aws:SourceArn": sourceArn };
  return policyDocument([
    { Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole", Condition: condition },
  ]);
}

/** Denies every request to a resource that does not arrive over TLS. */
export function denyInsecureTransport(action: string, resources: pulumi.Input<string>[]): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: action,
    Resource: resources,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/**
 * A statement id for a service grant: "sms-voice.amazonaws.com" + "Publish" → "AllowSMSVOICEPublish".
 * IAM accepts only ASCII letters and digits in a Sid.
 */
export function serviceSid(service: string, suffix = ""): string {
  return `Allow${service.split(".")[0].toUpperCase().replace(/[^A-Z0-9]/g, "")}${suffix}`;
}
