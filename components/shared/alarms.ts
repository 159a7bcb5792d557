import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ALARM_DEFAULTS } from "./defaults";

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
  return new aws.cloudwatch.MetricAlarm(
    name,
    {
      alarmDescription: args.description,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: args.queueName },
      statistic: "Maximum",
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
