/**
 * The data-flow diagram of one architecture, drawn from the real program: the architecture is built
 * alone at its minimal config under the runtime mocks, and the edges are the ones its component
 * declared with `dataFlow` (components/shared/flow.ts). One box per meaningful resource (sources,
 * topics, queues with their DLQ beside them, functions, stores, external services); the plumbing
 * (policies, ownership and encryption settings, log groups, alarms, permissions, mappings,
 * subscriptions) only with `--all`, hung on what it depends on.
 *
 * `npx tsx stacks/plan/flow-diagram.ts [--all] [--json] [architectureKey…]` prints the Mermaid.
 */
import * as pulumi from "@pulumi/pulumi";
import { collectDataFlows, type FlowNode } from "../../components/shared/flow";
import { ARCHITECTURES, createStack, parseStackConfig } from "..";
import type { ArchitectureModule } from "../architectures";
import { runUnderMocks, type RecordedResource } from "./mock-runtime";

/** An edge end: a recorded resource (`type::name`) or an external service. */
export type Endpoint = { key: string } | { external: string };

export interface ResolvedFlow {
  from: Endpoint;
  to: Endpoint;
  label: string;
}

const QUEUE = "aws:sqs/queue:Queue";

/** What a box says it is, by resource type; anything else shows its type's last segment. */
const KINDS: Record<string, string> = {
  "aws:sns/topic:Topic": "SNS topic",
  [QUEUE]: "SQS queue",
  "aws:lambda/function:Function": "Lambda function",
  "aws:dynamodb/table:Table": "DynamoDB table",
  "aws:s3/bucket:Bucket": "S3 bucket",
  "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": "Firehose stream",
  "aws:sesv2/configurationSet:ConfigurationSet": "SES configuration set",
  "aws:ses/receiptRule:ReceiptRule": "SES receipt rule",
  "aws:ses/template:Template": "SES template",
  "aws:pinpoint/app:App": "Pinpoint project",
  "aws:pinpoint/smsvoicev2PhoneNumber:Smsvoicev2PhoneNumber": "phone number",
  "aws:pinpoint/smsvoicev2OptOutList:Smsvoicev2OptOutList": "opt-out list",
};

/** Mermaid shapes: [open, close]. */
const SHAPES: Record<string, [string, string]> = {
  "aws:lambda/function:Function": ["([", "])"],
  "aws:dynamodb/table:Table": ["[(", ")]"],
  "aws:s3/bucket:Bucket": ["[(", ")]"],
  [QUEUE]: ["[[", "]]"],
  "aws:sns/topic:Topic": [">", "]"],
};

function kindOf(type: string): string {
  return KINDS[type] ?? type.split(":").pop() ?? type;
}

function text(s: string): string {
  return `"${s.replace(/"/g, "#quot;")}"`;
}

/** The Mermaid `flowchart LR` of the declared flows over the recorded resources. */
export function renderFlowDiagram(resources: RecordedResource[], flows: ResolvedFlow[], options: { all?: boolean } = {}): string {
  const byKey = new Map(resources.map((r) => [r.key, r]));
  const ids = new Map<string, string>();
  const used = new Set<string>();
  const idOf = (end: Endpoint): string => {
    const ref = "key" in end ? end.key : `external::${end.external}`;
    let id = ids.get(ref);
    if (id === undefined) {
      const base = ("key" in end ? (byKey.get(end.key)?.name ?? end.key) : `ext-${end.external}`).replace(/[^A-Za-z0-9]+/g, "_").replace(/^_|_$/g, "");
      id = base;
      for (let i = 2; used.has(id); i++) id = `${base}_${i}`;
      used.add(id);
      ids.set(ref, id);
    }
    return id;
  };
  const nodes: string[] = [];
  const declared = new Set<string>();
  const declare = (end: Endpoint, kind?: string): string => {
    const id = idOf(end);
    if (!declared.has(id)) {
      declared.add(id);
      if ("external" in end) nodes.push(`  ${id}{{${text(end.external)}}}`);
      else {
        const r = byKey.get(end.key);
        const type = r?.type ?? "";
        const [open, close] = SHAPES[type] ?? ["[", "]"];
        nodes.push(`  ${id}${open}${text(`${kind ?? kindOf(type)}<br/>${r?.name ?? end.key}`)}${close}`);
      }
    }
    return id;
  };

  // Queues with a dead-letter queue (their redrive policy depends on it): the pair is one group.
  const dlqOf = new Map<string, string>();
  for (const r of resources) {
    if (r.type !== QUEUE) continue;
    const dlq = r.dependencies.find((d) => byKey.get(d)?.type === QUEUE);
    if (dlq !== undefined && typeof r.inputs.redrivePolicy === "string") dlqOf.set(r.key, dlq);
  }
  const deadLetterQueues = new Set(dlqOf.values());
  const kindFor = (end: Endpoint) => ("key" in end && deadLetterQueues.has(end.key) ? "SQS dead-letter queue" : undefined);

  const groups: string[] = [];
  const edges: string[] = [];
  const seenEdges = new Set<string>();
  const edge = (line: string) => {
    if (!seenEdges.has(line)) {
      seenEdges.add(line);
      edges.push(line);
    }
  };
  const ends = flows.flatMap((f) => [f.from, f.to]);
  for (const end of ends) {
    if (!("key" in end)) continue;
    const dlq = dlqOf.get(end.key);
    if (dlq === undefined || declared.has(idOf(end))) continue;
    groups.push(`  subgraph ${idOf(end)}_group[${text("queue + DLQ")}]`);
    const before = nodes.length;
    declare(end);
    declare({ key: dlq }, "SQS dead-letter queue");
    groups.push(...nodes.splice(before).map((n) => `  ${n}`), "  end");
    edge(`  ${idOf(end)} -.->|${text(`after ${maxReceiveCount(byKey.get(end.key)!) ?? "n"} receives`)}| ${idOf({ key: dlq })}`);
  }
  for (const f of flows) edge(`  ${declare(f.from, kindFor(f.from))} -->|${text(f.label)}| ${declare(f.to, kindFor(f.to))}`);

  if (options.all) {
    const shown = new Set([...ids.keys()]);
    for (const r of resources.filter((x) => x.custom && !shown.has(x.key))) declare({ key: r.key });
    for (const r of resources.filter((x) => x.custom && !shown.has(x.key))) {
      for (const d of r.dependencies) if (byKey.get(d)?.custom) edge(`  ${idOf({ key: r.key })} -.- ${idOf({ key: d })}`);
    }
  }
  return ["flowchart LR", ...groups, ...nodes, ...edges].join("\n");
}

