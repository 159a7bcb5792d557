import { settingsFromConfig } from "../../components/kit/contract";
import { SMS_FILE_DROP, SmsFileDrop } from "../../components/sms/sms-file-drop";
import { SMS_PREFERENCE_TABLE } from "./self-managed-opt-outs";
import { SEND_STEP_CAPABILITIES, withContributedSendSteps } from "./send-steps";
import { defineArchitecture } from "./types";
import { VOICE_DIALER_QUEUE } from "./connect-channel";
import type * as pulumi from "@pulumi/pulumi";
import { CSV_COLUMNS } from "../../functions/sms-file-drop/contract";
import { capability, provide } from "./composition";

/**
 * #9's drop, for writers of send files (e.g. #3's follow-up): the bucket, the trigger prefix (a
 * ".csv" under it is sent), the bucket's KMS key when it has one, and the header names its
 * columnMap gives the canonical columns (in canonical order).
 */
export const SMS_SEND_FILE_DROP = capability<{ bucketName: pulumi.Output<string>; prefix: string; kmsKeyArn?: pulumi.Input<string>; header: string[] }>(
  "smsFileDrop",
  "sendFileDrop",
  "its SMS send-file drop (bucket and prefix)",
);

/**
 * #9's End User Messaging SMS configuration set (created, or the existing `configurationSetName`),
 * for other architectures' event destinations (e.g. #5's Firehose). #9 takes one of its 5
 * destination slots (SNS, for delivery outcomes). Undefined on #9's legacy pinpoint target.
 */
export const SMS_CONFIGURATION_SET = capability<{ configurationSetName: pulumi.Output<string>; configurationSetArn: pulumi.Output<string> } | undefined>(
  "smsFileDrop",
  "configurationSet",
  "its End User Messaging SMS configuration set (whose events it consumes)",
);

export const smsFileDropArchitecture = defineArchitecture({
  key: "smsFileDrop",
  provides: [SMS_SEND_FILE_DROP, SMS_CONFIGURATION_SET],
  number: 9,
  title: "#9 Sending SMS Triggered by S3 File Drop",
  contract: SMS_FILE_DROP,
  minimalConfig: { originationIdentities: [{ identity: "pool-0123456789abcdef0123456789abcdef", mps: 1 }] },
  // Promotional rows honour the opt-outs #8 records, when #8 is part of the stack and no table is named.
  // Steps other architectures contribute (send-steps.ts) run around every send.
  // VOICE rows go to #13's dialer queue when #13 is enabled and no queue is named.
  uses: (s) => [
    ...(s.preferenceTableName === undefined ? [SMS_PREFERENCE_TABLE] : []),
    ...SEND_STEP_CAPABILITIES,
    ...(s.voiceDialerQueueUrl === undefined ? [VOICE_DIALER_QUEUE] : []),
  ],
  build(config, ctx) {
    const settings = settingsFromConfig(SMS_FILE_DROP, config);
    const component = new SmsFileDrop("sms-file-drop", {
      ...settings,
      preferenceTableName: settings.preferenceTableName ?? ctx.capabilities.use(SMS_PREFERENCE_TABLE)?.preferenceTableName,
      sending: withContributedSendSteps(settings.sending, ctx.capabilities, "smsFileDrop", "sms"),
      ...(settings.voiceDialerQueueUrl === undefined && ctx.capabilities.use(VOICE_DIALER_QUEUE) !== undefined
        ? {
            voiceDialerQueueUrl: ctx.capabilities.use(VOICE_DIALER_QUEUE)!.queueUrl,
            voiceDialerQueueArn: ctx.capabilities.use(VOICE_DIALER_QUEUE)!.queueArn,
            voiceDialerKmsKeyArn: ctx.capabilities.use(VOICE_DIALER_QUEUE)!.kmsKeyArn,
          }
        : {}),
      ...ctx.platform,
    });
    return {
      component,
      provided: [
        provide(
          SMS_CONFIGURATION_SET,
          component.configurationSetName !== undefined && component.configurationSetArn !== undefined
            ? { configurationSetName: component.configurationSetName, configurationSetArn: component.configurationSetArn }
            : undefined,
        ),
        provide(SMS_SEND_FILE_DROP, {
          bucketName: component.bucketName,
          prefix: config.prefix,
          kmsKeyArn: settings.existingBucketKmsKeyArn,
          header: CSV_COLUMNS.map((column) => config.columnMap[column] ?? column),
        }),
      ],
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
