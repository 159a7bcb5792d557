import { isOutcomeUnknown } from "../shared/runtime/errors";
import type { SendGuarantee } from "../shared/runtime/send-guarantee";
import type { ChannelStep } from "../shared/sending/channels";
import { withSteps } from "../shared/sending/steps";
import { senderHash } from "./addresses";
import type { SkipReason } from "./contract";
import type { SesReceiptRecord } from "./receipt-event";
import { renderReply } from "./render";
import { decideReply, type ReplyPolicy } from "./reply-policy";
import { classifySendError, type ReplySender } from "./sender";
import { hourBucket, type ReplyStateStore } from "./state-store";
import type { TemplateSource } from "./template-source";

/**
 * How long a `msg#` marker is kept: longer than Lambda's maximum async event age (6 h) and than
 * an SQS on-failure queue can hold the event (14 days max), so a late redrive is still deduplicated.
 */
export const MESSAGE_MARKER_TTL_SECONDS = 14 * 24 * 3600;

/** An hour counter outlives its hour by this much, so a late release still finds it. */
const HOUR_COUNTER_GRACE_SECONDS = 3600;

export type ReplyOutcome =
  | { status: "sent"; replyMessageId: string | undefined; to: string; replyToIgnored: boolean }
  | { status: "skipped"; reason: SkipReason }
  /** A send step (SEND_STEPS) withheld the reply: nothing went out; recorded SKIPPED. */
  | { status: "withheld"; step: string; reason: string }
  | { status: "rejected"; kind: "message-rejected" | "sending-disabled"; errorName: string }
  /** SendEmail failed after it may have been accepted; recorded UNKNOWN and not retried (at-most-once). */
  | { status: "unknown"; errorName: string };

/**
 * Another invocation is sending a reply for the same SES message right now (its lease has not
 * expired). Thrown so Lambda's async retry comes back after the lease, when the message is either
 * SENT (then skipped as a duplicate) or abandoned (then taken over).
 */
export class ReplyInProgressError extends Error {
  override readonly name = "ReplyInProgressError";
}

