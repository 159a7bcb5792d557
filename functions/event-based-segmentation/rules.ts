/**
 * The rule engine (pure): which rules an event triggers, and the person update they make.
 */
import type { AttributeChange, AttributeStoreTarget, PersonRef, PersonUpdate } from "../shared/profiles/store";
import type { SegmentRule } from "./contract";
import type { SegmentEvent } from "./events";

/** The person kinds each target can locate. */
export const LOCATABLE: Record<AttributeStoreTarget, ReadonlySet<PersonRef["kind"]>> = {
  customerProfiles: new Set(["profileKey", "email", "phone"]),
  pinpoint: new Set(["endpointId"]),
};

export function ruleMatches(rule: SegmentRule, event: SegmentEvent): boolean {
  if (rule.eventType !== event.eventType) return false;
  return Object.entries(rule.match ?? {}).every(([key, value]) => event.attributes[key] === value);
}

/** The changes an event makes, in rule order. */
export function changesFor(event: SegmentEvent, rules: readonly SegmentRule[]): AttributeChange[] {
  return rules.filter((r) => ruleMatches(r, event)).map((r) => ({ attribute: r.attribute, mode: r.mode, values: [r.value] }));
}

export type EventDecision =
  | { action: "update"; update: PersonUpdate }
  /** No rule applies to this event type / attributes. */
  | { action: "ignore" }
  /** A rule applies, but the event does not identify a person this target can locate. */
  | { action: "unidentified" };

export function decide(event: SegmentEvent, rules: readonly SegmentRule[], target: AttributeStoreTarget): EventDecision {
  const changes = changesFor(event, rules);
  if (changes.length === 0) return { action: "ignore" };
  const person = event.identities.find((p) => LOCATABLE[target].has(p.kind));
  if (person === undefined) return { action: "unidentified" };
  return { action: "update", update: { person, changes } };
}
