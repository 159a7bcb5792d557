/**
 * The file each import target reads, built from the checked rows. Pure.
 *
 * - pinpoint: Pinpoint's CSV import format, the output columns as they are.
 * - customer-profiles: the same columns plus `PhoneNumber` and `EmailAddress` (the Address of
 *   phone and email rows), and the upload job's `Fields` (column → profile field) and `UniqueKey`,
 *   which CreateUploadJob takes with the job: no profile object type is needed.
 * - ses-contact-list: the EMAIL rows only, as `emailAddress,unsubscribeAll,attributesData`
 *   (the SES v2 contact's fields; AWS does not document the import header, see the docs page).
 */
import { csvLine } from "../shared/files/csv";
import type { ImportTarget } from "./contract";
import { PHONE_CHANNELS, type ColumnLayout } from "./contacts";

export interface UploadField {
  Source: string;
  Target: string;
  ContentType: "STRING" | "NUMBER" | "PHONE_NUMBER" | "EMAIL_ADDRESS" | "NAME";
}

export interface UploadMapping {
  fields: Record<string, UploadField>;
  uniqueKey: string;
}

/** Standard columns with a place in the standard profile; everything else becomes a profile attribute. */
const PROFILE_FIELDS: Record<string, { target: string; type: UploadField["ContentType"] }> = {
  PhoneNumber: { target: "_profile.PhoneNumber", type: "PHONE_NUMBER" },
  EmailAddress: { target: "_profile.EmailAddress", type: "EMAIL_ADDRESS" },
  "User.UserId": { target: "_profile.AccountNumber", type: "STRING" },
  "Attributes.FirstName": { target: "_profile.FirstName", type: "NAME" },
  "User.UserAttributes.FirstName": { target: "_profile.FirstName", type: "NAME" },
  "Attributes.LastName": { target: "_profile.LastName", type: "NAME" },
  "User.UserAttributes.LastName": { target: "_profile.LastName", type: "NAME" },
  "Location.City": { target: "_profile.Address.City", type: "STRING" },
  "Location.PostalCode": { target: "_profile.Address.PostalCode", type: "STRING" },
  "Location.Region": { target: "_profile.Address.State", type: "STRING" },
  "Location.Country": { target: "_profile.Address.Country", type: "STRING" },
};

/** Customer Profiles' limit on a field-map key. */
export const MAX_UPLOAD_FIELD_NAME = 64;

/** The upload job's mapping for these columns; the unique key is Id, else User.UserId, else Address. */
export function uploadMapping(columns: readonly string[]): UploadMapping {
  const fields: Record<string, UploadField> = {};
  const used = new Set<string>();
  for (const column of columns) {
    const known = PROFILE_FIELDS[column];
    // A standard field once (FirstName from either column): a second source becomes an attribute.
    const field = known !== undefined && !used.has(known.target) ? known : { target: `_profile.Attributes.${column.replace(/\./g, "_")}`, type: "STRING" as const };
    used.add(field.target);
    fields[column] = { Source: `_source.${column}`, Target: field.target, ContentType: field.type };
  }
  const uniqueKey = ["Id", "User.UserId", "Address"].find((c) => columns.includes(c))!;
  return { fields, uniqueKey };
}

export interface TargetFile {
  header(): string;
  /** The CSV line for a row, or undefined when the target does not take it (SES: non-email rows). */
  line(values: readonly string[], channel: string): string | undefined;
  /** Customer Profiles only. */
  upload?: UploadMapping;
  /** Problems with the columns for this target (reported as file errors). */
  columnErrors: string[];
}

export function targetFile(target: ImportTarget, layout: ColumnLayout): TargetFile {
  const at = (column: string) => layout.index.get(column);
  if (target === "pinpoint") {
    return { header: () => csvLine(layout.columns), line: (values) => csvLine(values), columnErrors: [] };
  }
  if (target === "customer-profiles") {
    const columns = [...layout.columns, "PhoneNumber", "EmailAddress"];
    const address = at("Address")!;
    const endpoint = at("Attributes.Endpoint");
    const tooLong = columns.filter((c) => c.length > MAX_UPLOAD_FIELD_NAME);
    return {
      header: () => csvLine(columns),
      line: (values, channel) => {
        // An INVALID number stays in Address (the seed's rule) but is not the profile's phone number.
        const validPhone = PHONE_CHANNELS.has(channel) && (endpoint === undefined || values[endpoint] !== "INVALID");
        return csvLine([...values, validPhone ? values[address] : "", channel === "EMAIL" ? values[address] : ""]);
      },
      upload: uploadMapping(columns),
      columnErrors: tooLong.map((c) => `column "${c}" is longer than the ${MAX_UPLOAD_FIELD_NAME} characters Customer Profiles accepts`),
    };
  }
  const address = at("Address")!;
  const optOut = at("OptOut");
  const attributeColumns = layout.columns.map((c, i) => [c, i] as const).filter(([c]) => c.startsWith("Attributes."));
  return {
    header: () => csvLine(["emailAddress", "unsubscribeAll", "attributesData"]),
    line: (values, channel) => {
      if (channel !== "EMAIL") return undefined;
      const attributes = Object.fromEntries(attributeColumns.filter(([, i]) => values[i] !== "").map(([c, i]) => [c.slice("Attributes.".length), values[i]]));
      const unsubscribeAll = optOut !== undefined && values[optOut].toUpperCase() === "ALL";
      return csvLine([values[address], String(unsubscribeAll), JSON.stringify(attributes)]);
    },
    columnErrors: [],
  };
}
