/**
 * SMS body encoding and segment counting. Pure: no I/O.
 *
 * A message that fits the GSM 03.38 7-bit alphabet (basic table plus the extension table, whose
 * characters cost two septets because they are sent as ESC + char) is sent as GSM-7: 160 septets
 * in one segment, or 153 septets per segment once it needs a concatenation header. Anything else is
 * sent as UCS-2: 70 UTF-16 code units in one segment, 67 per segment when concatenated.
 *
 * Segments are packed greedily the way handsets and SMSCs do: an ESC + char pair is never split
 * across two segments, nor is a UTF-16 surrogate pair, so a boundary character can push a message
 * into one more segment than a plain division would give.
 *
 * End User Messaging SMS measures throughput in message parts per second, so the segment count is
 * also what a send costs against the origination identity's MPS.
 * https://docs.aws.amazon.com/sms-voice/latest/userguide/sms-limitations-character.html
 */

export type SmsEncoding = "GSM-7" | "UCS-2";

export interface SmsBodyAnalysis {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the body occupies. */
  units: number;
  /** Number of message parts the body is sent as. 0 for an empty body. */
  segments: number;
  /** Unicode code points in the body. */
  characters: number;
}

/** GSM 03.38 basic character set (ESC, 0x1B, omitted: it is not a printable character). */
const GSM7_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/** GSM 03.38 extension table: each costs two septets (ESC + char). */
const GSM7_EXTENSION = "\f^{}\\[~]|€";

const BASIC = new Set(Array.from(GSM7_BASIC));
const EXTENSION = new Set(Array.from(GSM7_EXTENSION));

export const SEGMENT_LIMITS: Readonly<Record<SmsEncoding, { single: number; multi: number }>> = Object.freeze({
  "GSM-7": { single: 160, multi: 153 },
  "UCS-2": { single: 70, multi: 67 },
});

/** True when every character is in the GSM-7 basic or extension table. */
export function isGsm7(text: string): boolean {
  for (const ch of text) {
    if (!BASIC.has(ch) && !EXTENSION.has(ch)) return false;
  }
  return true;
}

/** Cost of each character in units of the chosen encoding (1 or 2). */
function unitCosts(text: string, encoding: SmsEncoding): number[] {
  const costs: number[] = [];
  for (const ch of text) {
    if (encoding === "GSM-7") costs.push(EXTENSION.has(ch) ? 2 : 1);
    else costs.push(ch.length); // 2 for a character outside the BMP (a surrogate pair)
  }
  return costs;
}

/** Greedy packing into segments of `capacity` units; a character never straddles two segments. */
function packSegments(costs: readonly number[], capacity: number): number {
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > capacity) {
      segments += 1;
      used = 0;
    }
    used += cost;
  }
  return segments;
}

export function analyzeSmsBody(text: string): SmsBodyAnalysis {
  const encoding: SmsEncoding = isGsm7(text) ? "GSM-7" : "UCS-2";
  const costs = unitCosts(text, encoding);
  const units = costs.reduce((sum, c) => sum + c, 0);
  const limits = SEGMENT_LIMITS[encoding];
  let segments: number;
  if (units === 0) segments = 0;
  else if (units <= limits.single) segments = 1;
  else segments = packSegments(costs, limits.multi);
  return { encoding, units, segments, characters: costs.length };
}

/** Characters that force UCS-2, de-duplicated, in order of first appearance (for error reports). */
export function nonGsm7Characters(text: string): string[] {
  const found: string[] = [];
  for (const ch of text) {
    if (!BASIC.has(ch) && !EXTENSION.has(ch) && !found.includes(ch)) found.push(ch);
  }
  return found;
}
