import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Readable, pipeline } from "node:stream";
import { createGunzip } from "node:zlib";

/** Opens an object as a stream of byte chunks (decompressed when the object is gzip). */
export interface ObjectSource {
  open(bucket: string, key: string, versionId?: string): Promise<AsyncIterable<Uint8Array>>;
}

/**
 * Passes chunks through, or gunzips them when the stream starts with the gzip magic bytes
 * (Firehose's GZIP compression writes plain gzip objects). Detection by content, not by key suffix
 * or Content-Encoding, which Firehose does not set.
 *
 * A read error of the source and a corrupt or truncated gzip stream both reject the iteration, so
 * the caller sees a failed object. `pipeline` (not `.pipe`) is what forwards a source error: with
 * `.pipe` it was emitted on a stream nobody listened to, and crashed the process.
 */
export async function* gunzipIfNeeded(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  try {
    const first = await iterator.next();
    if (first.done) return;
    const all = async function* (): AsyncGenerator<Uint8Array> {
      yield first.value;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    };
    if (first.value.length >= 2 && first.value[0] === 0x1f && first.value[1] === 0x8b) {
      // pipeline destroys every stream with the first error, so iterating the gunzip stream
      // rejects with it; the callback only keeps that error from being reported twice.
      const gunzip = pipeline(Readable.from(all()), createGunzip(), () => undefined);
      yield* gunzip as AsyncIterable<Uint8Array>;
    } else {
      yield* all();
    }
  } finally {
    // Release the source (e.g. the S3 socket) when reading stopped early or failed. Not awaited:
    // a read still pending on the source would otherwise hold up the caller.
    iterator.return?.()?.catch(() => undefined);
  }
}

/** S3 GetObject, streamed. IAM: s3:GetObject on the events bucket's objects. */
export function createS3ObjectSource(client: S3Client): ObjectSource {
  return {
    async open(bucket, key, versionId) {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
      const body = out.Body as unknown;
      if (body === undefined || body === null || typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== "function") {
        throw new Error("GetObject returned no readable body");
      }
      return gunzipIfNeeded(body as AsyncIterable<Uint8Array>);
    },
  };
}
