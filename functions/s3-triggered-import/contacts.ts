/**
 * The contact rows of a dropped file: columns, row checks and the seed's phone-validation mapping.
 * Pure: no I/O.
 *
 * Columns follow Amazon Pinpoint's import format, which the seed's files use. Its standard columns
 * (`ChannelType`, `Address`, `Id`, `User.UserId`, `Location.*`, `Demographic.*`, …) and prefixed
 * columns (`Attributes.*`, `User.UserAttributes.*`, `Metrics.*`) are kept as they are; only an
 * unknown column becomes a custom attribute (`FirstName` → `Attributes.FirstName`). The seed
 * demoted every column it did not know, `Id` and `User.UserId` included, which is why its imports
 * duplicated endpoints; its validator also overwrote the file's own `Timezone`. Here the
 * validator's fields go to `Attributes.PNV_*`, next to the file's columns.
 */

export const CHANNEL_TYPES = [
  "SMS",
  "VOICE",
  "EMAIL",
  "APNS",
  "APNS_SANDBOX",
  "APNS_VOIP",
  "APNS_VOIP_SANDBOX",
  "ADM",
  "BAIDU",
  "GCM",
  "CUSTOM",
  "IN_APP",
] as const;
const CHANNELS = new Set<string>(CHANNEL_TYPES);
export const PHONE_CHANNELS = new Set(["SMS", "VOICE"]);

/** Pinpoint's standard import columns, kept as they are. */
export const STANDARD_COLUMNS = new Set([
  "ChannelType",
  "Address",
  "Id",
  "OptOut",
  "EffectiveDate",
  "EndpointStatus",
  "RequestId",
  "User.UserId",
  "Location.City",
  "Location.Country",
  "Location.Latitude",
  "Location.Longitude",
  "Location.PostalCode",
  "Location.Region",
  "Demographic.AppVersion",
  "Demographic.Locale",
  "Demographic.Make",
  "Demographic.Model",
  "Demographic.ModelVersion",
  "Demographic.Platform",
  "Demographic.PlatformVersion",
  "Demographic.Timezone",
]);
const STANDARD_PREFIXES = ["Attributes.", "User.UserAttributes.", "Metrics."];

/** PhoneNumberValidate's fields the seed copied onto each row; here as `Attributes.PNV_<field>`. */
export const VALIDATOR_FIELDS = [
  "CleansedPhoneNumberE164",
  "CountryCodeIso2",
  "OriginalPhoneNumber",
  "Timezone",
  "ZipCode",
  "Carrier",
  "PhoneTypeCode",
  "PhoneType",
  "City",
  "Country",
] as const;
export type PhoneValidationFields = Partial<Record<(typeof VALIDATOR_FIELDS)[number], string>>;

/** Columns the validation stage fills (added when the file lacks them). */
export const VALIDATION_COLUMNS = ["OptOut", "Location.Country", "Attributes.Endpoint", ...VALIDATOR_FIELDS.map((f) => `Attributes.PNV_${f}`)];

/** Custom attribute names are kept to letters, digits, "_" and "-" (Customer Profiles' field-name rule). */
function attributeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "_");
}

/** The output name of an input column: standard and prefixed columns as they are, others as attributes. */
export function outputColumnName(column: string): string {
  if (STANDARD_COLUMNS.has(column)) return column;
  const prefix = STANDARD_PREFIXES.find((p) => column.startsWith(p) && column.length > p.length);
  if (prefix !== undefined) return `${prefix}${attributeName(column.slice(prefix.length))}`;
  return `Attributes.${attributeName(column)}`;
}

export interface ColumnLayout {
  inputCount: number;
  /** The output columns: the file's (mapped), then the validation columns it lacks. */
  columns: string[];
  /** Output position of each input column. */
  fromInput: number[];
  index: ReadonlyMap<string, number>;
}

export type LayoutResult = { ok: true; layout: ColumnLayout } | { ok: false; errors: string[] };

export function layoutColumns(inputColumns: readonly string[], validate: boolean): LayoutResult {
  const errors: string[] = [];
  const columns: string[] = [];
  const index = new Map<string, number>();
  const fromInput: number[] = [];
  inputColumns.forEach((raw, i) => {
    const name = raw.trim();
    if (name === "") {
      errors.push(`column ${i + 1} has no name`);
      fromInput.push(-1);
      return;
    }
    const out = outputColumnName(name);
    const earlier = index.get(out);
    if (earlier !== undefined) {
      errors.push(`column "${name}" maps to "${out}", as column ${earlier + 1} does`);
      fromInput.push(-1);
      return;
    }
    index.set(out, columns.length);
    fromInput.push(columns.length);
    columns.push(out);
  });
  for (const required of ["ChannelType", "Address"]) if (!index.has(required)) errors.push(`required column "${required}" is missing from the header`);
  if (errors.length > 0) return { ok: false, errors };
  if (validate) {
    for (const column of VALIDATION_COLUMNS) {
      if (!index.has(column)) {
        index.set(column, columns.length);
        columns.push(column);
      }
    }
  }
  return { ok: true, layout: { inputCount: inputColumns.length, columns, fromInput, index } };
}

