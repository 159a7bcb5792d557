import { SES_AUTO_REPLY, SesAutoReply } from "../../components/email/ses-auto-reply";
import { settingsFromConfig } from "../../components/kit/contract";
import { SEND_STEP_CAPABILITIES, withContributedSendSteps } from "./send-steps";
import { SES_FEEDBACK_CONFIGURATION_SET } from "./ses-event-processing";
import { defineArchitecture } from "./types";

export const sesAutoReplyArchitecture = defineArchitecture({
  key: "sesAutoReply",
  number: 2,
  title: "#2 SES Auto-Reply",
  contract: SES_AUTO_REPLY,
  minimalConfig: {
    createRuleSet: true,
    replyFrom: "noreply@example.com",
    templateHtml: "<p>This address is not monitored. Reference: %%ID%%</p>",
  },
  renamedKeys: { templateSource: 'target ("ses" or "pinpoint", as before)' },
  // Replies go through #1's configuration set when it is enabled (and configurationSetName is
  // unset), so their bounces and complaints are processed like any other mail. Steps other
  // architectures contribute (send-steps.ts) run around every reply.
  uses: () => [SES_FEEDBACK_CONFIGURATION_SET, ...SEND_STEP_CAPABILITIES],
  build(config, ctx) {
    const settings = settingsFromConfig(SES_AUTO_REPLY, config);
    const component = new SesAutoReply("ses-auto-reply", {
      ...settings,
      configurationSetName: settings.configurationSetName ?? ctx.capabilities.use(SES_FEEDBACK_CONFIGURATION_SET)?.configurationSetName,
      sending: withContributedSendSteps(settings.sending, ctx.capabilities, "sesAutoReply", "email"),
      ...ctx.platform,
    });
    return {
      component,
      outputs: {
        ruleName: component.ruleName,
        ruleSetName: component.ruleSetName,
        functionName: component.function.name,
        templateName: component.templateName,
        stateTableName: component.stateTable.name,
        failureQueueUrl: component.failureQueue.url,
      },
    };
  },
});
