import type * as pulumi from "@pulumi/pulumi";
import { settingsFromConfig } from "../../components/kit/contract";
import { CONNECT_CHANNEL, ConnectChannel } from "../../components/voice/connect-channel";
import { capability, provide } from "./composition";
import { SEND_STEP_CAPABILITIES, withContributedSendSteps } from "./send-steps";
import { defineArchitecture } from "./types";

/**
 * #13's dialer queue: a sender that puts dial requests on it (functions/shared/voice) has its calls
 * placed by the dialer. A sender's function needs `enqueueCallsStatements` (components/voice):
 * sqs:SendMessage on the queue and kms:GenerateDataKey + kms:Decrypt on its key.
 */
export interface VoiceDialerQueue {
  queueUrl: pulumi.Output<string>;
  queueArn: pulumi.Output<string>;
  kmsKeyArn: pulumi.Output<string>;
}

export const VOICE_DIALER_QUEUE = capability<VoiceDialerQueue>("connectChannel", "dialerQueue", "its voice dialer queue (Amazon Connect outbound calls)");

export const connectChannelArchitecture = defineArchitecture({
  key: "connectChannel",
  number: 13,
  title: "#13 Connect as a Channel",
  contract: CONNECT_CHANNEL,
  minimalConfig: { instanceId: "00000000-0000-4000-8000-000000000001", queueId: "00000000-0000-4000-8000-000000000002" },
  provides: [VOICE_DIALER_QUEUE],
  // Steps other architectures contribute for the voice channel run around every call.
  uses: () => [...SEND_STEP_CAPABILITIES],
  build(config, ctx) {
    const settings = settingsFromConfig(CONNECT_CHANNEL, config);
    const component = new ConnectChannel("connect-channel", {
      ...settings,
      sending: withContributedSendSteps(settings.sending, ctx.capabilities, "connectChannel", "voice"),
      ...ctx.platform,
    });
    return {
      component,
      outputs: {
        queueUrl: component.queue.url,
        deadLetterQueueUrl: component.deadLetterQueue.url,
        kmsKeyArn: component.key.arn,
        contactFlowId: component.contactFlowId,
        outcomeTableName: component.outcomeTable.name,
        dialerFunctionName: component.function.name,
        ...(component.channelFunction === undefined ? {} : { channelFunctionArn: component.channelFunction.arn }),
      },
      provided: [provide(VOICE_DIALER_QUEUE, { queueUrl: component.queue.url, queueArn: component.queue.arn, kmsKeyArn: component.key.arn })],
    };
  },
});
