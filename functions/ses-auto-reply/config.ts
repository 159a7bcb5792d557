import * as z from "zod";
import { sendGuaranteeFromEnv, type SendGuarantee } from "../shared/runtime/send-guarantee";
import { emptyAddressList, isPlainAddress, parseAddressList, type AddressList } from "./addresses";
import { DEFAULT_MAX_REPLIES_PER_HOUR, MAX_REPLIES_PER_HOUR_LIMIT, RESPONDER_ENV as ENV, AUTO_REPLY_TARGETS, type AutoReplyTarget } from "./contract";

/** The responder's validated configuration (from environment variables, read at cold start). */
export interface AutoReplyConfig {
  stateTableName: string;
  templateSource: AutoReplyTarget;
  templateName: string;
  templateCacheTtlSeconds: number;
  replyFrom: string | undefined;
  allowedReplyFrom: AddressList;
  ownAddresses: AddressList;
  skipOnDmarcFail: boolean;
  replyWindowSeconds: number;
  /** Replies per hour across all senders (1..MAX_REPLIES_PER_HOUR_LIMIT). */
  maxRepliesPerHour: number;
  allowExternalReplyTo: boolean;
  configurationSetName: string | undefined;
  /** What to do when SendEmail's outcome is unknown (functions/shared/runtime/send-guarantee.ts). */
  sendGuarantee: SendGuarantee;
}

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const commaList = z
  .string()
  .optional()
  .transform((v) => (v ?? "").split(",").map((s) => s.trim()).filter((s) => s !== ""));

const positiveInt = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? String(fallback) : v.trim()))
    .pipe(z.string().regex(/^\d+$/, "expected a whole number of seconds").transform(Number))
    .pipe(z.number().int().positive("expected a whole number of seconds greater than 0"));

const booleanFlag = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? String(fallback) : v.trim().toLowerCase()))
    .pipe(z.enum(["true", "false"], { error: 'expected "true" or "false"' }))
    .transform((v) => v === "true");

const CAP_MESSAGE = `expected a whole number from 1 to ${MAX_REPLIES_PER_HOUR_LIMIT}`;

// Keyed by the contract's names, so the component and this loader cannot drift apart.
const EnvSchema = z.object({
  [ENV.STATE_TABLE_NAME]: z.string({ error: "required" }).trim().min(1, "required"),
  [ENV.TEMPLATE_NAME]: z.string({ error: "required" }).trim().min(1, "required"),
  [ENV.TEMPLATE_SOURCE]: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? "ses" : v.trim()))
    .pipe(z.enum(AUTO_REPLY_TARGETS, { error: 'expected "ses" or "pinpoint"' })),
  [ENV.TEMPLATE_CACHE_TTL_SECONDS]: positiveInt(300),
  [ENV.REPLY_FROM]: optionalString.refine((v) => v === undefined || isPlainAddress(v), "expected a plain address (local@domain)"),
  [ENV.ALLOWED_REPLY_FROM]: commaList,
  [ENV.OWN_ADDRESSES]: commaList,
  [ENV.SKIP_ON_DMARC_FAIL]: booleanFlag(true),
  [ENV.REPLY_WINDOW_SECONDS]: positiveInt(86_400),
  // Unset means the default; 0 is refused rather than read as "unlimited" or "off".
  [ENV.MAX_REPLIES_PER_HOUR]: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? String(DEFAULT_MAX_REPLIES_PER_HOUR) : v.trim()))
    .pipe(z.string().regex(/^\d+$/, CAP_MESSAGE).transform(Number))
    .pipe(z.number().int().min(1, CAP_MESSAGE).max(MAX_REPLIES_PER_HOUR_LIMIT, CAP_MESSAGE)),
  [ENV.ALLOW_EXTERNAL_REPLY_TO]: booleanFlag(false),
  [ENV.CONFIGURATION_SET_NAME]: optionalString,
});

/** Thrown at cold start; the message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Validates the environment. Every problem is reported at once, each prefixed with the variable
 * name, e.g. `TEMPLATE_SOURCE: expected "ses" or "pinpoint"`.
 */
export function loadAutoReplyConfig(env: Record<string, string | undefined>): AutoReplyConfig {
  const parsed = EnvSchema.safeParse(env);
  const errors: string[] = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);

  let sendGuarantee: SendGuarantee | undefined;
  try {
    sendGuarantee = sendGuaranteeFromEnv(env);
  } catch (error) {
    errors.push((error as Error).message);
  }

  let allowedReplyFrom = emptyAddressList();
  let ownAddresses = emptyAddressList();
  if (parsed.success) {
    const allowed = parseAddressList(parsed.data.ALLOWED_REPLY_FROM);
    const own = parseAddressList(parsed.data.OWN_ADDRESSES);
    allowedReplyFrom = allowed.list;
    ownAddresses = own.list;
    if (allowed.invalid.length > 0) {
      errors.push(`ALLOWED_REPLY_FROM: expected addresses or @domains, got ${JSON.stringify(allowed.invalid)}`);
    }
    if (own.invalid.length > 0) {
      errors.push(`OWN_ADDRESSES: expected addresses or @domains, got ${JSON.stringify(own.invalid)}`);
    }
    if (parsed.data.REPLY_FROM === undefined && parsed.data.ALLOWED_REPLY_FROM.length === 0) {
      errors.push("REPLY_FROM / ALLOWED_REPLY_FROM: set REPLY_FROM, or ALLOWED_REPLY_FROM for replying from the recipient address");
    }
  }
  if (!parsed.success || errors.length > 0 || sendGuarantee === undefined) {
    throw new ConfigError(`Invalid ses-auto-reply configuration: ${errors.join("; ")}`);
  }
  const d = parsed.data;
  return {
    stateTableName: d.STATE_TABLE_NAME,
    templateSource: d.TEMPLATE_SOURCE,
    templateName: d.TEMPLATE_NAME,
    templateCacheTtlSeconds: d.TEMPLATE_CACHE_TTL_SECONDS,
    replyFrom: d.REPLY_FROM,
    allowedReplyFrom,
    ownAddresses,
    skipOnDmarcFail: d.SKIP_ON_DMARC_FAIL,
    replyWindowSeconds: d.REPLY_WINDOW_SECONDS,
    maxRepliesPerHour: d.MAX_REPLIES_PER_HOUR,
    allowExternalReplyTo: d.ALLOW_EXTERNAL_REPLY_TO,
    configurationSetName: d.CONFIGURATION_SET_NAME,
    sendGuarantee,
  };
}
