import { EVENT_BASED_SEGMENTATION, EventBasedSegmentation, type AttributeStoreLocation } from "../../components/segments/event-based-segmentation";
import { settingsFromConfig } from "../../components/kit/contract";
import { sesEventTypesFor } from "../../functions/event-based-segmentation/contract";
import { capability, provide } from "./composition";
import { SES_FEEDBACK_CONFIGURATION_SET } from "./ses-event-processing";
import { defineArchitecture } from "./types";

/**
 * #7's attribute store (its Customer Profiles domain, or the Pinpoint project), for architectures
 * that keep person attributes in the same place (#10).
 */
export const ATTRIBUTE_STORE = capability<AttributeStoreLocation>(
  "eventBasedSegmentation",
  "attributeStore",
  "its attribute store (the Customer Profiles domain or Pinpoint project holding person attributes)",
);

/** SES events are routed when a rule acts on one and no configuration set is named: #1's is needed. */
const needsFeedbackConfigurationSet = (settings: { sesEvents: boolean; existingConfigurationSetName?: unknown; rules: { eventType: string }[] }) =>
  settings.sesEvents && settings.existingConfigurationSetName === undefined && sesEventTypesFor(settings.rules).length > 0;

export const eventBasedSegmentationArchitecture = defineArchitecture({
  key: "eventBasedSegmentation",
  number: 7,
  title: "#7 Event-Based Segmentation",
  contract: EVENT_BASED_SEGMENTATION,
  minimalConfig: { existingConfigurationSetName: "marketing" },
  provides: [ATTRIBUTE_STORE],
  requires: (settings) => (needsFeedbackConfigurationSet(settings) ? [SES_FEEDBACK_CONFIGURATION_SET] : []),
  sesEventDestinations: (settings) =>
    settings.sesEvents && typeof settings.existingConfigurationSetName === "string" && sesEventTypesFor(settings.rules).length > 0
      ? [{ configurationSetName: settings.existingConfigurationSetName, key: "existingConfigurationSetName" }]
      : [],
  build(config, ctx) {
    const settings = settingsFromConfig(EVENT_BASED_SEGMENTATION, config);
    const component = new EventBasedSegmentation("event-based-segmentation", {
      ...settings,
      existingConfigurationSetName: needsFeedbackConfigurationSet(config)
        ? ctx.capabilities.require(SES_FEEDBACK_CONFIGURATION_SET).configurationSetName
        : settings.existingConfigurationSetName,
      ...ctx.platform,
    });
    const store = component.attributeStore;
    return {
      component,
      outputs: {
        target: component.target,
        streamArn: component.streamArn,
        functionName: component.function.name,
        failureQueueUrl: component.failureQueue.url,
        ...(store.target === "customerProfiles" ? { profilesDomainName: store.domainName } : { pinpointApplicationId: store.applicationId }),
        ...(component.sesEventDestination ? { sesEventDestinationName: component.sesEventDestination.eventDestinationName } : {}),
      },
      provided: [provide(ATTRIBUTE_STORE, store)],
    };
  },
});
