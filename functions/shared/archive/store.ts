/**
 * Writes archive objects at most once per key. A PutObject with `If-None-Match: *` creates the
 * object only when the key is free, so a redelivered or retried message (same key, see layout.ts)
 * costs one request and adds no object and no version: S3 answers 412 PreconditionFailed, which
 * is "already archived". The SDK's own retry of a write that timed out after S3 stored it meets the
 * same 412. https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 *
 * A caller that knows it is handling a redelivery (SQS ApproximateReceiveCount > 1) can ask for a
 * HeadObject first (`checkFirst`): an object already there then costs no PUT at all. Without
 * s3:ListBucket S3 answers a missing key with 403 instead of 404; both fall through to the
 * conditional PUT, so the check can only save a request, never skip a write.
 *
 * One exception: an object recorded with an outcome that may still change (an SMS whose send
 * outcome was unknown, re-sent under at-least-once) may be replaced, once, by the final record,
 * with `If-Match` on the ETag read, so two writers never both replace it.
 */
import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";

export interface ArchiveObject {
  key: string;
  body: string | Uint8Array;
  contentType: string;
  /** S3 user metadata (x-amz-meta-*): no personal data, it shows in listings' HEADs. */
  metadata: Record<string, string>;
}

export type ArchivePutResult = "written" | "exists" | "replaced";

export interface PutOnceOptions {
  /** An existing object whose metadata satisfies this is replaced (once) instead of kept. */
  replaceIf?: (existing: Record<string, string>) => boolean;
  /** HEAD before writing: for redeliveries, where the object is likely there already. */
  checkFirst?: boolean;
}

export interface ArchiveStore {
  /** Writes `object` unless its key exists (see PutOnceOptions). */
  putOnce(object: ArchiveObject, options?: PutOnceOptions): Promise<ArchivePutResult>;
}

interface S3ErrorShape {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

/** S3's answer to a conditional write whose condition failed (the key exists, or its ETag changed). */
export function isPreconditionFailed(error: unknown): boolean {
  const e = (error ?? {}) as S3ErrorShape;
  return e.name === "PreconditionFailed" || e.$metadata?.httpStatusCode === 412;
}

export class S3ArchiveStore implements ArchiveStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async putOnce(object: ArchiveObject, options: PutOnceOptions = {}): Promise<ArchivePutResult> {
    const { replaceIf, checkFirst = false } = options;
    const put = { Bucket: this.bucket, Key: object.key, Body: object.body, ContentType: object.contentType, Metadata: object.metadata };
    if (checkFirst && replaceIf === undefined) {
      try {
        await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: object.key }));
        return "exists";
      } catch (error) {
        const status = (error as S3ErrorShape).$metadata?.httpStatusCode;
        if (status !== 404 && status !== 403) throw error;
      }
    }
    try {
      await this.s3.send(new PutObjectCommand({ ...put, IfNoneMatch: "*" }));
      return "written";
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
    if (replaceIf === undefined) return "exists";
    const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: object.key }));
    if (!replaceIf(head.Metadata ?? {})) return "exists";
    try {
      await this.s3.send(new PutObjectCommand({ ...put, IfMatch: head.ETag }));
      return "replaced";
    } catch (error) {
      // Another writer replaced it first: the final record is there.
      if (isPreconditionFailed(error)) return "exists";
      throw error;
    }
  }
}
