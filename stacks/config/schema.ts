import * as z from "zod";
import { DEFAULT_SEND_GUARANTEE, SEND_GUARANTEES } from "../../functions/shared/runtime/send-guarantee";
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
  logRetentionInDays: logRetention.default(30).describe("Retention of every function's log group, days (a CloudWatch Logs value)."),
  runtime: z.enum(SUPPORTED_NODE_RUNTIMES).default("nodejs22.x").describe("Lambda runtime."),
  architecture: z.enum(["arm64", "x86_64"]).default("arm64").describe("Lambda architecture."),
  tracing: z.enum(["Active", "PassThrough"]).default("Active").describe("X-Ray tracing mode."),
  logLevel: z
    .enum(["DEBUG", "INFO", "WARN", "ERROR"])
    .default("INFO")
    .describe("Powertools log level; personal data is masked at INFO and above. Lambda's own filter stays at INFO (DEBUG for DEBUG) so metric lines are kept."),
  sendGuarantee: z
    .enum(SEND_GUARANTEES)
    .default(DEFAULT_SEND_GUARANTEE)
    .describe("What senders do with a send whose outcome is unknown (it timed out after AWS may have accepted it): record it UNKNOWN and alarm, or send again."),
  tableDeletionProtection: z.boolean().default(false).describe("Deletion protection on every DynamoDB table the stack creates."),
  dashboards: z.boolean().default(true).describe("A CloudWatch dashboard per architecture and a stack overview (docs/operations.md, Dashboards)."),
  alarms: z
    .strictObject({
      createTopic: z.boolean().default(false).describe("Create a KMS-encrypted SNS topic that every alarm notifies."),
      existingTopicArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, "must be an SNS topic ARN")
        .optional()
        .describe("Or send every alarm to this existing topic."),
      emailEndpoints: z.array(z.email()).default([]).describe("E-mail subscriptions of the created topic (each must be confirmed)."),
    })
    .refine((a) => !(a.createTopic && a.existingTopicArn), { message: "set either createTopic or existingTopicArn, not both" })
    .refine((a) => a.emailEndpoints.length === 0 || a.createTopic, { message: "emailEndpoints needs createTopic: true" })
    .default({ createTopic: false, emailEndpoints: [] })
    .describe("Where alarms go: a created topic, an existing one, or nowhere."),
});
export type StackDefaults = z.infer<typeof defaultsSchema>;

export { logRetention };
