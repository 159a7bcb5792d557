/**
 * Streams the records of a contact file, CSV or JSON lines, as rows of fields aligned to one
 * column list. Memory stays bounded by one record: the file is never held whole.
 *
 * - CSV (RFC 4180, via csv-parse): the first record is the header; a UTF-8 BOM, CRLF/LF and blank
 *   lines are accepted; a record may have a different field count (reported by the caller, not
 *   thrown); a record over `maxRecordChars` or a syntax error ends the file with a file error.
 * - JSON: one object per line (the Pinpoint import's JSON form). Nested objects are flattened to
 *   dotted columns (`{"User":{"UserId":"u1"}}` → `User.UserId`), arrays of scalars are joined
 *   with ",". The columns are every key seen, in order of first appearance, so the file is read
 *   twice (`open` is called twice); each pass streams.
 */
import type { Readable } from "node:stream";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";

export type RecordFormat = "CSV" | "JSON";

export type ReadItem =
  | { kind: "columns"; columns: string[] }
  /** `row` counts data rows from 1 (the CSV header is not a row). */
  | { kind: "record"; row: number; fields: string[] }
  | { kind: "bad"; row: number; reason: string }
  /** The rest of the file cannot be read; the rows before it were emitted. */
  | { kind: "file-error"; reason: string };

export interface ReaderOptions {
  /** Longest record accepted, in characters. */
  maxRecordChars: number;
}

export const DEFAULT_READER_OPTIONS: ReaderOptions = { maxRecordChars: 100_000 };

/** The format a key names: ".json" / ".jsonl" / ".ndjson" are JSON lines, anything else CSV. */
export function formatOfKey(key: string): RecordFormat {
  return /\.(json|jsonl|ndjson)$/i.test(key) ? "JSON" : "CSV";
}

export async function* readRecords(
  format: RecordFormat,
  open: () => Promise<Readable>,
  options: ReaderOptions = DEFAULT_READER_OPTIONS,
): AsyncGenerator<ReadItem> {
  if (format === "CSV") yield* readCsv(await open(), options);
  else yield* readJsonLines(open, options);
}

async function* readCsv(body: Readable, options: ReaderOptions): AsyncGenerator<ReadItem> {
  const parser = body.pipe(
    parse({ bom: true, relax_column_count: true, skip_empty_lines: true, max_record_size: options.maxRecordChars }),
  );
  let row = 0;
  let header = true;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (header) {
        header = false;
        yield { kind: "columns", columns: record.map((c) => c.trim()) };
        continue;
      }
      if (record.every((f) => f.trim() === "")) continue;
      row++;
      yield { kind: "record", row, fields: record };
    }
  } catch (error) {
    const e = error as Error & { code?: string; lines?: number };
    yield { kind: "file-error", reason: `CSV syntax error${e.lines === undefined ? "" : ` at line ${e.lines}`} (${e.code ?? e.name}): ${e.message}` };
    body.destroy();
    return;
  }
  if (header) yield { kind: "file-error", reason: "the file is empty (no header row)" };
}

type Flat = Map<string, string>;

function flatten(value: unknown, prefix: string, out: Flat): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    out.set(prefix, value.map((v) => (typeof v === "object" && v !== null ? JSON.stringify(v) : String(v))).join(","));
  } else if (typeof value === "object") {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix === "" ? k : `${prefix}.${k}`, out);
  } else {
    out.set(prefix, String(value));
  }
}

/** One JSON line as flat columns, or why it is not a record. */
export function parseJsonLine(line: string, maxRecordChars: number): { ok: true; flat: Flat } | { ok: false; reason: string } {
  if (line.length > maxRecordChars) return { ok: false, reason: `is longer than ${maxRecordChars} characters` };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, reason: `is not valid JSON (${(error as Error).message})` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, reason: "is not a JSON object" };
  const flat: Flat = new Map();
  flatten(value, "", flat);
  return { ok: true, flat };
}

async function* jsonLines(body: Readable): AsyncGenerator<string> {
  const lines = createInterface({ input: body, crlfDelay: Infinity });
  let first = true;
  for await (const raw of lines) {
    const line = first ? raw.replace(/^\uFEFF/, "") : raw;
    first = false;
    yield line;
  }
}

async function* readJsonLines(open: () => Promise<Readable>, options: ReaderOptions): AsyncGenerator<ReadItem> {
  // Pass 1: the columns, in order of first appearance.
  const columns = new Map<string, number>();
  for await (const line of jsonLines(await open())) {
    if (line.trim() === "") continue;
    const parsed = parseJsonLine(line, options.maxRecordChars);
    if (parsed.ok) for (const key of parsed.flat.keys()) if (!columns.has(key)) columns.set(key, columns.size);
  }
  if (columns.size === 0) {
    yield { kind: "file-error", reason: "the file has no JSON object" };
    return;
  }
  yield { kind: "columns", columns: [...columns.keys()] };
  // Pass 2: the records, aligned to the columns.
  let row = 0;
  for await (const line of jsonLines(await open())) {
    if (line.trim() === "") continue;
    row++;
    const parsed = parseJsonLine(line, options.maxRecordChars);
    if (!parsed.ok) {
      yield { kind: "bad", row, reason: `line ${parsed.reason}` };
      continue;
    }
    const fields = new Array<string>(columns.size).fill("");
    for (const [key, value] of parsed.flat) fields[columns.get(key)!] = value;
    yield { kind: "record", row, fields };
  }
}