export interface AutoReplyWarnings {
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface AutoReplyDeps {
  policy: ReplyPolicy;
  /** At most one reply per sender per this many seconds. */
  replyWindowSeconds: number;
  /** At most this many replies per UTC hour, across all senders. */
  maxRepliesPerHour: number;
  sendGuarantee: SendGuarantee;
  templates: TemplateSource;
  state: ReplyStateStore;
  sender: ReplySender;
  /** Run around every send, keyed by the SES message id (functions/shared/sending). Default none. */
  sendSteps?: readonly ChannelStep<"email">[];
  /** Epoch milliseconds. */
  now: () => number;
  log: AutoReplyWarnings;
}

export interface AutoReplyService {
  /**
   * Handles one inbound message. Resolves with the outcome; rejects when the invocation must
   * fail so Lambda retries it (retryable or unexpected errors, a missing template, a concurrent
   * attempt in progress).
   */
  handleRecord(record: SesReceiptRecord, leaseMs: number): Promise<ReplyOutcome>;
}

function errorName(error: unknown): string {
  return (error as { name?: string } | null)?.name ?? "Error";
}

/**
 * Ordering of the state writes, and why:
 *
 * 1. Decide (pure), load the template and render *before* touching state, so a skip, a missing
 *    template or a bad template leaves nothing behind.
 * 2. Claim `msg#<id>` as PENDING with a lease that ends when this invocation's time runs out.
 *    A final state (SENT/REJECTED/SKIPPED) means a redelivery: skip as "duplicate". An unexpired
 *    PENDING lease means a concurrent attempt: throw, and the async retry comes back later.
 * 3. Claim `sender#<hash>` for the window, recording the message id. The claim succeeds again for
 *    the same message id, so a retry of this message is not rate-limited by its own first attempt.
 *    Then take a slot of the current hour (`hour#`), keyed by the message id, so a retry in the
 *    same hour reuses it. A full hour marks the message SKIPPED (reason hourly-cap) and gives the
 *    sender window back.
 * 4. Send (through the configured send steps). On success mark SENT; if a step withheld the
 *    reply, give window and slot back and mark SKIPPED. If SES refused the message (REJECTED), nothing went out: the
 *    window and the slot are given back. If the outcome is unknown (timeout, reset, 5xx: SES may
 *    have sent it) under at-most-once, mark UNKNOWN, a final state, and keep window and slot:
 *    a redelivery is then a duplicate. Otherwise (throttling, at-least-once unknowns, anything
 *    unexpected) all claims are released before rethrowing, so the async retry can send. If the
 *    Lambda dies mid-send nothing is released, but the PENDING lease expires and the retry takes
 *    the message over; the sender claim and the hour's slot are already its own.
 *
 * The remaining gap is inherent (SES SendEmail has no idempotency token): if the send succeeded
 * and then marking SENT failed or the function died before it, a retry after the lease can send a
 * second reply. Marking failures are logged and not thrown, to keep that gap as small as possible.
 */
export function createAutoReplyService(deps: AutoReplyDeps): AutoReplyService {
  const sender = withSteps({ send: async (reply) => ({ status: "SENT" as const, messageId: await deps.sender.send(reply) }) }, deps.sendSteps ?? []);
  const release = async (what: string, call: () => Promise<void>, sesMessageId: string): Promise<void> => {
    try {
      await call();
    } catch (error) {
      deps.log.warn("Releasing a reply claim failed", { claim: what, sesMessageId, errorName: errorName(error) });
    }
  };

  // After a send (or a possible one) the state is best effort: throwing would make Lambda retry
  // the send, the very thing the final state is there to prevent.
  const finish = async (sesMessageId: string, state: "SENT" | "UNKNOWN", expiresAtSec: number): Promise<void> => {
    try {
      await deps.state.finishMessage(sesMessageId, state, expiresAtSec);
    } catch (error) {
      deps.log.warn(`Reply ${state === "SENT" ? "sent" : "outcome unknown"} but marking it ${state} failed`, {
        sesMessageId,
        errorName: errorName(error),
      });
    }
  };

  return {
    async handleRecord(record, leaseMs) {
      const decision = decideReply(record, deps.policy);
      if (decision.kind === "skip") return { status: "skipped", reason: decision.reason };
      const { plan } = decision;

      const reply = renderReply(plan, await deps.templates.getTemplate());

      const now = deps.now();
      const nowSec = Math.floor(now / 1000);
      const id = plan.sesMessageId;
      const messageExpiresAt = nowSec + Math.max(MESSAGE_MARKER_TTL_SECONDS, deps.replyWindowSeconds);

      const claim = await deps.state.claimMessage(id, now + Math.max(leaseMs, 1000), now, messageExpiresAt);
      if (claim === "duplicate") return { status: "skipped", reason: "duplicate" };
      if (claim === "in-progress") throw new ReplyInProgressError(`A reply for SES message ${id} is being sent`);

      const hash = senderHash(plan.to.address);
      const hour = hourBucket(now);
      const hourExpiresAt = Math.floor(nowSec / 3600) * 3600 + 3600 + HOUR_COUNTER_GRACE_SECONDS;
      const releaseSender = () => release("sender", () => deps.state.releaseSender(hash, id), id);
      const releaseSlot = () => release("hour", () => deps.state.releaseHourlySlot(hour, id), id);
      const releaseMessage = () => release("message", () => deps.state.releaseMessage(id), id);

      let senderClaimed: boolean;
      let slotTaken = false;
      try {
        senderClaimed = await deps.state.claimSender(hash, id, now, nowSec + deps.replyWindowSeconds);
        if (senderClaimed) slotTaken = await deps.state.takeHourlySlot(hour, id, deps.maxRepliesPerHour, hourExpiresAt);
      } catch (error) {
        await releaseSender();
        await releaseMessage();
        throw error;
      }
      if (!senderClaimed) {
        await deps.state.finishMessage(id, "SKIPPED", messageExpiresAt);
        return { status: "skipped", reason: "rate-limited" };
      }
      if (!slotTaken) {
        await releaseSender();
        await deps.state.finishMessage(id, "SKIPPED", messageExpiresAt);
        return { status: "skipped", reason: "hourly-cap" };
      }

      let sent;
      try {
        sent = await sender.send(reply, { idempotencyKey: id });
      } catch (error) {
        const kind = classifySendError(error);
        if (kind === "throw" && isOutcomeUnknown(error) && deps.sendGuarantee === "at-most-once") {
          // The reply may have gone out: window and slot stay used, and the final state stops redeliveries.
          await finish(id, "UNKNOWN", messageExpiresAt);
          return { status: "unknown", errorName: errorName(error) };
        }
        // No reply went out (or, at-least-once, one more is acceptable): give everything back.
        await releaseSender();
        await releaseSlot();
        if (kind === "throw") {
          await releaseMessage();
          throw error;
        }
        await deps.state.finishMessage(id, "REJECTED", messageExpiresAt);
        return { status: "rejected", kind, errorName: errorName(error) };
      }

      if (sent.status === "SKIPPED") {
        // Nothing went out: window and slot are given back, and a redelivery is a duplicate.
        await releaseSender();
        await releaseSlot();
        await deps.state.finishMessage(id, "SKIPPED", messageExpiresAt);
        return { status: "withheld", step: sent.step, reason: sent.reason };
      }
      await finish(id, "SENT", messageExpiresAt);
      return { status: "sent", replyMessageId: sent.messageId, to: reply.to, replyToIgnored: plan.replyToIgnored };
    },
  };
}
