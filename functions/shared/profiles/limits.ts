import type { AttributeLimits } from "./store";
import { PROFILE_ATTRIBUTE_MAX_LENGTH, VALUE_SET_DELIMITER } from "./value-set";

/**
 * Pinpoint endpoint custom attributes: ≤ 50 values per attribute, each ≤ 100 characters,
 * attribute names ≤ 50 characters (Pinpoint quotas, "Endpoint" section).
 */
export const PINPOINT_LIMITS: AttributeLimits = Object.freeze({
  maxValues: 50,
  maxValueLength: 100,
  maxEncodedLength: undefined,
  maxNameLength: 50,
  forbiddenInValue: undefined,
});

/**
 * Customer Profiles `Attributes`: keys 1–255 and values 0–255 characters (UpdateProfile). A set is
 * one encoded string (value-set.ts), so the binding limit is the encoded length; 127 one-character
 * values is the most that fits ("|a|b|…|" is 2n + 1 characters).
 */
export const CUSTOMER_PROFILES_LIMITS: AttributeLimits = Object.freeze({
  maxValues: Math.floor((PROFILE_ATTRIBUTE_MAX_LENGTH - 1) / 2),
  maxValueLength: PROFILE_ATTRIBUTE_MAX_LENGTH - 2,
  maxEncodedLength: PROFILE_ATTRIBUTE_MAX_LENGTH,
  maxNameLength: 255,
  forbiddenInValue: VALUE_SET_DELIMITER,
});

/** Why one value cannot be stored under these limits, or undefined when it can. */
export function valueProblem(value: string, limits: AttributeLimits): string | undefined {
  if (value === "") return "empty value";
  if (value.length > limits.maxValueLength) return `value longer than ${limits.maxValueLength} characters`;
  if (limits.forbiddenInValue !== undefined && value.includes(limits.forbiddenInValue)) return `value contains "${limits.forbiddenInValue}"`;
  return undefined;
}

/** Why an attribute name cannot be stored, or undefined when it can. */
export function nameProblem(name: string, limits: AttributeLimits): string | undefined {
  if (name === "") return "empty attribute name";
  if (name.length > limits.maxNameLength) return `attribute name longer than ${limits.maxNameLength} characters`;
  return undefined;
}
