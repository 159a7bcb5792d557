/**
 * Places one queued call at most once. SDK-free: the outcome table, the voice sender, the shared
 * adaptive limiter and the clock are injected, so the benchmark runs the same code on a simulated
 * API and clock.
 *
 * 1. claim     the outcome record (outcome-store.ts). A final status means the call was handled:
 *              DUPLICATE, nothing dialled. DIALING under a live lease belongs to another delivery:
 *              retry later. A takeover of an expired lease (that delivery died, maybe after
 *              dialling): at-most-once records UNKNOWN; at-least-once dials again with the SAME
 *              ClientToken, which Connect answers with the existing contact while the token holds.
 * 2. token age a call that may already have started (mayHaveStarted) is not dialled again once its
 *              ClientToken is near the end of its 7 days: recorded UNKNOWN. The token alone is not trusted.
 * 3. rate      one permit of the shared adaptive limiter (functions/shared/rate), which keeps the
 *              account under the API's real rate (default 2/s, burst 5); the configured rate is its
 *              ceiling. No permit before the invocation's deadline: the call is DEFERRED (put back on
 *              the queue with a delay), never failed.
 * 4. dial      StartOutboundVoiceContact with the ClientToken (through the send steps, if any).
 * 5. outcome   STARTED (contact id) · INVALID_DESTINATION / REJECTED (reported, never retried) ·
 *              THROTTLED: the limiter decreases, the call re-acquires and retries, a few times, then
 *              the record fails (partial batch failure) · AT_CAPACITY (concurrent active calls):
 *              the limiter pauses the key for `capacityPauseMs` and the call waits for calls to end,
 *              up to `capacityWaitMs`, then it is DEFERRED: capacity never dead-letters a call ·
 *              UNKNOWN (timeout, 5xx): retried at once with the same token (safe); still unknown
 *              after `maxUnknownRetries`, at-most-once records UNKNOWN (alarmed), at-least-once
 *              fails the record for a later retry · FAILED retryable (configuration): the record fails.
 * Outcome writes after a call that started (or may have) are retried with backoff and never thrown:
 * a throw would make SQS redeliver, and the record, not the token, must stop the second call.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import { maskPhone } from "../shared/runtime/pii";
import type { SendGuarantee } from "../shared/runtime/send-guarantee";
import { CLIENT_TOKEN_VALIDITY_MS, clientTokenFor, contactAttributes, type DialRequest } from "../shared/voice/dial-request";
import type { VoiceSender, VoiceSendOutcome } from "../shared/voice/voice-send";
import { DIALER_METRICS } from "./contract";
import type { DialFinish, DialOutcomeStore, FinalDialStatus } from "./outcome-store";

/** The part of the shared adaptive limiter (functions/shared/rate AdaptiveLimiter) the dialer uses. */
export interface DialLimiter {
  acquire(key: string, units: number, options?: { deadline?: number }): Promise<{ granted: true; waitedMs: number } | { granted: false; retryAfterMs: number }>;
  onThrottle(key: string): Promise<void>;
  defer(key: string, ms: number): void;
}

export interface DialSettings {
  sendGuarantee: SendGuarantee;
  /** Throttles one call absorbs in an invocation before its record fails. */
  maxThrottleRetries: number;
  /** Immediate same-token retries of an unknown outcome. */
  maxUnknownRetries: number;
  unknownRetryDelayMs: number;
  /** How long a call waits for active calls to end (in this invocation) before it is deferred. */
  capacityWaitMs: number;
  /** How long the limiter pauses the key after a LimitExceededException. */
  capacityPauseMs: number;
  /** Queue delay of a call deferred for capacity. */
  capacityRetryDelaySeconds: number;
  /** A possibly-started call is not re-dialled when its token is older than validity minus this. */
  tokenSafetyMarginMs: number;
}

export const DEFAULT_DIAL_SETTINGS: Omit<DialSettings, "sendGuarantee" | "capacityWaitMs" | "capacityRetryDelaySeconds"> = {
  maxThrottleRetries: 3,
  maxUnknownRetries: 2,
  unknownRetryDelayMs: 500,
  capacityPauseMs: 5_000,
  tokenSafetyMarginMs: 24 * 3600 * 1000,
};

/** Attempts at an outcome write (on top of the SDK's), backoff 100, 200, 400 ms. */
export const OUTCOME_WRITE_ATTEMPTS = 4;

export interface DialDeps {
  outcomes: DialOutcomeStore;
  voice: VoiceSender;
  limiter: DialLimiter;
  /** The limiter key: the account-wide API rate is shared by every call of this instance. */
  limiterKey: string;
  logger: Logger;
  metrics: Metrics;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  newClaimToken?: () => string;
}

