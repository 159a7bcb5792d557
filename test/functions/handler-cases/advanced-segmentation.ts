import { loadApplierConfig, loadDifferConfig } from "../../../functions/advanced-segmentation/config";
import { APPLIER, DIFFER } from "../../../functions/advanced-segmentation/contract";
import type { HandlerCase } from "./types";

export const CASES: HandlerCase[] = [
  {
    contract: DIFFER,
    load: loadDifferConfig,
    sample: { RESULTS_BUCKET: "segment-results", CHANGES_PREFIX: "changes/", MEMBERS_TABLE_NAME: "segment-members" },
  },
  {
    contract: APPLIER,
    load: loadApplierConfig,
    sample: {
      RESULTS_BUCKET: "segment-results",
      MEMBERS_TABLE_NAME: "segment-members",
      ATTRIBUTE_STORE_TARGET: "customerProfiles",
      PROFILES_DOMAIN_NAME: "customers",
      PINPOINT_APPLICATION_ID: "",
      ATTRIBUTE_WRITE_CONCURRENCY: "5",
    },
  },
];
