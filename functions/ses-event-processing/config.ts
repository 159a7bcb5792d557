/**
 * Environment configuration of the SES event processor, validated once at cold start and keyed by
 * its contract. Every bad variable is reported at once, each by name. The pieces #1 and #4 share
 * are in functions/shared/email/feedback/env.ts.
 */
import * as z from "zod";
import { ConfigError, exemptFeedbackTypes, IDEMPOTENCY_TTL_SECONDS, parseEnvironment, tableName } from "../shared/email/feedback/env";
import type { FeedbackServiceConfig } from "../shared/email/feedback/idempotent-feedback";
import { COMPLAINT_FEEDBACK_TYPES, PROCESSOR_ENV } from "./contract";

export { COMPLAINT_FEEDBACK_TYPES, ConfigError };
export type ProcessorConfig = FeedbackServiceConfig;

const integer = (name: string, fallback: number, min: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return fallback;
      const parsed = Number(value.trim());
      if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min) {
        ctx.addIssue({ code: "custom", message: `${name} must be an integer >= ${min}, got "${value}"` });
        return z.NEVER;
      }
      return parsed;
    });

const EnvSchema = z.object({
  [PROCESSOR_ENV.CONTACT_TABLE_NAME]: tableName(PROCESSOR_ENV.CONTACT_TABLE_NAME),
  [PROCESSOR_ENV.IDEMPOTENCY_TABLE_NAME]: tableName(PROCESSOR_ENV.IDEMPOTENCY_TABLE_NAME),
  [PROCESSOR_ENV.COMPLAINT_EXEMPT_FEEDBACK_TYPES]: exemptFeedbackTypes(PROCESSOR_ENV.COMPLAINT_EXEMPT_FEEDBACK_TYPES),
  [PROCESSOR_ENV.TRANSIENT_BOUNCE_THRESHOLD]: integer(PROCESSOR_ENV.TRANSIENT_BOUNCE_THRESHOLD, 0, 0),
  [PROCESSOR_ENV.TRANSIENT_BOUNCE_WINDOW_HOURS]: integer(PROCESSOR_ENV.TRANSIENT_BOUNCE_WINDOW_HOURS, 72, 1),
});

/**
 * Reads and validates the processor's environment.
 * @throws ConfigError listing every invalid variable by name.
 */
export function loadProcessorConfig(env: Record<string, string | undefined>): ProcessorConfig {
  const e = parseEnvironment(EnvSchema, env);
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
