/**
 * Lambda handler, #6 legacy target: the Kinesis Data Firehose transformation on the Pinpoint event
 * stream. Every record goes back to Firehose exactly as it came (result "Ok", the same bytes), so
 * the stream's destination is unchanged. `_campaign.send` and `_journey.send` records are also
 * queued for the archiver, as received (the archiver derives the archive key from the event
 * itself, so nothing is stamped into the record).
 *
 * - A record that is not JSON, or not an event the archiver handles, is passed through and never
 *   queued; a malformed one is counted (MalformedRecord) and logged by record id, never by content.
 *   One bad record never fails the batch.
 * - Queueing uses SendMessageBatch (10 entries / 256 KiB per call). Entries SQS refuses for a
 *   retryable reason are sent again (up to QUEUE_ATTEMPTS, with backoff); if some still fail the
 *   invocation fails, and Firehose retries it (its own retry duration), so no send event is
 *   silently lost. Entries already queued are queued again then: the archiver writes each event
 *   once (its key is deterministic and the write conditional).
 * - An entry SQS can never take (oversize) is counted (UnqueueableRecord) and logged; the record
 *   still passes through to the destination.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Context, FirehoseTransformationResult } from "aws-lambda";
import * as z from "zod";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { SqsArchiveQueue, type ArchiveQueue } from "./adapters";
import { loadQueuerConfig, type QueuerConfig } from "./config";
import { QUEUER_METRICS } from "./contract";
import { isArchivedEventType } from "./pinpoint-event";
import { queueBatches, type QueueEntry } from "./queue-batches";

export const QUEUE_ATTEMPTS = 4;

const FirehoseEventSchema = z.object({
  invocationId: z.string(),
  records: z.array(z.looseObject({ recordId: z.string(), data: z.string() })),
});

export interface QueuerPorts {
  queue: ArchiveQueue;
  sleep?: (ms: number) => Promise<void>;
}

export function createQueuerPorts(config: QueuerConfig): QueuerPorts {
  return { queue: new SqsArchiveQueue(new SQSClient({ ...sdkClientConfig() }), config.queueUrl) };
}

/** What the queuer makes of one record: queue it, pass it (not an archived event), or count it malformed. */
export function classifyRecord(data: string): { action: "queue"; body: string } | { action: "pass" } | { action: "malformed"; reason: string } {
  const text = Buffer.from(data, "base64").toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { action: "malformed", reason: "not JSON" };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { action: "malformed", reason: "not a JSON object" };
  const eventType = (parsed as { event_type?: unknown }).event_type;
  if (typeof eventType !== "string") return { action: "malformed", reason: "no event_type" };
  return isArchivedEventType(eventType) ? { action: "queue", body: text.trimEnd() } : { action: "pass" };
}

export function createQueuerHandler(
  _config: QueuerConfig,
  ports: QueuerPorts,
  observability: Observability,
): (event: unknown, context: Context) => Promise<FirehoseTransformationResult> {
  const { logger, metrics } = observability;
  const sleep = ports.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function queueAll(entries: QueueEntry[]): Promise<number> {
    const { batches, oversize } = queueBatches(entries);
    for (const entry of oversize) logger.error("Send event too large for SQS; passed through but not archived", { entry: entry.id });
    metrics.addMetric(QUEUER_METRICS.UnqueueableRecord, MetricUnit.Count, oversize.length);
    let queued = 0;
    for (const batch of batches) {
      let pending = batch;
      for (let attempt = 1; pending.length > 0; attempt++) {
        const failed = await ports.queue.sendBatch(pending);
        queued += pending.length - failed.length;
        const permanent = failed.filter((f) => !f.retryable);
        for (const f of permanent) logger.error("SQS refused a send event; passed through but not archived", { entry: f.id, code: f.code });
        metrics.addMetric(QUEUER_METRICS.UnqueueableRecord, MetricUnit.Count, permanent.length);
        const retry = new Set(failed.filter((f) => f.retryable).map((f) => f.id));
        pending = pending.filter((e) => retry.has(e.id));
        if (pending.length === 0) break;
        if (attempt >= QUEUE_ATTEMPTS) {
          throw new Error(`${pending.length} send events could not be queued after ${QUEUE_ATTEMPTS} attempts (${failed.map((f) => f.code).join(", ")})`);
        }
        await sleep(100 * 2 ** attempt);
      }
    }
    return queued;
  }

  return async (event, context) => {
    logger.addContext(context);
    try {
      const { records } = FirehoseEventSchema.parse(event);
      const entries: QueueEntry[] = [];
      let malformed = 0;
      records.forEach((record, i) => {
        const decision = classifyRecord(record.data);
        if (decision.action === "queue") entries.push({ id: `r${i}`, body: decision.body });
        if (decision.action === "malformed") {
          malformed++;
          logger.warn("Malformed event-stream record passed through unchanged", { recordId: record.recordId, reason: decision.reason });
        }
      });
      metrics.addMetric(QUEUER_METRICS.RecordsSeen, MetricUnit.Count, records.length);
      metrics.addMetric(QUEUER_METRICS.MalformedRecord, MetricUnit.Count, malformed);
      const queued = await queueAll(entries);
      metrics.addMetric(QUEUER_METRICS.RecordsQueued, MetricUnit.Count, queued);
      logger.info("Event-stream batch transformed", { records: records.length, sendEvents: entries.length, queued, malformed });
      // Every record unchanged: the same id, "Ok", the same bytes (newlines and UTF-8 kept).
      return { records: records.map((r) => ({ recordId: r.recordId, result: "Ok" as const, data: r.data })) };
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadQueuerConfig(process.env);
export const handler = createQueuerHandler(config, createQueuerPorts(config), createObservability("message-archiver-queuer"));
