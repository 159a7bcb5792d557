/**
 * SDK client settings for calls paced by the adaptive limiter. The project's send-safe strategy
 * (runtime/aws-clients.ts) retries a throttled call inside the SDK, where the limiter never sees
 * it: the limiter would keep sending above the real limit while the SDK's own backoff absorbed the
 * refusals. Here a throttling error is surfaced at once, so the caller reports it to the limiter
 * (`onThrottle`) and re-acquires, a bounded wait at the learned rate. Other errors that prove the
 * call did not execute (no connection) are still retried by the SDK.
 */
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from "@smithy/types";
import { SendSafeRetryStrategy, sendClientConfig } from "../runtime/aws-clients";
import { isThrottlingError } from "../runtime/errors";

export class LimiterRetryStrategy implements RetryStrategyV2 {
  readonly mode = "adaptive-send-safe-no-throttle-retry";
  private readonly inner: SendSafeRetryStrategy;

  constructor(maxAttempts: number) {
    this.inner = new SendSafeRetryStrategy(maxAttempts);
  }

  acquireInitialRetryToken(retryTokenScope: string): Promise<RetryToken> {
    return this.inner.acquireInitialRetryToken(retryTokenScope);
  }

  refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    // Throwing here makes the SDK surface the attempt's own error (see SendSafeRetryStrategy).
    if (errorInfo.errorType === "THROTTLING" || isThrottlingError(errorInfo.error)) return Promise.reject(errorInfo.error ?? new Error("throttled"));
    return this.inner.refreshRetryTokenForRetry(token, errorInfo);
  }

  recordSuccess(token: RetryToken): void {
    this.inner.recordSuccess(token);
  }
}

/** `sendClientConfig()` with throttles surfaced to the caller (see above). */
export function limiterClientConfig(): { retryStrategy: LimiterRetryStrategy; maxAttempts: number } {
  const { maxAttempts } = sendClientConfig();
  return { retryStrategy: new LimiterRetryStrategy(maxAttempts), maxAttempts };
}
