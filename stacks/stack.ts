import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EncryptedTopic, accountContext, hashSuffix } from "../components/shared";
import { ARCHITECTURES, ArchitectureModule, BuildContext } from "./architectures";
import { StackConfig, StackDefaults } from "./config";

/** The alarm destination the config asks for: a created (encrypted) topic, an existing one, or none. */
function alarmActions(defaults: StackDefaults): { actions: pulumi.Input<string>[]; topicArn?: pulumi.Output<string> } {
  const alarms = defaults.alarms;
  if (alarms.existingTopicArn) return { actions: [alarms.existingTopicArn], topicArn: pulumi.output(alarms.existingTopicArn) };
  if (!alarms.createTopic) return { actions: [] };
  const { identity, region, partition } = accountContext();
  const topic = new EncryptedTopic("alarms", {
    displayName: "Digital User Engagement alarms",
    // CloudWatch publishes alarm state changes; limited to this account's alarms.
    publishers: [
      {
        service: "cloudwatch.amazonaws.com",
        sourceArns: [pulumi.interpolate`arn:${partition.partition}:cloudwatch:${region.region}:${identity.accountId}:alarm:*`],
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
 * in registry order. Returns the stack outputs, one object per enabled architecture.
 */
export function createStack(config: StackConfig, modules: ArchitectureModule[] = ARCHITECTURES): Record<string, unknown> {
  const alarms = alarmActions(config.defaults);
  const ctx: BuildContext = { defaults: config.defaults, alarmActions: alarms.actions, built: new Map() };
  const outputs: Record<string, unknown> = {};
  const enabled: string[] = [];
  for (const module of modules) {
    const architectureConfig = config.architectures[module.key];
    if (!architectureConfig?.enabled) continue;
    const { component, outputs: architectureOutputs } = module.build(architectureConfig, ctx);
    ctx.built.set(module.key, component);
    outputs[module.key] = architectureOutputs;
    enabled.push(module.key);
  }
  outputs.enabledArchitectures = enabled;
  if (alarms.topicArn) outputs.alarmTopicArn = alarms.topicArn;
  return outputs;
}
