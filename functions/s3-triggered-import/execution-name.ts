/**
 * The execution name of an import: a hash of bucket, key and ETag. Pure.
 *
 * Step Functions keeps a Standard execution's name unique for 90 days, so a duplicate S3 event
 * (delivery is at least once) cannot start a second import of the same object version, and two
 * files never share a name (the seed named executions by the second and dropped the later file).
 * Names allow 80 characters; this one has 47, all safe in S3 keys and SNS attributes.
 */
import { createHash } from "node:crypto";

export function executionName(bucket: string, key: string, etag: string): string {
  return `import-${createHash("sha256").update(`${bucket}\u0000${key}\u0000${etag}`).digest("hex").slice(0, 40)}`;
}
