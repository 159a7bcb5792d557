/**
 * Environment configuration shared by the SMS handlers (self-managed opt-outs, SMS file drop).
 *
 * Every handler validates its environment once, at cold start, with a zod schema. A bad value
 * throws one error that lists every offending variable by name, so a misconfigured deployment
 * fails on its first invocation with a message that says exactly what to fix.
 */
import * as z from "zod";

/** Where SMS API calls go. `end-user-messaging` is AWS End User Messaging SMS (pinpoint-sms-voice-v2). */
export const SMS_TARGETS = ["end-user-messaging", "pinpoint"] as const;
export type SmsTarget = (typeof SMS_TARGETS)[number];

export const MESSAGE_TYPES = ["TRANSACTIONAL", "PROMOTIONAL"] as const;
export type SmsMessageType = (typeof MESSAGE_TYPES)[number];

/** E.164: "+", a non-zero country-code digit, at most 15 digits in all. */
export const E164_PATTERN = /^\+[1-9]\d{1,14}$/;

/**
 * SQS FIFO MessageGroupId: 1–128 characters from alphanumerics and ASCII punctuation. The file drop
 * uses the origination identity as the group, so an identity outside this alphabet is rejected at
 * configuration time rather than at the first SendMessageBatch.
 */
export const MESSAGE_GROUP_ID_PATTERN = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

/** One allowed origination identity (phone number, id, ARN, sender id or pool) and its send rate. */
export interface OriginationIdentityConfig {
  identity: string;
  /** Message parts per second this identity may send (its MPS quota). */
  mps: number;
}

export const OriginationIdentitySchema = z.strictObject({
  identity: z
    .string()
    .trim()
    .regex(MESSAGE_GROUP_ID_PATTERN, "identity must be 1-128 characters without spaces (it is used as the SQS FIFO MessageGroupId)"),
  mps: z.number().positive("mps must be greater than 0").max(10_000, "mps must be at most 10000"),
});

export const OriginationIdentitiesSchema = z
  .array(OriginationIdentitySchema)
  .min(1, "at least one origination identity is required")
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    for (const { identity } of list) {
      if (seen.has(identity)) ctx.addIssue({ code: "custom", message: `duplicate identity "${identity}"` });
      seen.add(identity);
    }
  });

/** A variable that holds JSON: parsed, then validated by `inner`. */
export function jsonEnv<T extends z.ZodType>(inner: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "is not valid JSON" });
        return z.NEVER;
      }
    })
    .pipe(inner);
}

/**
 * A list of words given either as a JSON array of strings or as a comma-separated list
 * ("STOP, QUIT"). Entries are trimmed; empty entries are rejected.
 */
export function parseWordList(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    const parsed = JSON.parse(trimmed) as unknown;
    if (!Array.isArray(parsed) || parsed.some((v) => typeof v !== "string")) {
      throw new Error("must be a JSON array of strings");
    }
    return (parsed as string[]).map((v) => v.trim());
  }
  return trimmed.split(",").map((v) => v.trim());
}

export const wordListEnv = z
  .string()
  .transform((text, ctx) => {
    try {
      const words = parseWordList(text);
      if (words.length === 0 || words.some((w) => w.length === 0)) {
        ctx.addIssue({ code: "custom", message: "must list at least one word and no empty entries" });
        return z.NEVER;
      }
      return words;
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });

/** A positive integer given as a decimal string. */
export function intEnv(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform((v) => Number(v))
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

/** A required, non-blank string. */
export const requiredString = z.string().trim().min(1, "must not be empty");

/** Formats zod issues as one line per variable: `NAME: message`. */
export function formatEnvIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const [name, ...rest] = issue.path.map(String);
      const where = rest.length > 0 ? ` (at ${rest.join(".")})` : "";
      const message = issue.code === "invalid_type" && issue.input === undefined ? "is required" : issue.message;
      return `${name ?? "(environment)"}${where}: ${message}`;
    })
    .join("; ");
}

/**
 * Validates `env` against `schema` and returns the typed result, or throws one Error naming every
 * invalid variable. Blank values are treated as unset, so an optional variable deployed as ""
 * takes its default.
 */
export function parseEnv<T extends z.ZodObject>(schema: T, env: NodeJS.ProcessEnv, context: string): z.output<T> {
  // Only the schema's own variables are read, so what a handler reads is what its schema declares.
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== "") cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new Error(`Invalid ${context} configuration: ${formatEnvIssues(result.error.issues)}`);
  }
  return result.data;
}

/** `{identity: mps}` lookup built from the validated allow-list. */
export function identityRates(list: readonly OriginationIdentityConfig[]): ReadonlyMap<string, number> {
  return new Map(list.map(({ identity, mps }) => [identity, mps]));
}
