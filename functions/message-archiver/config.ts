/**
 * Environment of the message archiver's handlers, validated once at cold start; names from the
 * contract. A blank variable counts as unset.
 *
 * | Variable        | Handlers         | Meaning                                                   | Default |
 * |-----------------|------------------|-----------------------------------------------------------|---------|
 * | QUEUE_URL       | queuer           | The archive-work queue                                    | required |
 * | BUCKET_NAME     | archiver, eraser | The archive bucket                                        | required |
 * | ARCHIVE_PREFIX  | archiver, eraser | Key prefix of the archive, without leading/trailing "/"   | archive |
 */
import * as z from "zod";
import { ARCHIVE_PREFIX_PATTERN, DEFAULT_ARCHIVE_PREFIX } from "../shared/archive/layout";
import { parseEnv } from "../shared/sms/sms-config";
import { ARCHIVER_ENV, ERASER_ENV, QUEUER_ENV } from "./contract";

export interface QueuerConfig {
  queueUrl: string;
}

export interface ArchiveBucketConfig {
  bucketName: string;
  prefix: string;
}

const bucketName = z.string().trim().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name");
const prefix = z.string().trim().regex(ARCHIVE_PREFIX_PATTERN, 'must be a key prefix without leading or trailing "/"').default(DEFAULT_ARCHIVE_PREFIX);

export function loadQueuerConfig(env: NodeJS.ProcessEnv): QueuerConfig {
  const e = parseEnv(z.object({ [QUEUER_ENV.QUEUE_URL]: z.string().trim().regex(/^https:\/\/\S+$/, "must be an https queue URL") }), env, "message-archiver queuer");
  return { queueUrl: e.QUEUE_URL };
}

export function loadArchiverConfig(env: NodeJS.ProcessEnv): ArchiveBucketConfig {
  const e = parseEnv(z.object({ [ARCHIVER_ENV.BUCKET_NAME]: bucketName, [ARCHIVER_ENV.ARCHIVE_PREFIX]: prefix }), env, "message-archiver archiver");
  return { bucketName: e.BUCKET_NAME, prefix: e.ARCHIVE_PREFIX };
}

export function loadEraserConfig(env: NodeJS.ProcessEnv): ArchiveBucketConfig {
  const e = parseEnv(z.object({ [ERASER_ENV.BUCKET_NAME]: bucketName, [ERASER_ENV.ARCHIVE_PREFIX]: prefix }), env, "message-archiver eraser");
  return { bucketName: e.BUCKET_NAME, prefix: e.ARCHIVE_PREFIX };
}
