/**
 * Environment configuration of #7's processor, validated once at cold start and keyed by its
 * contract. Every bad variable is reported at once, by name.
 */
import * as z from "zod";
import { ConfigError } from "../shared/email/feedback/env";
import { attributeStoreConfigFromEnv, type AttributeStoreConfig } from "../shared/profiles/config";
import { PROCESSOR_ENV, SegmentRuleSchema, type SegmentRule } from "./contract";

export { ConfigError };

export interface ProcessorConfig {
  store: AttributeStoreConfig;
  rules: SegmentRule[];
  /** The SES message tag whose value identifies the person; undefined = none. */
  sesIdentityTag: string | undefined;
}

const RulesSchema = z.array(SegmentRuleSchema).min(1).max(100);

export function loadProcessorConfig(env: Record<string, string | undefined>): ProcessorConfig {
  const { config: store, problems } = attributeStoreConfigFromEnv(env);
  let rules: SegmentRule[] = [];
  const rawRules = env[PROCESSOR_ENV.SEGMENT_RULES];
  try {
    const parsed = RulesSchema.safeParse(JSON.parse(rawRules ?? ""));
    if (parsed.success) rules = parsed.data;
    else problems.push(`${PROCESSOR_ENV.SEGMENT_RULES} is not a valid rule list: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
  } catch {
    problems.push(`${PROCESSOR_ENV.SEGMENT_RULES} must be a JSON array of rules`);
  }
  const tag = (env[PROCESSOR_ENV.SES_IDENTITY_TAG] ?? "").trim();
  if (tag !== "" && !/^[A-Za-z0-9_-]{1,255}$/.test(tag)) problems.push(`${PROCESSOR_ENV.SES_IDENTITY_TAG} must be an SES message tag name, got "${tag}"`);
  if (problems.length > 0 || store === undefined) throw new ConfigError(`Invalid environment: ${problems.join("; ")}`);
  return { store, rules, sesIdentityTag: tag === "" ? undefined : tag };
}
