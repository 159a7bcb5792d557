/**
 * The archive's key layout. Every object of one recipient lives under `<prefix>/<segment>/`, so a
 * person's archive is erased by deleting one prefix (every version and delete marker: see
 * functions/message-archiver/erasure.ts). Object names are deterministic, so a retry or a
 * redelivery of the same message lands on the same key.
 *
 * - Legacy (`pinpoint` target), the seed's layout kept: `<prefix>/<endpoint>/<YYYY>/<MM>/<DD>/<HH>/<id>.eml`,
 *   UTC from the event's `event_timestamp` (the same on every delivery of the event).
 * - Send time (the archive send step): `<prefix>/<recipient id>/<id>.<ext>`. No time folders: the
 *   step sees no time that is the same on every attempt of a message (a retry an hour later would
 *   land in another folder and duplicate the record); the send time is inside the object.
 */
import { createHash } from "node:crypto";

/** The send step's registered name (functions/shared/sending/archive-step.ts), shared with the component. */
export const ARCHIVE_STEP = "archive";
export const DEFAULT_ARCHIVE_PREFIX = "archive";
/** A key prefix without leading or trailing "/": S3-safe characters only. */
export const ARCHIVE_PREFIX_PATTERN = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/** 32 hex characters of the SHA-256 of the parts: a message's object name. */
export function objectIdFor(parts: readonly string[]): string {
  return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 32);
}

/** Everything archived for one recipient segment is under this prefix (trailing "/": `abc` never matches `abcd`). */
export function recipientPrefix(prefix: string, segment: string): string {
  return `${prefix}/${segment}/`;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `<YYYY>/<MM>/<DD>/<HH>` in UTC. */
export function hourFolders(timestampMs: number): string {
  const d = new Date(timestampMs);
  if (Number.isNaN(d.getTime())) throw new Error(`invalid timestamp ${timestampMs}`);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}`;
}

/** The legacy (seed) key: `<prefix>/<endpoint segment>/<YYYY>/<MM>/<DD>/<HH>/<objectId>.eml`. */
export function legacyArchiveKey(prefix: string, segment: string, eventTimestampMs: number, objectId: string): string {
  return `${recipientPrefix(prefix, segment)}${hourFolders(eventTimestampMs)}/${objectId}.eml`;
}

/** The send-time key: `<prefix>/<recipient id>/<objectId>.<extension>`. */
export function sendTimeArchiveKey(prefix: string, recipientId: string, objectId: string, extension: "json" | "eml"): string {
  return `${recipientPrefix(prefix, recipientId)}${objectId}.${extension}`;
}
