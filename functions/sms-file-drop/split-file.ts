/**
 * Splits one dropped CSV into queued SMS messages. SDK-free: S3, SQS, DynamoDB and SNS are ports.
 *
 * 1. Skip what is not input: 0-byte objects (folder placeholders), file versions whose checkpoint
 *    is COMPLETE (a redelivered event), and objects overwritten or deleted since the event. (Error
 *    reports are written under their own prefix, outside the trigger prefix, so they never arrive
 *    here, and every key under the trigger prefix is a customer file, whatever its name.)
 * 2. Stream the object through a UTF-8 check (utf8.ts) and csv-parse: RFC 4180 quotes, embedded
 *    commas and line breaks, CRLF / LF / CR line endings (mixed too), a UTF-8 BOM, empty and
 *    whitespace-only lines skipped. Memory stays flat: one record at a time (at most
 *    MAX_RECORD_CHARACTERS), at most ENQUEUE_CONCURRENCY batches in flight, and a bounded error
 *    report with truncated values.
 * 3. Map columns by header name and validate every row (rows.ts). Invalid rows go to the error
 *    report, valid rows to the FIFO queue (enqueue.ts), ten per SendMessageBatch.
 * 4. Checkpoint the contiguous watermark every few seconds or every few hundred batches (enqueue.ts),
 *    not after each batch. A retried invocation re-reads the file, re-validates every row (so the
 *    report and totals cover the whole file) and enqueues only rows after the checkpoint: at most
 *    one checkpoint interval of rows goes to the queue again, which SQS's deduplication (same
 *    MessageDeduplicationId within 5 minutes) and the sender's outcome claim make harmless.
 * 4b. With a preference table (SplitDeps.preferences), rows are held back in file order until 100
 *    distinct TRANSACTIONAL numbers are pending (DynamoDB's BatchGetItem maximum), checked with one
 *    read, and queued; a row whose number has no recorded permanent failure carries
 *    permanentFailureCheckedAt, so the sender needs no read of its own for it (message.ts). A failed
 *    check queues the rows unmarked: the sender then reads, as without the check.
 * 5. When the whole file has been read: write the error report (if any), publish the
 *    sms.file.processed summary, then mark the checkpoint COMPLETE. In that order, a failure in
 *    between is retried; the summary is at-least-once (eventId = bucket/key/etag).
 *
 * Failures: a failed enqueue, a checkpoint write failure or an S3 read error throws after
 * in-flight batches settle and the checkpoint is saved, so the async retry resumes. When the
 * invocation is about to time out it stops early the same way (TimeBudgetExceededError). A CSV
 * syntax error or a bad header cannot be fixed by retrying: it is reported in the error report and
 * the summary (status REJECTED) and the file is marked complete. So is a file that is not UTF-8:
 * it is rejected at its first invalid byte instead of being sent with replacement characters.
 */
import { pipeline, type Readable } from "node:stream";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import { parse } from "csv-parse";
import type { EventPublisher, SmsFileProcessedEvent } from "../shared/sms/sms-domain-events";
import type { PreferenceStore } from "../shared/sms/sms-preferences";
import type { Clock, Sleep } from "../shared/sms/token-bucket";
import type { Checkpoint, CheckpointStore, ObjectStore } from "./adapters";
import type { SplitterConfig } from "./config";
import { SPLITTER_METRICS } from "./contract";
import { Enqueuer, type QueueEntry, type QueuePort } from "./enqueue";
import { ErrorReport, errorReportKeyFor } from "./error-report";
import { fileIdFor, rowIdFor, type FileVersion, type QueuedSms } from "./message";
import { isBlankRecord, resolveHeader, validateRow, type HeaderLayout, type RowRules, type ValidRow } from "./rows";
import type { ObjectRef } from "./s3-event";
import { InvalidUtf8Error, utf8Guard } from "./utf8";
import { voiceEntryForRow } from "../shared/voice/router";

/** Stop reading when less than this much time is left, so batches and the checkpoint can settle. */
export const TIME_BUDGET_MARGIN_MS = 30_000;
/** A record longer than this (e.g. a runaway unclosed quote) is a CSV error, not a memory problem. */
export const MAX_RECORD_CHARACTERS = 100_000;
/** Numbers per permanent-failure check: DynamoDB's BatchGetItem maximum. */
export const PREFERENCE_CHECK_NUMBERS = 100;
/** Rows held back for one check at most (a stretch of PROMOTIONAL or VOICE rows never fills one). */
export const PREFERENCE_CHECK_MAX_HELD_ROWS = 1_000;

