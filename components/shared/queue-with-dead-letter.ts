import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { queueDepthAlarm } from "./alarms";
import { QUEUE_DEFAULTS } from "./defaults";
import { PolicyStatement, denyInsecureTransport, policyDocument, serviceSid } from "./iam";
import { NAME_LIMITS, boundedName, stableName } from "./naming";
import { ArgumentErrors, isKnown } from "./validation";

/** A service allowed to send to the queue, only on behalf of one source resource. */
export interface QueueServiceSender {
  /** Service principal, e.g. "sns.amazonaws.com". */
  service: string;
  /** The ARN of the resource that sends (e.g. the topic); becomes the aws:SourceArn condition. */
  sourceArn: pulumi.Input<string>;
}

export interface QueueWithDeadLetterArgs {
  /** FIFO queue (and FIFO DLQ). Default false. */
  fifo?: boolean;
  /** Visibility timeout; at least 6× the consuming function's timeout. Default 180 s. */
  visibilityTimeoutSeconds?: pulumi.Input<number>;
  /** Retention on the queue. Default 4 days. */
  messageRetentionSeconds?: pulumi.Input<number>;
  /** Receives before a message moves to the DLQ. Default 5. */
  maxReceiveCount?: pulumi.Input<number>;
  /**
   * Customer-managed KMS key for SSE. Required when an AWS service (SNS, S3, …) sends to the queue,
   * because SSE-SQS keys and AWS-managed keys cannot be granted to a service principal. Default:
   * SSE-SQS (SQS-managed keys).
   */
  kmsKeyArn?: pulumi.Input<string>;
  /**
   * Use an existing dead-letter queue instead of creating one. Its FIFO setting must match `fifo`.
   * Mutually exclusive with nothing else; default: a DLQ is created.
   */
  existingDeadLetterQueueArn?: pulumi.Input<string>;
  /** FIFO only: dedupe on a hash of the body. Default false (producers send explicit ids). */
  contentBasedDeduplication?: pulumi.Input<boolean>;
  /** Services allowed to send, each scoped by aws:SourceArn. See `serviceSendStatement`. */
  allowedSenders?: QueueServiceSender[];
  /** SNS topics (ARNs) notified when the DLQ holds messages. Default: none. */
  alarmActions?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * An encrypted SQS queue with a redrive policy to a dead-letter queue, an HTTPS-only queue policy,
 * and an alarm on the DLQ's depth.
 */
export class QueueWithDeadLetter extends pulumi.ComponentResource {
  public readonly queue: aws.sqs.Queue;
  /** The created DLQ; undefined when an existing one was passed. */
  public readonly deadLetterQueue: aws.sqs.Queue | undefined;
  public readonly deadLetterQueueArn: pulumi.Output<string>;
  public readonly queuePolicy: aws.sqs.QueuePolicy;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];

