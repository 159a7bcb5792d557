/**
 * One dropped file → the target's import file, the follow-up send file and the error report,
 * streamed: rows are read, checked and validated in windows of WINDOW_ROWS, and written as they
 * go, so memory holds one window, one output part per file and the number cache.
 *
 * - A row that cannot be imported (wrong field count, unknown channel, empty or malformed
 *   address) is left out and reported with its reasons.
 * - A phone number PhoneNumberValidate marks invalid is imported opted out (the seed's rule) and
 *   reported; it is never messaged.
 * - A bad header or a CSV syntax error rejects the file: nothing is imported (partial files are
 *   aborted), the report says why.
 * Outputs are keyed by the execution name, so a retried validation overwrites its own files.
 */
import type { Readable } from "node:stream";
import { csvLine } from "../shared/files/csv";
import { formatOfKey, readRecords } from "../shared/files/record-reader";
import type { ObjectWriter } from "../shared/files/s3-multipart-writer";
import { WORK_PREFIXES, type ImportTarget } from "./contract";
import {
  applyPhoneOutcome,
  checkRow,
  invalidNumberReason,
  isInvalidNumber,
  layoutColumns,
  phoneValidationInput,
  PHONE_CHANNELS,
  type ColumnLayout,
  type RowError,
} from "./contacts";
import type { PhoneValidationCache } from "./phone-validation";
import { targetFile, type UploadMapping } from "./target-files";

/** Rows validated together: their distinct numbers go to PhoneNumberValidate at bounded concurrency. */
export const WINDOW_ROWS = 500;
/** Error-report lines kept; the rest are counted. */
export const MAX_REPORT_LINES = 10_000;
/** Invalid rows quoted in the notice (the report has them all). */
export const MAX_NOTICE_ROWS = 10;

/** The default follow-up: one row per imported SMS contact in #9's send-file format. */
export interface FollowUpSms {
  message: string;
  originationIdentity: string;
  messageType: "TRANSACTIONAL" | "PROMOTIONAL";
  /** #9's header names for its canonical columns, in canonical order. */
  header: string[];
}

export interface ValidateSettings {
  target: ImportTarget;
  workBucket: string;
  validatePhoneNumbers: boolean;
  assumeUs: boolean;
  followUpSms?: FollowUpSms;
}

export interface ValidateInput {
  bucket: string;
  key: string;
  executionName: string;
}

export interface ValidateDeps {
  open(): Promise<Readable>;
  writer(key: string, contentType: string): ObjectWriter;
  phones: PhoneValidationCache;
}

export interface FileRef {
  bucket: string;
  key: string;
  s3Url: string;
}

export interface ValidationSummary {
  format: "CSV" | "JSON";
  rows: { read: number; imported: number; invalid: number; invalidNumbers: number; skipped: number; followUp: number };
  phoneValidation: { uniqueNumbers: number; calls: number; throttled: number };
  fileErrors: string[];
  files: { validated: FileRef | null; errorReport: FileRef | null; followUp: FileRef | null };
  invalidRows: RowError[];
  upload: UploadMapping | null;
}

interface PendingRow {
  row: number;
  values: string[];
  channel: string;
}

const ref = (bucket: string, key: string): FileRef => ({ bucket, key, s3Url: `s3://${bucket}/${key}` });

