import { loadProcessorConfig } from "../../../functions/pinpoint-event-processing/config";
import { PROCESSOR } from "../../../functions/pinpoint-event-processing/contract";
import type { HandlerCase } from "./types";

export const CASES: HandlerCase[] = [
  {
    contract: PROCESSOR,
    load: loadProcessorConfig,
    sample: {
      CONTACT_TABLE_NAME: "contacts",
      IDEMPOTENCY_TABLE_NAME: "idempotency",
      COMPLAINT_EXEMPT_FEEDBACK_TYPES: "not-spam",
    },
  },
];
