import { PINPOINT_EVENT_PROCESSING, PinpointEventProcessing } from "../../components/email/pinpoint-event-processing";
import { settingsFromConfig } from "../../components/kit/contract";
import { BOUNCE_AND_COMPLAINT_PROCESSING, defineArchitecture } from "./types";

export const pinpointEventProcessingArchitecture = defineArchitecture({
  key: "pinpointEventProcessing",
  number: 4,
  title: "#4 Pinpoint Event Processing",
  contract: PINPOINT_EVENT_PROCESSING,
  minimalConfig: {},
  renamedKeys: { source: 'target ("pinpoint" for "pinpoint-event-stream"; "configuration-set" is the default)' },
  // Target "configuration-set" composes #1, which adds its destination to this configuration set.
  sesEventDestinations: (settings) =>
    settings.target === "configuration-set" && typeof settings.configurationSetName === "string"
      ? [{ configurationSetName: settings.configurationSetName, key: "configurationSetName", exclusive: BOUNCE_AND_COMPLAINT_PROCESSING }]
      : [],
  build(config, ctx) {
    const component = new PinpointEventProcessing("pinpoint-event-processing", { ...settingsFromConfig(PINPOINT_EVENT_PROCESSING, config), ...ctx.platform });
    const ses = component.sesEventProcessing;
    return {
      component,
      outputs: {
        target: component.target,
        functionName: component.function.name,
        ...(ses ? { configurationSetName: ses.configurationSetName, eventDestinationName: ses.eventDestinationName, queueUrl: ses.queue.url } : {}),
        ...(component.bucket ? { eventsBucketName: component.bucket.bucket } : {}),
        ...(component.deliveryStream ? { deliveryStreamName: component.deliveryStream.name } : {}),
        ...(component.applicationId ? { pinpointApplicationId: component.applicationId } : {}),
        ...(component.failureQueue ? { failureQueueUrl: component.failureQueue.url } : {}),
      },
    };
  },
});