export interface RowError {
  row: number;
  column: string;
  reason: string;
}

/** Deliberately loose: SES and Customer Profiles validate addresses themselves; this catches what is clearly not one. */
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export type RowCheck = { ok: true; values: string[]; channel: string } | { ok: false; errors: RowError[] };

/** A record as output values, or every reason it cannot be imported. Values are trimmed. */
export function checkRow(row: number, fields: readonly string[], layout: ColumnLayout): RowCheck {
  if (fields.length !== layout.inputCount) {
    return { ok: false, errors: [{ row, column: "(row)", reason: `expected ${layout.inputCount} fields, found ${fields.length}` }] };
  }
  const values = new Array<string>(layout.columns.length).fill("");
  fields.forEach((f, i) => {
    const at = layout.fromInput[i];
    if (at !== undefined && at >= 0) values[at] = f.trim();
  });
  const errors: RowError[] = [];
  const channel = values[layout.index.get("ChannelType")!].toUpperCase();
  const address = values[layout.index.get("Address")!];
  if (!CHANNELS.has(channel)) errors.push({ row, column: "ChannelType", reason: channel === "" ? "is empty" : `"${channel}" is not a channel type (${CHANNEL_TYPES.join(", ")})` });
  else values[layout.index.get("ChannelType")!] = channel;
  if (address === "") errors.push({ row, column: "Address", reason: "is empty" });
  else if (channel === "EMAIL" && !EMAIL.test(address)) errors.push({ row, column: "Address", reason: "is not an email address" });
  else if (PHONE_CHANNELS.has(channel) && !/\d/.test(address)) errors.push({ row, column: "Address", reason: "has no digits" });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, values, channel };
}

/**
 * What is sent to PhoneNumberValidate for an address: the seed's "assume US" rule applied to the
 * digits (10 digits → "+1" and the digits; the seed prefixed the raw string, "+1(202) 555-0191"),
 * otherwise "+" and the digits when the address was written with a "+", otherwise the digits. It
 * is also the de-duplication key: punctuation variants of one number are validated once.
 */
export function phoneValidationInput(address: string, assumeUs: boolean): string {
  const digits = address.replace(/\D/g, "");
  if (assumeUs && digits.length === 10) return `+1${digits}`;
  return address.includes("+") ? `+${digits}` : digits;
}

/** A validation's outcome for a row: PhoneNumberValidate's fields, or why the number was not accepted. */
export type PhoneOutcome = { kind: "validated"; fields: PhoneValidationFields } | { kind: "rejected"; reason: string };

/** True when the seed would mark the number INVALID. */
export function isInvalidNumber(outcome: PhoneOutcome): boolean {
  if (outcome.kind === "rejected") return true;
  const { PhoneType, CleansedPhoneNumberE164 } = outcome.fields;
  return PhoneType === "INVALID" || CleansedPhoneNumberE164 === undefined || CleansedPhoneNumberE164 === "" || CleansedPhoneNumberE164 === "UNKNOWN";
}

/**
 * The seed's mapping (map_to_segment), applied in place:
 * - invalid: Address = the original number, OptOut = ALL, Attributes.Endpoint = INVALID, Location.Country = XX;
 * - valid: Address = the E.164 number, OptOut = the row's or NONE, Attributes.Endpoint = VALID,
 *   Location.Country = CountryCodeIso2 (XX when unknown);
 * - every validator field as Attributes.PNV_<field>, "UNKNOWN" when missing.
 */
export function applyPhoneOutcome(values: string[], layout: ColumnLayout, outcome: PhoneOutcome): void {
  const set = (column: string, value: string) => {
    values[layout.index.get(column)!] = value;
  };
  const fields = outcome.kind === "validated" ? outcome.fields : {};
  const original = values[layout.index.get("Address")!];
  for (const field of VALIDATOR_FIELDS) set(`Attributes.PNV_${field}`, fields[field] || "UNKNOWN");
  if (isInvalidNumber(outcome)) {
    set("Attributes.PNV_OriginalPhoneNumber", fields.OriginalPhoneNumber || original);
    set("Address", fields.OriginalPhoneNumber || original);
    set("OptOut", "ALL");
    set("Attributes.Endpoint", "INVALID");
    set("Location.Country", "XX");
    return;
  }
  set("Address", fields.CleansedPhoneNumberE164!);
  const optOut = values[layout.index.get("OptOut")!];
  set("OptOut", optOut === "" ? "NONE" : optOut);
  set("Attributes.Endpoint", "VALID");
  const country = fields.CountryCodeIso2;
  set("Location.Country", !country || country === "UNKNOWN" ? "XX" : country);
}

/** The reason reported for a number the seed's rules mark INVALID (it is still imported, opted out). */
export function invalidNumberReason(outcome: PhoneOutcome): string {
  if (outcome.kind === "rejected") return `is not a valid phone number (${outcome.reason}); imported with OptOut ALL`;
  const type = outcome.fields.PhoneType ?? "UNKNOWN";
  return `is not a valid phone number (PhoneNumberValidate: PhoneType ${type}); imported with OptOut ALL`;
}
