/**
 * Looks at the completed files whose delivery report is open and, for each one that is due,
 * reads its rows' outcomes and either publishes its report (every queued row final, or the
 * deadline passed) or schedules the next look. SDK-free: the tables, the bucket and the topic are
 * ports. See delivery-report.ts for the report itself.
 *
 * Order for a file whose report is due: write the report object, publish sms.file.delivery-report
 * (eventId = bucket/key/etag), then close the report on the checkpoint item. A failure in between
 * is retried at the next run; the object is overwritten with the same content and the event is
 * at least once (subscribers de-duplicate on eventId).
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import type { EventPublisher } from "../shared/sms/sms-domain-events";
import type { FileForReport, ReportStateStore, RowOutcomeReader } from "./adapters";
import type { ReporterConfig } from "./config";
import { REPORTER_METRICS } from "./contract";
import { buildDeliveryReport, deliveryReportKeyFor, nextCheckAt } from "./delivery-report";
import { rowIdFor } from "./message";

export interface ReportDeps {
  files: ReportStateStore;
  rows: RowOutcomeReader;
  putReport(bucket: string, key: string, json: string): Promise<void>;
  events: EventPublisher;
  logger: Logger;
  metrics: Metrics;
  now: () => number;
}

export type FileReportResult = "published" | "deadline" | "scheduled" | "not-due";

export async function reportFile(file: FileForReport, config: Pick<ReporterConfig, "deadlineMs" | "reportPrefix">, deps: ReportDeps): Promise<FileReportResult> {
  const now = deps.now();
  if (file.nextReportCheckAt !== undefined && file.nextReportCheckAt > now) return "not-due";
  const deadline = file.completedAt + config.deadlineMs;
  const rowIds = Array.from({ length: file.rowsTotal }, (_, i) => rowIdFor(file, i + 1));
  const items = await deps.rows.readRows(rowIds);
  const report = buildDeliveryReport(file, items, now, now >= deadline);
  const where = { bucket: file.bucket, key: file.key };
  if (report.status === "OPEN") {
    await deps.files.scheduleCheck(file.fileId, nextCheckAt(file, now, deadline));
    deps.logger.info("Delivery report still open", { ...where, counts: report.counts });
    return "scheduled";
  }
  const reportKey = deliveryReportKeyFor(config.reportPrefix, file.key);
  await deps.putReport(file.bucket, reportKey, JSON.stringify(report, null, 2));
  await deps.events.publish({
    eventType: "sms.file.delivery-report",
    eventId: file.fileId,
    status: report.status,
    bucket: file.bucket,
    key: file.key,
    etag: file.etag,
    reportKey,
    counts: report.counts,
    reasons: report.reasons,
  });
  await deps.files.closeReport(file.fileId, report.status === "FINAL" ? "FINAL" : "DEADLINE", reportKey);
  deps.metrics.addMetric(report.status === "FINAL" ? REPORTER_METRICS.DeliveryReportFinal : REPORTER_METRICS.DeliveryReportDeadlinePassed, MetricUnit.Count, 1);
  deps.logger.info("Delivery report published", { ...where, status: report.status, reportKey, counts: report.counts });
  return report.status === "FINAL" ? "published" : "deadline";
}

/** One run: every open file, each on its own (one file's failure does not stop the others). */
export async function reportOpenFiles(config: Pick<ReporterConfig, "deadlineMs" | "reportPrefix">, deps: ReportDeps): Promise<{ results: FileReportResult[]; failed: number }> {
  const results: FileReportResult[] = [];
  let failed = 0;
  for (const file of await deps.files.openFiles()) {
    try {
      results.push(await reportFile(file, config, deps));
    } catch (error) {
      failed++;
      deps.metrics.addMetric(REPORTER_METRICS.DeliveryReportFailed, MetricUnit.Count, 1);
      deps.logger.error("Delivery report failed; retried at the next run", { bucket: file.bucket, key: file.key, error });
    }
  }
  return { results, failed };
}
