import { loadStarterConfig, loadUploaderConfig, loadValidatorConfig } from "../../../functions/s3-triggered-import/config";
import { STARTER, UPLOADER, VALIDATOR } from "../../../functions/s3-triggered-import/contract";
import type { HandlerCase } from "./types";

export const CASES: HandlerCase[] = [
  {
    contract: STARTER,
    load: loadStarterConfig,
    sample: { STATE_MACHINE_ARN: "arn:aws:states:us-east-1:123456789012:stateMachine:import", KEY_PREFIX: "import/" },
  },
  {
    contract: VALIDATOR,
    load: loadValidatorConfig,
    sample: {
      TARGET: "customer-profiles",
      WORK_BUCKET: "work",
      VALIDATE_PHONE_NUMBERS: "true",
      ASSUME_US: "true",
      VALIDATION_CONCURRENCY: "10",
      FOLLOW_UP_SMS: JSON.stringify({
        message: "Welcome",
        originationIdentity: "pool-0123456789abcdef0123456789abcdef",
        messageType: "TRANSACTIONAL",
        header: ["sms_number", "message", "external_campaign_id", "short_code", "message_type", "id_1", "id_2", "channel"],
      }),
    },
  },
  { contract: UPLOADER, load: loadUploaderConfig, sample: { DOMAIN_NAME: "contacts", WORK_BUCKET: "work" } },
];
