/**
 * #11 on a CampaignHook batch: one offer lookup for all endpoints, each offer attached within the
 * attribute limits, and the missing-offer policy applied. Returns the response map (the event's
 * definitions are not mutated) and the counts for metrics. An endpoint without `Attributes` gets
 * them created (the 2020 original crashed on it and failed the whole batch).
 */
import { limitOfferAttributes, type AttributeLimits, type DroppedAttribute } from "./attributes";
import { recipientKeyOf, withAttributes, type CampaignHookResponse, type HookEndpoint, type RecipientKey } from "./campaign-hook";
import type { MissingOfferPolicy, OfferStore } from "./offers";

export interface PersonalizeOptions {
  recipientKey: RecipientKey;
  missingOffer: MissingOfferPolicy;
  limits: AttributeLimits;
}

export interface PersonalizeResult {
  endpoints: CampaignHookResponse;
  personalized: number;
  withoutOffer: number;
  dropped: number;
  droppedAttributes: DroppedAttribute[];
}

export async function personalizeEndpoints(endpoints: Record<string, HookEndpoint>, store: OfferStore, options: PersonalizeOptions): Promise<PersonalizeResult> {
  const entries = Object.entries(endpoints);
  const keys = entries.map(([id, e]) => recipientKeyOf(id, e, options.recipientKey)).filter((k): k is string => k !== undefined);
  const offers = keys.length === 0 ? new Map() : await store.getOffers(keys);
  const result: PersonalizeResult = { endpoints: {}, personalized: 0, withoutOffer: 0, dropped: 0, droppedAttributes: [] };
  for (const [id, endpoint] of entries) {
    const key = recipientKeyOf(id, endpoint, options.recipientKey);
    const offer = key === undefined ? undefined : offers.get(key);
    if (offer === undefined) {
      if (options.missingOffer === "drop") {
        result.dropped++;
        continue;
      }
      result.withoutOffer++;
      result.endpoints[id] = withAttributes(endpoint, {});
      continue;
    }
    const limited = limitOfferAttributes(offer, options.limits, Object.keys(endpoint.Attributes ?? {}));
    result.droppedAttributes.push(...limited.dropped);
    result.endpoints[id] = withAttributes(endpoint, limited.attributes);
    result.personalized++;
  }
  return result;
}
