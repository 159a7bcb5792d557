import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import * as z from "zod";
import { ARCHITECTURES, ArchitectureModule } from "../architectures";
import { offlinePlanRunning, placeholderIssues } from "./placeholders";
import { PROJECT, StackDefaults, defaultsSchema } from "./schema";

export interface StackConfig {
  defaults: StackDefaults;
  /** Every known architecture's parsed config, by key; absent ones are `{ enabled: false }`. */
  architectures: Record<string, { enabled: boolean } & Record<string, unknown>>;
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
    const value = raw[module.key];
    if (value === undefined) {
      architectures[module.key] = { enabled: false };
      continue;
    }
    const parsed = module.schema.safeParse(value);
    if (parsed.success) architectures[module.key] = parsed.data as StackConfig["architectures"][string];
    else issues.push(...describeIssues(module.key, parsed.error));
  }
  issues.push(...eventDestinationClashes(architectures, modules));
  if ((options.placeholders ?? (offlinePlanRunning() ? "allow" : "reject")) === "reject") issues.push(...placeholderIssues(raw));
  if (issues.length > 0) throw new StackConfigError(issues);
  return { defaults: defaults.data!, architectures };
}

/**
 * Two enabled architectures that add an event destination to the same existing SES configuration
 * set (e.g. #1's existingConfigurationSetName and #4's configurationSetName): every bounce and
 * complaint would go through two pipelines, each suppressing and counting it. One line per clash,
 * naming both keys.
 */
function eventDestinationClashes(architectures: StackConfig["architectures"], modules: ArchitectureModule[]): string[] {
  const issues: string[] = [];
  const seen = new Map<string, string>();
  for (const module of modules) {
    const config = architectures[module.key];
    if (!config?.enabled || !module.sesEventDestinations) continue;
    for (const use of module.sesEventDestinations(config)) {
      const key = `${PROJECT}:${module.key}.${use.key}`;
      const first = seen.get(use.configurationSetName);
      if (first === undefined) {
        seen.set(use.configurationSetName, key);
        continue;
      }
      issues.push(
        `${key}: configuration set "${use.configurationSetName}" already gets an event destination from ${first}; ` +
          "each bounce and complaint would be processed twice (enable one of them, or give each its own configuration set)",
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
