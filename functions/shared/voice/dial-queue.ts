/**
 * Putting dial requests on #13's dialer queue (a standard SQS queue, encrypted with #13's KMS key):
 * ten per SendMessageBatch (the API maximum), failed entries re-sent with backoff and full jitter.
 * An entry SQS rejects as the sender's fault (SenderFault: too large, malformed) cannot succeed and
 * fails at once. SDK-free except for the one adapter at the bottom.
 *
 * Sending the same request twice is harmless: the dialer keys every call by its ClientToken
 * (campaignKey + recipientKey) in its outcome table, so callers may simply retry.
 */
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { formatDialRequest, type DialRequestInput } from "./dial-request";

export interface DialQueueEntry {
  /** Unique within one batch. */
  id: string;
  /** A formatted dial request (formatDialRequest). */
  body: string;
}

export interface DialQueueFailure {
  id: string;
  code: string;
  message?: string;
  senderFault: boolean;
}

/** One SendMessageBatch call of at most 10 entries; returns the entries SQS reported as Failed. */
export interface DialQueue {
  sendBatch(entries: readonly DialQueueEntry[]): Promise<DialQueueFailure[]>;
}

export const DIAL_QUEUE_BATCH_SIZE = 10;

export class DialEnqueueError extends Error {
  constructor(
    message: string,
    /** Ids of the entries that were not queued. */
    readonly failedIds: string[],
  ) {
    super(message);
    this.name = "DialEnqueueError";
  }
}

export interface EnqueueOptions {
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * Sends `entries` in batches of 10, retrying what fails. Resolves when all are queued; otherwise
 * throws DialEnqueueError listing the ids still not queued (after the others were sent).
 */
export async function enqueueDialEntries(queue: DialQueue, entries: readonly DialQueueEntry[], options: EnqueueOptions = {}): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 5;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const base = options.backoffBaseMs ?? 100;
  const cap = options.backoffCapMs ?? 5000;
  const notQueued: string[] = [];
  const reasons = new Map<string, number>();
  for (let start = 0; start < entries.length; start += DIAL_QUEUE_BATCH_SIZE) {
    let pending = entries.slice(start, start + DIAL_QUEUE_BATCH_SIZE);
    for (let attempt = 1; pending.length > 0; attempt++) {
      const failed = await queue.sendBatch(pending);
      if (failed.length === 0) break;
      const fatal = new Set(failed.filter((f) => f.senderFault).map((f) => f.id));
      for (const f of failed) if (fatal.has(f.id) || attempt >= maxAttempts) reasons.set(f.code, (reasons.get(f.code) ?? 0) + 1);
      notQueued.push(...pending.filter((e) => fatal.has(e.id)).map((e) => e.id));
      const retry = new Set(failed.filter((f) => !f.senderFault).map((f) => f.id));
      pending = pending.filter((e) => retry.has(e.id));
      if (attempt >= maxAttempts) {
        notQueued.push(...pending.map((e) => e.id));
        break;
      }
      if (pending.length > 0) await sleep(Math.round(random() * Math.min(cap, base * 2 ** (attempt - 1))));
    }
  }
  if (notQueued.length > 0) {
    throw new DialEnqueueError(`${notQueued.length} dial requests not queued: ${[...reasons].map(([code, n]) => `${code} x${n}`).join(", ")}`, notQueued);
  }
}

/** Validates, formats and enqueues requests; `ids` name them in errors (default: their index). */
export async function enqueueDialRequests(queue: DialQueue, requests: readonly DialRequestInput[], options: EnqueueOptions = {}): Promise<void> {
  await enqueueDialEntries(
    queue,
    requests.map((r, i) => ({ id: String(i), body: formatDialRequest(r) })),
    options,
  );
}

/** The dialer queue through SQS SendMessageBatch (a standard queue: no group or de-duplication id). */
export class SqsDialQueue implements DialQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async sendBatch(entries: readonly DialQueueEntry[]): Promise<DialQueueFailure[]> {
    const response = await this.client.send(
      new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries.map((e) => ({ Id: e.id, MessageBody: e.body })) }),
    );
    return (response.Failed ?? []).map((f) => ({ id: f.Id ?? "", code: f.Code ?? "Unknown", message: f.Message, senderFault: f.SenderFault === true }));
  }
}
