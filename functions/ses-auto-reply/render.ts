import type { EmailSendRequest } from "../shared/sending/channels";
import type { ReplyPlan } from "./reply-policy";
import { sanitizeHeaderText } from "./reply-policy";

/** A template as the responder uses it, whatever service it came from. */
export interface ReplyTemplate {
  /** Prepended to the original subject (the seed's contract). May be "". */
  subjectPrefix: string;
  html: string | undefined;
  text: string | undefined;
}

/** What the sender adapter sends: the email channel's request (`to` is a bare address). */
export type OutgoingReply = EmailSendRequest;

/** Subject used only when both the template prefix and the inbound subject are empty. */
export const FALLBACK_SUBJECT = "Automatic reply";

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** The placeholder values. Both come from the inbound message, so both are untrusted. */
export interface PlaceholderValues {
  /** %%NAME%% */
  name: string;
  /** %%ID%% */
  id: string;
}

/**
 * Replaces every %%NAME%% and %%ID%% (all occurrences, unlike the seed's single `replace`).
 * With `html`, each substituted value is HTML-escaped; the template itself is trusted and kept.
 * The replacement is a function so `$&`-style patterns in the value are not interpreted.
 */
export function fillPlaceholders(template: string, values: PlaceholderValues, html: boolean): string {
  const render = (v: string): string => (html ? escapeHtml(v) : v);
  return template.replace(/%%(NAME|ID)%%/g, (_match, key: string) => render(key === "NAME" ? values.name : values.id));
}

/** Template subject prefix + original subject, never "undefined", never empty. */
export function buildSubject(prefix: string, originalSubject: string, values: PlaceholderValues): string {
  const subject = sanitizeHeaderText(fillPlaceholders(prefix, values, false) + originalSubject);
  return subject === "" ? FALLBACK_SUBJECT : subject;
}

/** SES v2 `MessageHeader.Value`: at most 870 printable ASCII characters. */
export const SES_HEADER_VALUE_MAX = 870;

/**
 * The newest ids of a References chain that fit in `max` characters (space-separated). Whole
 * ids only, newest kept, so the value is always a valid msg-id list; undefined when none fits.
 */
export function capReferences(ids: readonly string[], max = SES_HEADER_VALUE_MAX): string | undefined {
  const kept: string[] = [];
  let length = 0;
  for (let i = ids.length - 1; i >= 0; i -= 1) {
    const id = ids[i]!;
    const next = length + (kept.length > 0 ? 1 : 0) + id.length;
    if (next > max) break;
    kept.unshift(id);
    length = next;
  }
  return kept.length > 0 ? kept.join(" ") : undefined;
}

/**
 * The reply's extra headers:
 * - `Auto-Submitted: auto-replied` (RFC 3834 §5) so well-behaved responders do not answer us;
 * - `X-Auto-Response-Suppress: All`, the Exchange/Outlook equivalent;
 * - `In-Reply-To` = the inbound Message-ID and `References` = the inbound thread followed by it
 *   (RFC 5322 §3.6.4), so the reply threads. Both fit SES's header limit: References keeps its
 *   newest ids; a Message-ID too long to fit alone is left out, with both headers.
 */
export function buildReplyHeaders(inReplyTo: string | undefined, references: readonly string[]): { name: string; value: string }[] {
  const headers = [
    { name: "Auto-Submitted", value: "auto-replied" },
    { name: "X-Auto-Response-Suppress", value: "All" },
  ];
  if (inReplyTo && inReplyTo.length <= SES_HEADER_VALUE_MAX) {
    headers.push(
      { name: "In-Reply-To", value: inReplyTo },
      // Never undefined here: inReplyTo itself fits.
      { name: "References", value: capReferences([...references, inReplyTo]) ?? inReplyTo },
    );
  }
  return headers;
}

/** Renders the reply for a plan. Pure. */
export function renderReply(plan: ReplyPlan, template: ReplyTemplate): OutgoingReply {
  const values: PlaceholderValues = { name: plan.displayName, id: plan.sesMessageId };
  return {
    from: plan.from,
    to: plan.to.address,
    subject: buildSubject(template.subjectPrefix, plan.originalSubject, values),
    html: template.html === undefined ? undefined : fillPlaceholders(template.html, values, true),
    text: template.text === undefined ? undefined : fillPlaceholders(template.text, values, false),
    headers: buildReplyHeaders(plan.inReplyTo, plan.references),
  };
}
