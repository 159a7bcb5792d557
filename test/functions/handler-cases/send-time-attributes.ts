import { loadHookConfig } from "../../../functions/send-time-attributes/config";
import { HOOK } from "../../../functions/send-time-attributes/contract";
import type { HandlerCase } from "./types";

export const CASES: HandlerCase[] = [
  {
    contract: HOOK,
    load: loadHookConfig,
    sample: { OFFER_TABLE_NAME: "offers", RECIPIENT_KEY: "userId", MISSING_OFFER: "drop", LOOKUP_BUDGET_MS: "8000" },
  },
];
