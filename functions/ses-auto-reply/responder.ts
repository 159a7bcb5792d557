import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PinpointClient } from "@aws-sdk/client-pinpoint";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { sdkClientConfig, sendClientConfig } from "../shared/aws-clients";
import { isRetryableError } from "../shared/errors";
import { powertoolsCounter, type HandlerCounter, type HandlerLogger } from "../shared/handler-telemetry";
import { createObservability } from "../shared/observability";
import { maskEmail } from "../shared/pii";
import { sendStepsFromEnv } from "../shared/sending/registry";
import { createAutoReplyService } from "./auto-reply-service";
import { loadAutoReplyConfig } from "./config";
import { RESPONDER_METRICS as METRICS } from "./contract";
import { describeSchemaIssues, SesReceiptEventSchema } from "./receipt-event";
import { createSesReplySender } from "./sender";
import { createDynamoReplyStateStore } from "./state-store";
import { cachedTemplateSource, createPinpointTemplateSource, createSesTemplateSource } from "./template-source";

/**
 * SES receipt-rule Lambda action (async invocation): sends one templated auto-reply per inbound
 * message, with loop/backscatter protection, per-message idempotency and a per-sender window.
 * This file is the event plumbing; the decisions are in reply-policy.ts and render.ts, the
 * ordering in auto-reply-service.ts.
 */

export interface HandlerOverrides {
  /** Clock in epoch milliseconds (template cache TTL, state TTLs, leases). */
  now?: () => number;
  logger?: HandlerLogger;
  counter?: HandlerCounter;
}

// Clients are created once per container, with adaptive retry. SendEmail has no idempotency
// token, so replies use their own client that retries only errors proving nothing was sent.
const sesClient = new SESv2Client({ ...sdkClientConfig() });
export const replySendClient = new SESv2Client({ ...sendClientConfig() });
const pinpointClient = new PinpointClient({ ...sdkClientConfig() });
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ ...sdkClientConfig() }));

/** Builds the handler from an environment (validated here, so a bad value fails the cold start). */
export function buildHandler(env: Record<string, string | undefined>, overrides: HandlerOverrides = {}) {
  const config = loadAutoReplyConfig(env);
  const observability = createObservability("ses-auto-reply");
  const logger: HandlerLogger = overrides.logger ?? observability.logger;
  const counter = overrides.counter ?? powertoolsCounter(observability.metrics);
  const now = overrides.now ?? Date.now;

  const templateSource =
    config.templateSource === "pinpoint"
      ? createPinpointTemplateSource(pinpointClient, config.templateName)
      : createSesTemplateSource(sesClient, config.templateName);

  const service = createAutoReplyService({
    policy: config,
    replyWindowSeconds: config.replyWindowSeconds,
    maxRepliesPerHour: config.maxRepliesPerHour,
    sendGuarantee: config.sendGuarantee,
    templates: cachedTemplateSource(templateSource, config.templateCacheTtlSeconds * 1000, now),
    state: createDynamoReplyStateStore(documentClient, config.stateTableName),
    sender: createSesReplySender(replySendClient, config.configurationSetName),
    sendSteps: sendStepsFromEnv(env, "email"),
    now,
    log: logger,
  });

  return async function handler(event: unknown, context: Context): Promise<void> {
    logger.addContext(context);
    try {
      const parsed = SesReceiptEventSchema.safeParse(event);
      if (!parsed.success) {
        counter.count(METRICS.InvalidEvent);
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
          counter.count(METRICS.ReplyFailed);
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
            counter.count(METRICS.ReplySent);
            if (outcome.replyToIgnored) counter.count(METRICS.ReplyToIgnored);
            logger.info("Auto-reply sent", {
              sesMessageId,
              replyMessageId: outcome.replyMessageId,
              to: maskEmail(outcome.to),
              ...(outcome.replyToIgnored ? { replyToIgnored: true } : {}),
            });
            break;
          case "unknown":
            counter.count(METRICS.SendOutcomeUnknown);
            logger.warn("Auto-reply outcome unknown (SES may have sent it); recorded as UNKNOWN and not retried (at-most-once)", {
              sesMessageId,
              errorName: outcome.errorName,
            });
            break;
          case "skipped":
            counter.count(METRICS.ReplySkipped, { reason: outcome.reason });
            logger.info("No auto-reply", { sesMessageId, reason: outcome.reason });
            break;
          case "withheld":
            counter.count(METRICS.ReplySkipped, { reason: "send-step" });
            logger.info("No auto-reply: a send step withheld it", { sesMessageId, step: outcome.step, reason: outcome.reason });
            break;
          case "rejected":
            if (outcome.kind === "sending-disabled") {
              counter.count(METRICS.ReplySendingDisabled);
              logger.error("SES cannot send from this account or identity; no auto-reply", {
                sesMessageId,
                errorName: outcome.errorName,
              });
            } else {
              counter.count(METRICS.ReplyRejected);
              logger.warn("SES rejected the auto-reply", { sesMessageId, errorName: outcome.errorName });
            }
            break;
        }
      }
    } finally {
      counter.flush();
    }
  };
}

export const handler = buildHandler(process.env);
