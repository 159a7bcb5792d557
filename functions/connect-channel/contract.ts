/**
 * #13's contract between the ConnectChannel component and its handlers (pure: no SDK), and the
 * constants both sides use.
 */
import { defineFunctionContract, envOf, metricsOf } from "../shared/runtime/function-contract";
import { SEND_OUTCOME_UNKNOWN_METRIC } from "../shared/runtime/send-guarantee";

const NAMESPACE = "DigitalUserEngagement/ConnectChannel";

/** Pinpoint endpoint channel types the custom-channel Lambda dials by default (their Address is a phone number). */
export const DIALABLE_CHANNEL_TYPES = ["SMS", "VOICE", "CUSTOM"] as const;

/** SQS DelaySeconds maximum: a deferred call waits at most this long on the queue. */
export const MAX_DEFER_SECONDS = 900;

export const DIALER = defineFunctionContract({
  entry: "functions/connect-channel/dialer.ts",
  // QUEUE_ID, SOURCE_PHONE_NUMBER and RING_TIMEOUT_SECONDS are "" when unused.
  env: [
    "INSTANCE_ID",
    "CONTACT_FLOW_ID",
    "QUEUE_ID",
    "SOURCE_PHONE_NUMBER",
    "RING_TIMEOUT_SECONDS",
    "OUTCOME_TABLE_NAME",
    "RATE_TABLE_NAME",
    "DIALER_QUEUE_URL",
    "CALLS_PER_SECOND",
    "LIMITER_SHARES",
    "DIAL_CONCURRENCY",
    "CAPACITY_WAIT_SECONDS",
    "CAPACITY_RETRY_DELAY_SECONDS",
  ],
  namespace: NAMESPACE,
  metrics: [
    "MalformedRequest",
    "CallStarted",
    "DuplicateSkipped",
    "InvalidDestination",
    "CallRejected",
    "CallThrottled",
    "AtCapacity",
    "CallDeferred",
    "RetryableFailure",
    SEND_OUTCOME_UNKNOWN_METRIC,
    "OutcomeWriteLost",
    "BatchItemFailures",
  ],
});
export const DIALER_ENV = envOf(DIALER);
export const DIALER_METRICS = metricsOf(DIALER);

export const CHANNEL = defineFunctionContract({
  entry: "functions/connect-channel/channel.ts",
  env: ["DIALER_QUEUE_URL", "CHANNEL_TYPES"],
  namespace: NAMESPACE,
  metrics: ["EndpointsQueued", "EndpointsSkipped", "MessageMissing", "EnqueueFailed"],
});
export const CHANNEL_ENV = envOf(CHANNEL);
export const CHANNEL_METRICS = metricsOf(CHANNEL);
