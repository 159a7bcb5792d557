/**
 * What a sender does when a send's outcome is unknown (the call timed out, the connection reset, or
 * the service answered 5xx after possibly accepting the message). SendEmail and SendTextMessage
 * take no idempotency token, so AWS cannot tell a retry from a second message.
 *
 * - `at-most-once` (default): record the send as UNKNOWN, count it (metric `SendOutcomeUnknown`,
 *   alarmed) and do not send again. A recipient may miss a message; none gets two.
 * - `at-least-once`: treat it as a transient failure and send again. A recipient may get two.
 *
 * Either way, sends are retried automatically only on errors that prove nothing was executed
 * (throttling, no connection): see `provenNotExecuted` and `sendClientConfig`.
 */
export const SEND_GUARANTEES = ["at-most-once", "at-least-once"] as const;
export type SendGuarantee = (typeof SEND_GUARANTEES)[number];
export const DEFAULT_SEND_GUARANTEE: SendGuarantee = "at-most-once";

/** The environment variable that carries the guarantee from the component to the handler. */
export const SEND_GUARANTEE_ENV = "SEND_GUARANTEE";

/** The metric every sender publishes for a send whose outcome is unknown; components alarm on it. */
export const SEND_OUTCOME_UNKNOWN_METRIC = "SendOutcomeUnknown";

/** Reads the guarantee from the environment; unset means the default, anything else is an error. */
export function sendGuaranteeFromEnv(env: Record<string, string | undefined>): SendGuarantee {
  const raw = env[SEND_GUARANTEE_ENV];
  if (raw === undefined || raw === "") return DEFAULT_SEND_GUARANTEE;
  if ((SEND_GUARANTEES as readonly string[]).includes(raw)) return raw as SendGuarantee;
  throw new Error(`${SEND_GUARANTEE_ENV} must be one of ${SEND_GUARANTEES.join(", ")}, got "${raw}"`);
}
