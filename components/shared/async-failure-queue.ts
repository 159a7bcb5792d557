import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { queueDepthAlarm } from "./alarms";
import { QUEUE_DEFAULTS } from "./defaults";
import { denyInsecureTransport, policyDocument } from "./iam";
import { NAME_LIMITS, boundedName } from "./naming";

/**
 * The on-failure destination of an asynchronously invoked function: an encrypted queue (SSE-SQS,
 * so Lambda needs no KMS grant to send), retained 14 days, HTTPS only, with an alarm as soon as
 * it holds a message.
 *
 * Not a QueueWithDeadLetter: nothing consumes this queue (operators inspect and redrive it), so
 * messages would never reach a DLQ and a DLQ-depth alarm would never fire. The alarm watches this
 * queue itself.
 */
export interface AsyncFailureQueue {
  queue: aws.sqs.Queue;
  queuePolicy: aws.sqs.QueuePolicy;
  alarm: aws.cloudwatch.MetricAlarm;
}

/** Creates `${name}`, `${name}-policy` and `${name}-depth` as children of `parent`. */
export function createAsyncFailureQueue(
  name: string,
  alarmActions: pulumi.Input<pulumi.Input<string>[]> | undefined,
  parent: pulumi.Resource,
): AsyncFailureQueue {
  const queue = new aws.sqs.Queue(
    name,
    { name: boundedName(name, NAME_LIMITS.sqsQueue), messageRetentionSeconds: QUEUE_DEFAULTS.deadLetterRetentionSeconds, sqsManagedSseEnabled: true },
    { parent },
  );
  const queuePolicy = new aws.sqs.QueuePolicy(
    `${name}-policy`,
    { queueUrl: queue.url, policy: policyDocument([denyInsecureTransport("sqs:*", [queue.arn])]) },
    { parent },
  );
  const alarm = queueDepthAlarm(
    `${name}-depth`,
    { queueName: queue.name, description: pulumi.interpolate`Failed asynchronous invocations in ${queue.name}`, alarmActions },
    { parent },
  );
  return { queue, queuePolicy, alarm };
}
