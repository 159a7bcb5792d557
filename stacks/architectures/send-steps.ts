/**
 * Contributed send steps: an architecture that offers a step to the project's senders (#6's
 * archive, #11's send-time attributes, #12's templates) provides one of the capabilities below, and
 * every sending architecture (#2, #8, #9) uses them all. When a contributor is enabled, its step runs
 * in the senders it applies to, after the steps the sender's own `sending.steps` lists, with
 * settings that may hold the contributor's outputs (its bucket, its table).
 *
 * The capabilities are declared here, not in the contributors' modules, so that senders and
 * contributors import this file and never each other. Adding a contributor: one constant below,
 * listed in SEND_STEP_CAPABILITIES; the contributor lists it in `provides` and returns
 * `provide(<constant>, { step, channels, senders })` from its build.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { SendingArgs, SendStepInput } from "../../components/shared/sending";
import type { SendChannel } from "../../functions/shared/sending/channels";
import { capability, type Capabilities, type Capability } from "./composition";

export interface SendStepContribution {
  /** A step registered in functions/shared/sending/registry.ts and components/shared/sending.ts. */
  step: { name: string; settings: Record<string, pulumi.Input<unknown>> };
  /** The channels it runs on; a sender on another channel ignores it. */
  channels: readonly SendChannel[];
  /** The sending architectures' config keys it applies to; undefined means every one. */
  senders?: readonly string[];
}

export function sendStepCapability(provider: string, description: string): Capability<SendStepContribution> {
  return capability<SendStepContribution>(provider, "sendStep", description);
}

/** #6: archives every message the senders send (per recipient, erasable). */
export const MESSAGE_ARCHIVE_STEP = sendStepCapability("messageArchiver", "its message archive step");
/** #11: attaches each recipient's offer before the send. */
export const SEND_TIME_ATTRIBUTES_STEP = sendStepCapability("sendTimeAttributes", "its send-time attributes step");
/** #12: renders the message from an external template before the send. */
export const EXTERNAL_TEMPLATES_STEP = sendStepCapability("externalTemplates", "its external templates step");

/** Every contributed step, in the order a sender runs them: content first, the archive last. */
export const SEND_STEP_CAPABILITIES: readonly Capability<SendStepContribution>[] = [SEND_TIME_ATTRIBUTES_STEP, EXTERNAL_TEMPLATES_STEP, MESSAGE_ARCHIVE_STEP];

/**
 * The `sending` setting of sender `senderKey` on `channel`: its own steps, then the steps the enabled
 * contributors offer to it. A step the sender already lists by name is not added twice (its own
 * settings win).
 */
export function withContributedSendSteps(
  sending: SendingArgs | undefined,
  capabilities: Capabilities,
  senderKey: string,
  channel: SendChannel,
): SendingArgs {
  const own: SendStepInput[] = sending?.steps ?? [];
  const contributed = SEND_STEP_CAPABILITIES.map((c) => capabilities.use(c))
    .filter((c): c is SendStepContribution => c !== undefined)
    .filter((c) => c.channels.includes(channel) && (c.senders === undefined || c.senders.includes(senderKey)))
    .filter((c) => !own.some((s) => s.name === c.step.name))
    .map((c) => ({ name: c.step.name, settings: c.step.settings }));
  return { ...sending, steps: [...own, ...contributed] };
}
