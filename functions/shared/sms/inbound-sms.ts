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
 * Classification (the keyword policy; README "#8 keywords"):
 * - Opt-out and help keywords match the FIRST WORD(S) of the message, as AWS End User Messaging
 *   does for its own keywords ("when a recipient replies with one of the keywords as the first word
 *   of their message"): "STOP ALL", "Stop please" and "stop." opt out. Words are whole words:
 *   "SEND", "WEEKEND" and "don't stop" never opt out (the 2020 original matched substrings).
 *   A first-word false positive ("Cancel my appointment") errs toward the customer, who is told how
 *   to resubscribe; a missed opt-out is the costlier mistake under the FCC rule.
 * - Opt-in keywords match only the WHOLE message: re-subscribing someone needs a clear request, and
 *   "Yes, see you then" is not one.
 * - Anything else is free text. Whether a sentence such as "please don't text me anymore" revokes
 *   consent is a judgement no keyword list makes honestly, so the handler does not guess: it ignores
 *   it or flags it for a person to review (FREE_TEXT_OPT_OUT, see the handler's config.ts).
 *
 * Default keyword sets: AWS's required US/Canada opt-out list (ARRET, CANCEL, END, OPT-OUT,
 * OPTOUT, QUIT, REMOVE, STOP, TD, UNSUBSCRIBE,
 * https://docs.aws.amazon.com/sms-voice/latest/userguide/keywords-required.html), plus the words
 * the FCC's 2024 consent-revocation order names as revoking consent per se ("revoke", "opt out")
 * and STOPALL; opt-in START and UNSTOP (the two AWS documents for toll-free resubscription) plus
 * YES; help HELP (required by carriers and AWS) and INFO.
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

/** AWS End User Messaging's required opt-out keywords (US and Canada). Every default set contains them. */
export const AWS_REQUIRED_OPT_OUT_KEYWORDS: readonly string[] = Object.freeze([
  "ARRET",
  "CANCEL",
  "END",
  "OPT-OUT",
  "OPTOUT",
  "QUIT",
  "REMOVE",
  "STOP",
  "TD",
  "UNSUBSCRIBE",
]);

export const DEFAULT_OPT_OUT_KEYWORDS: readonly string[] = Object.freeze([
  ...AWS_REQUIRED_OPT_OUT_KEYWORDS,
  // Named by the FCC's consent-revocation rule (47 CFR 64.1200(a)(10)); "opt out" is two words.
  "REVOKE",
  "OPT OUT",
  "STOPALL",
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

/**
 * The message's first words, for matching a keyword of `count` words: split on whitespace, each
 * word stripped of surrounding punctuation ("STOP," → "STOP"; internal "OPT-OUT" is kept).
 */
function leadingWords(normalized: string, count: number): string {
  return normalized
    .split(" ")
    .slice(0, count)
    .map((word) => word.replace(EDGE, ""))
    .join(" ");
}

/** The longest keyword of `set` the message starts with (whole words), if any. */
function leadingKeyword(normalized: string, set: ReadonlySet<string>): string | undefined {
  let match: string | undefined;
  for (const keyword of set) {
    const words = keyword.split(" ").length;
    if (leadingWords(normalized, words) === keyword && (match === undefined || keyword.length > match.length)) match = keyword;
  }
  return match;
}

/**
 * Classifies a message body (see the policy at the top of this file): opt-out, then help, by first
 * word(s); opt-in by the whole message. Keyword classes are disjoint (buildKeywordSets), so a
 * whole-message match is never ambiguous; for first words, opt-out wins ("STOP HELP" opts out).
 */
export function classifyKeyword(body: string, sets: KeywordSets): KeywordClassification {
  const normalized = normalizeKeyword(body);
  if (normalized === "") return { keywordClass: "NONE" };
  const optOut = leadingKeyword(normalized, sets.optOut);
  if (optOut !== undefined) return { keywordClass: "OPT_OUT", keyword: optOut };
  if (sets.optIn.has(normalized)) return { keywordClass: "OPT_IN", keyword: normalized };
  const help = leadingKeyword(normalized, sets.help);
  if (help !== undefined) return { keywordClass: "HELP", keyword: help };
  return { keywordClass: "NONE" };
}
