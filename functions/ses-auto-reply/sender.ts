import { SendEmailCommand, type SendEmailCommandInput, type SESv2Client } from "@aws-sdk/client-sesv2";
import type { OutgoingReply } from "./render";

/** Sends one reply; returns the SES message id of the reply. Errors propagate. */
export interface ReplySender {
  send(reply: OutgoingReply): Promise<string | undefined>;
}

/** The exact SES v2 SendEmail input for a reply (Simple content, UTF-8, custom headers). */
export function toSendEmailInput(reply: OutgoingReply, configurationSetName: string | undefined): SendEmailCommandInput {
  const body: NonNullable<NonNullable<SendEmailCommandInput["Content"]>["Simple"]>["Body"] = {};
  if (reply.html !== undefined) body.Html = { Data: reply.html, Charset: "UTF-8" };
  if (reply.text !== undefined) body.Text = { Data: reply.text, Charset: "UTF-8" };
  return {
    FromEmailAddress: reply.from,
    Destination: { ToAddresses: [reply.to] },
    Content: {
      Simple: {
        Subject: { Data: reply.subject, Charset: "UTF-8" },
        Body: body,
        Headers: reply.headers.map((h) => ({ Name: h.name, Value: h.value })),
      },
    },
    ...(configurationSetName ? { ConfigurationSetName: configurationSetName } : {}),
  };
}

/**
 * SES v2 SendEmail. IAM: ses:SendEmail on the From identity ARN(s) and, when set, the
 * configuration set ARN.
 */
export function createSesReplySender(client: SESv2Client, configurationSetName: string | undefined): ReplySender {
  return {
    async send(reply) {
      const out = await client.send(new SendEmailCommand(toSendEmailInput(reply, configurationSetName)));
      return out.MessageId;
    },
  };
}

/**
 * How a failed SendEmail is handled. Decision (documented in the README):
 *
 * - "message-rejected" — MessageRejected (SES refused this message, e.g. it found a virus or the
 *   recipient is not allowed in the sandbox) and BadRequestException (the request built from this
 *   inbound message is invalid, e.g. an address SES will not accept). Sending the same request
 *   again gives the same answer, and the input is attacker-controlled, so these are logged
 *   (error name only) and counted as `ReplyRejected`, and the invocation succeeds. Throwing would
 *   only let junk mail fill the on-failure queue.
 * - "sending-disabled" — AccountSuspendedException, SendingPausedException and
 *   MailFromDomainNotVerifiedException: the account or the From identity cannot send at all. No
 *   retry within Lambda's async window (at most ~3 minutes) can succeed, and an auto-reply
 *   delivered after the operator fixes the account days later is worse than none. These are
 *   logged at ERROR and counted as `ReplySendingDisabled` (alarm on it), and not thrown.
 * - "throw" — everything else: throttling and 5xx (retryable), and configuration errors such as
 *   AccessDenied or a missing configuration set (NotFoundException). The invocation fails, Lambda
 *   retries it asynchronously, then the event goes to the on-failure queue for redrive.
 */
export type SendFailureKind = "message-rejected" | "sending-disabled" | "throw";

const MESSAGE_REJECTED = new Set(["MessageRejected", "BadRequestException"]);
const SENDING_DISABLED = new Set(["AccountSuspendedException", "SendingPausedException", "MailFromDomainNotVerifiedException"]);

export function classifySendError(error: unknown): SendFailureKind {
  const name = (error as { name?: string } | null)?.name ?? "";
  if (MESSAGE_REJECTED.has(name)) return "message-rejected";
  if (SENDING_DISABLED.has(name)) return "sending-disabled";
  return "throw";
}
