/**
 * Offer attributes as endpoint attributes, within limits. Pinpoint endpoint attributes are lists
 * of strings with documented quotas (name ≤ 50 characters, value ≤ 100 characters, ≤ 50 values per
 * attribute, 40 custom attributes per project); whether Pinpoint applies them to definitions a
 * FILTER hook returns is not documented, so the hook keeps within them. A value is never
 * truncated (a cut offer code is a wrong offer): an attribute that does not fit is left out and
 * reported.
 * https://docs.aws.amazon.com/pinpoint/latest/developerguide/quotas.html
 */
import type { Offer } from "./offers";

export interface AttributeLimits {
  maxNameLength: number;
  maxValueLength: number;
  maxValuesPerAttribute: number;
  /** Attributes an endpoint may carry in total, its own included. */
  maxAttributes: number;
}

export const PINPOINT_ATTRIBUTE_LIMITS: AttributeLimits = Object.freeze({ maxNameLength: 50, maxValueLength: 100, maxValuesPerAttribute: 50, maxAttributes: 40 });

export interface DroppedAttribute {
  name: string;
  reason: "name-too-long" | "value-too-long" | "too-many-values" | "unsupported-type" | "too-many-attributes";
}

export interface LimitedAttributes {
  attributes: Record<string, string[]>;
  dropped: DroppedAttribute[];
}

function asValues(value: unknown): string[] | undefined {
  const scalar = (v: unknown) => (typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : undefined);
  if (Array.isArray(value) || value instanceof Set) {
    const values = [...value].map(scalar);
    return values.every((v) => v !== undefined) ? (values as string[]) : undefined;
  }
  const one = scalar(value);
  return one === undefined ? undefined : [one];
}

/**
 * The offer as endpoint attributes (name → list of strings), in name order, keeping only what fits
 * `limits` next to `existing` attributes (an offer attribute replaces an existing one of the same
 * name, so it does not count twice).
 */
export function limitOfferAttributes(offer: Offer, limits: AttributeLimits, existing: readonly string[] = []): LimitedAttributes {
  const attributes: Record<string, string[]> = {};
  const dropped: DroppedAttribute[] = [];
  const taken = new Set(existing);
  for (const name of Object.keys(offer).sort()) {
    const values = asValues(offer[name]);
    if (name.length === 0 || name.length > limits.maxNameLength) dropped.push({ name, reason: "name-too-long" });
    else if (values === undefined) dropped.push({ name, reason: "unsupported-type" });
    else if (values.length > limits.maxValuesPerAttribute) dropped.push({ name, reason: "too-many-values" });
    else if (values.some((v) => v.length > limits.maxValueLength)) dropped.push({ name, reason: "value-too-long" });
    else if (!taken.has(name) && taken.size >= limits.maxAttributes) dropped.push({ name, reason: "too-many-attributes" });
    else {
      attributes[name] = values;
      taken.add(name);
    }
  }
  return { attributes, dropped };
}

/** Template data from endpoint-style attributes: a one-value list becomes the value itself. */
export function attributesForTemplate(attributes: Record<string, readonly string[]> | undefined): Record<string, string | readonly string[]> {
  return Object.fromEntries(Object.entries(attributes ?? {}).map(([k, v]) => [k, v.length === 1 ? v[0] : v]));
}
