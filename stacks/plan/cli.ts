import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../../components/shared/bundle";
import { StackConfigError } from "../config";
import { planStack } from "./plan";
import { countByType, renderMermaid, renderTree, renderViolations } from "./render";

/**
 * `npm run plan [-- --stack <name>] [--stack-file <path>] [--out <dir>]`: the offline plan. Runs the real program under
 * Pulumi runtime mocks with the stack's config file; no AWS credentials, no Pulumi CLI.
 * Exit codes: 0 clean, 1 policy violation or duplicate URN, 2 bad config or arguments.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { stack: { type: "string", default: "dev" }, out: { type: "string" }, "stack-file": { type: "string" } },
    allowPositionals: false,
  });
  const stack = values.stack!;
  const outDir = path.resolve(values.out ?? path.join(REPO_ROOT, ".plan", stack));

  let plan;
  try {
    plan = await planStack(stack, REPO_ROOT, values["stack-file"] && path.resolve(values["stack-file"]));
  } catch (error) {
    if (error instanceof StackConfigError) {
      const registered = (error as { registeredBeforeFailure?: number }).registeredBeforeFailure ?? 0;
      console.error(`${values["stack-file"] ?? `Pulumi.${stack}.yaml`}: ${error.message}`);
      console.error(`Resources registered: ${registered}`);
      return 2;
    }
    if (error instanceof Error && /^no stack file/.test(error.message)) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }

  const custom = plan.resources.filter((r) => r.custom);
  console.log(`Offline plan for stack "${stack}": ${custom.length} resources in ${plan.resources.length - custom.length} components`);
  console.log("(runtime mocks: no diff against deployed state, no provider-side validation)\n");
  console.log(renderTree(plan.resources));
  console.log("\nResources by type:");
  for (const [type, count] of countByType(plan.resources)) console.log(`  ${String(count).padStart(3)}  ${type}`);

  fs.mkdirSync(outDir, { recursive: true });
  const diagram = path.join(outDir, "graph.mmd");
  fs.writeFileSync(diagram, renderMermaid(plan.resources));
  fs.writeFileSync(
    path.join(outDir, "plan.json"),
    `${JSON.stringify({ stack, resources: plan.resources, violations: plan.violations }, null, 2)}\n`,
  );
  console.log(`\nDiagram: ${path.relative(process.cwd(), diagram)}`);
  console.log(`Plan:    ${path.relative(process.cwd(), path.join(outDir, "plan.json"))}`);

  if (plan.placeholders.length > 0) {
    console.log(`\nPlaceholders to replace before \`pulumi preview\`/\`pulumi up\` (which reject them):\n${plan.placeholders.map((p) => `  - ${p}`).join("\n")}`);
  }

  if (plan.violations.length > 0) {
    console.error(`\nPolicy violations (${plan.violations.length}):\n${renderViolations(plan.violations)}`);
    return 1;
  }
  console.log("\nPolicies: all passed");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
