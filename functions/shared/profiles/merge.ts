/**
 * The pure set / add / remove logic of the attribute store: fold a person's changes (in event
 * order) into one delta per attribute, apply the delta to the current values, check the target's
 * limits. No SDK here: tested table-driven on its own, reused by both adapters.
 */
import type { AttributeChange, AttributeLimits, PersonRef, PersonUpdate } from "./store";
import { encodedLength } from "./value-set";
import { nameProblem, valueProblem } from "./limits";

/**
 * The net effect of a sequence of changes on one attribute:
 * final = (replace ?? current) ∪ add − remove, where `add` and `remove` are disjoint.
 * `replace` is set by the last `set`. Both adapters read the current values anyway (to locate the
 * person, and to write nothing when nothing changes).
 */
export interface AttributeDelta {
  replace: string[] | undefined;
  add: string[];
  remove: string[];
}

function without(values: readonly string[], drop: readonly string[]): string[] {
  if (drop.length === 0) return [...values];
  const d = new Set(drop);
  return values.filter((v) => !d.has(v));
}

function union(values: readonly string[], more: readonly string[]): string[] {
  const out = [...values];
  const seen = new Set(values);
  for (const v of more) {
    if (!seen.has(v)) {
      seen.add(v);
      out.push(v);
    }
  }
  return out;
}

/** Folds changes, in order, into one delta per attribute (attribute order of first appearance). */
export function foldChanges(changes: readonly AttributeChange[]): Map<string, AttributeDelta> {
  const deltas = new Map<string, AttributeDelta>();
  for (const change of changes) {
    const d = deltas.get(change.attribute) ?? { replace: undefined, add: [], remove: [] };
    const values = union([], change.values);
    switch (change.mode) {
      case "set":
        d.replace = values;
        d.add = [];
        d.remove = [];
        break;
      case "add":
        d.add = union(d.add, values);
        d.remove = without(d.remove, values);
        break;
      case "remove":
        d.remove = union(d.remove, values);
        d.add = without(d.add, values);
        break;
    }
    deltas.set(change.attribute, d);
  }
  return deltas;
}

/** The attribute's values after the delta: current order kept, new values appended in order. */
export function applyDelta(current: readonly string[], delta: AttributeDelta): string[] {
  return without(union(delta.replace ?? current, delta.add), delta.remove);
}

/** Same members, regardless of order and repeats. */
export function sameValues(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size !== sb.size) return false;
  for (const v of sa) if (!sb.has(v)) return false;
  return true;
}

/** Why a change's values can never be stored under these limits (checked before any read). */
export function changeProblem(change: AttributeChange, limits: AttributeLimits): string | undefined {
  const name = nameProblem(change.attribute, limits);
  if (name) return `${change.attribute.slice(0, 64)}: ${name}`;
  for (const v of change.values) {
    const p = valueProblem(v, limits);
    if (p) return `${change.attribute}: ${p}`;
  }
  return undefined;
}

/** Why a merged value set cannot be stored under these limits, or undefined when it can. */
export function mergedProblem(attribute: string, values: readonly string[], limits: AttributeLimits): string | undefined {
  if (values.length > limits.maxValues) return `${attribute}: ${values.length} values, more than ${limits.maxValues}`;
  if (limits.maxEncodedLength !== undefined && encodedLength(values) > limits.maxEncodedLength) {
    return `${attribute}: encoded set of ${encodedLength(values)} characters, more than ${limits.maxEncodedLength}`;
  }
  return undefined;
}

/** One key per person, for folding updates: kind, search key name and value. */
export function personKey(person: PersonRef): string {
  switch (person.kind) {
    case "profileKey":
      return `profileKey\u0000${person.keyName}\u0000${person.value}`;
    default:
      return `${person.kind}\u0000${person.value}`;
  }
}

/** The updates grouped per person, each with its changes in input order and the input indexes. */
export interface PersonPlan {
  person: PersonRef;
  inputs: number[];
  deltas: Map<string, AttributeDelta>;
  /** The first change that can never be stored, if any: the whole person is then "invalid". */
  problem: string | undefined;
}

export function planPerPerson(updates: readonly PersonUpdate[], limits: AttributeLimits): PersonPlan[] {
  const grouped = new Map<string, { person: PersonRef; inputs: number[]; changes: AttributeChange[] }>();
  updates.forEach((u, index) => {
    const key = personKey(u.person);
    const g = grouped.get(key) ?? { person: u.person, inputs: [], changes: [] };
    g.inputs.push(index);
    g.changes.push(...u.changes);
    grouped.set(key, g);
  });
  return [...grouped.values()].map((g) => {
    const problem = g.changes.map((c) => changeProblem(c, limits)).find((p) => p !== undefined);
    return { person: g.person, inputs: g.inputs, deltas: foldChanges(g.changes), problem };
  });
}

/**
 * The attributes to write for one person given its current values: only the attributes whose
 * merged value set differs from the current one. `problem` when a merged set exceeds the limits.
 */
export function mergeForPerson(
  deltas: Map<string, AttributeDelta>,
  current: (attribute: string) => readonly string[],
  limits: AttributeLimits,
): { changed: Map<string, string[]>; problem: string | undefined } {
  const changed = new Map<string, string[]>();
  for (const [attribute, delta] of deltas) {
    const now = current(attribute);
    const next = applyDelta(now, delta);
    const problem = mergedProblem(attribute, next, limits);
    if (problem) return { changed: new Map(), problem };
    if (!sameValues(now, next)) changed.set(attribute, next);
  }
  return { changed, problem: undefined };
}
