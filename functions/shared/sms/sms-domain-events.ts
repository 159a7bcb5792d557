/**
 * Domain events the SMS architectures publish for other systems, and the SNS adapter that
 * publishes them. Every event carries `eventType` both in the JSON body and as an SNS message
 * attribute, so subscribers can filter with a subscription filter policy. Events are delivered
 * at least once; `eventId` is stable across retries, so subscribers de-duplicate on it.
 */
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";

/** Published by the self-managed opt-out handler when a customer opts out or back in. */
export interface SmsPreferenceChangedEvent {
  eventType: "sms.preference.opted-out" | "sms.preference.opted-in";
  /** The inbound message id: stable across redeliveries of the same message. */
  eventId: string;
  /** When the customer's message was published to SNS (ISO-8601). */
  occurredAt: string;
  /** The customer's number (E.164). The topic is KMS-encrypted; this is the data subscribers need. */
  phoneNumber: string;
  /** Our number the customer texted. */
  originationIdentity: string;
  keywordClass: "OPT_OUT" | "OPT_IN";
  /** Where the opt-out is enforced: the opt-out list / Pinpoint endpoint, or only our table. */
  enforcement: "opt-out-list" | "pinpoint-endpoint" | "preference-table-only";
}

/**
 * Published by the self-managed opt-out handler, with FREE_TEXT_OPT_OUT=flag, for an inbound
 * message that is not a keyword: a person (or a system they trust) decides whether it revokes
 * consent ("please don't text me anymore"). Carries the message text, which the reviewer needs;
 * the topic is KMS-encrypted.
 */
export interface SmsInboundNeedsReviewEvent {
  eventType: "sms.inbound.needs-review";
  /** The inbound message id: stable across redeliveries of the same message. */
  eventId: string;
  occurredAt: string;
  phoneNumber: string;
  originationIdentity: string;
  messageBody: string;
  reason: "not-a-keyword";
}

/** Published by the file-drop splitter when it has finished a file. */
export interface SmsFileProcessedEvent {
  eventType: "sms.file.processed";
  /** bucket/key/etag: the file version. */
  eventId: string;
  status: "COMPLETED" | "REJECTED";
  bucket: string;
  key: string;
  etag: string;
  rowsTotal: number;
  rowsQueued: number;
  rowsInvalid: number;
  /** Key of `<key>.errors.csv` in the same bucket, or null when every row was valid. */
  errorReportKey: string | null;
  /** File-level problem (bad header, CSV syntax error), when there was one. */
  fileError?: string;
}

/**
 * Published by the file drop's reporter when every queued row of a file has a final delivery
 * outcome (status FINAL), or when the file's report deadline passes first (DEADLINE_PASSED).
 */
export interface SmsFileDeliveryReportEvent {
  eventType: "sms.file.delivery-report";
  /** bucket/key/etag: the file version (one report per version). */
  eventId: string;
  status: "FINAL" | "DEADLINE_PASSED";
  bucket: string;
  key: string;
  etag: string;
  /** Key of the JSON report in the same bucket. */
  reportKey: string;
  counts: Record<string, number>;
  reasons: Record<string, number>;
}

export type SmsDomainEvent = SmsPreferenceChangedEvent | SmsInboundNeedsReviewEvent | SmsFileProcessedEvent | SmsFileDeliveryReportEvent;

export interface EventPublisher {
  publish(event: SmsDomainEvent): Promise<void>;
}

export class SnsEventPublisher implements EventPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(event: SmsDomainEvent): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Message: JSON.stringify(event),
        MessageAttributes: { eventType: { DataType: "String", StringValue: event.eventType } },
      }),
    );
  }
}
