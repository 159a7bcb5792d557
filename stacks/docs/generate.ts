/**
 * `npm run docs`: writes the parts of the docs that come from the code, so nothing in a settings
 * table is typed by hand:
 * - each architecture page's settings table (between `<!-- settings:begin -->` and
 *   `<!-- settings:end -->`), from its component's contract;
 * - each architecture page's data-flow diagram (between `<!-- diagram:begin -->` and `<!-- diagram:end -->`),
 *   drawn from the program: the architecture built alone at its minimal config (stacks/plan/flow-diagram.ts);
 * - the `defaults` table of docs/operations.md (between `<!-- defaults:begin -->` and `<!-- defaults:end -->`);
 * - Pulumi.yaml's key list (between `# generated:begin` and `# generated:end`).
 * `npm run docs -- --check` writes nothing and exits 1 when a committed file differs; a test runs it.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { defineContract, settingsReference, type SettingReference } from "../../components/kit/contract";
import { REPO_ROOT } from "../../components/shared/bundle";
import { ARCHITECTURES, type ArchitectureModule } from "../architectures";
import { PROJECT, defaultsSchema } from "../config/schema";

const DEFAULTS = defineContract("defaults", defaultsSchema);

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function settingsTable(rows: SettingReference[], extraRows: string[] = []): string {
  const variantSpecific = rows.some((r) => r.onlyWhen !== undefined);
  const header = variantSpecific ? "| Key | Type | Default | Only when | Meaning |\n|---|---|---|---|---|" : "| Key | Type | Default | Meaning |\n|---|---|---|---|";
  const lines = rows.map((r) => {
    const cells = [`\`${r.key}\``, escapeCell(r.type), r.default === "—" ? (r.required ? "required" : "—") : `\`${escapeCell(r.default)}\``];
    if (variantSpecific) cells.push(r.onlyWhen ? escapeCell(r.onlyWhen) : "");
    cells.push(escapeCell(r.description));
    return `| ${cells.join(" | ")} |`;
  });
  return [header, ...lines, ...extraRows].join("\n");
}

/** The rows the stack adds to every architecture's contract. */
const STACK_ROWS = (variantSpecific: boolean) => {
  const pad = variantSpecific ? " |" : "";
  return [
    `| \`enabled\` | boolean | required |${pad} Build this architecture in the stack. |`,
    `| \`logRetentionInDays\` | number | \`defaults.logRetentionInDays\` |${pad} This architecture's function log retention, days. |`,
  ];
};

export function architectureSettings(module: ArchitectureModule): string {
  const rows = settingsReference(module.contract);
  const generated = settingsTable(rows, STACK_ROWS(rows.some((r) => r.onlyWhen !== undefined)));
  return [
    `Generated from the contract in the component (\`npm run docs\`). Stack config key: \`${PROJECT}:${module.key}\`. The`,
    "platform settings (runtime, architecture, tracing, log level, table protection, send guarantee, alarm",
    "actions) come from `defaults` ([operations](../operations.md#defaults)).",
    "",
    generated,
  ].join("\n");
}

export function pulumiYamlKeys(modules: readonly ArchitectureModule[]): string {
  const lines = ["# generated:begin (npm run docs; every key with its type, default and meaning is on the pages)"];
  const defaults = settingsReference(DEFAULTS);
  lines.push(`# ${PROJECT}:defaults  docs/operations.md`);
  for (const row of defaults) lines.push(`#   ${row.key.padEnd(30)} ${row.default}`);
  for (const module of modules) {
    const page = pagePath(module);
    lines.push(`#`, `# ${PROJECT}:${module.key}  ${module.title}  ${page ? path.relative(REPO_ROOT, page) : ""}`.trimEnd());
    lines.push(`#   ${"enabled".padEnd(30)} required`);
    for (const row of settingsReference(module.contract)) {
      const when = row.onlyWhen ? `  (${row.onlyWhen})` : "";
      lines.push(`#   ${row.key.padEnd(30)} ${row.default === "—" ? (row.required ? "required" : "-") : row.default}${when}`);
    }
  }
  lines.push("# generated:end");
  return lines.join("\n");
}

