/** Trino SQL through node-sql-parser: parse, and list the column paths a statement references. */
import { Parser } from "node-sql-parser";

/**
 * node-sql-parser's Trino grammar has no MAP(K, V) type: the CAST target is swapped for JSON
 * before parsing (the expression inside the CAST is still parsed and checked).
 */
export function parseTrino(sql: string): unknown {
  return new Parser().astify(sql.replace(/AS MAP\(VARCHAR, VARCHAR\)\)/g, "AS JSON)"), { database: "trino" });
}

/** Every column reference in the AST, as a path: `facets.email_channel.mail_event.mail.message_id` → [facets, email_channel, ...]. */
export function columnPaths(node: unknown, out: string[][] = []): string[][] {
  if (Array.isArray(node)) {
    for (const child of node) columnPaths(child, out);
    return out;
  }
  if (typeof node !== "object" || node === null) return out;
  const n = node as Record<string, unknown>;
  if (n.type === "column_ref") {
    const prefix = [n.schema, n.table].filter((p): p is string => typeof p === "string");
    out.push([...prefix, ...flattenDots(n.column)]);
    return out;
  }
  for (const value of Object.values(n)) columnPaths(value, out);
  return out;
}

function flattenDots(expr: unknown): string[] {
  if (typeof expr === "string") return [expr];
  const e = expr as Record<string, unknown>;
  if (e.type === "binary_expr" && e.operator === ".") return [...flattenDots(e.left), ...flattenDots(e.right)];
  if ("expr" in e) return flattenDots(e.expr);
  if (typeof e.value === "string") return [e.value];
  throw new Error(`unexpected column expression ${JSON.stringify(expr)}`);
}

