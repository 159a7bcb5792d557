/**
 * #1's contract between the SesEventProcessing component and its processor (pure: no SDK).
 * #4's legacy processor reuses the feedback settings through functions/shared.
 */
import { defineFunctionContract, envOf, metricsOf } from "../shared/runtime/function-contract";

export { COMPLAINT_FEEDBACK_TYPES } from "../shared/email/feedback/feedback-policy";

export const PROCESSOR = defineFunctionContract({
  entry: "functions/ses-event-processing/processor.ts",
  env: ["CONTACT_TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "COMPLAINT_EXEMPT_FEEDBACK_TYPES", "TRANSIENT_BOUNCE_THRESHOLD", "TRANSIENT_BOUNCE_WINDOW_HOURS"],
  namespace: "DigitalUserEngagement/SesEventProcessing",
  metrics: ["Suppressed", "TransientBounce", "Ignored", "InvalidAddress", "Duplicate", "MalformedRecord", "FailedRecord", "Throttled"],
});
export const PROCESSOR_ENV = envOf(PROCESSOR);
export const PROCESSOR_METRICS = metricsOf(PROCESSOR);
