/**
 * #4's contract between the PinpointEventProcessing component and its legacy processor (pure: no
 * SDK). The "configuration-set" target runs #1's processor under #1's contract.
 */
import { defineFunctionContract, envOf, metricsOf } from "../shared/runtime/function-contract";

export const PROCESSOR = defineFunctionContract({
  entry: "functions/pinpoint-event-processing/processor.ts",
  env: ["CONTACT_TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "COMPLAINT_EXEMPT_FEEDBACK_TYPES"],
  namespace: "DigitalUserEngagement/PinpointEventProcessing",
  metrics: [
    "RecordsRead",
    "FeedbackRecords",
    "IgnoredRecords",
    "Suppressed",
    "Duplicate",
    "MalformedRecord",
    "FailedRecord",
    "InvalidAddress",
    "ObjectReadFailed",
    "InvalidEvent",
  ],
});
export const PROCESSOR_ENV = envOf(PROCESSOR);
export const PROCESSOR_METRICS = metricsOf(PROCESSOR);
