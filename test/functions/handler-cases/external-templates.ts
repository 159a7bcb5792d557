import { loadTemplateHookConfig } from "../../../functions/external-templates/config";
import { HOOK } from "../../../functions/external-templates/contract";
import type { HandlerCase } from "./types";

export const CASES: HandlerCase[] = [
  {
    contract: HOOK,
    load: loadTemplateHookConfig,
    sample: {
      TEMPLATE_BUCKET_NAME: "templates-bucket",
      TEMPLATE_PREFIX: "templates/",
      TEMPLATE_INDEX_TABLE_NAME: "template-index",
      TEMPLATE_KEY: "welcome",
      TEMPLATE_KEY_ATTRIBUTE: "Template",
      DEFAULT_LOCALE: "en",
      CACHE_TTL_SECONDS: "300",
      MAX_TEMPLATE_BYTES: "262144",
      MAX_ATTRIBUTE_VALUE_LENGTH: "100000",
      MISSING_TEMPLATE: "keep",
    },
  },
];
