/**
 * CSV header mapping and per-row validation for the SMS file drop. Pure: no I/O.
 *
 * Columns are found BY HEADER NAME (case-insensitive, surrounding whitespace ignored), never by
 * position. The canonical names are the 2020 sample file's header:
 *   sms_number,message,external_campaign_id,short_code,message_type,id_1,id_2
 * A column map (env COLUMN_MAP) renames any of them, e.g. {"sms_number":"phone"}. sms_number,
 * message, short_code and message_type are required; the other three may be absent (empty).
 *
 * A row is valid when:
 * - it has exactly as many fields as the header;
 * - sms_number is a valid phone number written in international form (starts with "+"); it is
 *   sent in canonical E.164 ("+1 (206) 555-0100" → "+12065550100");
 * - message is non-empty, at most 1600 characters, and at most `maxSegments` message parts in its
 *   encoding (GSM-7 or UCS-2, see sms-encoding.ts);
 * - short_code (the origination identity) is in the configured allow-list: the CSV never picks a
 *   sender we did not approve;
 * - message_type is TRANSACTIONAL or PROMOTIONAL (case-insensitive);
 * - external_campaign_id, id_1, id_2 are at most 800 characters (the SendTextMessage Context limit).
 * All values are trimmed. Every problem in a row is reported, not just the first.
 */
import { parsePhoneNumberWithError } from "libphonenumber-js/max";
import { MESSAGE_TYPES, type SmsMessageType } from "../shared/sms/sms-config";
import { analyzeSmsBody, nonGsm7Characters, type SmsEncoding } from "../shared/sms/sms-encoding";
import { CONTEXT_LIMITS } from "../shared/sms/sms-send";
import { voiceMessageProblem } from "../shared/voice/router";
import { CSV_COLUMNS } from "./contract";

export type CanonicalColumn = (typeof CSV_COLUMNS)[number];
export const REQUIRED_COLUMNS: readonly CanonicalColumn[] = ["sms_number", "message", "short_code", "message_type"];

/** Canonical column → header name in the file. Unlisted columns keep their canonical name. */
export type ColumnMap = Partial<Record<CanonicalColumn, string>>;

/** SendTextMessage MessageBody maximum length. */
export const MAX_BODY_CHARACTERS = 1600;

export interface HeaderLayout {
  /** Position of each canonical column in a record; undefined when an optional column is absent. */
  index: Readonly<Record<CanonicalColumn, number | undefined>>;
  /** Header name of each canonical column as it should appear in error reports. */
  label: Readonly<Record<CanonicalColumn, string>>;
  columnCount: number;
}

export type HeaderResult = { ok: true; layout: HeaderLayout } | { ok: false; errors: string[] };

export function resolveHeader(header: readonly string[], columnMap: ColumnMap = {}): HeaderResult {
  const positions = new Map<string, number[]>();
  header.forEach((name, i) => {
    const key = name.trim().toLowerCase();
    positions.set(key, [...(positions.get(key) ?? []), i]);
  });
  const errors: string[] = [];
  const index = {} as Record<CanonicalColumn, number | undefined>;
  const label = {} as Record<CanonicalColumn, string>;
  for (const column of CSV_COLUMNS) {
    const name = (columnMap[column] ?? column).trim();
    label[column] = name;
    const found = positions.get(name.toLowerCase()) ?? [];
    if (found.length > 1) errors.push(`column "${name}" appears ${found.length} times in the header`);
    if (found.length === 0 && REQUIRED_COLUMNS.includes(column)) {
      errors.push(`required column "${name}"${name === column ? "" : ` (for ${column})`} is missing from the header`);
    }
    index[column] = found[0];
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, layout: { index, label, columnCount: header.length } };
}

export interface RowRules {
  /** Allowed origination identities. */
  identities: ReadonlySet<string> | ReadonlyMap<string, unknown>;
  maxSegments: number;
  /** A dialer queue is configured (#13): rows whose channel is VOICE are accepted. */
  voiceEnabled?: boolean;
}

export interface RowError {
  /** Header name of the offending column, or "(row)" for the row as a whole. */
  column: string;
  reason: string;
}

export interface ValidRow {
  /** SMS (default) or VOICE (a call placed by #13's dialer; short_code and message_type are not used). */
  channel: "SMS" | "VOICE";
  destination: string;
  body: string;
  originationIdentity: string;
  messageType: SmsMessageType;
  externalCampaignId: string;
  id1: string;
  id2: string;
  encoding: SmsEncoding;
  segments: number;
}

export type RowResult = { ok: true; row: ValidRow } | { ok: false; errors: RowError[] };

