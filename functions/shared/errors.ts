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
