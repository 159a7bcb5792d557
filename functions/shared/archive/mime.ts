/**
 * Builds archive messages as standard MIME (RFC 5322 / 2045) with nodemailer's MailComposer:
 * UTF-8 parts with their real content types, encoded-word headers, a Date, and the archive's own
 * headers. Deterministic for the same input (fixed Message-ID and boundary), so a rebuilt archive
 * is byte-identical.
 */
import MailComposer from "nodemailer/lib/mail-composer";

export interface ArchiveMimeInput {
  /** Header name → value; names are case-insensitive in MIME (MailComposer normalizes their case). */
  headers: Record<string, string>;
  date: Date;
  /** Without angle brackets, e.g. "<object id>@archive.invalid". */
  messageId: string;
  from?: string;
  to?: string;
  subject?: string;
  text?: string;
  html?: string;
}

export async function buildArchiveMime(input: ArchiveMimeInput): Promise<Buffer> {
  const composer = new MailComposer({
    from: input.from,
    to: input.to,
    subject: input.subject,
    // An empty part would be dropped by MailComposer; keep it explicit when nothing was rendered.
    text: input.text ?? (input.html === undefined ? "" : undefined),
    html: input.html,
    headers: input.headers,
    date: input.date,
    messageId: `<${input.messageId}>`,
    baseBoundary: input.messageId.replace(/[^A-Za-z0-9]/g, "").slice(0, 24),
  } as ConstructorParameters<typeof MailComposer>[0] & { baseBoundary: string });
  return composer.compile().build();
}
