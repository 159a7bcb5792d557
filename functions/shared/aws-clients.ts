/**
 * Shared SDK v3 client settings. Clients are created once per container (module scope) with the
 * adaptive retry mode, which adds client-side rate limiting on top of exponential backoff when a
 * service throttles. See https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
export interface SdkClientConfig {
  retryMode: "adaptive";
  maxAttempts: number;
}

export function sdkClientConfig(): SdkClientConfig {
  const fromEnv = Number(process.env.AWS_MAX_ATTEMPTS);
  return { retryMode: "adaptive", maxAttempts: Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 5 };
}
