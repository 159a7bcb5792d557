/**
 * #5's contract between the EventDatabase component and its Firehose transformation function
 * (pure: no SDK).
 */
import { defineFunctionContract, envOf, metricsOf } from "../shared/runtime/function-contract";

export const TRANSFORM = defineFunctionContract({
  entry: "functions/event-database/transform.ts",
  env: ["CAMPAIGN_ID_TAG", "TREATMENT_ID_TAG"],
  namespace: "DigitalUserEngagement/EventDatabase",
  // Transformed carries a Source dimension (ses, sms, pinpoint).
  metrics: ["Transformed", "DroppedTestEvent", "ProcessingFailed"],
});
export const TRANSFORM_ENV = envOf(TRANSFORM);
export const TRANSFORM_METRICS = metricsOf(TRANSFORM);

/** The SES message tag copied to `attributes.campaign_id` by default (the seed views read that key). */
export const DEFAULT_CAMPAIGN_ID_TAG = "campaign_id";
/** The SES message tag copied to `attributes.treatment_id` by default. */
export const DEFAULT_TREATMENT_ID_TAG = "treatment_id";
/** SES message tag names: letters, digits, "_", "-" (and ":" for SES's own), at most 256 characters. */
export const TAG_NAME_PATTERN = /^[A-Za-z0-9_:-]{1,256}$/;
