/**
 * The error report written next to a dropped file as `<key>.errors.csv`. Pure.
 *
 * Columns: row,column,reason
 * - row: the data row number (1 = first row after the header; blank lines are not counted), or
 *   empty for a problem with the file as a whole (header, CSV syntax);
 * - column: the header name of the offending column, "(row)" for the row as a whole, "(file)";
 * - reason: why. Values from the file are not echoed except the origination identity (ours).
 * Memory is bounded: after `maxEntries` lines the rest are counted and summarized in a last line.
 */
import type { RowError } from "./rows";

export const ERROR_REPORT_SUFFIX = ".errors.csv";

export function errorReportKeyFor(key: string): string {
  return `${key}${ERROR_REPORT_SUFFIX}`;
}

/** True for a key the splitter wrote itself; such objects must never be processed as input. */
export function isErrorReportKey(key: string): boolean {
  return key.endsWith(ERROR_REPORT_SUFFIX);
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
    this.lines.push([row, csvField(column), csvField(reason)].join(","));
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
