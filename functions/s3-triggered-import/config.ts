/**
 * Environment of the S3-triggered import handlers, validated once at cold start and keyed by their
 * contracts (contract.ts). Every bad variable is reported at once, by name.
 */
import * as z from "zod";
import { intEnv, jsonEnv, parseEnv, requiredString } from "../shared/sms/sms-config";
import { IMPORT_TARGETS, SMS_SEND_FILE_COLUMNS, STARTER_ENV, UPLOADER_ENV, VALIDATOR_ENV, type ImportTarget } from "./contract";
import type { FollowUpSms } from "./validate-file";

const bool = z.enum(["true", "false"], "must be true or false").transform((v) => v === "true");

export interface StarterConfig {
  stateMachineArn: string;
  keyPrefix: string;
}

const StarterSchema = z.object({
  [STARTER_ENV.STATE_MACHINE_ARN]: z.string().trim().regex(/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:\S+$/, "must be a state machine ARN"),
  [STARTER_ENV.KEY_PREFIX]: z.string().default(""),
});

export function loadStarterConfig(env: Record<string, string | undefined>): StarterConfig {
  const e = parseEnv(StarterSchema, env, "starter");
  return { stateMachineArn: e.STATE_MACHINE_ARN, keyPrefix: e.KEY_PREFIX };
}

export interface ValidatorConfig {
  target: ImportTarget;
  workBucket: string;
  validatePhoneNumbers: boolean;
  assumeUs: boolean;
  concurrency: number;
  followUpSms?: FollowUpSms;
}

const FollowUpSmsSchema = z.strictObject({
  message: z.string().min(1).max(1600),
  originationIdentity: z.string().min(1),
  messageType: z.enum(["TRANSACTIONAL", "PROMOTIONAL"]),
  header: z.array(z.string().min(1)).length(SMS_SEND_FILE_COLUMNS.length),
});

const ValidatorSchema = z.object({
  [VALIDATOR_ENV.TARGET]: z.enum(IMPORT_TARGETS),
  [VALIDATOR_ENV.WORK_BUCKET]: requiredString,
  [VALIDATOR_ENV.VALIDATE_PHONE_NUMBERS]: bool.default(true),
  [VALIDATOR_ENV.ASSUME_US]: bool.default(true),
  [VALIDATOR_ENV.VALIDATION_CONCURRENCY]: intEnv(1, 100).default(10),
  // Blank when no follow-up message is configured.
  [VALIDATOR_ENV.FOLLOW_UP_SMS]: jsonEnv(FollowUpSmsSchema).optional(),
});

export function loadValidatorConfig(env: Record<string, string | undefined>): ValidatorConfig {
  const e = parseEnv(ValidatorSchema, env, "validator");
  return {
    target: e.TARGET,
    workBucket: e.WORK_BUCKET,
    validatePhoneNumbers: e.VALIDATE_PHONE_NUMBERS,
    assumeUs: e.ASSUME_US,
    concurrency: e.VALIDATION_CONCURRENCY,
    followUpSms: e.FOLLOW_UP_SMS,
  };
}

export interface UploaderConfig {
  domainName: string;
  workBucket: string;
}

const UploaderSchema = z.object({
  [UPLOADER_ENV.DOMAIN_NAME]: z.string().trim().regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be a Customer Profiles domain name"),
  [UPLOADER_ENV.WORK_BUCKET]: requiredString,
});

export function loadUploaderConfig(env: Record<string, string | undefined>): UploaderConfig {
  const e = parseEnv(UploaderSchema, env, "uploader");
  return { domainName: e.DOMAIN_NAME, workBucket: e.WORK_BUCKET };
}
