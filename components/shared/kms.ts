import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { arnBuilder } from "./arn";
import { PolicyStatement, policyDocument, serviceSid } from "./iam";

/**
 * One AWS service's use of a key: the data-key actions, scoped by `condition`. A service principal
 * statement without a condition would let the service use the key for any resource of any account.
 */
export interface KeyServiceUse {
  /** Service principal, e.g. "ses.amazonaws.com". */
  service: string;
  condition: NonNullable<PolicyStatement["Condition"]>;
}

/**
 * What a service needs to encrypt into (GenerateDataKey) and read from (Decrypt) an SNS topic or
 * SQS queue. AWS's SNS guide lists "kms:GenerateDataKey*"; the SES, SQS and End User Messaging
 * guides list kms:GenerateDataKey, the only variant that returns the plaintext key SNS and SQS
 * encrypt with, so the wildcard (which our policy pack rejects) is not needed.
 * https://docs.aws.amazon.com/ses/latest/dg/configure-sns-notifications.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
 */
export const SERVICE_KEY_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"];

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

/** The key policy: account delegation plus one scoped statement per service use. */
export function serviceKeyPolicyStatements(
  partition: pulumi.Input<string>,
  accountId: pulumi.Input<string>,
  uses: KeyServiceUse[],
): PolicyStatement[] {
  return [
    {
      Sid: "AccountAdministration",
      Effect: "Allow",
      Principal: { AWS: pulumi.interpolate`arn:${partition}:iam::${accountId}:root` },
      Action: ACCOUNT_KEY_ACTIONS,
      Resource: "*",
    },
    ...uses.map(
      (use): PolicyStatement => ({
        Sid: serviceSid(use.service),
        Effect: "Allow",
        Principal: { Service: use.service },
        Action: SERVICE_KEY_ACTIONS,
        Resource: "*",
        Condition: use.condition,
      }),
    ),
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
  uses: KeyServiceUse[],
  opts: pulumi.CustomResourceOptions,
): aws.kms.Key {
  const arn = arnBuilder({ parent: opts.parent });
  return new aws.kms.Key(
    name,
    {
      description,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument(serviceKeyPolicyStatements(arn.partition, arn.accountId, uses)),
    },
    opts,
  );
}
