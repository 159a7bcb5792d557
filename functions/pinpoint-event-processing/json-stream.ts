/**
 * A streaming splitter for files of JSON records, as Firehose writes them to S3: records either
 * newline-delimited (`{..}\n{..}\n`) or concatenated with no delimiter at all (`{..}{..}`), or a
 * mix. Firehose adds no delimiter of its own, so both forms occur (spec 01 §3.5, §0.4 ⚠️).
 *
 * The splitter tracks object nesting and string state character by character and emits each
 * top-level object's text as soon as it closes, so a file is never buffered whole; only the record
 * being assembled is held (bounded by `maxRecordChars`).
 *
 * Recovery, so one bad record never hides the good ones after it:
 * - text outside an object (not whitespace, not `{`) is skipped up to the next newline or `{`
 *   and reported as "unexpected-text";
 * - a raw newline inside an object ends it as "truncated". Records are compact, single-line JSON
 *   (a JSON string cannot contain a raw newline, and Pinpoint/Firehose do not pretty-print), so a
 *   newline inside an object means the record was cut short; scanning resumes on the next line.
 *   Pretty-printed multi-line JSON is therefore not supported (each line would be reported);
 * - a record longer than `maxRecordChars` is dropped as "too-large" (nesting is still tracked
 *   without buffering, so the records after it are found again).
 *
 * Emitted records are not validated: JSON.parse decides whether a balanced record is valid.
 * Pure and synchronous; decoding bytes to text (TextDecoder with `stream: true`) is the caller's.
 */

export type SegmentProblem = "unexpected-text" | "truncated" | "too-large";

export type Segment =
  | { kind: "record"; text: string; line: number }
  | { kind: "bad"; problem: SegmentProblem; line: number };

export interface SplitterOptions {
  /** Longest record kept, in UTF-16 code units. Default 1 MiB (a Firehose record is at most 1,000 KiB). */
  maxRecordChars?: number;
}

type Mode = "between" | "object" | "garbage" | "oversize";

export class JsonRecordSplitter {
  private readonly maxRecordChars: number;
  private mode: Mode = "between";
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Current line number (1-based). */
  private line = 1;
  /** Line where the current record or bad segment started. */
  private segmentLine = 1;
  /** Parts of the current record from earlier chunks. */
  private parts: string[] = [];
  private partsLength = 0;

  constructor(options: SplitterOptions = {}) {
    this.maxRecordChars = options.maxRecordChars ?? 1024 * 1024;
  }

  /** Feeds the next chunk of text; returns the segments completed in it. */
  push(chunk: string): Segment[] {
    const out: Segment[] = [];
    let start = 0; // start of the current record's text within this chunk
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      switch (this.mode) {
        case "between":
          if (c === 0x7b /* { */) {
            this.beginObject();
            start = i;
          } else if (c === 0x0a /* \n */) {
            this.line++;
          } else if (!isWhitespace(c)) {
            this.mode = "garbage";
            this.segmentLine = this.line;
          }
          break;

        case "garbage":
          if (c === 0x0a) {
            out.push({ kind: "bad", problem: "unexpected-text", line: this.segmentLine });
            this.mode = "between";
            this.line++;
          } else if (c === 0x7b) {
            out.push({ kind: "bad", problem: "unexpected-text", line: this.segmentLine });
            this.beginObject();
            start = i;
          }
          break;

        case "object":
        case "oversize": {
          if (c === 0x0a) {
            // A raw newline cannot be inside a compact record: it was cut short.
            out.push({ kind: "bad", problem: this.mode === "oversize" ? "too-large" : "truncated", line: this.segmentLine });
            this.resetRecord();
            this.mode = "between";
            this.line++;
            break;
          }
          if (this.inString) {
            if (this.escaped) this.escaped = false;
            else if (c === 0x5c /* \ */) this.escaped = true;
            else if (c === 0x22 /* " */) this.inString = false;
          } else if (c === 0x22) this.inString = true;
          else if (c === 0x7b || c === 0x5b /* [ */) this.depth++;
          else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
            this.depth--;
            if (this.depth === 0) {
              if (this.mode === "object") {
                this.parts.push(chunk.slice(start, i + 1));
                out.push({ kind: "record", text: this.parts.join(""), line: this.segmentLine });
              } else {
                out.push({ kind: "bad", problem: "too-large", line: this.segmentLine });
              }
              this.resetRecord();
              this.mode = "between";
            }
          }
          if (this.mode === "object" && this.partsLength + (i + 1 - start) > this.maxRecordChars) {
            // Stop buffering but keep tracking nesting and strings, to find the record's end.
            this.parts = [];
            this.partsLength = 0;
            this.mode = "oversize";
          }
          break;
        }
      }
    }
    if (this.mode === "object") {
      const rest = chunk.slice(start);
      this.parts.push(rest);
      this.partsLength += rest.length;
    }
    return out;
  }

  /** Ends the input; reports an unfinished record or trailing text. */
  end(): Segment[] {
    const out: Segment[] = [];
    if (this.mode === "object") out.push({ kind: "bad", problem: "truncated", line: this.segmentLine });
    else if (this.mode === "oversize") out.push({ kind: "bad", problem: "too-large", line: this.segmentLine });
    else if (this.mode === "garbage") out.push({ kind: "bad", problem: "unexpected-text", line: this.segmentLine });
    this.resetRecord();
    this.mode = "between";
    return out;
  }

  private beginObject(): void {
    this.mode = "object";
    this.depth = 1;
    this.inString = false;
    this.escaped = false;
    this.segmentLine = this.line;
    this.parts = [];
    this.partsLength = 0;
  }

  private resetRecord(): void {
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.parts = [];
    this.partsLength = 0;
  }
}

function isWhitespace(c: number): boolean {
  // space, tab, CR (LF is handled separately), and a UTF-8 BOM decoded as U+FEFF
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0xfeff;
}

/** Splits a byte stream (UTF-8) into segments, decoding incrementally. */
export async function* splitJsonRecords(
  chunks: AsyncIterable<Uint8Array>,
  options: SplitterOptions = {},
): AsyncGenerator<Segment> {
  const decoder = new TextDecoder("utf-8");
  const splitter = new JsonRecordSplitter(options);
  for await (const chunk of chunks) {
    yield* splitter.push(decoder.decode(chunk, { stream: true }));
  }
  const tail = decoder.decode();
  if (tail !== "") yield* splitter.push(tail);
  yield* splitter.end();
}
