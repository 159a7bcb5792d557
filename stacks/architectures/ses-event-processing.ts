import type * as pulumi from "@pulumi/pulumi";
import { SES_EVENT_PROCESSING, SesEventProcessing } from "../../components/email/ses-event-processing";
import { settingsFromConfig } from "../../components/kit/contract";
import { capability, provide } from "./composition";
import { BOUNCE_AND_COMPLAINT_PROCESSING, defineArchitecture } from "./types";

/** #1's configuration set: mail sent through it has its bounces and complaints processed. */
export const SES_FEEDBACK_CONFIGURATION_SET = capability<{ configurationSetName: pulumi.Output<string> }>(
  "sesEventProcessing",
  "configurationSet",
  "its SES configuration set (whose bounces and complaints it processes)",
);

export const sesEventProcessingArchitecture = defineArchitecture({
  key: "sesEventProcessing",
  number: 1,
  title: "#1 SES Event Processing",
  contract: SES_EVENT_PROCESSING,
  minimalConfig: {},
  provides: [SES_FEEDBACK_CONFIGURATION_SET],
  sesEventDestinations: (settings) =>
    typeof settings.existingConfigurationSetName === "string"
      ? [{ configurationSetName: settings.existingConfigurationSetName, key: "existingConfigurationSetName", exclusive: BOUNCE_AND_COMPLAINT_PROCESSING }]
      : [],
  build(config, ctx) {
    const component = new SesEventProcessing("ses-event-processing", { ...settingsFromConfig(SES_EVENT_PROCESSING, config), ...ctx.platform });
    return {
      component,
      outputs: {
        configurationSetName: component.configurationSetName,
        eventDestinationName: component.eventDestinationName,
        topicArn: component.topic.arn,
        queueUrl: component.queue.url,
        deadLetterQueueUrl: component.deadLetterQueue.url,
        functionName: component.function.name,
        contactTableName: component.contactTableName,
      },
      provided: [provide(SES_FEEDBACK_CONFIGURATION_SET, { configurationSetName: component.configurationSetName })],
    };
  },
});
