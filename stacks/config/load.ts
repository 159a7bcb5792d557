import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import * as z from "zod";
import { contractKeys, settingIssues } from "../../components/kit/contract";
import { ARCHITECTURES, ArchitectureConfig, ArchitectureModule } from "../architectures";
import { planComposition } from "../architectures/composition";
import { offlinePlanRunning, placeholderIssues } from "./placeholders";
import { PROJECT, StackDefaults, defaultsSchema, logRetention } from "./schema";

export interface StackConfig {
  defaults: StackDefaults;
  /** Every known architecture's parsed config, by key; absent ones are `{ enabled: false }`. */
  architectures: Record<string, ArchitectureConfig>;
  /** The enabled architectures' keys in build order (providers before their consumers). */
  buildOrder: string[];
}

/** Every problem in a stack's config, one line each, naming the exact key. */
export class StackConfigError extends Error {
  constructor(public readonly issues: string[]) {
    super(`invalid stack config (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "StackConfigError";
  }
}

function describeIssues(key: string, error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => {
    const path = [`${PROJECT}:${key}`, ...issue.path.map(String)].join(".");
    if (issue.code === "unrecognized_keys") return issue.keys.map((k) => `${path}.${k}: unknown key`);
    return [`${path}: ${issue.message}`];
  });
}

export interface ParseOptions {
  /**
   * What to do with an ARN in one of AWS's documentation account IDs (see placeholders.ts):
   * "reject" (a config error) or "allow" (the offline plan, which runs in no account, reports them
   * itself). Default: "allow" while the offline plan runs, else "reject".
   */
  placeholders?: "reject" | "allow";
}

/**
 * Validates a whole stack config before any resource exists. `raw` maps our keys (without the
 * project prefix) to their values. Unknown keys are errors: a typo must not silently switch a
 * safeguard off. All problems are reported at once.
 */
export function parseStackConfig(
  raw: Record<string, unknown>,
  modules: ArchitectureModule[] = ARCHITECTURES,
  options: ParseOptions = {},
): StackConfig {
  const issues: string[] = [];
  const known = new Map(modules.map((m) => [m.key, m]));
  for (const key of Object.keys(raw)) {
    if (key !== "defaults" && !known.has(key)) {
      issues.push(`${PROJECT}:${key}: unknown key (known: defaults, ${[...known.keys()].join(", ")})`);
    }
  }
  const defaults = defaultsSchema.safeParse(raw.defaults ?? {});
  if (!defaults.success) issues.push(...describeIssues("defaults", defaults.error));
  const architectures: StackConfig["architectures"] = {};
  for (const module of modules) {
    const parsed = parseArchitectureConfig(module, raw[module.key]);
    issues.push(...parsed.issues);
    architectures[module.key] = parsed.config;
  }
  issues.push(...eventDestinationClashes(architectures, modules));
  const enabled = new Map(modules.filter((m) => architectures[m.key].enabled).map((m) => [m.key, architectures[m.key]]));
  const composition = planComposition(
    modules.map((m) => ({ key: m.key, provides: m.provides, requires: m.requires, uses: m.uses }) as Parameters<typeof planComposition>[0][number]),
    enabled,
    (key) => `${PROJECT}:${key}`,
  );
  issues.push(...composition.issues.map((i) => `${PROJECT}:${i.key}: ${i.message}`));
  if ((options.placeholders ?? (offlinePlanRunning() ? "allow" : "reject")) === "reject") issues.push(...placeholderIssues(raw));
  if (issues.length > 0) throw new StackConfigError(issues);
  return { defaults: defaults.data!, architectures, buildOrder: composition.order };
}

/**
 * One architecture's config: `enabled` (required), its own `logRetentionInDays`, and the settings of
 * its component's contract, validated by that contract with every component rule. A disabled
 * architecture's other keys must still be known (a typo stays an error), but are not validated.
 */
function parseArchitectureConfig(module: ArchitectureModule, value: unknown): { config: ArchitectureConfig; issues: string[] } {
  const prefix = `${PROJECT}:${module.key}`;
  if (value === undefined) return { config: { enabled: false }, issues: [] };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { config: { enabled: false }, issues: [`${prefix}: must be an object with at least "enabled"`] };
  }
  const { enabled, logRetentionInDays, ...settings } = value as Record<string, unknown>;
  const issues: string[] = [];
  if (typeof enabled !== "boolean") issues.push(`${prefix}.enabled: Invalid input: expected boolean, received ${enabled === undefined ? "undefined" : typeof enabled}`);
  const retention = logRetention.optional().safeParse(logRetentionInDays);
  if (!retention.success) issues.push(...describeIssues(`${module.key}.logRetentionInDays`, retention.error));
  for (const key of Object.keys(settings)) {
    const instead = module.renamedKeys?.[key];
    if (instead === undefined) continue;
    issues.push(`${prefix}.${key}: no longer accepted; write ${instead}`);
    delete settings[key];
  }
  // Disabled: its keys must still be known (a typo stays an error) but are not validated. An invalid
  // `enabled` is reported above and the settings are validated too, so every problem shows at once.
  if (enabled === false) {
    const known = new Set(contractKeys(module.contract));
    for (const key of Object.keys(settings)) if (!known.has(key)) issues.push(`${prefix}.${key}: unknown key`);
    return { config: { enabled: false }, issues };
  }
  const parsed = module.contract.settings.safeParse(settings);
  if (!parsed.success) {
    issues.push(...settingIssues(parsed.error).map((i) => `${prefix}${i.key ? `.${i.key}` : ""}: ${i.message}`));
    return { config: { enabled: false }, issues };
  }
  if (enabled !== true) return { config: { enabled: false }, issues };
  const config: ArchitectureConfig = { ...(parsed.data as Record<string, unknown>), enabled: true };
  if (retention.data !== undefined) config.logRetentionInDays = retention.data;
  return { config, issues };
}

/**
 * Two enabled architectures that add the same exclusive kind of event destination to one existing SES
 * configuration set (e.g. #1's existingConfigurationSetName and #4's configurationSetName: every
 * bounce and complaint would go through two pipelines, each suppressing and counting it). One line
 * per clash, naming both keys. Destinations of other kinds (#5's lake, #7's segmentation) may share it.
 */
function eventDestinationClashes(architectures: StackConfig["architectures"], modules: ArchitectureModule[]): string[] {
  const issues: string[] = [];
  const seen = new Map<string, string>();
  for (const module of modules) {
    const config = architectures[module.key];
    if (!config?.enabled || !module.sesEventDestinations) continue;
    for (const use of module.sesEventDestinations(config)) {
      if (use.exclusive === undefined) continue;
      const key = `${PROJECT}:${module.key}.${use.key}`;
      const slot = `${use.configurationSetName}\u0000${use.exclusive}`;
      const first = seen.get(slot);
      if (first === undefined) {
        seen.set(slot, key);
        continue;
      }
      issues.push(
        `${key}: configuration set "${use.configurationSetName}" already gets an event destination from ${first}; ` +
          `${use.exclusive} (enable one of them, or give each its own configuration set)`,
      );
    }
  }
  return issues;
}

/** Our keys from Pulumi's runtime config ("project:key" → JSON string), as `pulumi up` sees them. */
export function rawConfigFromRuntime(): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(`${PROJECT}:`)) continue;
    const key = fullKey.slice(PROJECT.length + 1);
    try {
      raw[key] = JSON.parse(value);
    } catch {
      raw[key] = value;
    }
  }
  return raw;
}

/** The `config:` map of a `Pulumi.<stack>.yaml`, every namespace, values as written. */
export function readStackFile(path: string): Record<string, unknown> {
  const document = parseYaml(fs.readFileSync(path, "utf8")) as { config?: Record<string, unknown> } | null;
  return document?.config ?? {};
}

/** Our keys of a stack file's config map, without the project prefix: what parseStackConfig takes. */
export function ourConfig(stackFileConfig: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(stackFileConfig)
      .filter(([key]) => key.startsWith(`${PROJECT}:`))
      .map(([key, value]) => [key.slice(PROJECT.length + 1), value]),
  );
}

/** Converts a stack file's config map to Pulumi's runtime form ("project:key" → string, objects as JSON). */
export function toRuntimeConfig(stackFileConfig: Record<string, unknown>): Record<string, string> {
  const runtime: Record<string, string> = {};
  for (const [key, value] of Object.entries(stackFileConfig)) {
    runtime[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return runtime;
}
