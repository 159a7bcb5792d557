/**
 * Inbound two-way SMS: the payload schema and keyword classification. Pure: no SDK, no I/O.
 *
 * End User Messaging SMS (and Pinpoint before it) publishes each inbound message to the number's
 * two-way SNS topic as a JSON string (spec 01 §0.3):
 *   { originationNumber, destinationNumber, messageKeyword, messageBody, inboundMessageId,
 *     previousPublishedMessageId }
 * `originationNumber` is the customer, `destinationNumber` is our number, `inboundMessageId` is
 * unique per inbound message (the de-duplication key).
 *
 * Classification is an EXACT match of the normalized whole message against the keyword sets. The
 * 2020 original matched substrings, so "Please SEND info" (END) or "see you this weekend" opted
 * people out of everything. Carriers treat keywords the same way: the whole message, trimmed,
 * case-insensitive.
 *
 * `messageKeyword` is deliberately not used to classify: it carries the keyword registered on our
 * number (Pinpoint filled it with the number's default keyword, e.g. "KEYWORD_123456789012", on
 * every message), not what the customer typed.
 */
import * as z from "zod";
import { E164_PATTERN } from "./sms-config";

export const InboundSmsSchema = z.looseObject({
  originationNumber: z.string().regex(E164_PATTERN, "originationNumber must be an E.164 phone number"),
  destinationNumber: z.string().min(1, "destinationNumber must not be empty"),
  messageKeyword: z.string().nullish(),
  messageBody: z.string(),
  inboundMessageId: z.string().min(1, "inboundMessageId must not be empty"),
  previousPublishedMessageId: z.string().nullish(),
});
export type InboundSms = z.infer<typeof InboundSmsSchema>;

/** Parses the SNS `Message` string of a two-way SMS notification. Throws a descriptive error. */
export function parseInboundSms(message: string): InboundSms {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    throw new Error("Inbound SMS message is not valid JSON");
  }
  const result = InboundSmsSchema.safeParse(json);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new Error(`Inbound SMS message is invalid: ${detail}`);
  }
  return result.data;
}

export type KeywordClass = "OPT_OUT" | "OPT_IN" | "HELP" | "NONE";

export const DEFAULT_OPT_OUT_KEYWORDS: readonly string[] = Object.freeze([
  "STOP",
  "STOPALL",
  "UNSUBSCRIBE",
  "CANCEL",
  "END",
  "QUIT",
  "REVOKE",
  "OPTOUT",
  "OPT OUT",
  "OPT-OUT",
]);
export const DEFAULT_OPT_IN_KEYWORDS: readonly string[] = Object.freeze(["START", "UNSTOP", "YES"]);
export const DEFAULT_HELP_KEYWORDS: readonly string[] = Object.freeze(["HELP", "INFO"]);

/** Leading/trailing characters stripped before matching: whitespace, punctuation, symbols, controls. */
const EDGE = /^[\s\p{P}\p{S}\p{C}]+|[\s\p{P}\p{S}\p{C}]+$/gu;

/**
 * The form keywords are compared in: Unicode NFKC (so full-width "ＳＴＯＰ" equals "STOP"), surrounding
 * whitespace, punctuation and symbols removed, internal whitespace collapsed to one space, upper
 * case. Internal punctuation is kept: "OPT-OUT" stays "OPT-OUT".
 *
 *   " Stop. " → "STOP"     "opt   out!" → "OPT OUT"     "Please SEND info" → "PLEASE SEND INFO"
 */
export function normalizeKeyword(text: string): string {
  return text.normalize("NFKC").replace(EDGE, "").replace(/\s+/gu, " ").toUpperCase();
}

export interface KeywordSets {
  optOut: ReadonlySet<string>;
  optIn: ReadonlySet<string>;
  help: ReadonlySet<string>;
}

export interface KeywordLists {
  optOut?: readonly string[];
  optIn?: readonly string[];
  help?: readonly string[];
}

/**
 * Builds normalized keyword sets, defaulting each list that is not given. Throws when a keyword
 * normalizes to nothing or appears in two classes (e.g. "YES" as both opt-in and help), since an
 * ambiguous keyword would make the outcome depend on evaluation order.
 */
export function buildKeywordSets(lists: KeywordLists = {}): KeywordSets {
  const named: Array<[keyof KeywordSets, string, readonly string[]]> = [
    ["optOut", "opt-out", lists.optOut ?? DEFAULT_OPT_OUT_KEYWORDS],
    ["optIn", "opt-in", lists.optIn ?? DEFAULT_OPT_IN_KEYWORDS],
    ["help", "help", lists.help ?? DEFAULT_HELP_KEYWORDS],
  ];
  const owner = new Map<string, string>();
  const errors: string[] = [];
  const sets: Partial<Record<keyof KeywordSets, Set<string>>> = {};
  for (const [key, label, words] of named) {
    const set = new Set<string>();
    for (const word of words) {
      const normalized = normalizeKeyword(word);
      if (normalized === "") {
        errors.push(`${label} keyword "${word}" is empty after normalization`);
        continue;
      }
      const other = owner.get(normalized);
      if (other !== undefined && other !== label) {
        errors.push(`keyword "${normalized}" is in both the ${other} and the ${label} keywords`);
      }
      owner.set(normalized, label);
      set.add(normalized);
    }
    sets[key] = set;
  }
  if (errors.length > 0) throw new Error(errors.join("; "));
  return { optOut: sets.optOut!, optIn: sets.optIn!, help: sets.help! };
}

export interface KeywordClassification {
  keywordClass: KeywordClass;
  /** The normalized keyword that matched; undefined for NONE. */
  keyword?: string;
}

/** Classifies a message body by exact match of its normalized form. */
export function classifyKeyword(body: string, sets: KeywordSets): KeywordClassification {
  const normalized = normalizeKeyword(body);
  if (sets.optOut.has(normalized)) return { keywordClass: "OPT_OUT", keyword: normalized };
  if (sets.optIn.has(normalized)) return { keywordClass: "OPT_IN", keyword: normalized };
  if (sets.help.has(normalized)) return { keywordClass: "HELP", keyword: normalized };
  return { keywordClass: "NONE" };
}