function maxReceiveCount(queue: RecordedResource): number | undefined {
  try {
    return (JSON.parse(queue.inputs.redrivePolicy as string) as { maxReceiveCount?: number }).maxReceiveCount;
  } catch {
    return undefined;
  }
}

/** The stack config that builds `module` alone at its minimal config (with any module it requires). */
export function aloneConfig(module: ArchitectureModule, modules: readonly ArchitectureModule[] = ARCHITECTURES): Record<string, unknown> {
  const requires = module.requires?.(module.contract.settings.parse(module.minimalConfig) as never) ?? [];
  const raw: Record<string, unknown> = { [module.key]: { enabled: true, ...module.minimalConfig } };
  for (const provider of new Set(requires.map((c) => c.provider))) raw[provider] = { enabled: true, ...modules.find((m) => m.key === provider)!.minimalConfig };
  return raw;
}

/** Builds `module` alone under the mocks and returns what it registered and the flows its component declared. */
export async function architectureFlows(module: ArchitectureModule): Promise<{ resources: RecordedResource[]; flows: ResolvedFlow[] }> {
  const keyOf = new Map<pulumi.Resource, string>();
  const { result: run, edges } = await collectDataFlows(() =>
    runUnderMocks(
      () => {
        pulumi.runtime.registerStackTransformation((args) => {
          keyOf.set(args.resource, `${args.type}::${args.name}`);
          return undefined;
        });
        return createStack(parseStackConfig(aloneConfig(module)));
      },
      { stack: `diagram-${module.key}` },
    ),
  );
  const keys = new Set(run.resources.map((r) => r.key));
  const resolve = (node: FlowNode): Endpoint => {
    if ("external" in node) return { external: node.external };
    if (pulumi.Resource.isInstance(node)) {
      const key = keyOf.get(node);
      if (key === undefined) throw new Error(`dataFlow: a resource the program did not register`);
      return { key };
    }
    const key = `${node.type}::${node.name}`;
    if (!keys.has(key)) throw new Error(`dataFlow: no ${key} in the program`);
    return { key };
  };
  return { resources: run.resources, flows: edges.map((e) => ({ from: resolve(e.from), to: resolve(e.to), label: e.label })) };
}

/** The Mermaid data-flow diagram of `module`, built alone at its minimal config. */
export async function architectureDiagram(module: ArchitectureModule, options: { all?: boolean } = {}): Promise<string> {
  const { resources, flows } = await architectureFlows(module);
  return renderFlowDiagram(resources, flows, options);
}

if (require.main === module) {
  void (async () => {
    const args = process.argv.slice(2);
    const all = args.includes("--all");
    const wanted = args.filter((a) => !a.startsWith("--"));
    const unknown = wanted.filter((k) => !ARCHITECTURES.some((m) => m.key === k));
    if (unknown.length > 0) {
      console.error(`unknown architecture ${unknown.join(", ")} (architectures: ${ARCHITECTURES.map((m) => m.key).join(", ")})`);
      process.exit(2);
    }
    const diagrams: Record<string, string> = {};
    for (const m of ARCHITECTURES.filter((x) => wanted.length === 0 || wanted.includes(x.key))) diagrams[m.key] = await architectureDiagram(m, { all });
    if (args.includes("--json")) process.stdout.write(JSON.stringify(diagrams));
    else for (const [key, diagram] of Object.entries(diagrams)) console.log(`%% ${key}\n${diagram}\n`);
  })();
}
