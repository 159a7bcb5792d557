/**
 * Secure and reliable defaults, in one place, as plain data. Components merge them as
 * defaults ← user ← required (see validation.ts `consolidate`).
 */

/** Lambda runtimes we create functions with. Older Node.js runtimes are deprecated by AWS. */
export const SUPPORTED_NODE_RUNTIMES = ["nodejs22.x", "nodejs24.x"] as const;

/** CloudWatch Logs accepts only these retention periods (days). */
export const VALID_LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const FUNCTION_DEFAULTS = {
  runtime: "nodejs22.x",
  architecture: "arm64" as "arm64" | "x86_64",
  memorySizeMb: 256,
  timeoutSeconds: 30,
  tracing: "Active" as "Active" | "PassThrough",
  logRetentionInDays: 30,
  logLevel: "INFO",
};

export const QUEUE_DEFAULTS = {
  /** Four days: long enough to survive a weekend outage of the consumer. */
  messageRetentionSeconds: 4 * 24 * 3600,
  /** Fourteen days (the SQS maximum) on the DLQ, to leave time to inspect and redrive. */
  deadLetterRetentionSeconds: 14 * 24 * 3600,
  maxReceiveCount: 5,
  visibilityTimeoutSeconds: 180,
};

export const ALARM_DEFAULTS = {
  periodSeconds: 300,
  evaluationPeriods: 1,
};

/** Lambda's guidance: the queue's visibility timeout should be at least six times the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export const BUCKET_DEFAULTS = {
  versioning: true,
  noncurrentVersionExpirationDays: 30,
  abortIncompleteMultipartUploadDays: 7,
};
