/** The shared adaptive rate limiter (see adaptive-limiter.ts); channel-neutral. */
export { AdaptiveLimiter, type AdaptiveLimiterOptions, type KeyedRateLimiter, type LimiterStats, type Permit } from "./adaptive-limiter";
export { DEFAULT_CURVE, cycleMs, decreasedAt, rateAt, type RateCurveOptions, type SharedRateState } from "./rate-curve";
export { DynamoDbRateStore, MemoryRateStore, RATE_ITEM_TTL_DAYS, type SharedRateStore } from "./rate-store";
export { LimiterRetryStrategy, limiterClientConfig } from "./sdk";
export { realSleep, systemClock, type Clock, type Sleep } from "../sms/token-bucket";
