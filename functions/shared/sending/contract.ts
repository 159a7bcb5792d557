/**
 * The sending extension point's contract between a component and its senders (pure: no SDK
 * imports, safe to import from a Pulumi program). A component lists the steps a sender runs in
 * SEND_STEPS, a JSON list of `{ "name": ..., "settings": {...} }`; the handler builds them with
 * `sendStepsFromEnv` (registry.ts). Unset or "" means no steps: the sender is the bare SDK sender.
 */

/** The platform variable that carries the steps (like SEND_GUARANTEE, outside any contract). */
export const SEND_STEPS_ENV = "SEND_STEPS";

/** One configured step: a registered name and its settings, validated by the step itself. */
export interface SendStepConfig {
  name: string;
  settings?: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Problems with a step list's shape, each prefixed with `where` and the entry's index: a name
 * that is not a non-empty string, settings that are not an object, unknown keys, a step listed twice.
 */
export function sendStepConfigProblems(steps: unknown, where: string): string[] {
  if (!Array.isArray(steps)) return [`${where} must be a list of {"name": ..., "settings": {...}}`];
  const problems: string[] = [];
  const seen = new Set<string>();
  steps.forEach((step: unknown, i) => {
    const at = `${where}[${i}]`;
    if (!isObject(step)) return void problems.push(`${at} must be an object {"name": ..., "settings": {...}}`);
    const extra = Object.keys(step).filter((k) => k !== "name" && k !== "settings");
    if (extra.length > 0) problems.push(`${at} has unknown keys ${extra.join(", ")} (allowed: name, settings)`);
    if (typeof step.name !== "string" || step.name === "") problems.push(`${at}.name must be a non-empty string`);
    else if (seen.has(step.name)) problems.push(`${at}: step "${step.name}" is listed twice`);
    else seen.add(step.name);
    if (step.settings !== undefined && !isObject(step.settings)) problems.push(`${at}.settings must be an object`);
  });
  return problems;
}

/** Reads SEND_STEPS: unset or "" is no steps; a malformed value throws with every problem. */
export function sendStepConfigsFromEnv(env: Record<string, string | undefined>): SendStepConfig[] {
  const raw = env[SEND_STEPS_ENV];
  if (raw === undefined || raw.trim() === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${SEND_STEPS_ENV} is not valid JSON`);
  }
  const problems = sendStepConfigProblems(parsed, SEND_STEPS_ENV);
  if (problems.length > 0) throw new Error(problems.join("; "));
  return parsed as SendStepConfig[];
}

/** The SEND_STEPS value for a step list (settings omitted when absent). */
export function formatSendSteps(steps: readonly SendStepConfig[]): string {
  return JSON.stringify(steps.map((s) => (s.settings === undefined ? { name: s.name } : { name: s.name, settings: s.settings })));
}
