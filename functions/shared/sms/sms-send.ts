/**
 * Sending one SMS, on either target, with a uniform outcome. Thin adapters over the SDK plus the
 * pure functions that classify results, so the opt-out replies and the file-drop sender share one
 * definition of "sent", "opted out", "retry later" and "give up".
 *
 * - `end-user-messaging` (default): pinpoint-sms-voice-v2 SendTextMessage, one recipient per call.
 *   A recipient on an opt-out list linked to the origination identity is refused with
 *   ConflictException / Reason DESTINATION_PHONE_NUMBER_OPTED_OUT.
 * - `pinpoint` (legacy): Pinpoint SendMessages with an `Addresses` map of exactly one address,
 *   reading the per-address `Result` (DeliveryStatus). THROTTLED, TEMPORARY_FAILURE are retryable;
 *   OPT_OUT is an opted-out recipient; PERMANENT_FAILURE, DUPLICATE and UNKNOWN_FAILURE are final
 *   (UNKNOWN_FAILURE may have been delivered, so it is not re-sent).
 */
import { SendMessagesCommand, type MessageResult, type PinpointClient } from "@aws-sdk/client-pinpoint";
import { SendTextMessageCommand, type PinpointSMSVoiceV2Client } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { isOutcomeUnknown, isRetryableError, isThrottlingError } from "../runtime/errors";
import type { SmsMessageType } from "./sms-config";
import type { SendSkipped, Sender } from "../sending/steps";

export interface SmsSendRequest {
  destination: string;
  originationIdentity: string;
  body: string;
  messageType: SmsMessageType;
  configurationSetName?: string;
  /** At most 5 entries; values 1–800 characters without surrounding whitespace (see buildSendContext). */
  context?: Record<string, string>;
}

export type SmsSendOutcome =
  | { status: "SENT"; messageId: string }
  | { status: "OPTED_OUT"; errorName: string; errorMessage: string }
  /** The call failed after it may have been executed (timeout, reset, 5xx): the SMS may have gone out. */
  | { status: "UNKNOWN"; errorName: string; errorMessage: string }
  | { status: "FAILED"; retryable: boolean; throttled: boolean; errorName: string; errorMessage: string }
  /** A send step withheld it (functions/shared/sending): nothing was sent. Only from a sender with steps. */
  | SendSkipped;

/** `ctx` is for the send steps (functions/shared/sending); the SDK senders below ignore it. */
export type SmsSender = Sender<SmsSendRequest, SmsSendOutcome>;

/** SendTextMessage `Context` limits (API reference): 5 entries, keys 1–100, values 1–800 characters. */
export const CONTEXT_LIMITS = Object.freeze({ maxEntries: 5, maxKeyLength: 100, maxValueLength: 800 });

/**
 * Builds a `Context` map the API accepts: values trimmed (the API rejects leading or trailing
 * whitespace), empty values dropped, at most 5 entries kept in the given order, over-long values
 * dropped rather than truncated (a truncated tracking id would silently point at something else).
 */
export function buildSendContext(entries: ReadonlyArray<readonly [string, string | number | undefined]>): Record<string, string> {
  const context: Record<string, string> = {};
  let count = 0;
  for (const [key, raw] of entries) {
    if (raw === undefined || count >= CONTEXT_LIMITS.maxEntries) continue;
    const value = String(raw).trim();
    if (value === "" || value.length > CONTEXT_LIMITS.maxValueLength) continue;
    if (key.length === 0 || key.length > CONTEXT_LIMITS.maxKeyLength || /\s/.test(key)) continue;
    context[key] = value;
    count += 1;
  }
  return context;
}

interface ServiceErrorShape {
  name?: string;
  message?: string;
  Reason?: string;
  $fault?: string;
  $metadata?: unknown;
}

/** Errors that say the account or its configuration cannot send right now (quota, access, a deleted configuration set or identity). */
const SEND_BLOCKING_ERRORS = new Set(["AccessDeniedException", "ServiceQuotaExceededException", "ResourceNotFoundException"]);

/**
 * Classifies an exception from a send call. AWS service errors and network faults become an
 * outcome: throttling and refused connections are retryable FAILED (nothing was sent), timeouts,
 * resets and 5xx are UNKNOWN (something may have been sent); anything else (a programming error) is rethrown so it is never recorded as a
 * delivery result.
 */
