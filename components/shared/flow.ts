import type * as pulumi from "@pulumi/pulumi";

/**
 * Data-flow edges, declared by the components next to the code that wires them, so the page
 * diagrams (stacks/plan/flow-diagram.ts) are drawn from the real program and cannot drift. A
 * component calls `dataFlow(from, to, "what travels")`; nothing is recorded, and nothing is
 * created, unless the offline plan is collecting (`collectDataFlows`), in-process.
 */

/** An AWS service or actor outside the component (SES, your uploaders, End User Messaging…). */
export interface ExternalNode {
  readonly external: string;
}

/** A child the component cannot reach by reference (made inside a shared helper): its type and name. */
export interface NamedNode {
  readonly type: string;
  readonly name: string;
}

export type FlowNode = pulumi.Resource | ExternalNode | NamedNode;

export interface FlowEdge {
  from: FlowNode;
  to: FlowNode;
  /** What travels: "events", "messages", "rows", "calls", … */
  label: string;
}

export function external(label: string): ExternalNode {
  return { external: label };
}

export function named(type: string, name: string): NamedNode {
  return { type, name };
}

let collecting: FlowEdge[] | undefined;

/** Records that `label` travels from `from` to `to`. An undefined end (an optional resource not created) records nothing. */
export function dataFlow(from: FlowNode | undefined, to: FlowNode | undefined, label: string): void {
  if (collecting !== undefined && from !== undefined && to !== undefined) collecting.push({ from, to, label });
}

/** Runs `program`, returning the edges the components declared meanwhile. */
export async function collectDataFlows<T>(program: () => Promise<T>): Promise<{ result: T; edges: FlowEdge[] }> {
  if (collecting !== undefined) throw new Error("collectDataFlows: already collecting");
  const edges: FlowEdge[] = [];
  collecting = edges;
  try {
    return { result: await program(), edges };
  } finally {
    collecting = undefined;
  }
}
