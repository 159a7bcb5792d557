/**
 * Rejecting a file that is not UTF-8. csv-parse decodes leniently: the bytes of a Latin-1 or
 * Windows-1252 file ("café" saved by Excel as plain "CSV") would become U+FFFD replacement
 * characters and be texted to customers. The guard sits between S3 and the parser, passes the bytes
 * through unchanged and fails the stream at the first invalid byte, with its offset, so the file can
 * be reported instead. A UTF-8 BOM is valid UTF-8 (the parser strips it).
 */
import { isUtf8 } from "node:buffer";
import { Transform, type TransformCallback } from "node:stream";

export class InvalidUtf8Error extends Error {
  constructor(readonly byteOffset: number) {
    super(`Invalid UTF-8 byte sequence at byte ${byteOffset}`);
    this.name = "InvalidUtf8Error";
  }
}

/**
 * Incremental UTF-8 validator (the WHATWG decoder's rules, as TextDecoder's `fatal` mode applies
 * them: no overlong forms, no surrogates, nothing above U+10FFFF), which unlike TextDecoder reports
 * where the input went wrong. Sequences may be split across chunks.
 */
export class Utf8Validator {
  private needed = 0;
  private lower = 0x80;
  private upper = 0xbf;
  private seen = 0;
  private sequenceStart = 0;

  /** Byte offset (from the start of the input) of the first invalid byte in `chunk`, or -1. */
  push(chunk: Uint8Array): number {
    // Fast path: most chunks are complete, valid text.
    if (this.needed === 0 && isUtf8(chunk)) {
      this.seen += chunk.length;
      return -1;
    }
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      const offset = this.seen + i;
      if (this.needed === 0) {
        if (byte <= 0x7f) continue;
        this.sequenceStart = offset;
        if (byte >= 0xc2 && byte <= 0xdf) this.needed = 1;
        else if (byte >= 0xe0 && byte <= 0xef) {
          this.needed = 2;
          if (byte === 0xe0) this.lower = 0xa0; // overlong
          if (byte === 0xed) this.upper = 0x9f; // surrogates
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          this.needed = 3;
          if (byte === 0xf0) this.lower = 0x90; // overlong
          if (byte === 0xf4) this.upper = 0x8f; // above U+10FFFF
        } else return offset;
        continue;
      }
      if (byte < this.lower || byte > this.upper) return this.sequenceStart;
      this.lower = 0x80;
      this.upper = 0xbf;
      this.needed -= 1;
    }
    this.seen += chunk.length;
    return -1;
  }

  /** At the end of the input: the offset of an unfinished sequence, or -1. */
  end(): number {
    return this.needed === 0 ? -1 : this.sequenceStart;
  }
}

/** A pass-through stream that fails with InvalidUtf8Error at the first byte that is not UTF-8. */
export function utf8Guard(): Transform {
  const validator = new Utf8Validator();
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      const invalid = validator.push(chunk);
      if (invalid >= 0) callback(new InvalidUtf8Error(invalid));
      else callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      const invalid = validator.end();
      callback(invalid >= 0 ? new InvalidUtf8Error(invalid) : null);
    },
  });
}
