import { loadTransformConfig } from "../../../functions/event-database/config";
import { TRANSFORM } from "../../../functions/event-database/contract";
import type { HandlerCase } from "./types";

export const CASES: HandlerCase[] = [{ contract: TRANSFORM, load: loadTransformConfig, sample: { CAMPAIGN_ID_TAG: "campaign_id", TREATMENT_ID_TAG: "treatment_id" } }];
