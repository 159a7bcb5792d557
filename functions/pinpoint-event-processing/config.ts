/**
 * Environment configuration of #4's legacy processor, validated once at cold start; keyed by its
 * contract, so the component and this loader cannot drift apart.
 */
import * as z from "zod";
import { DEFAULT_FEEDBACK_POLICY_SETTINGS } from "../shared/email/feedback/feedback-policy";
import { exemptFeedbackTypes, IDEMPOTENCY_TTL_SECONDS, parseEnvironment, tableName } from "../shared/email/feedback/env";
import type { FeedbackServiceConfig } from "../shared/email/feedback/idempotent-feedback";
import { PROCESSOR_ENV } from "./contract";

export type ProcessorConfig = FeedbackServiceConfig;

const EnvSchema = z.object({
  [PROCESSOR_ENV.CONTACT_TABLE_NAME]: tableName(PROCESSOR_ENV.CONTACT_TABLE_NAME),
  [PROCESSOR_ENV.IDEMPOTENCY_TABLE_NAME]: tableName(PROCESSOR_ENV.IDEMPOTENCY_TABLE_NAME),
  [PROCESSOR_ENV.COMPLAINT_EXEMPT_FEEDBACK_TYPES]: exemptFeedbackTypes(PROCESSOR_ENV.COMPLAINT_EXEMPT_FEEDBACK_TYPES),
});

/**
 * Reads and validates the processor's environment. The transient-bounce rule keeps #1's defaults
 * (counted, never suppressing): Pinpoint streams hard bounces, and #4 has no setting for it.
 * @throws ConfigError listing every invalid variable by name.
 */
export function loadProcessorConfig(env: Record<string, string | undefined>): ProcessorConfig {
  const e = parseEnvironment(EnvSchema, env);
  return {
    contactTableName: e.CONTACT_TABLE_NAME,
    idempotencyTableName: e.IDEMPOTENCY_TABLE_NAME,
    idempotencyTtlSeconds: IDEMPOTENCY_TTL_SECONDS,
    policy: { ...DEFAULT_FEEDBACK_POLICY_SETTINGS, complaintExemptFeedbackTypes: e.COMPLAINT_EXEMPT_FEEDBACK_TYPES },
  };
}