export interface SplitDeps {
  objects: ObjectStore;
  queue: QueuePort;
  checkpoints: CheckpointStore;
  events: EventPublisher;
  logger: Logger;
  metrics: Metrics;
  /** Milliseconds left in the invocation. */
  remainingMs: () => number;
  sleep?: Sleep;
  random?: () => number;
  /** For the checkpoint interval (enqueue.ts) and the permanent-failure check's time. Default: Date.now. */
  clock?: Clock;
  /** The preference table, when the splitter checks TRANSACTIONAL rows for permanent failures. */
  preferences?: Required<Pick<PreferenceStore, "getMany">>;
}

export type SplitResult =
  | { status: "skipped"; reason: "empty" | "already-complete" | "changed" | "deleted" }
  | { status: "processed"; summary: SmsFileProcessedEvent; resumedAfterRow: number };

/** The invocation stopped early to avoid a timeout; the retry resumes from the checkpoint. */
export class TimeBudgetExceededError extends Error {
  constructor(lastRow: number) {
    super(`Stopped after row ${lastRow} to finish before the timeout; the retry resumes from the checkpoint`);
    this.name = "TimeBudgetExceededError";
  }
}

export interface CsvSyntaxError {
  code: string;
  message: string;
  /** Line at which csv-parse detected the error. */
  line: number;
}

export interface CsvReader {
  /** Records in file order, up to (not including) the first CSV syntax error. */
  records: AsyncIterable<string[]>;
  /** The first CSV syntax error, once the reader has reached it. */
  syntaxError: () => CsvSyntaxError | undefined;
}

/**
 * Streams CSV records from `body`. A syntax error (bad quote, unclosed quote, record over
 * MAX_RECORD_CHARACTERS) ends the records at the row before it instead of destroying the stream,
 * which would also discard records already parsed from the same chunk. Errors of the source
 * stream (an S3 read reset) and InvalidUtf8Error (a byte that is not UTF-8) are thrown by the
 * iterator.
 */
export function readCsvRecords(body: Readable): CsvReader {
  let firstError: CsvSyntaxError | undefined;
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    record_delimiter: ["\r\n", "\n", "\r"],
    max_record_size: MAX_RECORD_CHARACTERS,
    info: true,
    skip_records_with_error: true,
    on_skip: (error) => {
      if (error !== undefined && firstError === undefined) {
        firstError = { code: error.code, message: error.message, line: Number((error as { lines?: number }).lines ?? 0) };
      }
      return undefined;
    },
  });
  pipeline(body, utf8Guard(), parser, () => {
    // Errors reach the consumer through the parser's async iterator (pipeline destroys it with the error).
  });
  async function* records(): AsyncGenerator<string[]> {
    for await (const { info, record } of parser as AsyncIterable<{ info: { lines: number }; record: string[] }>) {
      // csv-parse cannot resynchronize reliably after a syntax error: stop at the first one.
      if (firstError !== undefined && info.lines >= firstError.line) return;
      yield record;
    }
  }
  return { records: records(), syntaxError: () => firstError };
}

export function queuedMessageFor(file: FileVersion, row: number, valid: ValidRow): QueuedSms {
  return {
    destination: valid.destination,
    body: valid.body,
    originationIdentity: valid.originationIdentity,
    messageType: valid.messageType,
    context: {
      external_campaign_id: valid.externalCampaignId,
      id_1: valid.id1,
      id_2: valid.id2,
      sourceBucket: file.bucket,
      sourceKey: file.key,
      row,
    },
    rowId: rowIdFor(file, row),
  };
}

function smsEntry(message: QueuedSms): QueueEntry {
  return { id: `row-${message.context.row}`, body: JSON.stringify(message), groupId: message.originationIdentity, deduplicationId: message.rowId };
}

type HeldRow = { row: number; entry: QueueEntry } | { row: number; message: QueuedSms };

/**
 * Holds rows back in file order for the permanent-failure check and queues them after it (or at
 * once without a preference table). Order is kept, so the enqueuer's watermark never passes a
 * held row.
 */
class PermanentFailureCheck {
  private held: HeldRow[] = [];
  private readonly numbers = new Set<string>();

  constructor(
    private readonly enqueuer: Enqueuer,
    private readonly deps: Pick<SplitDeps, "preferences" | "clock" | "logger">,
  ) {}

  async add(item: HeldRow): Promise<void> {
    if (this.deps.preferences === undefined) return this.queue(item);
    this.held.push(item);
    if ("message" in item && item.message.messageType === "TRANSACTIONAL") this.numbers.add(item.message.destination);
    if (this.numbers.size >= PREFERENCE_CHECK_NUMBERS || this.held.length >= PREFERENCE_CHECK_MAX_HELD_ROWS) await this.release();
  }

