import * as z from "zod";
import { DEFAULT_SEND_GUARANTEE, SEND_GUARANTEES } from "../../functions/shared/send-guarantee";
import { SUPPORTED_NODE_RUNTIMES, VALID_LOG_RETENTION_DAYS } from "../../components/shared/defaults";

/** The Pulumi project name: every key of ours in a stack file is `digital-user-engagement:<key>`. */
export const PROJECT = "digital-user-engagement";

const logRetention = z
  .number()
  .refine((n) => (VALID_LOG_RETENTION_DAYS as readonly number[]).includes(n), {
    message: `must be one of ${VALID_LOG_RETENTION_DAYS.join(", ")}`,
  });

/** Settings every architecture inherits unless its own config overrides them. */
export const defaultsSchema = z.strictObject({
  /** Retention of every function's log group, days. */
  logRetentionInDays: logRetention.default(30),
  /** Lambda runtime. */
  runtime: z.enum(SUPPORTED_NODE_RUNTIMES).default("nodejs22.x"),
  /** Lambda architecture. */
  architecture: z.enum(["arm64", "x86_64"]).default("arm64"),
  /** X-Ray tracing mode. */
  tracing: z.enum(["Active", "PassThrough"]).default("Active"),
  /** Powertools log level; PII is masked at INFO and above. */
  logLevel: z.enum(["DEBUG", "INFO", "WARN", "ERROR"]).default("INFO"),
  /** What senders do with a send whose outcome is unknown (timed out after AWS may have accepted it). */
  sendGuarantee: z.enum(SEND_GUARANTEES).default(DEFAULT_SEND_GUARANTEE),
  /** Deletion protection on every table the stack creates. */
  tableDeletionProtection: z.boolean().default(false),
  /** Where alarms go: create a topic (optionally with e-mail subscriptions), use an existing one, or none. */
  alarms: z
    .strictObject({
      createTopic: z.boolean().default(false),
      existingTopicArn: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, "must be an SNS topic ARN").optional(),
      emailEndpoints: z.array(z.email()).default([]),
    })
    .refine((a) => !(a.createTopic && a.existingTopicArn), { message: "set either createTopic or existingTopicArn, not both" })
    .refine((a) => a.emailEndpoints.length === 0 || a.createTopic, { message: "emailEndpoints needs createTopic: true" })
    .default({ createTopic: false, emailEndpoints: [] }),
});
export type StackDefaults = z.infer<typeof defaultsSchema>;

export { logRetention };
