import { MESSAGE_ARCHIVER, MessageArchiver } from "../../components/compliance/message-archiver";
import { settingsFromConfig } from "../../components/kit/contract";
import { provide } from "./composition";
import { MESSAGE_ARCHIVE_STEP } from "./send-steps";
import { SES_FEEDBACK_CONFIGURATION_SET } from "./ses-event-processing";
import { defineArchitecture } from "./types";

export const messageArchiverArchitecture = defineArchitecture({
  key: "messageArchiver",
  number: 6,
  title: "#6 Pinpoint Message Archiver",
  contract: MESSAGE_ARCHIVER,
  minimalConfig: { mailManagerArchive: false },
  provides: [MESSAGE_ARCHIVE_STEP],
  // Email is archived from #1's configuration set unless another one is named.
  requires: (s) => (s.target === "send-time" && s.mailManagerArchive && s.configurationSetName === undefined ? [SES_FEEDBACK_CONFIGURATION_SET] : []),
  build(config, ctx) {
    const settings = settingsFromConfig(MESSAGE_ARCHIVER, config);
    const component = new MessageArchiver("message-archiver", {
      ...settings,
      ...(config.target === "send-time" && config.mailManagerArchive && config.configurationSetName === undefined
        ? { configurationSetName: ctx.capabilities.require(SES_FEEDBACK_CONFIGURATION_SET).configurationSetName }
        : {}),
      ...ctx.platform,
    });
    const step = component.sendStep;
    return {
      component,
      outputs: {
        target: component.target,
        bucketName: component.bucketName,
        archivePrefix: component.archivePrefix,
        eraseFunctionName: component.eraseFunction.name,
        ...(component.mailManagerArchive ? { mailManagerArchiveArn: component.mailManagerArchive.arn } : {}),
        ...(component.queue ? { queueUrl: component.queue.url } : {}),
        ...(component.deadLetterQueue ? { deadLetterQueueUrl: component.deadLetterQueue.url } : {}),
        ...(component.deliveryStream ? { deliveryStreamName: component.deliveryStream.name } : {}),
      },
      provided:
        step === undefined
          ? []
          : [provide(MESSAGE_ARCHIVE_STEP, { step: { name: step.name, settings: step.settings }, channels: step.channels, senders: step.senders })],
    };
  },
});
