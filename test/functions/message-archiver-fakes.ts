/**
 * A simulated versioned S3 bucket behind aws-sdk-client-mock, for #6's tests and benchmark: the
 * semantics the archive relies on (conditional writes with If-None-Match / If-Match, versions and
 * delete markers, paginated ListObjectVersions, DeleteObjects by version, Object Lock retention and
 * legal holds), with every request counted. The SDK inputs stay assertable through the mock.
 */
import {
  DeleteObjectsCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { AwsClientStub } from "aws-sdk-client-mock";

export interface StoredVersion {
  key: string;
  versionId: string;
  deleteMarker: boolean;
  body?: Buffer;
  contentType?: string;
  metadata?: Record<string, string>;
  etag?: string;
  retention?: { Mode: "GOVERNANCE" | "COMPLIANCE"; RetainUntilDate: Date };
  legalHold?: boolean;
}

function s3Error(name: string, status: number, message = name): Error {
  return Object.assign(new Error(message), { name, $fault: "client", $metadata: { httpStatusCode: status } });
}

export class SimulatedBucket {
  /** Every version and delete marker, in write order (newest last). */
  readonly versions: StoredVersion[] = [];
  readonly requests = { put: 0, head: 0, list: 0, delete: 0 };
  /** PutObject requests that stored a version. */
  writes = 0;
  objectLock: { mode: "GOVERNANCE" | "COMPLIANCE"; days: number } | undefined;
  /** Page size of ListObjectVersions (S3's is 1000), small in tests to exercise pagination. */
  pageSize = 1000;
  /** Called before each PutObject; throw to simulate a failure. */
  onPut: ((key: string) => void) | undefined;
  private counter = 0;

  constructor(
    readonly name: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Routes the S3 commands the archive uses to this bucket. */
  attach(s3: AwsClientStub<S3Client>): this {
    s3.on(PutObjectCommand).callsFake((input) => this.put(input));
    s3.on(HeadObjectCommand).callsFake((input) => this.head(input.Key!));
    s3.on(ListObjectVersionsCommand).callsFake((input) => this.list(input.Prefix ?? "", input.KeyMarker, input.VersionIdMarker));
    s3.on(DeleteObjectsCommand).callsFake((input) => this.deleteObjects(input.Delete?.Objects ?? []));
    s3.on(GetObjectLockConfigurationCommand).callsFake(() => {
      if (this.objectLock === undefined) throw s3Error("ObjectLockConfigurationNotFoundError", 404);
      return { ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: this.objectLock.mode, Days: this.objectLock.days } } } };
    });
    s3.on(GetObjectRetentionCommand).callsFake((input) => {
      const v = this.find(input.Key!, input.VersionId!);
      if (v?.retention === undefined) throw s3Error("NoSuchObjectLockConfiguration", 404);
      return { Retention: { ...v.retention } };
    });
    s3.on(GetObjectLegalHoldCommand).callsFake((input) => {
      const v = this.find(input.Key!, input.VersionId!);
      if (v?.legalHold === undefined) throw s3Error("NoSuchObjectLockConfiguration", 404);
      return { LegalHold: { Status: v.legalHold ? "ON" : "OFF" } };
    });
    return this;
  }

  current(key: string): StoredVersion | undefined {
    const latest = [...this.versions].reverse().find((v) => v.key === key);
    return latest?.deleteMarker ? undefined : latest;
  }

  /** Keys with a current (not deleted) version. */
  objectKeys(): string[] {
    return [...new Set(this.versions.map((v) => v.key))].filter((k) => this.current(k) !== undefined).sort();
  }

  /** A plain (unconditional) overwrite or delete marker, as another writer would make. */
  addVersion(key: string, options: Partial<StoredVersion> = {}): StoredVersion {
    const version: StoredVersion = { key, versionId: `v${++this.counter}`, deleteMarker: false, body: Buffer.from(""), metadata: {}, etag: `"e${this.counter}"`, ...options };
    this.versions.push(version);
    return version;
  }

  private find(key: string, versionId: string): StoredVersion | undefined {
    return this.versions.find((v) => v.key === key && v.versionId === versionId);
  }

  private put(input: { Key?: string; Body?: unknown; ContentType?: string; Metadata?: Record<string, string>; IfNoneMatch?: string; IfMatch?: string }) {
    this.requests.put++;
    this.onPut?.(input.Key!);
    const current = this.current(input.Key!);
    if (input.IfNoneMatch === "*" && current !== undefined) throw s3Error("PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold");
    if (input.IfMatch !== undefined && current?.etag !== input.IfMatch) throw s3Error("PreconditionFailed", 412);
    const body = typeof input.Body === "string" ? Buffer.from(input.Body) : Buffer.from(input.Body as Uint8Array);
    const retention = this.objectLock
      ? { Mode: this.objectLock.mode, RetainUntilDate: new Date(this.now().getTime() + this.objectLock.days * 86_400_000) }
      : undefined;
    const version = this.addVersion(input.Key!, { body, contentType: input.ContentType, metadata: { ...(input.Metadata ?? {}) }, retention });
    this.writes++;
    return { ETag: version.etag, VersionId: version.versionId };
  }

  private head(key: string) {
    this.requests.head++;
    const current = this.current(key);
    if (current === undefined) throw s3Error("NotFound", 404);
    return { ETag: current.etag, Metadata: { ...(current.metadata ?? {}) }, VersionId: current.versionId };
  }

  private list(prefix: string, keyMarker: string | undefined, versionIdMarker: string | undefined) {
    this.requests.list++;
    // S3 order: by key, then newest version first.
    const ordered = this.versions
      .map((v, i) => ({ v, i }))
      .filter(({ v }) => v.key.startsWith(prefix))
      .sort((a, b) => (a.v.key < b.v.key ? -1 : a.v.key > b.v.key ? 1 : b.i - a.i))
      .map(({ v }) => v);
    let start = 0;
    if (keyMarker !== undefined) {
      const at = ordered.findIndex((v) => v.key === keyMarker && v.versionId === versionIdMarker);
      start = at + 1;
    }
    const page = ordered.slice(start, start + this.pageSize);
    const truncated = start + this.pageSize < ordered.length;
    const last = page[page.length - 1];
    return {
      IsTruncated: truncated,
      ...(truncated ? { NextKeyMarker: last!.key, NextVersionIdMarker: last!.versionId } : {}),
      Versions: page.filter((v) => !v.deleteMarker).map((v) => ({ Key: v.key, VersionId: v.versionId, IsLatest: false })),
      DeleteMarkers: page.filter((v) => v.deleteMarker).map((v) => ({ Key: v.key, VersionId: v.versionId, IsLatest: false })),
    };
  }

  private deleteObjects(objects: { Key?: string; VersionId?: string }[]) {
    this.requests.delete++;
    const deleted: { Key: string; VersionId: string }[] = [];
    const errors: { Key: string; VersionId: string; Code: string; Message: string }[] = [];
    for (const o of objects) {
      const v = this.find(o.Key!, o.VersionId!);
      const locked = v !== undefined && (v.legalHold === true || (v.retention !== undefined && v.retention.RetainUntilDate.getTime() > this.now().getTime()));
      if (locked) {
        errors.push({ Key: o.Key!, VersionId: o.VersionId!, Code: "AccessDenied", Message: "Access Denied because object protected by object lock." });
        continue;
      }
      if (v !== undefined) this.versions.splice(this.versions.indexOf(v), 1);
      deleted.push({ Key: o.Key!, VersionId: o.VersionId! });
    }
    return { Deleted: deleted, Errors: errors };
  }
}