export type DialResult =
  | { status: "STARTED"; contactId: string }
  | { status: "DUPLICATE" | "INVALID_DESTINATION" | "REJECTED" | "UNKNOWN" }
  /** Put back on the queue after `delaySeconds`; the record stays claimable. */
  | { status: "DEFERRED"; reason: "CAPACITY" | "RATE"; delaySeconds: number };

/** The record must be retried by SQS (reported as a batch item failure). */
export class RetryDialError extends Error {
  constructor(
    readonly reason: "BUSY" | "THROTTLED" | "UNKNOWN" | "FAILED",
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = "RetryDialError";
  }
}

export async function dialQueuedCall(
  request: DialRequest,
  timing: { deadline: number; leaseUntil: number },
  settings: DialSettings,
  deps: DialDeps,
): Promise<DialResult> {
  const { logger, metrics, clock } = deps;
  const dialId = clientTokenFor(request.campaignKey, request.recipientKey);
  const log = { dialId, to: maskPhone(request.destination), source: request.source.kind, sourceRef: request.source.ref };
  const claimToken = (deps.newClaimToken ?? randomUUID)();
  const claim = await deps.outcomes.claim({
    dialId,
    claimToken,
    leaseUntil: timing.leaseUntil,
    campaignKey: request.campaignKey,
    destination: request.destination,
    sourceKind: request.source.kind,
    sourceRef: request.source.ref,
  });
  if (!claim.claimed) {
    if (claim.status === "DIALING" || claim.status === undefined) throw new RetryDialError("BUSY", "another delivery is dialling this call");
    metrics.addMetric(DIALER_METRICS.DuplicateSkipped, MetricUnit.Count, 1);
    logger.info("Call already handled; not dialled again", { ...log, status: claim.status });
    return { status: "DUPLICATE" };
  }

  let mayHaveStarted = claim.mayHaveStarted;
  /** Writes the outcome; after a call that started or may have, a final failure is counted, not thrown. */
  const record = async (finish: Omit<DialFinish, "dialId" | "claimToken">): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const kept = await deps.outcomes.finish({ ...finish, dialId, claimToken, ...(mayHaveStarted ? { mayHaveStarted: true } : {}) });
        if (!kept) logger.warn("Outcome not recorded: the claim's lease expired and was taken over", { ...log, status: finish.status });
        return;
      } catch (error) {
        if (attempt < OUTCOME_WRITE_ATTEMPTS) {
          await deps.sleep(100 * 2 ** (attempt - 1));
          continue;
        }
        metrics.addMetric(DIALER_METRICS.OutcomeWriteLost, MetricUnit.Count, 1);
        logger.error("Could not record the call's outcome", { ...log, status: finish.status, errorName: (error as Error).name });
        if (finish.status === "STARTED" || finish.status === "UNKNOWN" || mayHaveStarted) return;
        throw error;
      }
    }
  };
  const final = async (status: FinalDialStatus, detail: Omit<DialFinish, "dialId" | "claimToken" | "status"> = {}): Promise<void> => record({ status, ...detail });
  const recordUnknown = async (errorName: string, errorMessage: string): Promise<DialResult> => {
    await final("UNKNOWN", { errorName, errorMessage });
    metrics.addMetric(DIALER_METRICS.SendOutcomeUnknown, MetricUnit.Count, 1);
    logger.warn("Call outcome unknown; recorded UNKNOWN and not dialled again", { ...log, errorName });
    return { status: "UNKNOWN" };
  };
  const defer = async (reason: "CAPACITY" | "RATE", delaySeconds: number): Promise<DialResult> => {
    await record({ status: "RETRYING", errorName: reason === "CAPACITY" ? "LimitExceededException" : "RateLimited" });
    metrics.addMetric(DIALER_METRICS.CallDeferred, MetricUnit.Count, 1);
    logger.info("Call deferred on the queue", { ...log, reason, delaySeconds });
    return { status: "DEFERRED", reason, delaySeconds };
  };

  if (claim.takenOver) {
    if (settings.sendGuarantee === "at-most-once") {
      return recordUnknown("PreviousDeliveryUnfinished", "an earlier delivery claimed this call and did not record an outcome; it may have placed it");
    }
    logger.warn("Taking over an expired claim; dialling again with the same ClientToken", log);
  }
  if (mayHaveStarted && clock() - claim.firstAttemptAt > CLIENT_TOKEN_VALIDITY_MS - settings.tokenSafetyMarginMs) {
    return recordUnknown("ClientTokenExpiring", "the call may have started and its ClientToken no longer guards a second call");
  }

  const attributes = contactAttributes(request);
  let throttles = 0;
  let unknowns = 0;
  let capacityWaited = 0;
  for (;;) {
    const permit = await deps.limiter.acquire(deps.limiterKey, 1, { deadline: timing.deadline });
    if (!permit.granted) return defer("RATE", Math.min(900, Math.max(1, Math.ceil(permit.retryAfterMs / 1000))));
    let outcome: VoiceSendOutcome;
    try {
      outcome = await deps.voice.send({ destination: request.destination, attributes, clientToken: dialId }, { idempotencyKey: dialId });
    } catch (error) {
      // A send step threw before the call, or a programming error: nothing was dialled.
      await record({ status: "RETRYING", errorName: (error as Error).name });
      throw error;
    }
    switch (outcome.status) {
      case "STARTED":
        await final("STARTED", { contactId: outcome.contactId });
        metrics.addMetric(DIALER_METRICS.CallStarted, MetricUnit.Count, 1);
        logger.info("Call started", { ...log, contactId: outcome.contactId, attempts: claim.attempts });
        return { status: "STARTED", contactId: outcome.contactId };
      case "SKIPPED":
        await final("REJECTED", { errorName: "SendStepSkipped", errorMessage: `${outcome.step}: ${outcome.reason}` });
        metrics.addMetric(DIALER_METRICS.CallRejected, MetricUnit.Count, 1);
        logger.info("Call withheld by a send step; recorded REJECTED", { ...log, step: outcome.step });
        return { status: "REJECTED" };
      case "INVALID_DESTINATION":
        await final("INVALID_DESTINATION", { errorName: outcome.errorName, errorMessage: outcome.errorMessage });
        metrics.addMetric(DIALER_METRICS.InvalidDestination, MetricUnit.Count, 1);
        logger.warn("Connect will not call this number; recorded, not retried", { ...log, errorName: outcome.errorName });
        return { status: "INVALID_DESTINATION" };
      case "REJECTED":
        await final("REJECTED", { errorName: outcome.errorName, errorMessage: outcome.errorMessage });
        metrics.addMetric(DIALER_METRICS.CallRejected, MetricUnit.Count, 1);
        logger.warn("Connect rejected the call request; recorded, not retried", { ...log, errorName: outcome.errorName });
        return { status: "REJECTED" };
      case "THROTTLED":
        metrics.addMetric(DIALER_METRICS.CallThrottled, MetricUnit.Count, 1);
        await deps.limiter.onThrottle(deps.limiterKey);
        if (++throttles <= settings.maxThrottleRetries) continue;
        await record({ status: "RETRYING", errorName: outcome.errorName, errorMessage: outcome.errorMessage });
        throw new RetryDialError("THROTTLED", `throttled ${throttles} times`);
      case "AT_CAPACITY": {
        metrics.addMetric(DIALER_METRICS.AtCapacity, MetricUnit.Count, 1);
        deps.limiter.defer(deps.limiterKey, settings.capacityPauseMs);
        capacityWaited += settings.capacityPauseMs;
        // Wait for calls to end while this invocation has time; otherwise back on the queue.
        if (capacityWaited <= settings.capacityWaitMs && clock() + settings.capacityPauseMs < timing.deadline) continue;
        return defer("CAPACITY", settings.capacityRetryDelaySeconds);
      }
      case "UNKNOWN":
        mayHaveStarted = true;
        if (++unknowns <= settings.maxUnknownRetries) {
          // Same ClientToken: Connect returns the contact it may already have started.
          logger.warn("Call outcome unknown; retrying with the same ClientToken", { ...log, errorName: outcome.errorName });
          await deps.sleep(settings.unknownRetryDelayMs);
          continue;
        }
        if (settings.sendGuarantee === "at-most-once") return recordUnknown(outcome.errorName, outcome.errorMessage);
        metrics.addMetric(DIALER_METRICS.SendOutcomeUnknown, MetricUnit.Count, 1);
        await record({ status: "RETRYING", errorName: outcome.errorName, errorMessage: outcome.errorMessage });
        throw new RetryDialError("UNKNOWN", outcome.errorName);
      case "FAILED":
        if (outcome.retryable) {
          metrics.addMetric(DIALER_METRICS.RetryableFailure, MetricUnit.Count, 1);
          await record({ status: "RETRYING", errorName: outcome.errorName, errorMessage: outcome.errorMessage });
          logger.error("Call not placed; will be retried", { ...log, errorName: outcome.errorName });
          throw new RetryDialError("FAILED", outcome.errorName);
        }
        await final("REJECTED", { errorName: outcome.errorName, errorMessage: outcome.errorMessage });
        metrics.addMetric(DIALER_METRICS.CallRejected, MetricUnit.Count, 1);
        logger.error("Call failed permanently; recorded, not retried", { ...log, errorName: outcome.errorName });
        return { status: "REJECTED" };
    }
  }
}

/** At most `limit` tasks at once, in arrival order (a finishing task hands its slot to the next waiter). */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError("limit must be >= 1");
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.active -= 1;
    }
  }
}
