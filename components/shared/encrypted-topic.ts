import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { arnBuilder } from "./arn";
import { PolicyStatement, denyInsecureTransport, policyDocument, serviceSid } from "./iam";
import { KeyServiceUse, createServiceKey } from "./kms";
import { NAME_LIMITS, stableName } from "./naming";

/** An AWS service that publishes into the topic on behalf of its source resources. */
export interface TopicPublisher {
  /** Service principal, e.g. "ses.amazonaws.com". */
  service: string;
  /** Resources the service publishes for (aws:SourceArn, ArnLike). Omit only where the service sends none. */
  sourceArns?: pulumi.Input<string>[];
}

export interface EncryptedTopicArgs {
  /** Display name of the topic. */
  displayName?: pulumi.Input<string>;
  /**
   * AWS services that publish into the topic. The topic policy lets each publish only for its
   * sources (aws:SourceArn) in this account (aws:SourceAccount); the key policy lets each use the
   * key only for this topic.
   */
  publishers: TopicPublisher[];
  /**
   * Also grant sns.amazonaws.com use of the key, for delivery from this topic into SQS queues
   * encrypted with the same key. Default true.
   */
  deliverToEncryptedQueues?: boolean;
}

/**
 * An SNS topic encrypted with its own customer-managed KMS key, whose key policy and topic policy
 * let exactly the named AWS services publish. (An AWS-managed key silently breaks service delivery.)
 *
 * The topic has an explicit name (`<project>-<stack>-<name>`), so its ARN is known before it
 * exists: the key policy names the topic, and the topic names the key.
 */
export class EncryptedTopic extends pulumi.ComponentResource {
  public readonly topic: aws.sns.Topic;
  public readonly key: aws.kms.Key;
  public readonly topicPolicy: aws.sns.TopicPolicy;

  constructor(name: string, args: EncryptedTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super("due:shared:EncryptedTopic", name, {}, opts);
    const arn = arnBuilder({ parent: this });
    const topicName = stableName(name, NAME_LIMITS.snsTopic);
    const topicArn = arn("sns", topicName);

    this.key = createServiceKey(
      `${name}-key`,
      "Encrypts an SNS topic that AWS services publish into",
      topicKeyUses(topicArn, args.publishers, args.deliverToEncryptedQueues ?? true),
      { parent: this },
    );

    this.topic = new aws.sns.Topic(
      `${name}-topic`,
      { name: topicName, displayName: args.displayName, kmsMasterKeyId: this.key.arn },
      { parent: this },
    );

    this.topicPolicy = new aws.sns.TopicPolicy(
      `${name}-policy`,
      {
        arn: this.topic.arn,
        policy: policyDocument(topicPublishStatements(this.topic.arn, arn.accountId, args.publishers)),
      },
      { parent: this },
    );

    this.registerOutputs({ topic: this.topic, key: this.key, topicPolicy: this.topicPolicy });
  }
}

/**
 * Who may use the topic's key, and for what.
 *
 * - Each publishing service, for this topic only: SNS calls KMS with the encryption context
 *   `aws:sns:topicArn` on every publish, whoever the publisher is. The source restriction
 *   (aws:SourceArn/aws:SourceAccount) stays on the topic policy, where SES, CloudWatch and End User
 *   Messaging document it; SES documents its key statement without conditions.
 *   https://docs.aws.amazon.com/ses/latest/dg/configure-sns-notifications.html
 *   https://docs.aws.amazon.com/gamelift/latest/flexmatchguide/queue-notification-sns-sse.html
 * - SNS, when it delivers from this topic into a queue encrypted with the same key: SQS then calls
 *   KMS as sns.amazonaws.com with aws:SourceArn = the topic (the encryption context is the queue's).
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
 */
export function topicKeyUses(topicArn: pulumi.Input<string>, publishers: TopicPublisher[], deliverToEncryptedQueues: boolean): KeyServiceUse[] {
  const uses: KeyServiceUse[] = publishers.map((p) => ({
    service: p.service,
    condition: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": topicArn } },
  }));
  if (deliverToEncryptedQueues) uses.push({ service: "sns.amazonaws.com", condition: { ArnEquals: { "aws:SourceArn": topicArn } } });
  return uses;
}

/** The topic policy: TLS only for every action, and sns:Publish for each publishing service, scoped to its sources. */
export function topicPublishStatements(
  topicArn: pulumi.Input<string>,
  accountId: pulumi.Input<string>,
  publishers: TopicPublisher[],
): PolicyStatement[] {
  return [
    denyInsecureTransport("sns:*", [topicArn]),
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
