/** Error names AWS services use for throttling and transient faults. */
const RETRYABLE_ERROR_NAMES = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalFailure",
  "InternalServerError",
  "InternalServerException",
  "InternalErrorException",
  "LimitExceededException",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
]);

interface SdkErrorShape {
  name?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * True when retrying the same call later may succeed: throttling, 5xx and network faults.
 * Validation and authorization errors are not retryable.
 */
export function isRetryableError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as SdkErrorShape;
  if (e.$retryable) return true;
  if (e.name && RETRYABLE_ERROR_NAMES.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status === 429 || status >= 500)) return true;
  return ["ECONNRESET", "ETIMEDOUT", "EPIPE", "ECONNREFUSED"].includes((error as { code?: string }).code ?? "");
}

/** True for throttling specifically (metrics distinguish it from other transient faults). */
export function isThrottlingError(error: unknown): boolean {
  const name = (error as SdkErrorShape | null)?.name ?? "";
  return /Throttl|TooManyRequests|ProvisionedThroughputExceeded|RequestLimitExceeded|SlowDown/.test(name);
}

interface NetworkErrorShape {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Socket errors raised before a connection existed: the request never left this process. */
const NOT_CONNECTED_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * True only when the error proves the request was NOT executed: the service refused it for rate
 * (throttling, HTTP 429), or no connection was ever made. A send without an idempotency token may
 * be retried automatically only then. A timeout, a reset connection or a 5xx may come after AWS
 * did the work, so they are not proof.
 */
export function provenNotExecuted(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as NetworkErrorShape;
  if (isThrottlingError(error) || e.$metadata?.httpStatusCode === 429) return true;
  return NOT_CONNECTED_CODES.has(e.code ?? "");
}

/**
 * True when a call failed in a way that leaves its outcome unknown: retryable (timeouts, resets,
 * 5xx) but not proven unexecuted. For a send, the message may have gone out.
 */
export function isOutcomeUnknown(error: unknown): boolean {
  return isRetryableError(error) && !provenNotExecuted(error);
}
