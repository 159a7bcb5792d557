/**
 * How a SET of values is stored in one Customer Profiles attribute, whose value is a single string
 * of at most 255 characters (UpdateProfile `Attributes`: map of string → string).
 *
 * Encoding: the values joined by "|", with a "|" before the first and after the last:
 *   ["webinar5", "webinar6"] → "|webinar5|webinar6|"      [] → "" (UpdateProfile removes it)
 * The outer delimiters make membership an exact substring test: a segment (or a query) selects
 * "holds webinar5" with CONTAINS "|webinar5|", which cannot match "webinar50". A value may not
 * contain "|" and may not be empty. Order is kept as written (current values first, then new ones).
 * A stored string without the outer delimiters (written by something else) decodes as one value.
 */
export const VALUE_SET_DELIMITER = "|";

/** UpdateProfile `Attributes` value length limit. */
export const PROFILE_ATTRIBUTE_MAX_LENGTH = 255;

export function encodeValueSet(values: readonly string[]): string {
  if (values.length === 0) return "";
  return `${VALUE_SET_DELIMITER}${values.join(VALUE_SET_DELIMITER)}${VALUE_SET_DELIMITER}`;
}

export function decodeValueSet(stored: string | undefined): string[] {
  if (stored === undefined || stored === "") return [];
  const wrapped = stored.length >= 2 && stored.startsWith(VALUE_SET_DELIMITER) && stored.endsWith(VALUE_SET_DELIMITER);
  if (!wrapped) return [stored];
  const seen = new Set<string>();
  for (const value of stored.slice(1, -1).split(VALUE_SET_DELIMITER)) if (value !== "") seen.add(value);
  return [...seen];
}

/** The encoded length of a set, without building the string. */
export function encodedLength(values: readonly string[]): number {
  if (values.length === 0) return 0;
  return values.reduce((sum, v) => sum + v.length, 0) + values.length + 1;
}

/** The exact substring a CONTAINS filter uses to test membership of `value`. */
export function membershipToken(value: string): string {
  return `${VALUE_SET_DELIMITER}${value}${VALUE_SET_DELIMITER}`;
}
