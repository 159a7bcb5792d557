/**
 * Shared SDK v3 client settings. Clients are created once per container (module scope) with the
 * adaptive retry mode, which adds client-side rate limiting on top of exponential backoff when a
 * service throttles. See https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
import { AdaptiveRetryStrategy } from "@smithy/core/retry";
import type { RetryErrorInfo, RetryStrategyV2, RetryToken, StandardRetryToken } from "@smithy/types";
import { provenNotExecuted } from "./errors";

export interface SdkClientConfig {
  retryMode: "adaptive";
  maxAttempts: number;
}

function maxAttemptsFromEnv(): number {
  const fromEnv = Number(process.env.AWS_MAX_ATTEMPTS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 5;
}

export function sdkClientConfig(): SdkClientConfig {
  return { retryMode: "adaptive", maxAttempts: maxAttemptsFromEnv() };
}

/**
 * The SDK's adaptive strategy, except that an attempt is retried only when its error proves the
 * request was not executed (throttling, no connection). The SDK's own strategy also retries
 * timeouts and 5xx, which for a call without an idempotency token can repeat a side effect that
 * already happened: that error is surfaced instead, for the caller to record as unknown.
 */
export class SendSafeRetryStrategy implements RetryStrategyV2 {
  readonly mode = "adaptive-send-safe";
  private readonly adaptive: AdaptiveRetryStrategy;

  constructor(maxAttempts: number) {
    this.adaptive = new AdaptiveRetryStrategy(maxAttempts);
  }

  acquireInitialRetryToken(retryTokenScope: string): Promise<RetryToken> {
    return this.adaptive.acquireInitialRetryToken(retryTokenScope);
  }

  async refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    // Throwing here makes the SDK surface the attempt's own error.
    if (!provenNotExecuted(errorInfo.error)) throw errorInfo.error ?? new Error("not retried");
    return this.adaptive.refreshRetryTokenForRetry(token as StandardRetryToken, errorInfo);
  }

  recordSuccess(token: RetryToken): void {
    this.adaptive.recordSuccess(token as StandardRetryToken);
  }
}

/**
 * Client settings for clients that send messages with no idempotency token (SESv2 SendEmail,
 * pinpoint-sms-voice-v2 SendTextMessage, Pinpoint SendMessages): same attempt budget and adaptive
 * rate limiting, but no automatic retry unless the request provably did not execute.
 */
export function sendClientConfig(): { retryStrategy: SendSafeRetryStrategy; maxAttempts: number } {
  const maxAttempts = maxAttemptsFromEnv();
  return { retryStrategy: new SendSafeRetryStrategy(maxAttempts), maxAttempts };
}
