import * as fs from "node:fs";
import * as path from "node:path";
import { POLICIES, Violation, runPolicies } from "../../policy/policies";
import { REPO_ROOT } from "../../components/shared/bundle";
import { OFFLINE_PLAN_ENV, PROJECT, StackConfigError, ourConfig, placeholderIssues, readStackFile, toRuntimeConfig } from "../config";
import { MockRun, RecordedResource, runUnderMocks } from "./mock-runtime";
import { toPolicyResources } from "./render";

export interface PlanResult {
  stack: string;
  run: MockRun<unknown>;
  resources: RecordedResource[];
  violations: Violation[];
  /**
   * Values that are AWS documentation placeholders (one line per key). Allowed here, where nothing
   * is deployed; `pulumi preview`/`up` rejects them.
   */
  placeholders: string[];
}

/** The stacks that have a `Pulumi.<stack>.yaml` in the repository root. */
export function availableStacks(root = REPO_ROOT): string[] {
  return fs
    .readdirSync(root)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/**
 * Runs the real program (index.ts) for one stack under Pulumi runtime mocks, with that stack's
 * config file (or `stackFilePath`), and evaluates every policy over what it would create. Throws
 * StackConfigError for an invalid config, carrying `registeredBeforeFailure` (always 0: the whole
 * config is validated before the program registers anything).
 */
export async function planStack(stack: string, root = REPO_ROOT, stackFilePath?: string): Promise<PlanResult> {
  const file = stackFilePath ?? path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new Error(`no stack file ${path.basename(file)} (stacks: ${availableStacks(root).join(", ") || "none"})`);
  }
  const stackFile = readStackFile(file);
  const config = toRuntimeConfig(stackFile);
  const program = () => {
    // The real entry point, loaded only now that the mocks and config are in place (imports are
    // hoisted otherwise), and afresh each time so one process can plan several stacks.
    const entry = require.resolve(path.join(root, "index.ts"));
    delete require.cache[entry];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a dynamic import would be cached for the process
    return require(entry) as unknown;
  };
  // Marked as the offline plan: documentation placeholders in the stack file are listed, not fatal.
  const run = await withOfflinePlanEnvironment(() => runUnderMocks(program, { project: PROJECT, stack, config }));
  const resources = run.resources;
  const violations = runPolicies(toPolicyResources(resources), POLICIES);
  for (const urn of run.duplicateUrns) violations.push({ policy: "unique-urns", resource: urn, message: "registered more than once" });
  return { stack, run, resources, violations, placeholders: placeholderIssues(ourConfig(stackFile)) };
}

/** Runs `fn` with the offline-plan marker set (see stacks/config/placeholders.ts), restoring it after. */
async function withOfflinePlanEnvironment<T>(fn: () => Promise<T>): Promise<T> {
  const previous = process.env[OFFLINE_PLAN_ENV];
  process.env[OFFLINE_PLAN_ENV] = "1";
  try {
    return await fn();
  } finally {
    if (previous === undefined) delete process.env[OFFLINE_PLAN_ENV];
    else process.env[OFFLINE_PLAN_ENV] = previous;
  }
}

export { StackConfigError };
