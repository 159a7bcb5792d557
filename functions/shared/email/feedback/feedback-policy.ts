/**
 * What to do with each recipient of a feedback event. Pure functions: no SDK, no clock, no I/O.
 *
 * Rules (spec 01 §1.5, §1.8):
 * - Permanent bounce → suppress (BOUNCE).
 * - Complaint → suppress (COMPLAINT), unless `complaintFeedbackType` is in the exempt list
 *   (default ["not-spam"]: the recipient told their mailbox provider the message was NOT spam).
 * - Transient and Undetermined bounces are counted per address in a rolling window. When
 *   `transientBounceThreshold` > 0 and the count within `transientBounceWindowHours` reaches the
 *   threshold → suppress (BOUNCE). Threshold 0 counts but never suppresses.
 * - Delivery, other event types and unrecognised bounce types → ignore.
 */
import type { FeedbackEvent } from "../ses-events";

export type SuppressionReason = "BOUNCE" | "COMPLAINT";

/** complaintFeedbackType values SES documents (RFC 5965 feedback types). */
export const COMPLAINT_FEEDBACK_TYPES = ["abuse", "auth-failure", "fraud", "not-spam", "other", "virus"] as const;

export interface FeedbackPolicySettings {
  /** complaintFeedbackType values that do NOT suppress. Compared case-insensitively. */
  complaintExemptFeedbackTypes: readonly string[];
  /** Transient/Undetermined bounces within the window that suppress the address; 0 = never. */
  transientBounceThreshold: number;
  /** Length of the rolling transient-bounce window, in hours (> 0). */
  transientBounceWindowHours: number;
}

export const DEFAULT_FEEDBACK_POLICY_SETTINGS: Readonly<FeedbackPolicySettings> = Object.freeze({
  complaintExemptFeedbackTypes: Object.freeze(["not-spam"]),
  transientBounceThreshold: 0,
  transientBounceWindowHours: 72,
});

/** The event-level decision, before any per-address history is known. */
export type FeedbackIntent =
  | { type: "suppress"; reason: SuppressionReason; detail: string }
  | { type: "count-transient"; detail: string }
  | { type: "ignore"; detail: string };

/**
 * An address's transient-bounce counter **after** the current bounce was counted, as the contact
 * store's atomic counter returns it.
 */
export interface TransientBounceHistory {
  transientBounceCount: number;
  /** ISO-8601 start of the current counting window. */
  transientWindowStart: string;
}

export type RecipientAction =
  | { type: "suppress"; address: string; reason: SuppressionReason; detail: string; transientBounceCount?: number }
  | { type: "record-transient"; address: string; count: number; detail: string }
  | { type: "ignore"; address: string; detail: string };

const COUNTED_BOUNCE_TYPES = new Set(["Transient", "Undetermined"]);

/** Classifies the event as a whole: every recipient of one SES notification shares it. */
export function classifyFeedback(event: FeedbackEvent, settings: FeedbackPolicySettings): FeedbackIntent {
  switch (event.kind) {
    case "bounce": {
      const bounceType = event.bounceType ?? "";
      const subType = event.bounceSubType ? `/${event.bounceSubType}` : "";
      if (bounceType === "Permanent") {
        return { type: "suppress", reason: "BOUNCE", detail: `Permanent${subType} bounce` };
      }
      if (COUNTED_BOUNCE_TYPES.has(bounceType)) {
        return { type: "count-transient", detail: `${bounceType}${subType} bounce` };
      }
      return { type: "ignore", detail: `unrecognised bounceType "${bounceType}"` };
    }
    case "complaint": {
      const feedbackType = event.complaintFeedbackType?.toLowerCase();
      const exempt = settings.complaintExemptFeedbackTypes.map((t) => t.toLowerCase());
      if (feedbackType !== undefined && exempt.includes(feedbackType)) {
        return { type: "ignore", detail: `complaint with exempt feedback type "${feedbackType}"` };
      }
      return {
        type: "suppress",
        reason: "COMPLAINT",
        detail: feedbackType === undefined ? "complaint" : `complaint (${feedbackType})`,
      };
    }
    case "delivery":
      return { type: "ignore", detail: "delivery" };
    case "other":
      return { type: "ignore", detail: `event type "${event.eventType}" is not acted on` };
  }
}

/**
 * The oldest window start that still counts for a bounce at `at`: windows that started before
 * this are stale, and the next bounce starts a new window.
 */
export function transientWindowStartCutoff(at: string, windowHours: number): string {
  return new Date(Date.parse(at) - windowHours * 3_600_000).toISOString();
}

/**
 * The action for one recipient. `history` is needed only for transient bounces; without it (or
 * when its window is stale relative to this event) the bounce counts as the first in its window.
 */
export function decideRecipientAction(
  event: FeedbackEvent,
  address: string,
  history: TransientBounceHistory | undefined,
  settings: FeedbackPolicySettings,
): RecipientAction {
  const intent = classifyFeedback(event, settings);
  switch (intent.type) {
    case "suppress":
      return { type: "suppress", address, reason: intent.reason, detail: intent.detail };
    case "ignore":
      return { type: "ignore", address, detail: intent.detail };
    case "count-transient": {
      const cutoff = transientWindowStartCutoff(event.timestamp, settings.transientBounceWindowHours);
      const inWindow = history !== undefined && Date.parse(history.transientWindowStart) >= Date.parse(cutoff);
      const count = inWindow ? Math.max(1, history.transientBounceCount) : 1;
      const { transientBounceThreshold: threshold, transientBounceWindowHours: hours } = settings;
      if (threshold > 0 && count >= threshold) {
        return {
          type: "suppress",
          address,
          reason: "BOUNCE",
          transientBounceCount: count,
          detail: `${intent.detail}: ${count} within ${hours}h reached threshold ${threshold}`,
        };
      }
      const limit = threshold > 0 ? `threshold ${threshold}` : "no threshold";
      return { type: "record-transient", address, count, detail: `${intent.detail}: ${count} within ${hours}h (${limit})` };
    }
  }
}

/** The action for every recipient of the event; `histories` is keyed by normalised address. */
export function decideFeedback(
  event: FeedbackEvent,
  histories: ReadonlyMap<string, TransientBounceHistory>,
  settings: FeedbackPolicySettings,
): RecipientAction[] {
  return event.recipients.map((address) => decideRecipientAction(event, address, histories.get(address), settings));
}
