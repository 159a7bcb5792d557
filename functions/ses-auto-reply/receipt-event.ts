import * as z from "zod";

/**
 * Schema of the SES receipt-rule Lambda action event (spec §0.2,
 * https://docs.aws.amazon.com/ses/latest/dg/receiving-email-action-lambda-event.html).
 *
 * Powertools ships `SesSchema`, but it is stricter than what SES actually sends: it requires
 * `commonHeaders.from`, `to`, `subject` and `returnPath`, `receipt.dmarcPolicy`, and it has no
 * `DISABLED` verdict status (what SES reports when scanning is off). Inbound mail is untrusted
 * and any of those can be missing, so this schema is tolerant: it validates the fields the
 * auto-responder reads and lets unknown fields through (SES may add new ones).
 */
const VerdictSchema = z.looseObject({ status: z.string() });

const HeaderSchema = z.object({ name: z.string(), value: z.string() });

export const SesReceiptMailSchema = z.looseObject({
  timestamp: z.string(),
  /** The envelope MAIL FROM (return path). Empty for bounces and other null-sender mail. */
  source: z.string(),
  /** The SES inbound message id: stable across redeliveries of the same message. */
  messageId: z.string().min(1),
  destination: z.array(z.string()).default([]),
  headersTruncated: z.boolean().default(false),
  headers: z.array(HeaderSchema).default([]),
  commonHeaders: z
    .looseObject({
      returnPath: z.string().optional(),
      from: z.array(z.string()).optional(),
      sender: z.array(z.string()).optional(),
      replyTo: z.array(z.string()).optional(),
      "reply-to": z.array(z.string()).optional(),
      to: z.array(z.string()).optional(),
      cc: z.array(z.string()).optional(),
      bcc: z.array(z.string()).optional(),
      date: z.string().optional(),
      /** The RFC 5322 Message-ID header of the inbound mail (not the SES id). */
      messageId: z.string().optional(),
      subject: z.string().optional(),
    })
    .default({}),
});

export const SesReceiptSchema = z.looseObject({
  timestamp: z.string(),
  processingTimeMillis: z.number().optional(),
  /** The addresses that matched this receipt rule (ours). */
  recipients: z.array(z.string()).min(1),
  spamVerdict: VerdictSchema.optional(),
  virusVerdict: VerdictSchema.optional(),
  spfVerdict: VerdictSchema.optional(),
  dkimVerdict: VerdictSchema.optional(),
  dmarcVerdict: VerdictSchema.optional(),
  dmarcPolicy: z.string().optional(),
  action: z.looseObject({ type: z.string() }).optional(),
});

export const SesReceiptRecordSchema = z.looseObject({
  eventSource: z.literal("aws:ses"),
  eventVersion: z.string(),
  ses: z.looseObject({ mail: SesReceiptMailSchema, receipt: SesReceiptSchema }),
});

export const SesReceiptEventSchema = z.looseObject({
  Records: z.array(SesReceiptRecordSchema).min(1),
});

export type SesReceiptMail = z.infer<typeof SesReceiptMailSchema>;
export type SesReceipt = z.infer<typeof SesReceiptSchema>;
export type SesReceiptRecord = z.infer<typeof SesReceiptRecordSchema>;
export type SesReceiptEvent = z.infer<typeof SesReceiptEventSchema>;

/**
 * Describes a schema failure by path and message only: zod's default messages can echo the
 * received value, which for inbound mail may be an address or a subject.
 */
export function describeSchemaIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.code}`);
}
