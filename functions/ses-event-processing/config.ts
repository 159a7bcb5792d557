/**
 * Environment configuration of the SES event processor, validated once at cold start. Every bad
 * variable is reported at once, each by name.
 */
import * as z from "zod";
import { COMPLAINT_FEEDBACK_TYPES, PROCESSOR_ENV } from "./contract";
import type { FeedbackPolicySettings } from "./feedback-policy";

export { COMPLAINT_FEEDBACK_TYPES };

export interface ProcessorConfig {
  contactTableName: string;
  idempotencyTableName: string;
  idempotencyTtlSeconds: number;
  policy: FeedbackPolicySettings;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const tableName = (name: string) =>
  z
    .string({ error: `${name} is required` })
    .trim()
    .min(1, `${name} is required`)
    .refine((value) => value === "" || /^[a-zA-Z0-9_.-]{3,255}$/.test(value), {
      message: `${name} must be a DynamoDB table name (3-255 characters of a-z, A-Z, 0-9, _ . -)`,
    });

const integer = (name: string, fallback: number, min: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return fallback;
      if (!/^\d+$/.test(value.trim())) {
        ctx.addIssue({ code: "custom", message: `${name} must be an integer >= ${min}, got "${value}"` });
        return z.NEVER;
      }
      const parsed = Number(value.trim());
      if (!Number.isSafeInteger(parsed) || parsed < min) {
        ctx.addIssue({ code: "custom", message: `${name} must be an integer >= ${min}, got "${value}"` });
        return z.NEVER;
      }
      return parsed;
    });

const exemptTypes = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined) return ["not-spam"];
    const types = value
      .split(",")
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== "");
    const unknown = types.filter((t) => !(COMPLAINT_FEEDBACK_TYPES as readonly string[]).includes(t));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `COMPLAINT_EXEMPT_FEEDBACK_TYPES has unknown feedback type(s) ${unknown.map((t) => `"${t}"`).join(", ")}; expected a comma list of ${COMPLAINT_FEEDBACK_TYPES.join(", ")}`,
      });
      return z.NEVER;
    }
    return [...new Set(types)];
  });

// Keyed by the contract's names, so the component and this loader cannot drift apart.
const EnvSchema = z.object({
  [PROCESSOR_ENV.CONTACT_TABLE_NAME]: tableName(PROCESSOR_ENV.CONTACT_TABLE_NAME),
  [PROCESSOR_ENV.IDEMPOTENCY_TABLE_NAME]: tableName(PROCESSOR_ENV.IDEMPOTENCY_TABLE_NAME),
  [PROCESSOR_ENV.COMPLAINT_EXEMPT_FEEDBACK_TYPES]: exemptTypes,
  [PROCESSOR_ENV.TRANSIENT_BOUNCE_THRESHOLD]: integer(PROCESSOR_ENV.TRANSIENT_BOUNCE_THRESHOLD, 0, 0),
  [PROCESSOR_ENV.TRANSIENT_BOUNCE_WINDOW_HOURS]: integer(PROCESSOR_ENV.TRANSIENT_BOUNCE_WINDOW_HOURS, 72, 1),
});

/** How long Powertools keeps an idempotency record: a handler constant, not a setting. */
const IDEMPOTENCY_TTL_SECONDS = 86_400;

/**
 * Reads and validates the processor's environment.
 * @throws ConfigError listing every invalid variable by name.
 */
export function loadProcessorConfig(env: Record<string, string | undefined>): ProcessorConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const messages = parsed.error.issues.map((issue) => issue.message);
    throw new ConfigError(`Invalid environment: ${messages.join("; ")}`);
  }
  const e = parsed.data;
  return {
    contactTableName: e.CONTACT_TABLE_NAME,
    idempotencyTableName: e.IDEMPOTENCY_TABLE_NAME,
    idempotencyTtlSeconds: IDEMPOTENCY_TTL_SECONDS,
    policy: {
      complaintExemptFeedbackTypes: e.COMPLAINT_EXEMPT_FEEDBACK_TYPES,
      transientBounceThreshold: e.TRANSIENT_BOUNCE_THRESHOLD,
      transientBounceWindowHours: e.TRANSIENT_BOUNCE_WINDOW_HOURS,
    },
  };
}