/** Validates an E.164 destination; returns the canonical form or the reason it is invalid. */
export function validateDestination(value: string): { ok: true; e164: string } | { ok: false; reason: string } {
  if (value === "") return { ok: false, reason: "is empty" };
  if (!value.startsWith("+")) return { ok: false, reason: "must be in international E.164 format starting with +" };
  try {
    const parsed = parsePhoneNumberWithError(value);
    if (parsed.ext !== undefined) return { ok: false, reason: "must not contain an extension" };
    if (!parsed.isValid()) return { ok: false, reason: "is not a valid phone number" };
    return { ok: true, e164: parsed.number };
  } catch (error) {
    return { ok: false, reason: `is not a valid phone number (${(error as Error).message})` };
  }
}

function describeSegments(body: string, encoding: SmsEncoding, segments: number, max: number): string {
  const forcing = encoding === "UCS-2" ? nonGsm7Characters(body).slice(0, 5) : [];
  const why = forcing.length > 0 ? `; UCS-2 because of ${forcing.map((c) => JSON.stringify(c)).join(" ")}` : "";
  return `needs ${segments} message parts as ${encoding} (maximum ${max})${why}`;
}

/** Longest cell value copied into an error report; a crafted file must not inflate the report. */
export const MAX_REPORTED_VALUE_CHARACTERS = 200;

/** `text` cut to `max` characters (never inside a surrogate pair) with a marker giving its length. */
export function truncateForReport(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]!) ? max - 1 : max;
  return `${text.slice(0, end)}… (truncated, ${text.length} characters)`;
}

/** A cell value as quoted in an error report: truncated to MAX_REPORTED_VALUE_CHARACTERS. */
export function reportedValue(value: string): string {
  return `"${truncateForReport(value, MAX_REPORTED_VALUE_CHARACTERS)}"`;
}

export function validateRow(fields: readonly string[], layout: HeaderLayout, rules: RowRules): RowResult {
  if (fields.length !== layout.columnCount) {
    return { ok: false, errors: [{ column: "(row)", reason: `expected ${layout.columnCount} fields, found ${fields.length}` }] };
  }
  const value = (column: CanonicalColumn): string => {
    const i = layout.index[column];
    return i === undefined ? "" : (fields[i] ?? "").trim();
  };
  const errors: RowError[] = [];
  const fail = (column: CanonicalColumn, reason: string) => errors.push({ column: layout.label[column], reason });

  const destination = validateDestination(value("sms_number"));
  if (!destination.ok) fail("sms_number", destination.reason);

  const channel = value("channel").toUpperCase() || "SMS";
  if (channel === "VOICE") {
    if (rules.voiceEnabled !== true) fail("channel", "VOICE needs the voice dialer (enable connectChannel)");
    const problem = voiceMessageProblem(value("message"), { externalCampaignId: value("external_campaign_id"), id1: value("id_1"), id2: value("id_2") });
    if (problem !== undefined) fail("message", problem);
    if (errors.length > 0 || !destination.ok) return { ok: false, errors };
    return {
      ok: true,
      row: {
        channel: "VOICE",
        destination: destination.e164,
        body: value("message"),
        originationIdentity: value("short_code"),
        messageType: "TRANSACTIONAL",
        externalCampaignId: value("external_campaign_id"),
        id1: value("id_1"),
        id2: value("id_2"),
        encoding: "GSM-7",
        segments: 0,
      },
    };
  }
  if (channel !== "SMS") fail("channel", "must be SMS or VOICE");

  const body = value("message");
  const analysis = analyzeSmsBody(body);
  if (body === "") fail("message", "is empty");
  else if (body.length > MAX_BODY_CHARACTERS) fail("message", `is ${body.length} characters (maximum ${MAX_BODY_CHARACTERS})`);
  else if (analysis.segments > rules.maxSegments) fail("message", describeSegments(body, analysis.encoding, analysis.segments, rules.maxSegments));

  const identity = value("short_code");
  if (identity === "") fail("short_code", "is empty");
  else if (!rules.identities.has(identity)) fail("short_code", `${reportedValue(identity)} is not an allowed origination identity`);

  const messageType = value("message_type").toUpperCase();
  if (!(MESSAGE_TYPES as readonly string[]).includes(messageType)) fail("message_type", "must be TRANSACTIONAL or PROMOTIONAL");

  for (const column of ["external_campaign_id", "id_1", "id_2"] as const) {
    if (value(column).length > CONTEXT_LIMITS.maxValueLength) fail(column, `is longer than ${CONTEXT_LIMITS.maxValueLength} characters`);
  }

  if (errors.length > 0 || !destination.ok) return { ok: false, errors };
  return {
    ok: true,
    row: {
      channel: "SMS",
      destination: destination.e164,
      body,
      originationIdentity: identity,
      messageType: messageType as SmsMessageType,
      externalCampaignId: value("external_campaign_id"),
      id1: value("id_1"),
      id2: value("id_2"),
      encoding: analysis.encoding,
      segments: analysis.segments,
    },
  };
}

/** True for a record whose every field is blank (a whitespace-only line): skipped, not counted. */
export function isBlankRecord(fields: readonly string[]): boolean {
  return fields.every((f) => f.trim() === "");
}
