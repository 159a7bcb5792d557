import type * as pulumi from "@pulumi/pulumi";
import { settingsFromConfig } from "../../components/kit/contract";
import { SELF_MANAGED_OPT_OUTS, SelfManagedOptOuts } from "../../components/sms/self-managed-opt-outs";
import { capability, provide } from "./composition";
import { SEND_STEP_CAPABILITIES, withContributedSendSteps } from "./send-steps";
import { defineArchitecture } from "./types";

/** #8's SMS preference table: promotional senders skip the numbers it records as opted out. */
export const SMS_PREFERENCE_TABLE = capability<{ preferenceTableName: pulumi.Output<string> }>("selfManagedOptOuts", "preferenceTable", "its SMS preference table");

export const selfManagedOptOutsArchitecture = defineArchitecture({
  key: "selfManagedOptOuts",
  number: 8,
  title: "#8 Self-Managed Opt Outs",
  contract: SELF_MANAGED_OPT_OUTS,
  minimalConfig: { existingPhoneNumberId: "phone-0123456789abcdef0123456789abcdef" },
  provides: [SMS_PREFERENCE_TABLE],
  // Steps other architectures contribute (send-steps.ts) run around the confirmation messages.
  uses: () => SEND_STEP_CAPABILITIES,
  build(config, ctx) {
    const settings = settingsFromConfig(SELF_MANAGED_OPT_OUTS, config);
    const component = new SelfManagedOptOuts("self-managed-opt-outs", {
      ...settings,
      sending: withContributedSendSteps(settings.sending, ctx.capabilities, "selfManagedOptOuts", "sms"),
      ...ctx.platform,
    });
    return {
      component,
      outputs: {
        topicArn: component.topic.arn,
        eventsTopicArn: component.eventsTopicArn,
        optOutListName: component.optOutListName,
        originationIdentity: component.originationIdentity,
        originationIdentityUpdateCommand: component.originationIdentityUpdateCommand,
        preferenceTableName: component.preferenceTableName,
        failureQueueUrl: component.failureQueue.url,
        functionName: component.function.name,
      },
      provided: [provide(SMS_PREFERENCE_TABLE, { preferenceTableName: component.preferenceTableName })],
    };
  },
});
