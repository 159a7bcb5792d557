import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EncryptedTopic, arnBuilder, hashSuffix, overviewDashboard } from "../components/shared";
import { ARCHITECTURES, ArchitectureModule, BuildContext, platformArgs } from "./architectures";
import { Capabilities } from "./architectures/composition";
import { StackConfig, StackDefaults } from "./config";

/** The alarm destination the config asks for: a created (encrypted) topic, an existing one, or none. */
function alarmActions(defaults: StackDefaults): { actions: pulumi.Input<string>[]; topicArn?: pulumi.Output<string> } {
  const alarms = defaults.alarms;
  if (alarms.existingTopicArn) return { actions: [alarms.existingTopicArn], topicArn: pulumi.output(alarms.existingTopicArn) };
  if (!alarms.createTopic) return { actions: [] };
  const arn = arnBuilder({});
  const topic = new EncryptedTopic("alarms", {
    displayName: "Digital User Engagement alarms",
    // CloudWatch publishes alarm state changes; limited to this account's alarms.
    publishers: [
      {
        service: "cloudwatch.amazonaws.com",
        sourceArns: [arn("cloudwatch", "alarm:*")],
      },
    ],
    deliverToEncryptedQueues: false,
  });
  for (const endpoint of alarms.emailEndpoints) {
    // Named by a hash of the address: reordering the list must not replace subscriptions.
    new aws.sns.TopicSubscription(`alarms-email-${hashSuffix(endpoint)}`, { topic: topic.topic.arn, protocol: "email", endpoint }, { parent: topic });
  }
  return { actions: [topic.topic.arn], topicArn: topic.topic.arn };
}

/**
 * Builds the whole stack from a validated config: the alarm topic, then every enabled architecture
 * in build order (providers before the architectures that require or use them; otherwise registry
 * order). Returns the stack outputs, one object per enabled architecture.
 */
export function createStack(config: StackConfig, modules: ArchitectureModule[] = ARCHITECTURES): Record<string, unknown> {
  const alarms = alarmActions(config.defaults);
  const capabilities = new Capabilities();
  const byKey = new Map(modules.map((m) => [m.key, m]));
  const outputs: Record<string, unknown> = {};
  const dashboards: { title: string; dashboard: aws.cloudwatch.Dashboard | undefined }[] = [];
  for (const key of config.buildOrder) {
    const module = byKey.get(key)!;
    const settings = config.architectures[key];
    const ctx: BuildContext = {
      defaults: config.defaults,
      alarmActions: alarms.actions,
      platform: platformArgs(config.defaults, alarms.actions, settings.logRetentionInDays),
      capabilities,
    };
    const built = module.build(settings, ctx);
    const provided = new Set((built.provided ?? []).map((p) => p.capability.id));
    for (const declared of module.provides ?? []) {
      if (!provided.has(declared.id)) throw new Error(`${key} declares ${declared.id} in provides but its build did not provide it`);
    }
    for (const value of built.provided ?? []) capabilities.add(value);
    outputs[key] = built.outputs;
    dashboards.push({ title: module.title, dashboard: (built.component as { dashboard?: aws.cloudwatch.Dashboard }).dashboard });
  }
  // Every enabled architecture's DLQ depth and errors, in registry order.
  if (config.defaults.dashboards) {
    const order = modules.map((m) => m.title);
    overviewDashboard("overview-dashboard", dashboards.sort((a, b) => order.indexOf(a.title) - order.indexOf(b.title)));
  }
  // Registry order, as users read the config: the build order is an implementation detail.
  outputs.enabledArchitectures = modules.map((m) => m.key).filter((k) => config.buildOrder.includes(k));
  if (alarms.topicArn) outputs.alarmTopicArn = alarms.topicArn;
  return outputs;
}
