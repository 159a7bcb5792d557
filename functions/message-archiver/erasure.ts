/**
 * Erasure of one person's archive: every object version and delete marker under their recipient
 * prefixes (`<prefix>/<segment>/`, the trailing "/" so that one id never matches a longer one).
 *
 * - The person is named by what the caller knows: email addresses, phone numbers (hashed into
 *   recipient ids, functions/shared/archive/recipient.ts), Pinpoint endpoint ids (legacy), or
 *   recipient ids directly. Each becomes one prefix.
 * - Object Lock: when the bucket has Object Lock enabled, every object version is checked
 *   (retention date in the future in either mode, or a legal hold) BEFORE anything is deleted. If
 *   any is locked, nothing is deleted and the report says which versions, in which mode and until
 *   when. Governance-mode retention is never bypassed: that is an explicit, audited decision for
 *   a person with s3:BypassGovernanceRetention, outside this tool.
 * - Deletion is by version id (DeleteObjects, 1000 per call), so nothing is left behind as a
 *   noncurrent version or delete marker. Afterwards the prefixes are listed again; anything still
 *   there (a write that raced the erasure, a per-key error) makes the result INCOMPLETE.
 */
import { recipientPrefix } from "../shared/archive/layout";
import { endpointSegment, isAddressRecipientId, recipientIdFor } from "../shared/archive/recipient";

export interface ArchiveVersion {
  key: string;
  versionId: string;
  deleteMarker: boolean;
}

export interface VersionLock {
  mode?: string;
  retainUntil?: Date;
  legalHold: boolean;
}

export interface ErasureStore {
  versions(bucket: string, prefix: string): AsyncIterable<ArchiveVersion>;
  objectLockEnabled(bucket: string): Promise<boolean>;
  lock(bucket: string, version: ArchiveVersion): Promise<VersionLock>;
  deleteVersions(
    bucket: string,
    versions: readonly ArchiveVersion[],
  ): Promise<{ deleted: { key: string; versionId: string }[]; errors: { key: string; versionId: string; code: string; message: string }[] }>;
}

export interface ErasureRequest {
  emails?: string[];
  phones?: string[];
  endpointIds?: string[];
  recipientIds?: string[];
  /** Report what would be deleted; delete nothing. */
  dryRun?: boolean;
}

export type ErasureStatus = "ERASED" | "NOTHING_FOUND" | "DRY_RUN" | "REFUSED" | "INCOMPLETE";

export interface ErasureReport {
  status: ErasureStatus;
  message: string;
  bucket: string;
  prefixes: string[];
  /** Object versions and delete markers deleted (or, for a dry run, found). */
  versions: number;
  deleteMarkers: number;
  deleted: { key: string; versionId: string; deleteMarker: boolean }[];
  locked: { key: string; versionId: string; mode?: string; retainUntil?: string; legalHold: boolean }[];
  errors: { key: string; versionId: string; code: string; message: string }[];
  remaining: number;
}

export const DELETE_BATCH = 1000;

/** The prefixes a request names, one per identifier (invalid identifiers throw, naming the field). */
export function erasurePrefixes(prefix: string, request: ErasureRequest): string[] {
  const segments = [
    ...(request.emails ?? []).map((e) => recipientIdFor("email", e)),
    ...(request.phones ?? []).map((p) => recipientIdFor("phone", p)),
    ...(request.endpointIds ?? []).map(endpointSegment),
    ...(request.recipientIds ?? []).map((id) => {
      if (!isAddressRecipientId(id)) throw new Error(`recipientIds: "${id}" is not a recipient id (!r followed by 40 hex digits)`);
      return id;
    }),
  ];
  if (segments.length === 0) throw new Error("name the person: at least one of emails, phones, endpointIds, recipientIds");
  return [...new Set(segments)].map((s) => recipientPrefix(prefix, s));
}

async function listAll(store: ErasureStore, bucket: string, prefixes: string[]): Promise<ArchiveVersion[]> {
  const all: ArchiveVersion[] = [];
  for (const p of prefixes) for await (const v of store.versions(bucket, p)) all.push(v);
  return all;
}

export async function eraseRecipient(store: ErasureStore, bucket: string, prefix: string, request: ErasureRequest, now: Date = new Date()): Promise<ErasureReport> {
  const prefixes = erasurePrefixes(prefix, request);
  const found = await listAll(store, bucket, prefixes);
  const report: ErasureReport = {
    status: "NOTHING_FOUND",
    message: "",
    bucket,
    prefixes,
    versions: found.filter((v) => !v.deleteMarker).length,
    deleteMarkers: found.filter((v) => v.deleteMarker).length,
    deleted: [],
    locked: [],
    errors: [],
    remaining: found.length,
  };
  if (found.length === 0) return { ...report, message: `nothing is archived under ${prefixes.join(", ")}` };

  if (await store.objectLockEnabled(bucket)) {
    for (const version of found.filter((v) => !v.deleteMarker)) {
      const lock = await store.lock(bucket, version);
      const retained = lock.retainUntil !== undefined && lock.retainUntil.getTime() > now.getTime();
      if (retained || lock.legalHold) {
        report.locked.push({ key: version.key, versionId: version.versionId, mode: retained ? lock.mode : undefined, retainUntil: retained ? lock.retainUntil!.toISOString() : undefined, legalHold: lock.legalHold });
      }
    }
    if (report.locked.length > 0) {
      const latest = report.locked.map((l) => l.retainUntil).filter((d): d is string => d !== undefined).sort().pop();
      const modes = [...new Set(report.locked.map((l) => l.mode).filter((m): m is string => m !== undefined))];
      return {
        ...report,
        status: "REFUSED",
        message:
          `refused: ${report.locked.length} of ${report.versions} archived versions are protected by S3 Object Lock` +
          (modes.length > 0 ? ` (${modes.join(", ")} mode${latest ? `, retained until ${latest}` : ""})` : "") +
          (report.locked.some((l) => l.legalHold) ? " or a legal hold" : "") +
          "; nothing was deleted. Erase after the retention date, or have an authorized person lift the hold or bypass governance retention.",
      };
    }
  }

  if (request.dryRun) {
    return { ...report, status: "DRY_RUN", deleted: found.map((v) => ({ ...v })), message: `dry run: ${found.length} versions and delete markers would be deleted` };
  }

  for (let i = 0; i < found.length; i += DELETE_BATCH) {
    const batch = found.slice(i, i + DELETE_BATCH);
    const result = await store.deleteVersions(bucket, batch);
    const markers = new Set(batch.filter((v) => v.deleteMarker).map((v) => `${v.key}\u0000${v.versionId}`));
    report.deleted.push(...result.deleted.map((d) => ({ ...d, deleteMarker: markers.has(`${d.key}\u0000${d.versionId}`) })));
    report.errors.push(...result.errors);
  }
  report.remaining = (await listAll(store, bucket, prefixes)).length;
  if (report.errors.length > 0 || report.remaining > 0) {
    return { ...report, status: "INCOMPLETE", message: `deleted ${report.deleted.length}; ${report.errors.length} errors, ${report.remaining} versions still under the prefixes: run it again` };
  }
  return { ...report, status: "ERASED", message: `deleted ${report.deleted.length} versions and delete markers under ${prefixes.join(", ")}` };
}
