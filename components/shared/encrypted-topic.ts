import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicyStatement, denyInsecureTransport, policyDocument, serviceSid } from "./iam";
import { KeyServiceGrant, createServiceKey } from "./kms";

export interface EncryptedTopicArgs {
  /** Display name of the topic. */
  displayName?: pulumi.Input<string>;
  /**
   * AWS services that publish into the topic, each limited to its source resources
   * (aws:SourceArn) and to this account (aws:SourceAccount). The topic policy and the key policy
   * both grant exactly these.
   */
  publishers: KeyServiceGrant[];
  /**
   * Also grant sns.amazonaws.com use of the key, for delivery into SQS queues encrypted with the
   * same key. Default true.
   */
  deliverToEncryptedQueues?: boolean;
}

/**
 * An SNS topic encrypted with its own customer-managed KMS key, whose key policy and topic policy
 * let exactly the named AWS services publish. (An AWS-managed key silently breaks service delivery.)
 */
export class EncryptedTopic extends pulumi.ComponentResource {
  public readonly topic: aws.sns.Topic;
  public readonly key: aws.kms.Key;
  public readonly topicPolicy: aws.sns.TopicPolicy;

  constructor(name: string, args: EncryptedTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super("due:shared:EncryptedTopic", name, {}, opts);
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const keyGrants: KeyServiceGrant[] = [...args.publishers];
    if (args.deliverToEncryptedQueues ?? true) keyGrants.push({ service: "sns.amazonaws.com" });
    this.key = createServiceKey(`${name}-key`, "Encrypts an SNS topic that AWS services publish into", keyGrants, { parent: this });

    this.topic = new aws.sns.Topic(
      `${name}-topic`,
      { displayName: args.displayName, kmsMasterKeyId: this.key.arn },
      { parent: this },
    );

    this.topicPolicy = new aws.sns.TopicPolicy(
      `${name}-policy`,
      {
        arn: this.topic.arn,
        policy: policyDocument(topicPublishStatements(this.topic.arn, identity.accountId, args.publishers)),
      },
      { parent: this },
    );

    this.registerOutputs({ topic: this.topic, key: this.key, topicPolicy: this.topicPolicy });
  }
}

/** The topic policy: TLS only, and sns:Publish for each publishing service, scoped to its sources. */
export function topicPublishStatements(
  topicArn: pulumi.Input<string>,
  accountId: pulumi.Input<string>,
  publishers: KeyServiceGrant[],
): PolicyStatement[] {
  return [
    denyInsecureTransport("sns:Publish", [topicArn]),
    ...publishers.map((p): PolicyStatement => {
      const condition: NonNullable<PolicyStatement["Condition"]> = { StringEquals: { "aws:SourceAccount": accountId } };
      if (p.sourceArns && p.sourceArns.length > 0) condition.ArnLike = { "aws:SourceArn": p.sourceArns };
      return {
        Sid: serviceSid(p.service, "Publish"),
        Effect: "Allow",
        Principal: { Service: p.service },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: condition,
      };
    }),
  ];
}

/**
 * The topic a component's own functions publish domain events to: an existing topic (with its KMS
 * key, when it has one, so the publisher can be granted it), or a created EncryptedTopic that no
 * AWS service publishes into (IAM grants the publishing function the key).
 */
export function domainEventsTopic(
  name: string,
  args: { displayName: string; existingTopicArn?: pulumi.Input<string>; existingKmsKeyArn?: pulumi.Input<string> },
  parent: pulumi.Resource,
): { topicArn: pulumi.Output<string>; keyArn: pulumi.Input<string> | undefined } {
  if (args.existingTopicArn !== undefined) {
    return { topicArn: pulumi.output(args.existingTopicArn), keyArn: args.existingKmsKeyArn };
  }
  const events = new EncryptedTopic(name, { displayName: args.displayName, publishers: [], deliverToEncryptedQueues: false }, { parent });
  return { topicArn: events.topic.arn, keyArn: events.key.arn };
}
