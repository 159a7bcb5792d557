/** #11's contract between the SendTimeAttributes component and its CampaignHook (pure: no SDK). */
import { defineFunctionContract, envOf, metricsOf } from "../shared/runtime/function-contract";

export const HOOK = defineFunctionContract({
  entry: "functions/send-time-attributes/hook.ts",
  env: ["OFFER_TABLE_NAME", "RECIPIENT_KEY", "MISSING_OFFER", "LOOKUP_BUDGET_MS"],
  namespace: "DigitalUserEngagement/SendTimeAttributes",
  metrics: ["EndpointsPersonalized", "EndpointsWithoutOffer", "EndpointsDropped", "AttributesDropped", "LookupFailed", "MalformedEvent"],
});
export const HOOK_ENV = envOf(HOOK);
export const HOOK_METRICS = metricsOf(HOOK);
