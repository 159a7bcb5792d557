/**
 * Change files: what one run must apply, written by the differ under
 * `<changesPrefix><segment>/<run>/NNNNNN.json` and read by the applier (one file per item of the
 * Distributed Map). They name members, so they live in the encrypted results bucket, which
 * expires them (lifecycle rule).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import * as z from "zod";
import type { DiffCursor } from "./diff";
import type { MemberChange } from "./members-store";

export const ChangeFileSchema = z.object({
  segment: z.object({ name: z.string(), token: z.string(), attribute: z.string(), memberKey: z.string() }),
  runId: z.string(),
  changes: z.array(z.object({ memberId: z.string().min(1), op: z.enum(["join", "leave"]) })),
});
export type ChangeFile = z.infer<typeof ChangeFileSchema>;

export function changeFileKey(prefix: string, index: number): string {
  return `${prefix}${String(index).padStart(6, "0")}.json`;
}

export async function writeChangeFile(s3: S3Client, bucket: string, key: string, file: ChangeFile): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(file), ContentType: "application/json" }));
}

export async function readChangeFile(s3: S3Client, bucket: string, key: string): Promise<ChangeFile> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = await out.Body!.transformToString("utf-8");
  return ChangeFileSchema.parse(JSON.parse(text));
}

/**
 * Where a paused diff keeps its cursor: beside the run's change-file folder (`<prefix>` without its
 * "/", plus ".cursor.json"), so the Distributed Map's listing of the folder never sees it.
 */
export function cursorKeyFor(changesPrefix: string): string {
  return `${changesPrefix.replace(/\/$/, "")}.cursor.json`;
}

export async function writeCursor(s3: S3Client, bucket: string, key: string, cursor: DiffCursor): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(cursor), ContentType: "application/json" }));
}

const CursorFileSchema = z.object({
  resultToken: z.string().optional(),
  resultsDone: z.boolean(),
  after: z.string().optional(),
  files: z.int().min(0),
  pages: z.int().min(0),
  joined: z.int().min(0),
  left: z.int().min(0),
  unchanged: z.int().min(0),
});

export async function readCursor(s3: S3Client, bucket: string, key: string): Promise<DiffCursor> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return CursorFileSchema.parse(JSON.parse(await out.Body!.transformToString("utf-8")));
}

export type { MemberChange };
