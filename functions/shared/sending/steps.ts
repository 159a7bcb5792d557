/**
 * Composable steps around a send, for any channel. A step may run before the send (change the
 * request, or withhold it) and after it (see what happened). Steps are chosen by configuration
 * (registry.ts), so an architecture that archives, personalizes or routes messages adds a step
 * instead of forking the senders.
 *
 * The rules every step and caller relies on:
 * - `before` steps run in the listed order, each on the request the previous one returned. The
 *   first "skip" stops the chain: nothing is sent and the outcome is SKIPPED (step and reason).
 *   A `before` that throws stops everything: nothing is sent, no `after` runs, the error propagates
 *   (the caller handles it like any error before a send: the message is retried).
 * - `after` steps run in the listed order, after every outcome the sender returns (SENT, SKIPPED,
 *   and for SMS also OPTED_OUT, FAILED, UNKNOWN), with the request as it was sent (or withheld).
 *   A sender that throws (an SES SendEmail error, a programming error) has no outcome: no `after`
 *   runs and the error propagates to the caller, which handles it exactly as without steps. An `after` that throws is reported and then
 *   ignored: it never changes the outcome and never throws, because throwing after a send that
 *   went out (or may have) would make the caller retry the send, i.e. send the message twice.
 * - Delivery is at least once: the same message can reach the steps again (a redelivery, an
 *   at-least-once retry of an unknown outcome, a caller's own retries after a throttle). The
 *   context's `idempotencyKey` names the message (an SES message id, an inbound SMS id, a file
 *   row id), the same on every attempt; a step with a side effect writes at most once per key
 *   (e.g. a conditional put), and a `before` step gives the same answer for the same key.
 */

/** What every step sees about the send besides the request. */
export interface SendContext {
  /** Names the message, not the attempt: identical on every retry and redelivery of it. */
  readonly idempotencyKey: string;
}

/** The outcome when a `before` step withheld the message: nothing was sent. */
export interface SendSkipped {
  status: "SKIPPED";
  /** The name of the step that withheld it. */
  step: string;
  reason: string;
}

export type StepDecision<Req> = { action: "send"; request: Req } | { action: "skip"; reason: string };

export interface SendStep<Req, Out> {
  /** The registered name: used in SKIPPED outcomes and error reports. */
  readonly name: string;
  before?(request: Req, ctx: SendContext): Promise<StepDecision<Req>>;
  after?(request: Req, outcome: Out, ctx: SendContext): Promise<void>;
}

/** One channel's sender: one message per call. */
export interface Sender<Req, Out> {
  send(request: Req, ctx: SendContext): Promise<Out>;
}

/** Called when an `after` step throws; the outcome stands. */
export type AfterStepErrorReporter = (step: string, error: unknown, ctx: SendContext) => void;

/** Default report: one structured line (error name only: a service message can quote a recipient). */
const logAfterStepError: AfterStepErrorReporter = (step, error, ctx) => {
  const errorName = (error as { name?: string } | null)?.name ?? "Error";
  console.error(JSON.stringify({ level: "ERROR", message: "A send step failed after the send; the outcome stands", step, idempotencyKey: ctx.idempotencyKey, errorName }));
};

/**
 * `sender` with `steps` around it, as a sender of the same interface. With no steps it returns
 * `sender` itself, so an unconfigured sender behaves exactly as before.
 */
export function withSteps<Req, Out>(
  sender: Sender<Req, Out>,
  steps: readonly SendStep<Req, Out | SendSkipped>[],
  options: { onAfterStepError?: AfterStepErrorReporter } = {},
): Sender<Req, Out | SendSkipped> {
  if (steps.length === 0) return sender;
  const report = options.onAfterStepError ?? logAfterStepError;
  return {
    async send(request, ctx) {
      let current = request;
      let outcome: Out | SendSkipped | undefined;
      for (const step of steps) {
        if (step.before === undefined) continue;
        const decision = await step.before(current, ctx);
        if (decision.action === "skip") {
          outcome = { status: "SKIPPED", step: step.name, reason: decision.reason };
          break;
        }
        current = decision.request;
      }
      outcome ??= await sender.send(current, ctx);
      for (const step of steps) {
        if (step.after === undefined) continue;
        try {
          await step.after(current, outcome, ctx);
        } catch (error) {
          report(step.name, error, ctx);
        }
      }
      return outcome;
    },
  };
}
