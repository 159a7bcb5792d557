import { settingsFromConfig } from "../../components/kit/contract";
import { SMS_FILE_DROP, SmsFileDrop } from "../../components/sms/sms-file-drop";
import { SMS_PREFERENCE_TABLE } from "./self-managed-opt-outs";
import { SEND_STEP_CAPABILITIES, withContributedSendSteps } from "./send-steps";
import { defineArchitecture } from "./types";

export const smsFileDropArchitecture = defineArchitecture({
  key: "smsFileDrop",
  number: 9,
  title: "#9 Sending SMS Triggered by S3 File Drop",
  contract: SMS_FILE_DROP,
  minimalConfig: { originationIdentities: [{ identity: "pool-0123456789abcdef0123456789abcdef", mps: 1 }] },
  // Promotional rows honour the opt-outs #8 records, when #8 is part of the stack and no table is named.
  // Steps other architectures contribute (send-steps.ts) run around every send.
  uses: (s) => [...(s.preferenceTableName === undefined ? [SMS_PREFERENCE_TABLE] : []), ...SEND_STEP_CAPABILITIES],
  build(config, ctx) {
    const settings = settingsFromConfig(SMS_FILE_DROP, config);
    const component = new SmsFileDrop("sms-file-drop", {
      ...settings,
      preferenceTableName: settings.preferenceTableName ?? ctx.capabilities.use(SMS_PREFERENCE_TABLE)?.preferenceTableName,
      sending: withContributedSendSteps(settings.sending, ctx.capabilities, "smsFileDrop", "sms"),
      ...ctx.platform,
    });
    return {
      component,
      outputs: {
        bucketName: component.bucketName,
        queueUrl: component.queue.url,
        deadLetterQueueUrl: component.deadLetterQueue.url,
        eventsTopicArn: component.eventsTopicArn,
        checkpointTableName: component.checkpointTable.name,
        outcomeTableName: component.outcomeTable.name,
        failureQueueUrl: component.failureQueue.url,
        splitterFunctionName: component.splitter.name,
        senderFunctionName: component.sender.name,
      },
    };
  },
});
