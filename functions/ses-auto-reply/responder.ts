import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PinpointClient } from "@aws-sdk/client-pinpoint";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { sdkClientConfig, sendClientConfig } from "../shared/runtime/aws-clients";
import { isRetryableError } from "../shared/runtime/errors";
import { addDimensionedCount, createObservability, type Observability } from "../shared/runtime/observability";
import { maskEmail } from "../shared/runtime/pii";
import { sendStepsFromEnv } from "../shared/sending/registry";
import { createAutoReplyService, type AutoReplyDeps } from "./auto-reply-service";
import { loadAutoReplyConfig, type AutoReplyConfig } from "./config";
import { RESPONDER_METRICS as METRICS } from "./contract";
import { describeSchemaIssues, SesReceiptEventSchema } from "./receipt-event";
import { createSesReplySender } from "./sender";
import { createDynamoReplyStateStore } from "./state-store";
import { cachedTemplateSource, createPinpointTemplateSource, createSesTemplateSource, type TemplateSource } from "./template-source";

/**
 * SES receipt-rule Lambda action (async invocation): sends one templated auto-reply per inbound
 * message, with loop/backscatter protection, per-message idempotency and a per-sender window.
 * This file is the event plumbing; the decisions are in reply-policy.ts and render.ts, the
 * ordering in auto-reply-service.ts.
 */

/** The template source (uncached), the state table, the reply sender, the send steps, and the clock in epoch milliseconds (template cache TTL, state TTLs, leases). */
export type AutoReplyPorts = Pick<AutoReplyDeps, "state" | "sender" | "sendSteps" | "now"> & { templates: TemplateSource };

/** Builds the SDK-backed ports. Called once per container, at module scope. */
export function createAutoReplyPorts(config: AutoReplyConfig): AutoReplyPorts {
  return {
    templates:
      config.templateSource === "pinpoint"
        ? createPinpointTemplateSource(new PinpointClient({ ...sdkClientConfig() }), config.templateName)
        : createSesTemplateSource(new SESv2Client({ ...sdkClientConfig() }), config.templateName),
    state: createDynamoReplyStateStore(DynamoDBDocumentClient.from(new DynamoDBClient({ ...sdkClientConfig() })), config.stateTableName),
    // SendEmail has no idempotency token, so replies use their own client that retries only
    // errors proving nothing was sent.
    sender: createSesReplySender(new SESv2Client({ ...sendClientConfig() }), config.configurationSetName),
    sendSteps: sendStepsFromEnv(process.env, "email"),
    now: Date.now,
  };
}

export function createAutoReplyHandler(
  config: AutoReplyConfig,
  ports: AutoReplyPorts,
  observability: Observability,
): (event: unknown, context: Context) => Promise<void> {
  const { logger, metrics } = observability;
  const count = (name: string) => metrics.addMetric(name, MetricUnit.Count, 1);
  const service = createAutoReplyService({
    policy: config,
    replyWindowSeconds: config.replyWindowSeconds,
    maxRepliesPerHour: config.maxRepliesPerHour,
    sendGuarantee: config.sendGuarantee,
    templates: cachedTemplateSource(ports.templates, config.templateCacheTtlSeconds * 1000, ports.now),
    state: ports.state,
    sender: ports.sender,
    sendSteps: ports.sendSteps,
    now: ports.now,
    log: logger,
  });

  return async (event, context) => {
    logger.addContext(context);
    try {
      const parsed = SesReceiptEventSchema.safeParse(event);
      if (!parsed.success) {
        count(METRICS.InvalidEvent);
        logger.error("Event is not an SES receipt-rule event", { issues: describeSchemaIssues(parsed.error) });
        // Thrown so the event lands in the on-failure destination instead of being dropped.
        throw new Error("Invalid SES receipt-rule event");
      }

      for (const record of parsed.data.Records) {
        const sesMessageId = record.ses.mail.messageId;
        let outcome;
        try {
          outcome = await service.handleRecord(record, context.getRemainingTimeInMillis());
        } catch (error) {
          const errorName = (error as { name?: string } | null)?.name ?? "Error";
          count(METRICS.ReplyFailed);
          // The error name only: SES and DynamoDB messages can quote addresses.
          logger.error("Auto-reply failed; the invocation fails so Lambda retries it", {
            sesMessageId,
            errorName,
            retryable: isRetryableError(error),
          });
          throw error;
        }

        switch (outcome.status) {
          case "sent":
            count(METRICS.ReplySent);
            if (outcome.replyToIgnored) count(METRICS.ReplyToIgnored);
            logger.info("Auto-reply sent", {
              sesMessageId,
              replyMessageId: outcome.replyMessageId,
              to: maskEmail(outcome.to),
              ...(outcome.replyToIgnored ? { replyToIgnored: true } : {}),
            });
            break;
          case "unknown":
            count(METRICS.SendOutcomeUnknown);
            logger.warn("Auto-reply outcome unknown (SES may have sent it); recorded as UNKNOWN and not retried (at-most-once)", {
              sesMessageId,
              errorName: outcome.errorName,
            });
            break;
          case "skipped":
            addDimensionedCount(metrics, METRICS.ReplySkipped, { reason: outcome.reason });
            logger.info("No auto-reply", { sesMessageId, reason: outcome.reason });
            break;
          case "withheld":
            addDimensionedCount(metrics, METRICS.ReplySkipped, { reason: "send-step" });
            logger.info("No auto-reply: a send step withheld it", { sesMessageId, step: outcome.step, reason: outcome.reason });
            break;
          case "rejected":
            if (outcome.kind === "sending-disabled") {
              count(METRICS.ReplySendingDisabled);
              logger.error("SES cannot send from this account or identity; no auto-reply", {
                sesMessageId,
                errorName: outcome.errorName,
              });
            } else {
              count(METRICS.ReplyRejected);
              logger.warn("SES rejected the auto-reply", { sesMessageId, errorName: outcome.errorName });
            }
            break;
        }
      }
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadAutoReplyConfig(process.env);
export const handler = createAutoReplyHandler(config, createAutoReplyPorts(config), createObservability("ses-auto-reply"));
