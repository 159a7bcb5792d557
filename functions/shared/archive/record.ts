/**
 * What the archive send step writes for one message (#6, default target): a JSON record for an
 * SMS, the message as MIME for an email. Pure: the step (functions/shared/sending/archive-step.ts)
 * builds these and hands them to the store.
 */
import type { EmailSendRequest } from "../sending/channels";
import type { SmsSendRequest } from "../sms/sms-send";
import { sendTimeArchiveKey, objectIdFor } from "./layout";
import type { ArchiveMimeInput } from "./mime";
import { recipientIdFor } from "./recipient";

export const SMS_ARCHIVE_SCHEMA = "due.message-archive.sms/1";

/** The statuses an archived SMS can have: sent, or possibly sent (the outcome was unknown). */
export type ArchivedSmsStatus = "SENT" | "UNKNOWN";

/** One SMS as archived: body, origination, destination, time, message id and context. */
export interface SmsArchiveRecord {
  schema: typeof SMS_ARCHIVE_SCHEMA;
  channel: "sms";
  status: ArchivedSmsStatus;
  /** End User Messaging's (or Pinpoint's) message id; absent when the outcome was unknown. */
  messageId?: string;
  /** When the step saw the outcome (ISO 8601, UTC). */
  archivedAt: string;
  /** The sender's idempotency key: names the message (a file row id, an inbound SMS id). */
  idempotencyKey: string;
  recipientId: string;
  destination: string;
  originationIdentity: string;
  messageType: string;
  configurationSetName?: string;
  body: string;
  context: Record<string, string>;
}

export interface PlannedArchive<T> {
  key: string;
  recipientId: string;
  content: T;
}

export function smsArchiveRecord(
  prefix: string,
  request: SmsSendRequest,
  outcome: { status: ArchivedSmsStatus; messageId?: string },
  idempotencyKey: string,
  now: Date,
): PlannedArchive<SmsArchiveRecord> {
  const recipientId = recipientIdFor("phone", request.destination);
  const key = sendTimeArchiveKey(prefix, recipientId, objectIdFor(["sms", idempotencyKey, recipientId]), "json");
  return {
    key,
    recipientId,
    content: {
      schema: SMS_ARCHIVE_SCHEMA,
      channel: "sms",
      status: outcome.status,
      ...(outcome.messageId ? { messageId: outcome.messageId } : {}),
      archivedAt: now.toISOString(),
      idempotencyKey,
      recipientId,
      destination: request.destination,
      originationIdentity: request.originationIdentity,
      messageType: request.messageType,
      ...(request.configurationSetName ? { configurationSetName: request.configurationSetName } : {}),
      body: request.body,
      context: { ...(request.context ?? {}) },
    },
  };
}

/** An email the project's senders sent, as MIME input: the request's content plus the archive headers. */
export function emailArchiveMessage(
  prefix: string,
  request: EmailSendRequest,
  messageId: string | undefined,
  idempotencyKey: string,
  now: Date,
): PlannedArchive<ArchiveMimeInput> {
  const recipientId = recipientIdFor("email", request.to);
  const objectId = objectIdFor(["email", idempotencyKey, recipientId]);
  const headers: Record<string, string> = {};
  for (const { name, value } of request.headers) headers[name] = value;
  headers["X-Archive-Recipient-Id"] = recipientId;
  headers["X-Archive-Idempotency-Key"] = idempotencyKey;
  headers["X-Archive-Status"] = "SENT";
  if (messageId) headers["X-Archive-SES-Message-Id"] = messageId;
  return {
    key: sendTimeArchiveKey(prefix, recipientId, objectId, "eml"),
    recipientId,
    content: {
      headers,
      date: now,
      messageId: `${objectId}@archive.invalid`,
      from: request.from,
      to: request.to,
      subject: request.subject,
      text: request.text,
      html: request.html,
    },
  };
}
