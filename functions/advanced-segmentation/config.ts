/**
 * Environment of #10's handlers, validated once at cold start and keyed by their contracts
 * (contract.ts). Every bad variable is reported at once, by name. The applier's target comes from
 * the shared attribute store's variables (functions/shared/profiles/config.ts).
 */
import * as z from "zod";
import { attributeStoreConfigFromEnv, type AttributeStoreConfig } from "../shared/profiles/config";
import { ConfigError, tableName } from "../shared/email/feedback/env";
import { APPLIER_ENV, DIFFER_ENV } from "./contract";

export { ConfigError };

const required = (name: string) => z.string({ error: `${name} is required` }).trim().min(1, `${name} is required`);
const bucketName = (name: string) => required(name).regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, `${name} must be an S3 bucket name`);
const prefix = (name: string) => required(name).regex(/^([A-Za-z0-9!_.'()-]+\/)+$/, `${name} must be a key prefix ending in "/"`);

function parse<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>, extraProblems: string[] = []): z.output<S> {
  const parsed = schema.safeParse(env);
  const problems = [...(parsed.success ? [] : parsed.error.issues.map((issue) => issue.message)), ...extraProblems];
  if (problems.length > 0) throw new ConfigError(`Invalid environment: ${problems.join("; ")}`);
  return (parsed as { data: z.output<S> }).data;
}

export interface DifferConfig {
  resultsBucket: string;
  changesPrefix: string;
  membersTableName: string;
}

const DifferEnv = z.object({
  [DIFFER_ENV.RESULTS_BUCKET]: bucketName(DIFFER_ENV.RESULTS_BUCKET),
  [DIFFER_ENV.CHANGES_PREFIX]: prefix(DIFFER_ENV.CHANGES_PREFIX),
  [DIFFER_ENV.MEMBERS_TABLE_NAME]: tableName(DIFFER_ENV.MEMBERS_TABLE_NAME),
});

export function loadDifferConfig(env: Record<string, string | undefined>): DifferConfig {
  const e = parse(DifferEnv, env);
  return { resultsBucket: e.RESULTS_BUCKET, changesPrefix: e.CHANGES_PREFIX, membersTableName: e.MEMBERS_TABLE_NAME };
}

export interface ApplierConfig {
  store: AttributeStoreConfig;
  resultsBucket: string;
  membersTableName: string;
}

const ApplierEnv = z.object({
  [APPLIER_ENV.RESULTS_BUCKET]: bucketName(APPLIER_ENV.RESULTS_BUCKET),
  [APPLIER_ENV.MEMBERS_TABLE_NAME]: tableName(APPLIER_ENV.MEMBERS_TABLE_NAME),
});

export function loadApplierConfig(env: Record<string, string | undefined>): ApplierConfig {
  const store = attributeStoreConfigFromEnv(env);
  const e = parse(ApplierEnv, env, store.problems);
  return { store: store.config!, resultsBucket: e.RESULTS_BUCKET, membersTableName: e.MEMBERS_TABLE_NAME };
}
