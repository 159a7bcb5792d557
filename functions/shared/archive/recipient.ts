/**
 * Recipient identifiers that are safe in S3 keys, for the per-recipient archive layout
 * (`<prefix>/<recipient segment>/…`). Two kinds, disjoint by construction:
 *
 * - an address (email or phone) becomes `!r` + 40 hex characters: the SHA-256 of a fixed label, the
 *   kind and the normalized address. The address never appears in a key or a listing, and a caller
 *   maps a person to the identifier by computing it again (`recipientIdFor`, the erase CLI's
 *   `--email` / `--phone`). It is a pseudonym, not a secret: anyone who knows an address can compute
 *   its identifier, so bucket access stays restricted.
 * - a Pinpoint endpoint id (the legacy target keeps the seed's `archive/<EndpointId>/…` layout) is
 *   kept as is when it holds only letters, digits, "_", "." and "-", and every other byte is written
 *   as `!` + two upper-case hex digits of its UTF-8 encoding (a leading "." too, so "." and ".."
 *   cannot appear as a segment). An encoded endpoint id therefore never starts with `!r`.
 */
import { createHash } from "node:crypto";

export type AddressKind = "email" | "phone";

const ID_LABEL = "due-message-archive/v1";
const E164 = /^\+[1-9]\d{1,14}$/;

/** Lower-cased and trimmed: the archive treats addresses case-insensitively (as SES and most mailboxes do). */
export function normalizeEmail(address: string): string {
  const value = address.trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+$/.test(value)) throw new Error("not an email address");
  return value;
}

/** E.164 with spaces, dashes, dots and parentheses removed. */
export function normalizePhone(number: string): string {
  const value = number.replace(/[\s().-]/g, "");
  if (!E164.test(value)) throw new Error("not an E.164 phone number (+ and 2–15 digits)");
  return value;
}

/** The recipient identifier of an address: `!r` + the first 40 hex characters of its SHA-256. */
export function recipientIdFor(kind: AddressKind, address: string): string {
  const normalized = kind === "email" ? normalizeEmail(address) : normalizePhone(address);
  return `!r${createHash("sha256").update(`${ID_LABEL}\n${kind}\n${normalized}`).digest("hex").slice(0, 40)}`;
}

/** True for a value `recipientIdFor` can return. */
export function isAddressRecipientId(value: string): boolean {
  return /^!r[0-9a-f]{40}$/.test(value);
}

const KEPT = /[A-Za-z0-9_.-]/;

/** An endpoint id as a key segment (see the module comment); the identity for the seed's ids. */
export function endpointSegment(endpointId: string): string {
  if (endpointId === "") throw new Error("an endpoint id must not be empty");
  let out = "";
  let first = true;
  for (const ch of endpointId) {
    if (KEPT.test(ch) && !(first && ch === ".")) out += ch;
    else for (const byte of Buffer.from(ch, "utf8")) out += `!${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    first = false;
  }
  return out;
}

/** Reverses endpointSegment. */
export function endpointIdFromSegment(segment: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < segment.length; i++) {
    if (segment[i] === "!") {
      bytes.push(parseInt(segment.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(segment.charCodeAt(i));
  }
  return Buffer.from(bytes).toString("utf8");
}
