/**
 * The per-file delivery report: what happened to every queued row of one file version, built from
 * the outcome table (the sender's status, and the delivery outcome the event consumer recorded).
 * Pure: no SDK.
 *
 * Each queued row is in one category:
 * - DELIVERED / FAILED: the row's final delivery event said so (reason: its event type). A row the
 *   sender recorded UNKNOWN (a timed-out send) that has a delivery event is resolved by it.
 * - NOT_SENT: the sender ended it without a send (reason: its status — SKIPPED_OPTED_OUT,
 *   SKIPPED_PERMANENT_FAILURE, REJECTED, FAILED — or UNKNOWN without any event).
 * - PENDING: sent, no final event yet (reason: the latest temporary event, or NO_EVENT).
 * - IN_FLIGHT: being sent or waiting for a retry (SENDING, RETRYING; also a row in the DLQ).
 * - NOT_PROCESSED: queued but not yet claimed by the sender.
 * The file is final when nothing is PENDING, IN_FLIGHT or NOT_PROCESSED.
 *
 * Format (JSON, `<reportPrefix><key>.delivery.json`, next to `<key>.errors.csv`):
 * { reportType, bucket, key, etag, status: FINAL | DEADLINE_PASSED | OPEN, generatedAt,
 *   rows: { total, invalid, queued }, counts: { <category>: n }, reasons: { "<category>:<reason>": n },
 *   failedRows: [ { row, category, reason, description? } ] (FAILED and NOT_SENT, in row order, at
 *   most MAX_FAILED_ROWS), failedRowsOmitted, errorReportKey }
 * No phone numbers or bodies: a row is named by its number in the file, which its owner has.
 */
import type { FileForReport, RowOutcome } from "./adapters";

export const REPORT_CATEGORIES = ["DELIVERED", "FAILED", "NOT_SENT", "PENDING", "IN_FLIGHT", "NOT_PROCESSED"] as const;
export type ReportCategory = (typeof REPORT_CATEGORIES)[number];

/** Failed rows listed in a report; the rest are counted. */
export const MAX_FAILED_ROWS = 10_000;

export interface DeliveryReport {
  reportType: "sms.file.delivery-report";
  bucket: string;
  key: string;
  etag: string;
  status: "FINAL" | "DEADLINE_PASSED" | "OPEN";
  generatedAt: string;
  rows: { total: number; invalid: number; queued: number };
  counts: Record<ReportCategory, number>;
  reasons: Record<string, number>;
  failedRows: Array<{ row: number; category: "FAILED" | "NOT_SENT"; reason: string; description?: string }>;
  failedRowsOmitted: number;
  errorReportKey: string | null;
}

export function categorize(item: RowOutcome): { category: Exclude<ReportCategory, "NOT_PROCESSED">; reason: string } {
  if (item.deliveryOutcome === "DELIVERED" || item.deliveryOutcome === "FAILED") {
    return { category: item.deliveryOutcome, reason: item.deliveryStatus ?? "UNKNOWN_EVENT" };
  }
  switch (item.status) {
    case "SENT":
      return { category: "PENDING", reason: item.deliveryStatus ?? "NO_EVENT" };
    case "UNKNOWN":
      // Sent or not: only a delivery event can tell. Without one it was not (knowingly) sent.
      return item.deliveryOutcome === "PENDING" ? { category: "PENDING", reason: item.deliveryStatus ?? "NO_EVENT" } : { category: "NOT_SENT", reason: "UNKNOWN" };
    case "SENDING":
    case "RETRYING":
      return { category: "IN_FLIGHT", reason: item.status };
    default:
      return { category: "NOT_SENT", reason: item.status === "FAILED" && item.errorName ? `FAILED:${item.errorName}` : item.status };
  }
}

/**
 * Builds the report of `file` from the outcome items found for its rows. `deadlinePassed`: the
 * report is due even if rows are still open (status DEADLINE_PASSED).
 */
export function buildDeliveryReport(file: FileForReport, items: readonly RowOutcome[], now: number, deadlinePassed: boolean): DeliveryReport {
  const counts = Object.fromEntries(REPORT_CATEGORIES.map((c) => [c, 0])) as Record<ReportCategory, number>;
  const reasons: Record<string, number> = {};
  const failed: DeliveryReport["failedRows"] = [];
  for (const item of items) {
    const { category, reason } = categorize(item);
    counts[category] += 1;
    const reasonKey = `${category}:${reason}`;
    reasons[reasonKey] = (reasons[reasonKey] ?? 0) + 1;
    if (category === "FAILED" || category === "NOT_SENT") {
      failed.push({ row: Number(item.row ?? 0), category, reason, ...(item.deliveryDescription ? { description: item.deliveryDescription } : {}) });
    }
  }
  counts.NOT_PROCESSED = Math.max(0, file.rowsQueued - items.length);
  if (counts.NOT_PROCESSED > 0) reasons["NOT_PROCESSED:NOT_CLAIMED"] = counts.NOT_PROCESSED;
  failed.sort((a, b) => a.row - b.row);
  const final = counts.PENDING === 0 && counts.IN_FLIGHT === 0 && counts.NOT_PROCESSED === 0;
  return {
    reportType: "sms.file.delivery-report",
    bucket: file.bucket,
    key: file.key,
    etag: file.etag,
    status: final ? "FINAL" : deadlinePassed ? "DEADLINE_PASSED" : "OPEN",
    generatedAt: new Date(now).toISOString(),
    rows: { total: file.rowsTotal, invalid: file.rowsInvalid, queued: file.rowsQueued },
    counts,
    reasons,
    failedRows: failed.slice(0, MAX_FAILED_ROWS),
    failedRowsOmitted: Math.max(0, failed.length - MAX_FAILED_ROWS),
    errorReportKey: file.errorReportKey,
  };
}

/** `<reportPrefix><key>.delivery.json`: next to the error report (`<reportPrefix><key>.errors.csv`). */
export function deliveryReportKeyFor(reportPrefix: string, key: string): string {
  return `${reportPrefix}${key}.delivery.json`;
}

/** Minimum and maximum pause between two looks at an open file. */
export const REPORT_CHECK_MIN_MS = 10 * 60_000;
export const REPORT_CHECK_MAX_MS = 12 * 3_600_000;

/**
 * When to look at an open file again: half its age (events thin out as a file ages), between 10
 * minutes and 12 hours, and never after its deadline. About 15 looks over 72 hours; each reads the
 * file's rows with BatchGetItem, 100 per request.
 */
export function nextCheckAt(file: Pick<FileForReport, "completedAt">, now: number, deadline: number): number {
  const pause = Math.min(REPORT_CHECK_MAX_MS, Math.max(REPORT_CHECK_MIN_MS, (now - file.completedAt) / 2));
  return Math.min(deadline, now + pause);
}