  /** Checks and queues every held row. */
  async release(): Promise<void> {
    const held = this.held;
    const numbers = [...this.numbers];
    this.held = [];
    this.numbers.clear();
    let clean: ReadonlySet<string> = new Set();
    let checkedAt = 0;
    if (numbers.length > 0 && this.deps.preferences !== undefined) {
      checkedAt = (this.deps.clock ?? Date.now)();
      try {
        const found = await this.deps.preferences.getMany(numbers);
        clean = new Set(numbers.filter((n) => found.get(n)?.permanentFailureAt === undefined));
      } catch (error) {
        this.deps.logger.warn("Permanent-failure check failed; rows queued unchecked (the sender reads)", { errorName: (error as Error).name });
      }
    }
    for (const item of held) {
      if (!("message" in item)) {
        await this.queue(item);
        continue;
      }
      const checked = item.message.messageType === "TRANSACTIONAL" && clean.has(item.message.destination);
      await this.queue(checked ? { row: item.row, message: { ...item.message, permanentFailureCheckedAt: checkedAt } } : item);
    }
  }

  private queue(item: HeldRow): Promise<void> {
    return this.enqueuer.add(item.row, "message" in item ? smsEntry(item.message) : item.entry);
  }
}

export async function splitFile(ref: ObjectRef, config: SplitterConfig, deps: SplitDeps): Promise<SplitResult> {
  const { logger, metrics } = deps;
  const where = { bucket: ref.bucket, key: ref.key };
  const skip = (reason: Extract<SplitResult, { status: "skipped" }>["reason"]): SplitResult => {
    metrics.addMetric(SPLITTER_METRICS.FileSkipped, MetricUnit.Count, 1);
    logger.info("File skipped", { ...where, reason });
    return { status: "skipped", reason };
  };
  if (ref.size === 0) return skip("empty");

  let checkpoint: Checkpoint | undefined;
  if (ref.etag !== undefined) {
    checkpoint = await deps.checkpoints.get(fileIdFor({ bucket: ref.bucket, key: ref.key, etag: ref.etag }));
    if (checkpoint?.status === "COMPLETE") return skip("already-complete");
  }
  const opened = await deps.objects.open(ref);
  if (opened.status === "gone") return skip(opened.reason);
  const etag = ref.etag ?? opened.etag;
  if (etag === undefined) {
    opened.body.destroy();
    throw new Error(`No ETag for s3://${ref.bucket}/${ref.key}: cannot derive stable row ids`);
  }
  if (opened.contentLength === 0) {
    opened.body.destroy();
    return skip("empty");
  }
  const file: FileVersion = { bucket: ref.bucket, key: ref.key, etag };
  const fileId = fileIdFor(file);
  if (ref.etag === undefined) {
    checkpoint = await deps.checkpoints.get(fileId);
    if (checkpoint?.status === "COMPLETE") {
      opened.body.destroy();
      return skip("already-complete");
    }
  }
  const resumeAfter = checkpoint?.lastRow ?? 0;
  if (resumeAfter > 0) logger.info("Resuming file after checkpoint", { ...where, resumeAfter });

  const report = new ErrorReport(config.maxErrorReportLines);
  const rules: RowRules = { identities: config.identityRates, maxSegments: config.maxSegments, voiceEnabled: config.voiceQueueUrl !== undefined };
  const enqueuer = new Enqueuer({
    queue: deps.queue,
    saveProgress: (lastRow) => deps.checkpoints.saveProgress(fileId, file, lastRow),
    concurrency: config.enqueueConcurrency,
    maxAttempts: config.enqueueMaxAttempts,
    sleep: deps.sleep,
    random: deps.random,
    clock: deps.clock,
    checkpointIntervalMs: config.checkpointIntervalMs,
    checkpointEveryBatches: config.checkpointEveryBatches,
  });
  const rowsOut = new PermanentFailureCheck(enqueuer, deps);

  let layout: HeaderLayout | undefined;
  let rejected = false;
  let row = 0;
  let validRows = 0;
  let lastRow = 0;
  let outOfTime = false;
  let notUtf8: InvalidUtf8Error | undefined;
  const csv = readCsvRecords(opened.body);
  try {
    for await (const record of csv.records) {
      if (layout === undefined) {
        const header = resolveHeader(record, config.columnMap);
        if (!header.ok) {
          for (const reason of header.errors) report.addFileError(`header: ${reason}`);
          rejected = true;
          break;
        }
        layout = header.layout;
        continue;
      }
      if (isBlankRecord(record)) continue;
      row += 1;
      const result = validateRow(record, layout, rules);
      if (!result.ok) {
        report.addRow(row, result.errors);
        continue;
      }
      validRows += 1;
      if (row <= resumeAfter) continue; // queued by an earlier attempt
      if (deps.remainingMs() < TIME_BUDGET_MARGIN_MS) {
        outOfTime = true;
        break;
      }
      if (result.row.channel === "VOICE") {
        const valid = result.row;
        await rowsOut.add({
          row,
          entry: voiceEntryForRow(
            { ...file, row, destination: valid.destination, message: valid.body, externalCampaignId: valid.externalCampaignId, id1: valid.id1, id2: valid.id2 },
            { id: `row-${row}`, groupId: "voice", deduplicationId: rowIdFor(file, row) },
          ),
        });
        lastRow = row;
        continue;
      }
      await rowsOut.add({ row, message: queuedMessageFor(file, row, result.row) });
      lastRow = row;
    }
  } catch (error) {
    if (!(error instanceof InvalidUtf8Error)) {
      // Let the batches in flight finish and checkpoint what they confirmed, then fail the attempt.
      await enqueuer.flush().catch(() => undefined);
      opened.body.destroy();
      throw error;
    }
    // Retrying cannot fix the encoding: reject the file like a syntax error.
    notUtf8 = error;
  }
  opened.body.destroy();
  const syntaxError = csv.syntaxError();
  if (notUtf8 !== undefined && !rejected) {
    report.addFileError(
      `the file is not UTF-8 (invalid byte sequence at byte ${notUtf8.byteOffset}, after data row ${row}); save it as UTF-8 (for example "CSV UTF-8") and upload it again. Later rows were not read.`,
    );
    metrics.addMetric(SPLITTER_METRICS.FileNotUtf8, MetricUnit.Count, 1);
    rejected = true;
  } else if (syntaxError !== undefined && !rejected && !outOfTime) {
    // The parser's code and line, not its message: csv-parse quotes field values in its messages,
    // and this text also goes out in the file summary event.
    report.addFileError(`CSV syntax error after data row ${row} (${syntaxError.code} at line ${syntaxError.line}). Later rows were not read.`);
    rejected = true;
  }
  try {
    await rowsOut.release();
  } catch (error) {
    await enqueuer.flush().catch(() => undefined);
    throw error;
  }
  await enqueuer.flush();
  if (outOfTime) {
    metrics.addMetric(SPLITTER_METRICS.SplitterTimeBudgetExceeded, MetricUnit.Count, 1);
    throw new TimeBudgetExceededError(lastRow);
  }
  if (layout === undefined && !rejected) {
    report.addFileError("the file has no header row");
    rejected = true;
  }

  const errorReportKey = report.isEmpty ? null : errorReportKeyFor(config.reportPrefix, ref.key);
  if (errorReportKey !== null) await deps.objects.putErrorReport(ref.bucket, errorReportKey, report.toCsv());
  const summary: SmsFileProcessedEvent = {
    eventType: "sms.file.processed",
    eventId: fileId,
    status: rejected ? "REJECTED" : "COMPLETED",
    bucket: file.bucket,
    key: file.key,
    etag: file.etag,
    rowsTotal: row,
    rowsQueued: validRows,
    rowsInvalid: report.rowsInvalid,
    errorReportKey,
    ...(report.fileError !== undefined ? { fileError: report.fileError } : {}),
  };
  await deps.events.publish(summary);
  await deps.checkpoints.complete(fileId, file, Math.max(lastRow, resumeAfter), {
    rowsTotal: summary.rowsTotal,
    rowsQueued: summary.rowsQueued,
    rowsInvalid: summary.rowsInvalid,
    errorReportKey,
    fileStatus: summary.status,
  });

  metrics.addMetric(SPLITTER_METRICS.RowsEnqueued, MetricUnit.Count, enqueuer.queued);
  metrics.addMetric(SPLITTER_METRICS.RowsInvalid, MetricUnit.Count, report.rowsInvalid);
  metrics.addMetric(rejected ? SPLITTER_METRICS.FileRejected : SPLITTER_METRICS.FileCompleted, MetricUnit.Count, 1);
  logger.info("File processed", { ...where, etag, status: summary.status, rowsTotal: row, rowsQueued: validRows, rowsInvalid: report.rowsInvalid, sentThisAttempt: enqueuer.queued, resumedAfterRow: resumeAfter });
  return { status: "processed", summary, resumedAfterRow: resumeAfter };
}
