/**
 * The sending channels and, per channel, the request a sender takes and the outcome it returns.
 * A channel is added (voice, for #13's dialer) by adding its entry to ChannelTypes: every step
 * factory and `sendStepsFromEnv` then accept it.
 */
import type { SmsSendOutcome, SmsSendRequest } from "../sms/sms-send";
import type { VoiceSendOutcome, VoiceSendRequest } from "../voice/voice-send";
import type { SendSkipped, SendStep, Sender } from "./steps";

/** One email, as SES v2 SendEmail sends it with Simple content (UTF-8). */
export interface EmailSendRequest {
  from: string;
  to: string;
  subject: string;
  html: string | undefined;
  text: string | undefined;
  headers: { name: string; value: string }[];
}

/**
 * An email send's outcome. SendEmail errors are thrown, not returned, and the caller classifies
 * them (rejected, sending disabled, unknown under the send guarantee, retry) as before.
 */
export type EmailSendOutcome = { status: "SENT"; messageId: string | undefined } | SendSkipped;

export type EmailSender = Sender<EmailSendRequest, EmailSendOutcome>;

export interface ChannelTypes {
  email: { request: EmailSendRequest; outcome: EmailSendOutcome };
  sms: { request: SmsSendRequest; outcome: SmsSendOutcome };
  /** #13's dialer: one outbound call (Amazon Connect StartOutboundVoiceContact). */
  voice: { request: VoiceSendRequest; outcome: VoiceSendOutcome };
}

export type SendChannel = keyof ChannelTypes;

/** A step for one channel. */
export type ChannelStep<C extends SendChannel> = SendStep<ChannelTypes[C]["request"], ChannelTypes[C]["outcome"]>;
