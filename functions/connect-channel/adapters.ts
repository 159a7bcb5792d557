/**
 * Thin SDK adapters of #13's dialer besides the outcome table (outcome-store.ts): putting a call
 * back on its own queue with a delay, for capacity and rate deferrals.
 */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";

/** Puts a dial request back on the dialer queue, visible after `delaySeconds` (≤ 900). */
export interface DeferralQueue {
  defer(body: string, delaySeconds: number, reason: "CAPACITY" | "RATE"): Promise<void>;
}

/**
 * SendMessage with DelaySeconds to the dialer queue. The new message starts with a receive count
 * of 0, so waiting for capacity never moves a call towards the DLQ. If the original is then not
 * deleted (the invocation dies), the call is on the queue twice; the outcome table keeps it to one call.
 */
export class SqsDeferralQueue implements DeferralQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async defer(body: string, delaySeconds: number, reason: "CAPACITY" | "RATE"): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: body,
        DelaySeconds: delaySeconds,
        MessageAttributes: { deferredFor: { DataType: "String", StringValue: reason } },
      }),
    );
  }
}
