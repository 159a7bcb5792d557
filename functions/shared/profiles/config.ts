/**
 * How a handler names and configures its attribute store: the environment variables (each
 * architecture lists them in its function contract), their loader, and the IAM each target needs.
 * Pure: no SDK imports, so components import it too.
 */
import type { AttributeStoreTarget } from "./store";

/** Environment variables of a handler that writes through the attribute store. */
export const ATTRIBUTE_STORE_ENV = ["ATTRIBUTE_STORE_TARGET", "PROFILES_DOMAIN_NAME", "PINPOINT_APPLICATION_ID", "ATTRIBUTE_WRITE_CONCURRENCY"] as const;
export type AttributeStoreEnvName = (typeof ATTRIBUTE_STORE_ENV)[number];

export type AttributeStoreConfig =
  | { target: "customerProfiles"; domainName: string; concurrency: number }
  | { target: "pinpoint"; applicationId: string; concurrency: number };

/** The environment a component sets for a store config (the unused target's variable is empty). */
export function attributeStoreEnvironment<S>(
  config: { target: "customerProfiles"; domainName: S; concurrency: number } | { target: "pinpoint"; applicationId: S; concurrency: number },
): Record<AttributeStoreEnvName, S | string> {
  return {
    ATTRIBUTE_STORE_TARGET: config.target,
    PROFILES_DOMAIN_NAME: config.target === "customerProfiles" ? config.domainName : "",
    PINPOINT_APPLICATION_ID: config.target === "pinpoint" ? config.applicationId : "",
    ATTRIBUTE_WRITE_CONCURRENCY: String(config.concurrency),
  };
}

/**
 * Reads the store config from the environment, returning every problem by variable name.
 */
export function attributeStoreConfigFromEnv(env: Record<string, string | undefined>): { config?: AttributeStoreConfig; problems: string[] } {
  const problems: string[] = [];
  const target = env.ATTRIBUTE_STORE_TARGET;
  const rawConcurrency = (env.ATTRIBUTE_WRITE_CONCURRENCY ?? "").trim();
  const concurrency = Number(rawConcurrency);
  if (!/^\d+$/.test(rawConcurrency) || concurrency < 1 || concurrency > 100) {
    problems.push(`ATTRIBUTE_WRITE_CONCURRENCY must be an integer from 1 to 100, got "${env.ATTRIBUTE_WRITE_CONCURRENCY ?? ""}"`);
  }
  const domainName = (env.PROFILES_DOMAIN_NAME ?? "").trim();
  const applicationId = (env.PINPOINT_APPLICATION_ID ?? "").trim();
  if (target === "customerProfiles") {
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(domainName)) problems.push(`PROFILES_DOMAIN_NAME must be a Customer Profiles domain name, got "${domainName}"`);
    if (applicationId !== "") problems.push("PINPOINT_APPLICATION_ID must be empty when ATTRIBUTE_STORE_TARGET is customerProfiles");
  } else if (target === "pinpoint") {
    if (!/^[a-zA-Z0-9]{1,64}$/.test(applicationId)) problems.push(`PINPOINT_APPLICATION_ID must be a Pinpoint project ID, got "${applicationId}"`);
    if (domainName !== "") problems.push("PROFILES_DOMAIN_NAME must be empty when ATTRIBUTE_STORE_TARGET is pinpoint");
  } else {
    problems.push(`ATTRIBUTE_STORE_TARGET must be "customerProfiles" or "pinpoint", got "${target ?? ""}"`);
  }
  if (problems.length > 0) return { problems };
  return {
    problems,
    config: target === "customerProfiles" ? { target, domainName, concurrency } : { target: "pinpoint", applicationId, concurrency },
  };
}

/**
 * The IAM actions each target needs, with the resource path (after `arn:<partition>:<service>:<region>:<account>:`)
 * they are granted on.
 */
export const ATTRIBUTE_STORE_IAM: Record<AttributeStoreTarget, readonly { sid: string; service: string; actions: readonly string[]; resource: (id: string) => string }[]> = {
  customerProfiles: [
    { sid: "LocateAndUpdateProfiles", service: "profile", actions: ["profile:SearchProfiles", "profile:UpdateProfile"], resource: (domainName) => `domains/${domainName}` },
  ],
  pinpoint: [
    { sid: "ReadEndpoints", service: "mobiletargeting", actions: ["mobiletargeting:GetEndpoint"], resource: (applicationId) => `apps/${applicationId}/endpoints/*` },
    { sid: "UpdateEndpointsBatch", service: "mobiletargeting", actions: ["mobiletargeting:UpdateEndpointsBatch"], resource: (applicationId) => `apps/${applicationId}/endpoints` },
  ],
};
