/**
 * Environment of the event-database transformation, validated once at cold start.
 *
 * | Variable          | Meaning                                                        | Default      |
 * |-------------------|----------------------------------------------------------------|--------------|
 * | CAMPAIGN_ID_TAG   | SES message tag whose value becomes `attributes.campaign_id`   | campaign_id  |
 * | TREATMENT_ID_TAG  | SES message tag whose value becomes `attributes.treatment_id`  | treatment_id |
 *
 * The names are the contract's (contract.ts); a blank variable counts as unset.
 */
import * as z from "zod";
import { parseEnv } from "../shared/sms/sms-config";
import { DEFAULT_CAMPAIGN_ID_TAG, DEFAULT_TREATMENT_ID_TAG, TAG_NAME_PATTERN, TRANSFORM_ENV } from "./contract";

export interface TransformConfig {
  campaignIdTag: string;
  treatmentIdTag: string;
}

const tagName = (fallback: string) => z.string().trim().regex(TAG_NAME_PATTERN, "must be an SES message tag name").default(fallback);

const EnvSchema = z.object({
  [TRANSFORM_ENV.CAMPAIGN_ID_TAG]: tagName(DEFAULT_CAMPAIGN_ID_TAG),
  [TRANSFORM_ENV.TREATMENT_ID_TAG]: tagName(DEFAULT_TREATMENT_ID_TAG),
});

/** @throws Error naming every invalid variable. */
export function loadTransformConfig(env: NodeJS.ProcessEnv): TransformConfig {
  const e = parseEnv(EnvSchema, env, "event-database transform");
  return { campaignIdTag: e.CAMPAIGN_ID_TAG, treatmentIdTag: e.TREATMENT_ID_TAG };
}
