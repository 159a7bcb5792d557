import type * as pulumi from "@pulumi/pulumi";
import { SEND_TIME_ATTRIBUTES, SendTimeAttributes } from "../../components/campaigns/send-time-attributes";
import { settingsFromConfig } from "../../components/kit/contract";
import { capability, provide } from "./composition";
import { SEND_TIME_ATTRIBUTES_STEP } from "./send-steps";
import { defineArchitecture } from "./types";

/** #11's offer table: #12's template step renders the recipient's offer from it. */
export const OFFER_STORE = capability<{ tableName: pulumi.Output<string>; tableArn: pulumi.Output<string> }>("sendTimeAttributes", "offerStore", "its offer table");

export const sendTimeAttributesArchitecture = defineArchitecture({
  key: "sendTimeAttributes",
  number: 11,
  title: "#11 Send-Time Campaign Attributes",
  contract: SEND_TIME_ATTRIBUTES,
  minimalConfig: {},
  provides: [SEND_TIME_ATTRIBUTES_STEP, OFFER_STORE],
  build(config, ctx) {
    const component = new SendTimeAttributes("send-time-attributes", { ...settingsFromConfig(SEND_TIME_ATTRIBUTES, config), ...ctx.platform });
    const step = component.sendStep;
    return {
      component,
      outputs: {
        offerTableName: component.offerTableName,
        ...(component.function === undefined ? {} : { hookFunctionArn: component.function.arn }),
        ...(component.applicationId === undefined ? {} : { applicationId: component.applicationId }),
      },
      provided: [
        // The pinpoint target offers no step: an empty channel list, so no sender takes it.
        provide(SEND_TIME_ATTRIBUTES_STEP, {
          step: step ?? { name: "sendTimeAttributes", settings: {} },
          channels: step === undefined ? [] : ["sms", "email"],
          senders: config.target === "send-step" ? config.senders : [],
        }),
        provide(OFFER_STORE, { tableName: component.offerTableName, tableArn: component.offerTableArn }),
      ],
    };
  },
});