export function classifySendError(error: unknown): SmsSendOutcome {
  const e = (error ?? {}) as ServiceErrorShape;
  const errorName = e.name ?? "Error";
  const errorMessage = e.message ?? "";
  if (errorName === "ConflictException" && e.Reason === "DESTINATION_PHONE_NUMBER_OPTED_OUT") {
    return { status: "OPTED_OUT", errorName, errorMessage };
  }
  // Timed out, reset or 5xx: the message may have been accepted. The caller decides (at-most-once
  // or at-least-once); the SDK client did not retry it (sendClientConfig).
  if (isOutcomeUnknown(error)) {
    return { status: "UNKNOWN", errorName, errorMessage };
  }
  // Account- or configuration-level errors block every send, not just this one: keep the message
  // for a retry (and the DLQ after redrive) instead of writing it off while the cause is fixed.
  if (isRetryableError(error) || SEND_BLOCKING_ERRORS.has(errorName)) {
    return { status: "FAILED", retryable: true, throttled: isThrottlingError(error), errorName, errorMessage };
  }
  if (e.$fault !== undefined || e.$metadata !== undefined) {
    return { status: "FAILED", retryable: false, throttled: false, errorName, errorMessage };
  }
  throw error;
}

/** Maps a Pinpoint per-address MessageResult to an outcome. */
export function classifyPinpointResult(result: MessageResult | undefined): SmsSendOutcome {
  if (result === undefined) {
    return { status: "FAILED", retryable: false, throttled: false, errorName: "MissingResult", errorMessage: "SendMessages returned no result for the address" };
  }
  const errorMessage = `${result.StatusCode ?? ""} ${result.StatusMessage ?? ""}`.trim();
  switch (result.DeliveryStatus) {
    case "SUCCESSFUL":
      return { status: "SENT", messageId: result.MessageId ?? "" };
    case "THROTTLED":
      return { status: "FAILED", retryable: true, throttled: true, errorName: "THROTTLED", errorMessage };
    case "TEMPORARY_FAILURE":
      return { status: "FAILED", retryable: true, throttled: false, errorName: "TEMPORARY_FAILURE", errorMessage };
    case "OPT_OUT":
      return { status: "OPTED_OUT", errorName: "OPT_OUT", errorMessage };
    default:
      return { status: "FAILED", retryable: false, throttled: false, errorName: result.DeliveryStatus ?? "UNKNOWN", errorMessage };
  }
}

/** End User Messaging SMS: SendTextMessage. */
export class EndUserMessagingSmsSender implements SmsSender {
  constructor(private readonly client: PinpointSMSVoiceV2Client) {}

  async send(request: SmsSendRequest): Promise<SmsSendOutcome> {
    try {
      const response = await this.client.send(
        new SendTextMessageCommand({
          DestinationPhoneNumber: request.destination,
          OriginationIdentity: request.originationIdentity,
          MessageBody: request.body,
          MessageType: request.messageType,
          ...(request.configurationSetName ? { ConfigurationSetName: request.configurationSetName } : {}),
          ...(request.context && Object.keys(request.context).length > 0 ? { Context: request.context } : {}),
        }),
      );
      return { status: "SENT", messageId: response.MessageId ?? "" };
    } catch (error) {
      return classifySendError(error);
    }
  }
}

/** Legacy Pinpoint: SendMessages addressed to the project, one address per call. */
export class PinpointSmsSender implements SmsSender {
  constructor(
    private readonly client: PinpointClient,
    private readonly applicationId: string,
  ) {}

  async send(request: SmsSendRequest): Promise<SmsSendOutcome> {
    try {
      const response = await this.client.send(
        new SendMessagesCommand({
          ApplicationId: this.applicationId,
          MessageRequest: {
            Addresses: {
              [request.destination]: {
                ChannelType: "SMS",
                ...(request.context && Object.keys(request.context).length > 0 ? { Context: request.context } : {}),
              },
            },
            MessageConfiguration: {
              SMSMessage: {
                Body: request.body,
                MessageType: request.messageType,
                OriginationNumber: request.originationIdentity,
              },
            },
          },
        }),
      );
      return classifyPinpointResult(response.MessageResponse?.Result?.[request.destination]);
    } catch (error) {
      return classifySendError(error);
    }
  }
}
