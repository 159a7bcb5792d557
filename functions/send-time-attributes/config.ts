/**
 * Environment of #11's CampaignHook, validated once at cold start and keyed by its contract.
 * LOOKUP_BUDGET_MS bounds the offer lookup's retries, so the hook answers well within Pinpoint's 15 s.
 */
import * as z from "zod";
import { RECIPIENT_KEYS, type RecipientKey } from "../shared/campaigns/campaign-hook";
import { MISSING_OFFER_POLICIES, type MissingOfferPolicy } from "../shared/campaigns/offers";
import { parseEnv } from "../shared/sms/sms-config";
import { HOOK_ENV as V } from "./contract";

export interface HookConfig {
  offerTableName: string;
  recipientKey: RecipientKey;
  missingOffer: MissingOfferPolicy;
  lookupBudgetMs: number;
}

const EnvSchema = z.object({
  [V.OFFER_TABLE_NAME]: z.string().min(3).max(255),
  [V.RECIPIENT_KEY]: z.enum(RECIPIENT_KEYS).default("endpointId"),
  [V.MISSING_OFFER]: z.enum(MISSING_OFFER_POLICIES).default("keep"),
  [V.LOOKUP_BUDGET_MS]: z.coerce.number().int().min(100).max(14_000).default(8_000),
});

export function loadHookConfig(env: NodeJS.ProcessEnv): HookConfig {
  const e = parseEnv(EnvSchema, env, "send-time attributes hook");
  return { offerTableName: e.OFFER_TABLE_NAME, recipientKey: e.RECIPIENT_KEY, missingOffer: e.MISSING_OFFER, lookupBudgetMs: e.LOOKUP_BUDGET_MS };
}
