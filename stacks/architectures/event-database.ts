import { EVENT_DATABASE, EventDatabase } from "../../components/analytics/event-database";
import { settingsFromConfig } from "../../components/kit/contract";
import { SES_FEEDBACK_CONFIGURATION_SET } from "./ses-event-processing";
import { SMS_CONFIGURATION_SET } from "./sms-file-drop";
import { defineArchitecture } from "./types";

export const eventDatabaseArchitecture = defineArchitecture({
  key: "eventDatabase",
  number: 5,
  title: "#5 Pinpoint S3 Event Database",
  contract: EVENT_DATABASE,
  minimalConfig: { sesConfigurationSetName: "existing-configuration-set" },
  // SES events come from the named configuration set, or else from #1's.
  requires: (s) => (s.sesEvents && s.sesConfigurationSetName === undefined ? [SES_FEEDBACK_CONFIGURATION_SET] : []),
  // SMS events come from the named configuration set, or else from #9's when #9 is enabled.
  uses: (s) => (s.smsEvents && s.smsConfigurationSetName === undefined ? [SMS_CONFIGURATION_SET] : []),
  sesEventDestinations: (settings) =>
    settings.sesEvents && typeof settings.sesConfigurationSetName === "string"
      ? [{ configurationSetName: settings.sesConfigurationSetName, key: "sesConfigurationSetName" }]
      : [],
  build(config, ctx) {
    const settings = settingsFromConfig(EVENT_DATABASE, config);
    const sesConfigurationSetName =
      settings.sesEvents && settings.sesConfigurationSetName === undefined
        ? ctx.capabilities.require(SES_FEEDBACK_CONFIGURATION_SET).configurationSetName
        : settings.sesConfigurationSetName;
    const smsConfigurationSetName =
      settings.smsEvents && settings.smsConfigurationSetName === undefined
        ? ctx.capabilities.use(SMS_CONFIGURATION_SET)?.configurationSetName
        : settings.smsConfigurationSetName;
    const component = new EventDatabase("event-database", { ...settings, sesConfigurationSetName, smsConfigurationSetName, ...ctx.platform });
    return {
      component,
      outputs: {
        bucketName: component.bucket.bucket,
        deliveryStreamName: component.deliveryStream.name,
        deliveryStreamArn: component.deliveryStream.arn,
        databaseName: component.database.name,
        workgroupName: component.workgroup.name,
        transformFunctionName: component.function.name,
        eventDestinationName: component.eventDestinationName,
      },
    };
  },
});
