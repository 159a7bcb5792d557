/**
 * Placing one outbound call with Amazon Connect StartOutboundVoiceContact, with a uniform outcome:
 * the `voice` channel of the sending extension point (functions/shared/sending/channels.ts). A thin
 * adapter over the SDK plus the pure classification of its errors.
 *
 * Outcomes (errors per the API reference):
 * - STARTED                the contact exists (a retry with the same ClientToken returns the same ContactId);
 * - INVALID_DESTINATION    DestinationNotAllowedException: Connect will not call this number
 *                          (country not allowed, UK +447 without the quota, ...): reported, never retried;
 * - REJECTED               InvalidParameterException / InvalidRequestException: this request can never
 *                          succeed: reported, never retried;
 * - AT_CAPACITY            LimitExceededException: the instance's concurrent active calls quota
 *                          (default 10) is full. Capacity, not rate: wait for calls to end;
 * - THROTTLED              the API's request rate (default 2/s, burst 5) was exceeded: nothing happened;
 * - UNKNOWN                timeout, reset, 5xx (InternalServiceException): Connect may have started the
 *                          call; retrying with the same ClientToken is safe while the token holds;
 * - FAILED (retryable)     access, missing resource, outbound calling not permitted on the instance:
 *                          a configuration problem that blocks every call; kept for retry.
 */
import { StartOutboundVoiceContactCommand, type ConnectClient } from "@aws-sdk/client-connect";
import { isOutcomeUnknown, isRetryableError, isThrottlingError } from "../runtime/errors";
import type { SendSkipped, Sender } from "../sending/steps";

export interface VoiceSendRequest {
  destination: string;
  /** Contact attributes, the spoken `Message` included. */
  attributes: Record<string, string>;
  /** Idempotency: the same token on every attempt of the same call. */
  clientToken: string;
}

export type VoiceSendOutcome =
  | { status: "STARTED"; contactId: string }
  | { status: "INVALID_DESTINATION" | "REJECTED" | "AT_CAPACITY" | "THROTTLED" | "UNKNOWN"; errorName: string; errorMessage: string }
  | { status: "FAILED"; retryable: boolean; errorName: string; errorMessage: string }
  /** A send step withheld it (functions/shared/sending): nothing was dialled. */
  | SendSkipped;

export type VoiceSender = Sender<VoiceSendRequest, VoiceSendOutcome>;

/** Where calls are placed from: fixed per deployment. */
export interface VoiceSenderSettings {
  instanceId: string;
  contactFlowId: string;
  /** Caller ID and queue; optional when sourcePhoneNumber is set. */
  queueId?: string;
  /** E.164 number claimed by the instance; optional when queueId is set. */
  sourcePhoneNumber?: string;
  /** Seconds to ring before the call fails (API default 60). */
  ringTimeoutSeconds?: number;
}

/** Errors that say the instance or its configuration cannot call right now: every call would fail alike. */
const BLOCKING_ERRORS = new Set(["AccessDeniedException", "ResourceNotFoundException", "OutboundContactNotPermittedException"]);

interface ServiceErrorShape {
  name?: string;
  message?: string;
  $fault?: string;
  $metadata?: unknown;
}

/**
 * Classifies an exception from StartOutboundVoiceContact. AWS errors and network faults become an
 * outcome; anything else (a programming error) is rethrown so it is never recorded as a call result.
 */
export function classifyVoiceError(error: unknown): VoiceSendOutcome {
  const e = (error ?? {}) as ServiceErrorShape;
  const errorName = e.name ?? "Error";
  const errorMessage = e.message ?? "";
  if (errorName === "DestinationNotAllowedException") return { status: "INVALID_DESTINATION", errorName, errorMessage };
  if (errorName === "InvalidParameterException" || errorName === "InvalidRequestException") return { status: "REJECTED", errorName, errorMessage };
  // Before the generic checks: LimitExceededException is in the SDK's throttling list, but here it
  // is the concurrent-calls quota, which only ending calls frees.
  if (errorName === "LimitExceededException") return { status: "AT_CAPACITY", errorName, errorMessage };
  if (isThrottlingError(error) || (e.$metadata as { httpStatusCode?: number } | undefined)?.httpStatusCode === 429) {
    return { status: "THROTTLED", errorName, errorMessage };
  }
  if (BLOCKING_ERRORS.has(errorName)) return { status: "FAILED", retryable: true, errorName, errorMessage };
  if (errorName === "InternalServiceException" || isOutcomeUnknown(error)) return { status: "UNKNOWN", errorName, errorMessage };
  if (isRetryableError(error)) return { status: "FAILED", retryable: true, errorName, errorMessage };
  if (e.$fault !== undefined || e.$metadata !== undefined) return { status: "FAILED", retryable: false, errorName, errorMessage };
  throw error;
}

/** The exact StartOutboundVoiceContact input for a call. */
export function startOutboundVoiceContactInput(settings: VoiceSenderSettings, request: VoiceSendRequest) {
  return {
    InstanceId: settings.instanceId,
    ContactFlowId: settings.contactFlowId,
    DestinationPhoneNumber: request.destination,
    ClientToken: request.clientToken,
    ...(settings.queueId ? { QueueId: settings.queueId } : {}),
    ...(settings.sourcePhoneNumber ? { SourcePhoneNumber: settings.sourcePhoneNumber } : {}),
    ...(settings.ringTimeoutSeconds !== undefined ? { RingTimeoutInSeconds: settings.ringTimeoutSeconds } : {}),
    TrafficType: "GENERAL" as const,
    Attributes: request.attributes,
  };
}

/** Amazon Connect: StartOutboundVoiceContact, one call per send. */
export class ConnectVoiceSender implements VoiceSender {
  constructor(
    private readonly client: ConnectClient,
    private readonly settings: VoiceSenderSettings,
  ) {}

  async send(request: VoiceSendRequest): Promise<VoiceSendOutcome> {
    try {
      const response = await this.client.send(new StartOutboundVoiceContactCommand(startOutboundVoiceContactInput(this.settings, request)));
      return { status: "STARTED", contactId: response.ContactId ?? "" };
    } catch (error) {
      return classifyVoiceError(error);
    }
  }
}
