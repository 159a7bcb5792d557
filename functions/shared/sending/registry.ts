/**
 * The send steps a deployment can configure, by name. A later architecture adds its step here, in
 * SEND_STEP_FACTORIES (one line), and its component lists it in SEND_STEPS (components/shared/sending.ts
 * declares the IAM it needs). Nothing else changes in the senders.
 */
import type { ChannelStep, SendChannel } from "./channels";
import { SEND_STEPS_ENV, sendStepConfigsFromEnv } from "./contract";
import { ARCHIVE_STEP_FACTORY } from "./archive-step";
import { PERSONALIZE_STEP_FACTORY } from "./personalize-step";
import { TEMPLATE_STEP_FACTORY } from "./template-step";

/** Builds a registered step for the channels it supports, validating its settings (throw on a bad one). */
export interface SendStepFactory {
  name: string;
  create: { [C in SendChannel]?: (settings: Record<string, unknown>) => ChannelStep<C> };
}

/** Every step a deployment can name in SEND_STEPS. None yet: #6, #11/#12 and #13 add theirs. */
export const SEND_STEP_FACTORIES: readonly SendStepFactory[] = [
  // #6: one archive object per message sent (functions/shared/sending/archive-step.ts).
  ARCHIVE_STEP_FACTORY,
  // #11: renders the message with the recipient's offer (functions/shared/sending/personalize-step.ts).
  PERSONALIZE_STEP_FACTORY,
  // #12: replaces the content with an external template (functions/shared/sending/template-step.ts).
  TEMPLATE_STEP_FACTORY,
];

/**
 * The steps SEND_STEPS configures for `channel`, in order. Unset or "" is none. A malformed value,
 * an unknown name, a step that does not support the channel or invalid settings throws at cold
 * start, naming the entry.
 */
export function sendStepsFromEnv<C extends SendChannel>(
  env: Record<string, string | undefined>,
  channel: C,
  factories: readonly SendStepFactory[] = SEND_STEP_FACTORIES,
): ChannelStep<C>[] {
  return sendStepConfigsFromEnv(env).map(({ name, settings }, i) => {
    const at = `${SEND_STEPS_ENV}[${i}]`;
    const factory = factories.find((f) => f.name === name);
    if (factory === undefined) {
      const known = factories.map((f) => f.name).join(", ") || "none";
      throw new Error(`${at}: unknown send step "${name}" (registered: ${known})`);
    }
    const create = factory.create[channel];
    if (create === undefined) throw new Error(`${at}: send step "${name}" does not support the ${channel} channel`);
    try {
      return create(settings ?? {});
    } catch (error) {
      throw new Error(`${at}: send step "${name}": ${(error as Error).message}`, { cause: error });
    }
  });
}
