/**
 * Writes an S3 object from text produced piece by piece, holding at most one part in memory:
 * parts of `partSize` bytes go up as a multipart upload; an object smaller than one part is a
 * single PutObject. A failure aborts the multipart upload, so no orphaned parts are billed.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";

/** S3's minimum part size (except the last part). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

export interface ObjectWriter {
  write(text: string): Promise<void>;
  /** Finishes the object; returns its size in bytes. */
  close(): Promise<number>;
  abort(): Promise<void>;
}

export class S3MultipartWriter implements ObjectWriter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private total = 0;
  private uploadId: string | undefined;
  private readonly parts: { ETag: string | undefined; PartNumber: number }[] = [];

  constructor(
    private readonly client: S3Client,
    private readonly target: { bucket: string; key: string; contentType: string },
    private readonly partSize = 8 * 1024 * 1024,
  ) {
    if (partSize < MIN_PART_SIZE) throw new Error(`partSize must be at least ${MIN_PART_SIZE} bytes`);
  }

  async write(text: string): Promise<void> {
    if (text === "") return;
    const bytes = Buffer.from(text, "utf8");
    this.chunks.push(bytes);
    this.buffered += bytes.length;
    this.total += bytes.length;
    if (this.buffered >= this.partSize) await this.flushPart();
  }

  private async flushPart(): Promise<void> {
    const body = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    const { bucket: Bucket, key: Key } = this.target;
    this.uploadId ??= (await this.client.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType: this.target.contentType }))).UploadId;
    const PartNumber = this.parts.length + 1;
    const { ETag } = await this.client.send(new UploadPartCommand({ Bucket, Key, UploadId: this.uploadId, PartNumber, Body: body }));
    this.parts.push({ ETag, PartNumber });
  }

  async close(): Promise<number> {
    const { bucket: Bucket, key: Key, contentType: ContentType } = this.target;
    if (this.uploadId === undefined) {
      await this.client.send(new PutObjectCommand({ Bucket, Key, Body: Buffer.concat(this.chunks), ContentType }));
    } else {
      if (this.buffered > 0) await this.flushPart();
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: this.uploadId, MultipartUpload: { Parts: this.parts } }));
    }
    this.chunks = [];
    return this.total;
  }

  async abort(): Promise<void> {
    this.chunks = [];
    if (this.uploadId === undefined) return;
    const { bucket: Bucket, key: Key } = this.target;
    await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: this.uploadId }));
  }
}
