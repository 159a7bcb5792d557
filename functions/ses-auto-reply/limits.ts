/**
 * The hourly reply cap, shared by the handler's config, the component and the stack schema.
 * Pure: no SDK imports, safe to import from a Pulumi program.
 */

/** Replies per hour across all senders when nothing is configured. */
export const DEFAULT_MAX_REPLIES_PER_HOUR = 100;

/**
 * The highest cap accepted. An hour's slots are the SES message ids (about 40 characters) in one
 * DynamoDB item, so 1000 keep it near 40 KB, far below the 400 KB item limit, and each write cheap.
 * There is no "unlimited": 0 and values above this are configuration errors.
 */
export const MAX_REPLIES_PER_HOUR_LIMIT = 1000;
