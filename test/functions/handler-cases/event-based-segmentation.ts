import { loadProcessorConfig } from "../../../functions/event-based-segmentation/config";
import { DEFAULT_RULES, PROCESSOR } from "../../../functions/event-based-segmentation/contract";
import type { HandlerCase } from "./types";

export const CASES: HandlerCase[] = [
  {
    contract: PROCESSOR,
    load: loadProcessorConfig,
    sample: {
      ATTRIBUTE_STORE_TARGET: "customerProfiles",
      PROFILES_DOMAIN_NAME: "engagement",
      PINPOINT_APPLICATION_ID: "",
      ATTRIBUTE_WRITE_CONCURRENCY: "10",
      SEGMENT_RULES: JSON.stringify(DEFAULT_RULES),
      SES_IDENTITY_TAG: "",
    },
  },
];
