/**
 * The environment variables every feedback processor reads (#1's and #4's), as zod pieces its
 * config loader keys by its own contract's names. Every bad variable is reported at once, by name.
 */
import * as z from "zod";
import { COMPLAINT_FEEDBACK_TYPES } from "./feedback-policy";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** How long Powertools keeps an idempotency record: a handler constant, not a setting. */
export const IDEMPOTENCY_TTL_SECONDS = 86_400;

export const tableName = (name: string) =>
  z
    .string({ error: `${name} is required` })
    .trim()
    .min(1, `${name} is required`)
    .refine((value) => value === "" || /^[a-zA-Z0-9_.-]{3,255}$/.test(value), {
      message: `${name} must be a DynamoDB table name (3-255 characters of a-z, A-Z, 0-9, _ . -)`,
    });

/** A comma list of complaint feedback types; unset means ["not-spam"]. */
export const exemptFeedbackTypes = (name: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return ["not-spam"];
      const types = value
        .split(",")
        .map((t) => t.trim().toLowerCase())
        .filter((t) => t !== "");
      const unknown = types.filter((t) => !(COMPLAINT_FEEDBACK_TYPES as readonly string[]).includes(t));
      if (unknown.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: `${name} has unknown feedback type(s) ${unknown.map((t) => `"${t}"`).join(", ")}; expected a comma list of ${COMPLAINT_FEEDBACK_TYPES.join(", ")}`,
        });
        return z.NEVER;
      }
      return [...new Set(types)];
    });

/** Parses an environment with `schema`. @throws ConfigError listing every invalid variable by name. */
export function parseEnvironment<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`Invalid environment: ${parsed.error.issues.map((issue) => issue.message).join("; ")}`);
  return parsed.data;
}