  constructor(name: string, args: QueueWithDeadLetterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("due:shared:QueueWithDeadLetter", name, {}, opts);
    validateQueueArgs(args);
    const fifo = args.fifo ?? false;
    const encryption = args.kmsKeyArn === undefined
      ? { sqsManagedSseEnabled: true }
      : { kmsMasterKeyId: args.kmsKeyArn, kmsDataKeyReusePeriodSeconds: 300 };

    if (args.existingDeadLetterQueueArn === undefined) {
      this.deadLetterQueue = new aws.sqs.Queue(
        `${name}-dlq`,
        {
          ...(fifo ? { name: fifoQueueName(`${name}-dlq`), fifoQueue: true } : { name: boundedName(`${name}-dlq`, NAME_LIMITS.sqsQueue) }),
          messageRetentionSeconds: QUEUE_DEFAULTS.deadLetterRetentionSeconds,
          ...encryption,
        },
        { parent: this },
      );
      this.deadLetterQueueArn = this.deadLetterQueue.arn;
    } else {
      this.deadLetterQueue = undefined;
      this.deadLetterQueueArn = pulumi.output(args.existingDeadLetterQueueArn);
    }

    this.queue = new aws.sqs.Queue(
      `${name}-queue`,
      {
        ...(fifo
          ? { name: fifoQueueName(`${name}-queue`), fifoQueue: true, contentBasedDeduplication: args.contentBasedDeduplication ?? false }
          : { name: boundedName(`${name}-queue`, NAME_LIMITS.sqsQueue) }),
        visibilityTimeoutSeconds: args.visibilityTimeoutSeconds ?? QUEUE_DEFAULTS.visibilityTimeoutSeconds,
        messageRetentionSeconds: args.messageRetentionSeconds ?? QUEUE_DEFAULTS.messageRetentionSeconds,
        redrivePolicy: pulumi.jsonStringify({
          deadLetterTargetArn: this.deadLetterQueueArn,
          maxReceiveCount: args.maxReceiveCount ?? QUEUE_DEFAULTS.maxReceiveCount,
        }),
        ...encryption,
      },
      { parent: this },
    );

    const senders = args.allowedSenders ?? [];
    this.queuePolicy = new aws.sqs.QueuePolicy(
      `${name}-policy`,
      {
        queueUrl: this.queue.url,
        policy: policyDocument([
          denyInsecureTransport("sqs:*", [this.queue.arn]),
          ...senders.map((s) => serviceSendStatement(this.queue.arn, s)),
        ]),
      },
      { parent: this },
    );
    const policies: aws.sqs.QueuePolicy[] = [this.queuePolicy];
    if (this.deadLetterQueue) {
      policies.push(
        new aws.sqs.QueuePolicy(
          `${name}-dlq-policy`,
          { queueUrl: this.deadLetterQueue.url, policy: policyDocument([denyInsecureTransport("sqs:*", [this.deadLetterQueue.arn])]) },
          { parent: this },
        ),
      );
    }

    this.alarms = [
      queueDepthAlarm(
        `${name}-dlq-depth`,
        {
          queueName: this.deadLetterQueueArn.apply((arn) => arn.split(":").pop() ?? arn),
          description: pulumi.interpolate`Messages in the dead-letter queue ${this.deadLetterQueueArn}`,
          alarmActions: args.alarmActions,
        },
        { parent: this },
      ),
    ];

    this.registerOutputs({ queue: this.queue, deadLetterQueue: this.deadLetterQueue, alarms: this.alarms });
  }
}

/** Allows one AWS service to send to a queue only on behalf of `sourceArn` (confused-deputy safe). */
export function serviceSendStatement(queueArn: pulumi.Input<string>, sender: QueueServiceSender): PolicyStatement {
  return {
    Sid: serviceSid(sender.service, "Send"),
    Effect: "Allow",
    Principal: { Service: sender.service },
    Action: "sqs:SendMessage",
    Resource: queueArn,
    Condition: { ArnEquals: { "aws:SourceArn": sender.sourceArn } },
  };
}

/** FIFO queue names must end in ".fifo", which autonaming does not guarantee; SQS allows 80 characters. */
export function fifoQueueName(logicalName: string): string {
  return stableName(logicalName, NAME_LIMITS.sqsQueue, ".fifo");
}

export function validateQueueArgs(args: QueueWithDeadLetterArgs): void {
  const errors = new ArgumentErrors("QueueWithDeadLetter");
  const fifo = args.fifo ?? false;
  if (isKnown(args.existingDeadLetterQueueArn)) {
    const dlqIsFifo = args.existingDeadLetterQueueArn.endsWith(".fifo");
    errors.check(
      dlqIsFifo !== fifo,
      `existingDeadLetterQueueArn must be a ${fifo ? "FIFO" : "standard"} queue to match fifo: ${fifo}, got "${args.existingDeadLetterQueueArn}"`,
    );
  }
  if (isKnown(args.maxReceiveCount)) {
    errors.check(args.maxReceiveCount < 1 || args.maxReceiveCount > 1000, `maxReceiveCount must be between 1 and 1000, got ${args.maxReceiveCount}`);
  }
  if (isKnown(args.visibilityTimeoutSeconds)) {
    errors.check(
      args.visibilityTimeoutSeconds < 0 || args.visibilityTimeoutSeconds > 43200,
      `visibilityTimeoutSeconds must be between 0 and 43200, got ${args.visibilityTimeoutSeconds}`,
    );
  }
  if (isKnown(args.messageRetentionSeconds)) {
    errors.check(
      args.messageRetentionSeconds < 60 || args.messageRetentionSeconds > 1209600,
      `messageRetentionSeconds must be between 60 and 1209600, got ${args.messageRetentionSeconds}`,
    );
  }
  errors.check(!fifo && args.contentBasedDeduplication !== undefined, "contentBasedDeduplication applies only to FIFO queues (fifo: true)");
  errors.throwIfAny();
}
