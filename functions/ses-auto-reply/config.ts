import * as z from "zod";
import { emptyAddressList, isPlainAddress, parseAddressList, type AddressList } from "./addresses";

/** The responder's validated configuration (from environment variables, read at cold start). */
export interface AutoReplyConfig {
  stateTableName: string;
  templateSource: "ses" | "pinpoint";
  templateName: string;
  templateCacheTtlSeconds: number;
  replyFrom: string | undefined;
  allowedReplyFrom: AddressList;
  ownAddresses: AddressList;
  skipOnDmarcFail: boolean;
  replyWindowSeconds: number;
  configurationSetName: string | undefined;
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

const EnvSchema = z.object({
  STATE_TABLE_NAME: z.string({ error: "required" }).trim().min(1, "required"),
  TEMPLATE_NAME: z.string({ error: "required" }).trim().min(1, "required"),
  TEMPLATE_SOURCE: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? "ses" : v.trim()))
    .pipe(z.enum(["ses", "pinpoint"], { error: 'expected "ses" or "pinpoint"' })),
  TEMPLATE_CACHE_TTL_SECONDS: positiveInt(300),
  REPLY_FROM: optionalString.refine((v) => v === undefined || isPlainAddress(v), "expected a plain address (local@domain)"),
  ALLOWED_REPLY_FROM: commaList,
  OWN_ADDRESSES: commaList,
  SKIP_ON_DMARC_FAIL: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? "true" : v.trim().toLowerCase()))
    .pipe(z.enum(["true", "false"], { error: 'expected "true" or "false"' }))
    .transform((v) => v === "true"),
  REPLY_WINDOW_SECONDS: positiveInt(86_400),
  CONFIGURATION_SET_NAME: optionalString,
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
  if (!parsed.success || errors.length > 0) {
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
    configurationSetName: d.CONFIGURATION_SET_NAME,
  };
}
