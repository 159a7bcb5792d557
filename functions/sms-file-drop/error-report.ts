/**
 * The error report of a dropped file, written as `<reportPrefix><key>.errors.csv`. Pure.
 *
 * Reports live under their own prefix, never under the trigger prefix: a report there would be an
 * input to the splitter (or, as before, a customer file named `*.errors.csv` had to be skipped).
 * The component rejects a report prefix that overlaps the trigger prefix.
 *
 * Columns: row,column,reason
 * - row: the data row number (1 = first row after the header; blank lines are not counted), or
 *   empty for a problem with the file as a whole (header, CSV syntax);
 * - column: the header name of the offending column, "(row)" for the row as a whole, "(file)";
 * - reason: why. Values from the file are not echoed except a rejected origination identity,
 *   truncated (rows.ts reportedValue).
 * Memory is bounded: after `maxEntries` lines the rest are counted and summarized in a last line,
 * and each reason is capped at MAX_REASON_CHARACTERS.
 */
import { createHash } from "node:crypto";
import { truncateForReport, type RowError } from "./rows";

export const ERROR_REPORT_SUFFIX = ".errors.csv";
/** S3's key limit, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
/** A second bound on a report line, whatever a reason holds. */
export const MAX_REASON_CHARACTERS = 1000;

/**
 * `<reportPrefix><key>.errors.csv`; when that would exceed S3's key limit, the key is replaced by
 * its sha256 (the summary event names the report either way).
 */
export function errorReportKeyFor(reportPrefix: string, key: string): string {
  const full = `${reportPrefix}${key}${ERROR_REPORT_SUFFIX}`;
  if (Buffer.byteLength(full, "utf8") <= MAX_KEY_BYTES) return full;
  return `${reportPrefix}${createHash("sha256").update(key).digest("hex")}${ERROR_REPORT_SUFFIX}`;
}

/** RFC 4180 field: quoted when it contains a quote, comma or line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export class ErrorReport {
  private readonly lines: string[] = ["row,column,reason"];
  private entries = 0;
  private omitted = 0;
  private invalidRows = 0;
  private fileErrors: string[] = [];

  constructor(private readonly maxEntries: number) {}

  /** Records every problem of one invalid row. */
  addRow(row: number, errors: readonly RowError[]): void {
    this.invalidRows += 1;
    for (const error of errors) this.push(String(row), error.column, error.reason);
  }

  /** Records a problem with the file as a whole. */
  addFileError(reason: string): void {
    this.fileErrors.push(reason);
    this.push("", "(file)", reason);
  }

  private push(row: string, column: string, reason: string): void {
    if (this.entries >= this.maxEntries) {
      this.omitted += 1;
      return;
    }
    this.entries += 1;
    this.lines.push([row, csvField(column), csvField(truncateForReport(reason, MAX_REASON_CHARACTERS))].join(","));
  }

  get rowsInvalid(): number {
    return this.invalidRows;
  }

  get fileError(): string | undefined {
    return this.fileErrors.length > 0 ? this.fileErrors.join("; ") : undefined;
  }

  get isEmpty(): boolean {
    return this.entries === 0 && this.omitted === 0;
  }

  toCsv(): string {
    const tail = this.omitted > 0 ? [`,(report),${csvField(`${this.omitted} more errors not listed`)}`] : [];
    return [...this.lines, ...tail].join("\r\n") + "\r\n";
  }
}
