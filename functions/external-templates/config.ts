/**
 * Environment of #12's CampaignHook, validated once at cold start and keyed by its contract.
 * TEMPLATE_INDEX_TABLE_NAME and TEMPLATE_KEY_ATTRIBUTE are "" when unused.
 */
import * as z from "zod";
import { MISSING_OFFER_POLICIES, type MissingOfferPolicy } from "../shared/campaigns/offers";
import { TEMPLATE_KEY_PATTERN } from "../shared/campaigns/templates";
import { parseEnv } from "../shared/sms/sms-config";
import { HOOK_ENV as V } from "./contract";

export interface TemplateHookConfig {
  bucketName: string;
  prefix: string;
  indexTableName: string | undefined;
  templateKey: string;
  templateKeyAttribute: string | undefined;
  defaultLocale: string;
  cacheTtlSeconds: number;
  maxTemplateBytes: number;
  maxAttributeValueLength: number;
  missingTemplate: MissingOfferPolicy;
}

const EnvSchema = z.object({
  [V.TEMPLATE_BUCKET_NAME]: z.string().min(3).max(63),
  [V.TEMPLATE_PREFIX]: z.string().max(512).default(""),
  [V.TEMPLATE_INDEX_TABLE_NAME]: z.string().min(3).max(255).optional(),
  [V.TEMPLATE_KEY]: z.string().regex(TEMPLATE_KEY_PATTERN, "must be letters, digits, _, -, ."),
  [V.TEMPLATE_KEY_ATTRIBUTE]: z.string().min(1).max(50).optional(),
  [V.DEFAULT_LOCALE]: z.string().min(2).default("en"),
  [V.CACHE_TTL_SECONDS]: z.coerce.number().int().min(0).max(86_400).default(300),
  [V.MAX_TEMPLATE_BYTES]: z.coerce.number().int().min(1).max(1_048_576).default(262_144),
  [V.MAX_ATTRIBUTE_VALUE_LENGTH]: z.coerce.number().int().min(1).max(1_000_000).default(100_000),
  [V.MISSING_TEMPLATE]: z.enum(MISSING_OFFER_POLICIES).default("keep"),
});

export function loadTemplateHookConfig(env: NodeJS.ProcessEnv): TemplateHookConfig {
  const e = parseEnv(EnvSchema, env, "external templates hook");
  return {
    bucketName: e.TEMPLATE_BUCKET_NAME,
    prefix: e.TEMPLATE_PREFIX,
    indexTableName: e.TEMPLATE_INDEX_TABLE_NAME,
    templateKey: e.TEMPLATE_KEY,
    templateKeyAttribute: e.TEMPLATE_KEY_ATTRIBUTE,
    defaultLocale: e.DEFAULT_LOCALE,
    cacheTtlSeconds: e.CACHE_TTL_SECONDS,
    maxTemplateBytes: e.MAX_TEMPLATE_BYTES,
    maxAttributeValueLength: e.MAX_ATTRIBUTE_VALUE_LENGTH,
    missingTemplate: e.MISSING_TEMPLATE,
  };
}
