import { EXTERNAL_TEMPLATES, ExternalTemplates } from "../../components/campaigns/external-templates";
import { settingsFromConfig } from "../../components/kit/contract";
import { provide } from "./composition";
import { OFFER_STORE } from "./send-time-attributes";
import { EXTERNAL_TEMPLATES_STEP } from "./send-steps";
import { defineArchitecture } from "./types";

export const externalTemplatesArchitecture = defineArchitecture({
  key: "externalTemplates",
  number: 12,
  title: "#12 External Campaign Templates",
  contract: EXTERNAL_TEMPLATES,
  minimalConfig: { templateKey: "welcome" },
  provides: [EXTERNAL_TEMPLATES_STEP],
  // Renders the recipient's offer from #11's table when #11 is part of the stack.
  uses: (s) => (s.target === "send-step" && s.renderOffers ? [OFFER_STORE] : []),
  build(config, ctx) {
    const component = new ExternalTemplates("external-templates", {
      ...settingsFromConfig(EXTERNAL_TEMPLATES, config),
      offerStore: ctx.capabilities.use(OFFER_STORE),
      ...ctx.platform,
    });
    const step = component.sendStep;
    return {
      component,
      outputs: {
        bucketName: component.bucketName,
        ...(component.indexTableName === undefined ? {} : { indexTableName: component.indexTableName }),
        ...(component.function === undefined ? {} : { hookFunctionArn: component.function.arn }),
        ...(component.applicationId === undefined ? {} : { applicationId: component.applicationId }),
      },
      provided: [
        // The pinpoint target offers no step: an empty channel list, so no sender takes it.
        provide(EXTERNAL_TEMPLATES_STEP, {
          step: step ?? { name: "externalTemplates", settings: {} },
          channels: step === undefined ? [] : ["sms", "email"],
          senders: config.target === "send-step" ? config.senders : [],
        }),
      ],
    };
  },
});
