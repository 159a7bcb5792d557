import { isRetryableError } from "../shared/runtime/errors";
import { maskEmail } from "../shared/runtime/pii";
import type { SesAddressProblem } from "../shared/email/ses-events";
import {
  createBatchDeduplicator,
  errorName,
  RecipientFailuresError,
  type FeedbackService,
  type RecipientOutcome,
} from "../shared/email/feedback/feedback-service";
import { splitJsonRecords, type SegmentProblem, type SplitterOptions } from "./json-stream";
import { mapPinpointRecord } from "./pinpoint-records";

/** Where in the object a bad record is: position only, never content. */
export interface BadRecord {
  /** 1-based line where the record started. */
  line: number;
  problem: SegmentProblem | "invalid-json" | "invalid-record";
  /** Schema paths for "invalid-record" (no values). */
  detail?: string;
}

export interface FailedRecord {
  line: number;
  sesMessageId: string;
  errorNames: string[];
  /** True when a retry may succeed (throttling, 5xx, network), or the failure is unexpected. */
  retry: boolean;
}

/** A recipient that was not suppressed because SES cannot take its address. */
export interface InvalidAddress {
  line: number;
  sesMessageId: string;
  /** Masked (pii.ts). */
  recipient: string;
  problem: SesAddressProblem | undefined;
}

export interface ObjectReport {
  /** Well-formed JSON records found. */
  records: number;
  /** Hard-bounce and complaint records handed to the feedback service. */
  feedbackEvents: number;
  /** Valid records of other event types. */
  ignoredRecords: number;
  /** Recipients suppressed, by reason (BOUNCE / COMPLAINT). */
  suppressed: Record<string, number>;
  /** Recipients skipped as already handled (same batch or earlier delivery). */
  duplicates: number;
  /** Recipients the policy ignored (e.g. a not-spam complaint). */
  ignoredRecipients: number;
  /** Recipients whose address SES cannot take: not suppressed, not retried. */
  invalidAddressCount: number;
  /** The first `maxReported` of them. */
  invalidAddresses: InvalidAddress[];
  badRecordCount: number;
  /** The first `maxReported` bad records. */
  badRecords: BadRecord[];
  failures: FailedRecord[];
}

/**
 * Failures a retry cannot fix because the record's data is wrong (e.g. SES refuses an address
 * that is not a valid email address). Everything else, including access and configuration errors,
 * fails the object so it is retried and then reaches the on-failure destination.
 */
// SES v2 answers an invalid address with BadRequestException. A DynamoDB ValidationException is a
// fault in our own request, not in the record, so it is retried like any other error.
const PERMANENT_RECORD_ERRORS = new Set(["BadRequestException"]);

export function shouldRetry(error: unknown): boolean {
  if (isRetryableError(error)) return true;
  return !PERMANENT_RECORD_ERRORS.has((error as { name?: string } | null)?.name ?? "");
}

export interface ProcessObjectOptions extends SplitterOptions {
  /** How many bad records are listed in the report (all are counted). Default 20. */
  maxReported?: number;
}

function tally(report: ObjectReport, outcomes: readonly RecipientOutcome[], where: { line: number; sesMessageId: string }, maxReported: number): void {
  for (const outcome of outcomes) {
    if (outcome.duplicate) report.duplicates++;
    else if (outcome.action === "suppressed" && outcome.reason) {
      report.suppressed[outcome.reason] = (report.suppressed[outcome.reason] ?? 0) + 1;
    } else if (outcome.action === "invalid-address") {
      report.invalidAddressCount++;
      if (report.invalidAddresses.length < maxReported) {
        report.invalidAddresses.push({ ...where, recipient: maskEmail(outcome.address), problem: outcome.problem });
      }
    } else report.ignoredRecipients++;
  }
}

/**
 * Streams one event-stream object: splits it into records, acts on `_email.hardbounce` and
 * `_email.complaint` through the feedback service #1 also uses, and reports bad records and
 * failed ones without stopping. Throws only when the object itself cannot be read.
 */
export async function processEventObject(
  chunks: AsyncIterable<Uint8Array>,
  feedback: Pick<FeedbackService, "processEvent">,
  options: ProcessObjectOptions = {},
): Promise<ObjectReport> {
  const maxReported = options.maxReported ?? 20;
  const report: ObjectReport = {
    records: 0,
    feedbackEvents: 0,
    ignoredRecords: 0,
    suppressed: {},
    duplicates: 0,
    ignoredRecipients: 0,
    invalidAddressCount: 0,
    invalidAddresses: [],
    badRecordCount: 0,
    badRecords: [],
    failures: [],
  };
  const bad = (entry: BadRecord): void => {
    report.badRecordCount++;
    if (report.badRecords.length < maxReported) report.badRecords.push(entry);
  };
  // One object is one batch: the same address suppressed twice for the same reason is one call.
  const batch = createBatchDeduplicator();

  for await (const segment of splitJsonRecords(chunks, options)) {
    if (segment.kind === "bad") {
      bad({ line: segment.line, problem: segment.problem });
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(segment.text);
    } catch {
      bad({ line: segment.line, problem: "invalid-json" });
      continue;
    }
    report.records++;
    const mapped = mapPinpointRecord(value);
    if (mapped.kind === "invalid") {
      bad({ line: segment.line, problem: "invalid-record", detail: mapped.error });
      continue;
    }
    if (mapped.kind === "ignored") {
      report.ignoredRecords++;
      continue;
    }
    report.feedbackEvents++;
    const where = { line: segment.line, sesMessageId: mapped.event.sesMessageId };
    try {
      tally(report, await feedback.processEvent(mapped.event, { batch }), where, maxReported);
    } catch (error) {
      const errors = error instanceof RecipientFailuresError ? error.failures.map((f) => f.error) : [error];
      if (error instanceof RecipientFailuresError) tally(report, error.outcomes, where, maxReported);
      report.failures.push({
        line: segment.line,
        sesMessageId: mapped.event.sesMessageId,
        errorNames: [...new Set(errors.map(errorName))],
        retry: errors.some(shouldRetry),
      });
    }
  }
  return report;
}
