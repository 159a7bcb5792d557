import { decodeWords } from "postal-mime";
import {
  addressListMatches,
  envelopeSender,
  firstMailbox,
  localPart,
  normalizeAddress,
  type AddressList,
  type Mailbox,
} from "./addresses";
import type { SesReceiptRecord } from "./receipt-event";

/**
 * Why an inbound message gets no reply. The values are stable: they are logged and used as the
 * `reason` dimension of the `ReplySkipped` metric.
 */
export type SkipReason =
  | "spam-verdict-fail"
  | "virus-verdict-fail"
  | "dmarc-verdict-fail"
  | "headers-truncated"
  | "auto-submitted"
  | "auto-response-suppressed"
  | "precedence"
  | "list-header"
  | "empty-return-path"
  | "system-sender"
  | "no-reply-address"
  | "own-address"
  | "no-reply-from"
  | "duplicate"
  | "rate-limited";

/** The inputs of the decision that come from configuration. */
export interface ReplyPolicy {
  /** Also skip when the DMARC verdict is FAIL (spam and virus FAIL always skip). */
  skipOnDmarcFail: boolean;
  /** Fixed From address for replies; when unset, receipt.recipients[0] is used if allow-listed. */
  replyFrom: string | undefined;
  /** Verified identities that receipt.recipients[0] may be used as a From address for. */
  allowedReplyFrom: AddressList;
  /** Our own addresses and domains: mail from them is never answered (loop protection). */
  ownAddresses: AddressList;
}

/** Everything needed to render and send one reply. Contains personal data: never log it whole. */
export interface ReplyPlan {
  /** The SES inbound message id (`mail.messageId`): the idempotency key and the %%ID%% value. */
  sesMessageId: string;
  /** The inbound RFC 5322 Message-ID, angle-bracketed, when present and well-formed. */
  inReplyTo: string | undefined;
  /** Our From address for the reply. */
  from: string;
  /** Where the reply goes: Reply-To, else From. */
  to: Mailbox;
  /** %%NAME%% value: the sender's display name, else the reply address. Unescaped. */
  displayName: string;
  /** The inbound subject, decoded and stripped of control characters; "" when missing. */
  originalSubject: string;
}

export type ReplyDecision = { kind: "skip"; reason: SkipReason } | { kind: "reply"; plan: ReplyPlan };

const SKIPPED_PRECEDENCE = new Set(["bulk", "list", "junk", "auto_reply"]);
const SYSTEM_LOCAL_PARTS = new Set(["mailer-daemon", "postmaster"]);

function skip(reason: SkipReason): ReplyDecision {
  return { kind: "skip", reason };
}

/** All values of a header (case-insensitive name), in message order. */
export function headerValues(record: SesReceiptRecord, name: string): string[] {
  const wanted = name.toLowerCase();
  return record.ses.mail.headers.filter((h) => h.name.toLowerCase() === wanted).map((h) => h.value);
}

function firstToken(value: string): string {
  return (value.split(";")[0] ?? "").trim().toLowerCase();
}

/** Removes CR, LF and other control characters (header injection) and collapses whitespace. */
export function sanitizeHeaderText(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
}

/**
 * Normalises an RFC 5322 Message-ID for In-Reply-To/References: `<id-left@id-right>` made of
 * printable ASCII only. Anything else is dropped rather than copied into our headers.
 */
export function normalizeMessageId(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const bare = value.trim().replace(/^<(.*)>$/, "$1");
  if (bare.length === 0 || bare.length > 900 || !/^[\x21-\x7e]+$/.test(bare) || /[<>]/.test(bare)) return undefined;
  return `<${bare}>`;
}

/**
 * Decides whether to answer one inbound message, and if so from and to whom. Pure: the state
 * checks (duplicate delivery, per-sender rate limit) come after this.
 *
 * Order: content verdicts, then the RFC 3834 / list headers, then the envelope sender, then the
 * addresses. Every rule that says "skip" wins; replying is the exception.
 */
export function decideReply(record: SesReceiptRecord, policy: ReplyPolicy): ReplyDecision {
  const { mail, receipt } = record.ses;

  // Content verdicts (receipt-rule scanning; DISABLED/GRAY/PROCESSING_FAILED do not skip).
  if (receipt.spamVerdict?.status === "FAIL") return skip("spam-verdict-fail");
  if (receipt.virusVerdict?.status === "FAIL") return skip("virus-verdict-fail");
  if (policy.skipOnDmarcFail && receipt.dmarcVerdict?.status === "FAIL") return skip("dmarc-verdict-fail");

  // When SES truncated the header list we cannot prove the absence of Auto-Submitted, List-Id,
  // etc., so the safe answer is no reply.
  if (mail.headersTruncated) return skip("headers-truncated");

  // RFC 3834 §2: never answer automatically submitted mail.
  if (headerValues(record, "Auto-Submitted").some((v) => firstToken(v) !== "no")) return skip("auto-submitted");
  // Microsoft's equivalent: the sender asked for no automatic responses.
  if (
    headerValues(record, "X-Auto-Response-Suppress").some((v) =>
      v.split(",").some((t) => ["all", "autoreply", "oof"].includes(t.trim().toLowerCase())),
    )
  ) {
    return skip("auto-response-suppressed");
  }
  if (headerValues(record, "Precedence").some((v) => SKIPPED_PRECEDENCE.has(firstToken(v)))) return skip("precedence");
  if (headerValues(record, "List-Id").length > 0 || headerValues(record, "List-Unsubscribe").length > 0) {
    return skip("list-header");
  }

  // Backscatter: bounces and DSNs have a null return path or come from the mail system itself.
  const returnPath = envelopeSender(mail.source);
  if (returnPath === "") return skip("empty-return-path");

  const fromHeader = mail.commonHeaders.from ?? headerValues(record, "From");
  const replyToHeader = mail.commonHeaders.replyTo ?? mail.commonHeaders["reply-to"] ?? headerValues(record, "Reply-To");
  const from = firstMailbox(fromHeader);
  const replyTo = firstMailbox(replyToHeader);
  const target = replyTo ?? from;

  const senders = [returnPath, from?.address, target?.address].filter((a): a is string => a !== undefined);
  if (senders.some((a) => SYSTEM_LOCAL_PARTS.has(localPart(a)))) return skip("system-sender");
  if (!target) return skip("no-reply-address");

  // Resolve our From before the own-address check, because it is one of our own addresses.
  const recipient = receipt.recipients[0] ?? "";
  const replyFrom =
    policy.replyFrom ?? (addressListMatches(policy.allowedReplyFrom, recipient) ? recipient.trim() : undefined);

  const own = new Set(receipt.recipients.map(normalizeAddress));
  if (replyFrom) own.add(normalizeAddress(replyFrom));
  if (senders.some((a) => own.has(normalizeAddress(a)) || addressListMatches(policy.ownAddresses, a))) {
    return skip("own-address");
  }
  if (!replyFrom) return skip("no-reply-from");

  return {
    kind: "reply",
    plan: {
      sesMessageId: mail.messageId,
      inReplyTo: normalizeMessageId(mail.commonHeaders.messageId ?? headerValues(record, "Message-ID")[0]),
      from: replyFrom,
      to: target,
      displayName: sanitizeHeaderText(from?.name || target.name || target.address),
      // commonHeaders.subject is usually decoded already; decoding again is harmless and covers
      // the raw header fallback.
      originalSubject: sanitizeHeaderText(
        decodeWords(mail.commonHeaders.subject ?? headerValues(record, "Subject")[0] ?? ""),
      ),
    },
  };
}
