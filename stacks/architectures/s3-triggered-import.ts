import { S3_TRIGGERED_IMPORT, S3TriggeredImport } from "../../components/contacts/s3-triggered-import";
import { settingsFromConfig } from "../../components/kit/contract";
import { SMS_SEND_FILE_DROP } from "./sms-file-drop";
import { defineArchitecture } from "./types";

/** The default follow-up message composes #9: the validated SMS rows become a send file in #9's drop. */
const followsUpThroughSmsFileDrop = (s: { target: string; followUpSms?: unknown }) => s.target !== "pinpoint" && s.followUpSms !== undefined;

export const s3TriggeredImportArchitecture = defineArchitecture({
  key: "s3TriggeredImport",
  number: 3,
  title: "#3 Amazon S3 Triggered Endpoint Imports",
  contract: S3_TRIGGERED_IMPORT,
  minimalConfig: {},
  requires: (s) => (followsUpThroughSmsFileDrop(s) ? [SMS_SEND_FILE_DROP] : []),
  build(config, ctx) {
    const component = new S3TriggeredImport("s3-triggered-import", {
      ...settingsFromConfig(S3_TRIGGERED_IMPORT, config),
      followUpSmsFileDrop: followsUpThroughSmsFileDrop(config) ? ctx.capabilities.require(SMS_SEND_FILE_DROP) : undefined,
      ...ctx.platform,
    });
    return {
      component,
      outputs: {
        bucketName: component.bucketName,
        workBucketName: component.workBucket.bucket,
        topicArn: component.topic.arn,
        stateMachineArn: component.stateMachine.arn,
        starterFunctionName: component.starter.name,
        validatorFunctionName: component.validator.name,
        failureQueueUrl: component.failureQueue.url,
        ...(component.domainName === undefined ? {} : { domainName: component.domainName }),
      },
    };
  },
});
