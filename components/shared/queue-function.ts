import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BundledFunction, type BundledFunctionArgs } from "./bundled-function";
import { VISIBILITY_TIMEOUT_FACTOR } from "./defaults";
import type { PolicyStatement } from "./iam";
import { QueueWithDeadLetter, type QueueWithDeadLetterArgs } from "./queue-with-dead-letter";

/** How a function reads its queue: the event-source mapping's settings. */
export interface QueueReadSettings {
  /** Records per invocation (10 at most for FIFO). */
  batchSize: number;
  /** Seconds to gather a batch (standard queues only). Default: none. */
  maximumBatchingWindowSeconds?: number;
  /** Concurrent invocations the queue may drive (2–1000). */
  maximumConcurrency: number;
}

/**
 * The queue → function pattern, in two steps so a component can wire what feeds the queue in
 * between: `queueForFunction` creates the queue and its DLQ with the visibility timeout Lambda
 * needs (six times the consumer's timeout), and `deliverTo` adds the consumer: the function with
 * the statements to read (and decrypt) the queue added to its own, and an event-source mapping
 * with partial batch failures and bounded concurrency. Children keep the caller's names.
 */
export function queueForFunction(
  name: string,
  args: Omit<QueueWithDeadLetterArgs, "visibilityTimeoutSeconds"> & { consumerTimeoutSeconds: number },
  opts: pulumi.ComponentResourceOptions,
): QueueForFunction {
  const { consumerTimeoutSeconds, ...queueArgs } = args;
  const queue = new QueueWithDeadLetter(name, { ...queueArgs, visibilityTimeoutSeconds: consumerTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR }, opts);
  return new QueueForFunction(queue, consumerTimeoutSeconds, args.kmsKeyArn);
}

export class QueueForFunction {
  constructor(
    readonly queue: QueueWithDeadLetter,
    private readonly consumerTimeoutSeconds: number,
    private readonly kmsKeyArn: pulumi.Input<string> | undefined,
  ) {}

  /** What a consumer needs to read this queue: receive, delete, attributes, and decrypt a CMK-encrypted one. */
  consumeStatements(): PolicyStatement[] {
    return [
      {
        Sid: "ConsumeQueue",
        Effect: "Allow",
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        Resource: this.queue.queue.arn,
      },
      ...(this.kmsKeyArn === undefined ? [] : [{ Sid: "DecryptQueue", Effect: "Allow" as const, Action: "kms:Decrypt", Resource: this.kmsKeyArn }]),
    ];
  }

  /**
   * Creates the consumer `name` (a BundledFunction whose timeout is the one the queue was sized for)
   * and its event-source mapping `mappingName`. `opts.dependsOn` applies to the mapping: whatever
   * must exist before messages flow.
   */
  deliverTo(
    name: string,
    args: Omit<BundledFunctionArgs, "timeoutSeconds">,
    read: QueueReadSettings & { mappingName: string },
    opts: pulumi.CustomResourceOptions & { parent: pulumi.Resource },
  ): { fn: BundledFunction; mapping: aws.lambda.EventSourceMapping; alarms: aws.cloudwatch.MetricAlarm[] } {
    const fn = new BundledFunction(
      name,
      {
        ...args,
        timeoutSeconds: this.consumerTimeoutSeconds,
        policyStatements: pulumi.output(args.policyStatements).apply((own) => [...this.consumeStatements(), ...own]),
      },
      { parent: opts.parent },
    );
    const mapping = new aws.lambda.EventSourceMapping(
      read.mappingName,
      {
        eventSourceArn: this.queue.queue.arn,
        functionName: fn.function.arn,
        batchSize: read.batchSize,
        ...(read.maximumBatchingWindowSeconds === undefined ? {} : { maximumBatchingWindowInSeconds: read.maximumBatchingWindowSeconds }),
        functionResponseTypes: ["ReportBatchItemFailures"],
        scalingConfig: { maximumConcurrency: read.maximumConcurrency },
      },
      opts,
    );
    return { fn, mapping, alarms: [...this.queue.alarms, ...fn.alarms] };
  }
}