export async function validateFile(input: ValidateInput, deps: ValidateDeps, settings: ValidateSettings): Promise<ValidationSummary> {
  const format = formatOfKey(input.key);
  const keys = {
    validated: `${WORK_PREFIXES.validated}${input.executionName}.csv`,
    report: `${WORK_PREFIXES.reports}${input.executionName}.errors.csv`,
    followUp: `${WORK_PREFIXES.followUp}${input.executionName}.csv`,
  };
  const rows = { read: 0, imported: 0, invalid: 0, invalidNumbers: 0, skipped: 0, followUp: 0 };
  const fileErrors: string[] = [];
  const noticeRows: RowError[] = [];
  let reportLines = 0;
  let reportDropped = 0;
  let report: ObjectWriter | undefined;

  const reportError = async (error: RowError) => {
    if (noticeRows.length < MAX_NOTICE_ROWS) noticeRows.push(error);
    if (reportLines >= MAX_REPORT_LINES) {
      reportDropped++;
      return;
    }
    if (report === undefined) {
      report = deps.writer(keys.report, "text/csv; charset=utf-8");
      await report.write(csvLine(["row", "column", "reason"]));
    }
    reportLines++;
    await report.write(csvLine([error.row === 0 ? "" : String(error.row), error.column, error.reason]));
  };

  let layout: ColumnLayout | undefined;
  let target: ReturnType<typeof targetFile> | undefined;
  let validated: ObjectWriter | undefined;
  let followUp: ObjectWriter | undefined;
  const followUpNumbers = new Set<string>();
  let window: PendingRow[] = [];

  const flush = async () => {
    if (window.length === 0 || layout === undefined || target === undefined || validated === undefined) return;
    const batch = window;
    window = [];
    const address = layout.index.get("Address")!;
    const phoneRows = settings.validatePhoneNumbers ? batch.filter((r) => PHONE_CHANNELS.has(r.channel)) : [];
    const inputs = new Map(phoneRows.map((r) => [r, phoneValidationInput(r.values[address], settings.assumeUs)]));
    await deps.phones.resolve(inputs.values());
    for (const pending of batch) {
      const request = inputs.get(pending);
      if (request !== undefined) {
        const outcome = deps.phones.outcome(request);
        applyPhoneOutcome(pending.values, layout, outcome);
        if (isInvalidNumber(outcome)) {
          rows.invalidNumbers++;
          await reportError({ row: pending.row, column: "Address", reason: invalidNumberReason(outcome) });
        }
      }
      const line = target.line(pending.values, pending.channel);
      if (line === undefined) {
        rows.skipped++;
        continue;
      }
      await validated.write(line);
      rows.imported++;
      if (followUp !== undefined && settings.followUpSms !== undefined) {
        const number = followUpNumber(pending, layout);
        if (number !== undefined && !followUpNumbers.has(number)) {
          followUpNumbers.add(number);
          const id = pending.values[layout.index.get("Id") ?? layout.index.get("User.UserId") ?? -1] ?? "";
          const sms = settings.followUpSms;
          // In #9's column order (SMS_SEND_FILE_COLUMNS); the header has #9's names for them.
          await followUp.write(csvLine([number, sms.message, input.executionName, sms.originationIdentity, sms.messageType, id, String(pending.row), "SMS"]));
          rows.followUp++;
        }
      }
    }
  };

  const open = async () => deps.open();
  try {
    for await (const item of readRecords(format, open)) {
      if (item.kind === "columns") {
        const result = layoutColumns(item.columns, settings.validatePhoneNumbers);
        if (!result.ok) {
          fileErrors.push(...result.errors);
          break;
        }
        layout = result.layout;
        target = targetFile(settings.target, layout);
        if (target.columnErrors.length > 0) {
          fileErrors.push(...target.columnErrors);
          break;
        }
        validated = deps.writer(keys.validated, "text/csv; charset=utf-8");
        await validated.write(target.header());
        if (settings.followUpSms !== undefined) {
          followUp = deps.writer(keys.followUp, "text/csv; charset=utf-8");
          await followUp.write(csvLine(settings.followUpSms.header));
        }
      } else if (item.kind === "file-error") {
        fileErrors.push(item.reason);
        break;
      } else if (item.kind === "bad") {
        rows.read++;
        rows.invalid++;
        await reportError({ row: item.row, column: "(row)", reason: item.reason });
      } else {
        rows.read++;
        const checked = checkRow(item.row, item.fields, layout!);
        if (!checked.ok) {
          rows.invalid++;
          for (const error of checked.errors) await reportError(error);
          continue;
        }
        window.push({ row: item.row, values: checked.values, channel: checked.channel });
        if (window.length >= WINDOW_ROWS) await flush();
      }
    }
    if (fileErrors.length === 0) await flush();
  } catch (error) {
    await Promise.allSettled([validated?.abort(), followUp?.abort(), report?.abort()]);
    throw error;
  }

  if (fileErrors.length > 0) {
    // Nothing is imported from a rejected file.
    await Promise.all([validated?.abort(), followUp?.abort()]);
    for (const reason of fileErrors) await reportError({ row: 0, column: "(file)", reason: `${reason}; the file was not imported` });
    rows.imported = 0;
    rows.followUp = 0;
  } else {
    await validated?.close();
    await followUp?.close();
  }
  if (reportDropped > 0 && report !== undefined) await report.write(csvLine(["", "(file)", `${reportDropped} more problems not listed`]));
  if (report !== undefined) await report.close();

  const imported = fileErrors.length === 0 && validated !== undefined;
  return {
    format,
    rows,
    phoneValidation: { uniqueNumbers: deps.phones.size, calls: deps.phones.calls, throttled: deps.phones.throttled },
    fileErrors,
    files: {
      validated: imported ? ref(settings.workBucket, keys.validated) : null,
      errorReport: report === undefined ? null : ref(settings.workBucket, keys.report),
      followUp: imported && followUp !== undefined && rows.followUp > 0 ? ref(settings.workBucket, keys.followUp) : null,
    },
    invalidRows: noticeRows,
    upload: imported ? (target?.upload ?? null) : null,
  };
}

/** The number a follow-up goes to: an SMS row that is valid (or not validated) and not opted out. */
function followUpNumber(row: PendingRow, layout: ColumnLayout): string | undefined {
  if (row.channel !== "SMS") return undefined;
  const value = (column: string) => {
    const i = layout.index.get(column);
    return i === undefined ? "" : row.values[i];
  };
  if (value("Attributes.Endpoint") === "INVALID" || value("OptOut").toUpperCase() === "ALL") return undefined;
  return value("Address");
}
