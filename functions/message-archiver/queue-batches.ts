/**
 * Chunks queue entries for SendMessageBatch: at most 10 entries and 256 KiB of bodies per call
 * (SQS's batch limits). An entry that alone exceeds the message limit can never be sent: it is
 * returned apart, for the caller to report.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
 */
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 262_144;

export interface QueueEntry {
  id: string;
  body: string;
}

export function queueBatches(entries: readonly QueueEntry[]): { batches: QueueEntry[][]; oversize: QueueEntry[] } {
  const batches: QueueEntry[][] = [];
  const oversize: QueueEntry[] = [];
  let current: QueueEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.body, "utf8");
    if (size > MAX_BATCH_BYTES) {
      oversize.push(entry);
      continue;
    }
    if (current.length === MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return { batches, oversize };
}
