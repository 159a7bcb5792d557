import type { ReplyPlan } from "./reply-policy";
import { sanitizeHeaderText } from "./reply-policy";

/** A template as the responder uses it, whatever service it came from. */
export interface ReplyTemplate {
  /** Prepended to the original subject (the seed's contract). May be "". */
  subjectPrefix: string;
  html: string | undefined;
  text: string | undefined;
}

/** What the sender adapter sends. `to` is a bare address. */
export interface OutgoingReply {
  from: string;
  to: string;
  subject: string;
  html: string | undefined;
  text: string | undefined;
  headers: { name: string; value: string }[];
}

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

/**
 * The reply's extra headers:
 * - `Auto-Submitted: auto-replied` (RFC 3834 §5) so well-behaved responders do not answer us;
 * - `X-Auto-Response-Suppress: All`, the Exchange/Outlook equivalent;
 * - `In-Reply-To` and `References` = the inbound Message-ID, so the reply threads.
 */
export function buildReplyHeaders(inReplyTo: string | undefined): { name: string; value: string }[] {
  const headers = [
    { name: "Auto-Submitted", value: "auto-replied" },
    { name: "X-Auto-Response-Suppress", value: "All" },
  ];
  if (inReplyTo) {
    headers.push({ name: "In-Reply-To", value: inReplyTo }, { name: "References", value: inReplyTo });
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
    headers: buildReplyHeaders(plan.inReplyTo),
  };
}
