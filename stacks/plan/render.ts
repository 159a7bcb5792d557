import { PolicyResource, Violation } from "../../policy/policies";
import { RecordedResource } from "./mock-runtime";

/** The resources as an indented tree (type, name), children under their parent. */
export function renderTree(resources: RecordedResource[]): string {
  const children = new Map<string | undefined, RecordedResource[]>();
  for (const r of resources) {
    const list = children.get(r.parent) ?? [];
    list.push(r);
    children.set(r.parent, list);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, prefix: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((r, i) => {
      const last = i === list.length - 1;
      lines.push(`${prefix}${last ? "└─ " : "├─ "}${r.type}  ${r.name}`);
      walk(r.key, `${prefix}${last ? "   " : "│  "}`);
    });
  };
  walk(undefined, "");
  return lines.join("\n");
}

/** Custom resources counted by type, most frequent first. */
export function countByType(resources: RecordedResource[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of resources.filter((x) => x.custom)) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * A Mermaid flowchart: every component is a subgraph (so each architecture is one box), every
 * provider resource a node, and an edge from each resource to the resources it depends on.
 */
export function renderMermaid(resources: RecordedResource[]): string {
  const ids = new Map<string, string>();
  resources.forEach((r, i) => ids.set(r.key, `r${i}`));
  const children = new Map<string | undefined, RecordedResource[]>();
  for (const r of resources) {
    const list = children.get(r.parent) ?? [];
    list.push(r);
    children.set(r.parent, list);
  }
  const label = (r: RecordedResource) => {
    const shortType = r.type.split(":").pop() ?? r.type;
    return `"${r.name}<br/><small>${shortType}</small>"`.replace(/[[\]{}]/g, "");
  };
  const lines = ["flowchart LR"];
  const walk = (parent: string | undefined, indent: string) => {
    for (const r of children.get(parent) ?? []) {
      const id = ids.get(r.key)!;
      if (r.custom) {
        lines.push(`${indent}${id}[${label(r)}]`);
      } else {
        lines.push(`${indent}subgraph ${id}[${label(r)}]`);
        walk(r.key, `${indent}  `);
        lines.push(`${indent}end`);
      }
    }
  };
  walk(undefined, "  ");
  const customKeys = new Set(resources.filter((r) => r.custom).map((r) => r.key));
  for (const r of resources.filter((x) => x.custom)) {
    for (const dep of r.dependencies) {
      if (customKeys.has(dep)) lines.push(`  ${ids.get(r.key)} --> ${ids.get(dep)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Recorded resources in the shape the policies read. */
export function toPolicyResources(resources: RecordedResource[]): PolicyResource[] {
  return resources
    .filter((r) => r.custom)
    .map((r) => ({ key: r.key, type: r.type, name: r.name, props: r.inputs, dependencies: r.dependencies }));
}

export function renderViolations(violations: Violation[]): string {
  return violations.map((v) => `  ✗ [${v.policy}] ${v.resource}: ${v.message}`).join("\n");
}
