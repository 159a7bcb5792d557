/** Writing CSV (RFC 4180): a field is quoted when it holds a comma, a quote, CR or LF. Pure. */

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line, terminated by CRLF as RFC 4180 specifies. */
export function csvLine(values: readonly string[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}
