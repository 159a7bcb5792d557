import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SEND_OUTCOME_UNKNOWN_METRIC } from "../../functions/shared/runtime/send-guarantee";
import { ALARM_DEFAULTS } from "./defaults";
import { NAME_LIMITS, boundedName } from "./naming";

/** An alarm that fires as soon as a metric is above zero in a period: errors, DLQ messages, refusals. */
export function anyAboveZeroAlarm(
  name: string,
  args: {
    namespace: string;
    metricName: string;
    dimensions: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** "Sum" for counts, "Maximum" for gauges such as queue depth. */
    statistic: "Sum" | "Maximum";
    description: pulumi.Input<string>;
    alarmActions?: pulumi.Input<pulumi.Input<string>[]>;
  },
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(
    name,
    {
      name: boundedName(name, NAME_LIMITS.cloudwatchAlarm),
      alarmDescription: args.description,
      namespace: args.namespace,
      metricName: args.metricName,
      dimensions: args.dimensions,
      statistic: args.statistic,
      period: ALARM_DEFAULTS.periodSeconds,
      evaluationPeriods: ALARM_DEFAULTS.evaluationPeriods,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: args.alarmActions ?? [],
      okActions: args.alarmActions ?? [],
    },
    opts,
  );
}

/** An alarm that fires as soon as a queue holds a message (DLQs and on-failure queues). */
export function queueDepthAlarm(
  name: string,
  args: {
    queueName: pulumi.Input<string>;
    description: pulumi.Input<string>;
    alarmActions?: pulumi.Input<pulumi.Input<string>[]>;
  },
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.MetricAlarm {
  return anyAboveZeroAlarm(
    name,
    {
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: args.queueName },
      statistic: "Maximum",
      description: args.description,
      alarmActions: args.alarmActions,
    },
    opts,
  );
}

/**
 * An alarm on a sending function's `SendOutcomeUnknown` metric: a send timed out or failed after it
 * may have gone out, so under at-most-once it was not retried. Powertools adds the `service`
 * dimension, which the function block sets to the function's name.
 */
export function sendOutcomeUnknownAlarm(
  name: string,
  args: {
    namespace: string;
    serviceName: pulumi.Input<string>;
    alarmActions?: pulumi.Input<pulumi.Input<string>[]>;
  },
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.MetricAlarm {
  return anyAboveZeroAlarm(
    name,
    {
      namespace: args.namespace,
      metricName: SEND_OUTCOME_UNKNOWN_METRIC,
      dimensions: { service: args.serviceName },
      statistic: "Sum",
      description: pulumi.interpolate`A send by ${args.serviceName} has an unknown outcome (timed out or failed after it may have been accepted); check the recipient before re-sending`,
      alarmActions: args.alarmActions,
    },
    opts,
  );
}