function pagePath(module: ArchitectureModule): string | undefined {
  const dir = path.join(REPO_ROOT, "docs", "architectures");
  const prefix = `${String(module.number).padStart(2, "0")}-`;
  const page = fs.readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith(".md"));
  return page === undefined ? undefined : path.join(dir, page);
}

/** Replaces the text between two marker lines (exclusive), or throws when a marker is missing. */
export function replaceBetween(text: string, begin: string, end: string, body: string, file: string): string {
  const start = text.indexOf(begin);
  const stop = text.indexOf(end, start);
  if (start < 0 || stop < 0) throw new Error(`${file}: missing the markers ${begin} … ${end}`);
  const afterBegin = text.indexOf("\n", start) + 1;
  return `${text.slice(0, afterBegin)}${body}\n${text.slice(stop)}`;
}

/**
 * Each architecture's Mermaid data-flow diagram, by key. The mocks run asynchronously, so they run in
 * a child process and this stays synchronous.
 */
export function architectureDiagrams(modules: readonly ArchitectureModule[]): Record<string, string> {
  const script = path.join(REPO_ROOT, "stacks", "plan", "flow-diagram.ts");
  const out = execFileSync(process.execPath, ["--import", "tsx", script, "--json", ...modules.map((m) => m.key)], { cwd: REPO_ROOT, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(out) as Record<string, string>;
}

export function diagramSection(module: ArchitectureModule, diagram: string): string {
  return [
    `Generated from the program (\`npm run docs\`): the data flow of ${module.title} built alone at its minimal config, as`,
    "its component declares it. Plumbing (policies, bucket settings, log groups, alarms, permissions, event-source",
    `mappings, subscriptions) is hidden. \`npm run diagram -- ${module.key}\` prints this diagram from the program;`,
    `\`npm run diagram -- --all ${module.key}\` adds the plumbing.`,
    "",
    "```mermaid",
    diagram,
    "```",
  ].join("\n");
}

/** Every generated file with its expected content. */
export function generatedFiles(modules: readonly ArchitectureModule[] = ARCHITECTURES): Map<string, string> {
  const files = new Map<string, string>();
  const diagrams = architectureDiagrams(modules);
  for (const module of modules) {
    const page = pagePath(module);
    if (page === undefined) throw new Error(`${module.key}: no page docs/architectures/${String(module.number).padStart(2, "0")}-*.md`);
    const settings = replaceBetween(fs.readFileSync(page, "utf8"), "<!-- settings:begin -->", "<!-- settings:end -->", architectureSettings(module), page);
    files.set(page, replaceBetween(settings, "<!-- diagram:begin -->", "<!-- diagram:end -->", diagramSection(module, diagrams[module.key]), page));
  }
  const operations = path.join(REPO_ROOT, "docs", "operations.md");
  files.set(operations, replaceBetween(fs.readFileSync(operations, "utf8"), "<!-- defaults:begin -->", "<!-- defaults:end -->", settingsTable(settingsReference(DEFAULTS)), operations));
  const pulumiYaml = path.join(REPO_ROOT, "Pulumi.yaml");
  const yaml = fs.readFileSync(pulumiYaml, "utf8");
  const begin = yaml.indexOf("# generated:begin");
  const end = yaml.indexOf("# generated:end");
  if (begin < 0 || end < 0) throw new Error("Pulumi.yaml: missing the markers # generated:begin … # generated:end");
  files.set(pulumiYaml, `${yaml.slice(0, begin)}${pulumiYamlKeys(modules)}${yaml.slice(end + "# generated:end".length)}`);
  return files;
}

/** The generated files whose committed content differs. */
export function staleFiles(): string[] {
  return [...generatedFiles()].filter(([file, content]) => fs.readFileSync(file, "utf8") !== content).map(([file]) => path.relative(REPO_ROOT, file));
}

if (require.main === module) {
  const check = process.argv.includes("--check");
  if (check) {
    const stale = staleFiles();
    if (stale.length > 0) {
      console.error(`Out of date (run npm run docs): ${stale.join(", ")}`);
      process.exit(1);
    }
    console.log("Generated docs are up to date.");
  } else {
    for (const [file, content] of generatedFiles()) fs.writeFileSync(file, content);
    console.log("Wrote the diagrams, the settings tables, the defaults table and Pulumi.yaml's key list.");
  }
}
