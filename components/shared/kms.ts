import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicyStatement, policyDocument, serviceSid } from "./iam";

/** An AWS service that must use a key, on behalf of one source resource (or any in this account). */
export interface KeyServiceGrant {
  /** Service principal, e.g. "ses.amazonaws.com". */
  service: string;
  /** Resources the service acts for (aws:SourceArn, ArnLike). Omit only where the service sends none. */
  sourceArns?: pulumi.Input<string>[];
}

/**
 * Key administration and use by the account's IAM principals. Listed action by action (no
 * "kms:*"), but complete enough that IAM policies can manage the key and grant its use: without
 * this delegation a key can become unmanageable.
 */
export const ACCOUNT_KEY_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:CreateGrant",
  "kms:Decrypt",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListAliases",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
  "kms:RetireGrant",
  "kms:RevokeGrant",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
];

/** The key policy: account delegation plus one scoped statement per service. */
export function serviceKeyPolicyStatements(
  partition: pulumi.Input<string>,
  accountId: pulumi.Input<string>,
  grants: KeyServiceGrant[],
): PolicyStatement[] {
  return [
    {
      Sid: "AccountAdministration",
      Effect: "Allow",
      Principal: { AWS: pulumi.interpolate`arn:${partition}:iam::${accountId}:root` },
      Action: ACCOUNT_KEY_ACTIONS,
      Resource: "*",
    },
    ...grants.map((grant): PolicyStatement => {
      const condition: NonNullable<PolicyStatement["Condition"]> = { StringEquals: { "aws:SourceAccount": accountId } };
      if (grant.sourceArns && grant.sourceArns.length > 0) condition.ArnLike = { "aws:SourceArn": grant.sourceArns };
      return {
        Sid: serviceSid(grant.service),
        Effect: "Allow",
        Principal: { Service: grant.service },
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "*",
        Condition: condition,
      };
    }),
  ];
}

/**
 * Creates a customer-managed key (rotation on) that the given services may use. AWS-managed keys
 * (alias/aws/sns, alias/aws/sqs) cannot be granted to a service principal, so a service publishing
 * into an encrypted topic or queue needs a key like this one.
 */
export function createServiceKey(
  name: string,
  description: string,
  grants: KeyServiceGrant[],
  opts: pulumi.CustomResourceOptions,
): aws.kms.Key {
  const identity = aws.getCallerIdentityOutput({}, { parent: opts.parent });
  const partition = aws.getPartitionOutput({}, { parent: opts.parent });
  return new aws.kms.Key(
    name,
    {
      description,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument(serviceKeyPolicyStatements(partition.partition, identity.accountId, grants)),
    },
    opts,
  );
}
