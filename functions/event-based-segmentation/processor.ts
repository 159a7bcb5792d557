/**
 * Architecture #7, Event-Based Segmentation: Kinesis-triggered handler. The stream carries SES
 * engagement events (through an EventBridge rule), application events and, legacy, a Pinpoint
 * event stream. Rules from config turn events into attribute changes of the person each event
 * identifies; the attribute store (functions/shared/profiles) folds them per person and writes at
 * its target's real shape.
 *
 * - The whole batch is decoded first and its updates applied together, so a person touched by
 *   several records costs one read and one write.
 * - A person whose write failed fails every record that contributed to it (batchItemFailures):
 *   Lambda retries from the first of them, with bisect, bounded retries and record age, then sends
 *   the batch's coordinates to the on-failure queue. Reapplying records is harmless: each write
 *   stores a final value set, and set / add / remove sequences are idempotent.
 * - A record that does not decode is counted (MalformedRecord, alarmed) and logged with its
 *   sequence number, never retried (a retry cannot fix it), and the rest of the batch proceeds.
 * - A person not found, matching several profiles, or not identified is counted, not retried.
 * - Logs carry masked persons and schema paths only.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { createAttributeStore } from "../shared/profiles";
import type { AttributeStore } from "../shared/profiles/store";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { maskEmail, maskPhone } from "../shared/runtime/pii";
import { loadProcessorConfig, type ProcessorConfig } from "./config";
import { PROCESSOR_METRICS } from "./contract";
import { KinesisEventSchema } from "./events";
import { maskedPerson, segmentBatch, type BatchTally } from "./segment-batch";

export interface ProcessorPorts {
  store: AttributeStore;
}

/** Builds the SDK-backed ports. Called once per container, at module scope. */
export function createProcessorPorts(config: ProcessorConfig): ProcessorPorts {
  return { store: createAttributeStore(config.store) };
}

export function createProcessorHandler(
  config: ProcessorConfig,
  ports: ProcessorPorts,
  observability: Observability,
): (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse> {
  const { logger, metrics } = observability;
  const processor = new BatchProcessor(EventType.KinesisDataStreams);
  const mask = { email: maskEmail, phone: maskPhone };

  function publish(tally: BatchTally): void {
    const counters: [keyof typeof PROCESSOR_METRICS, number][] = [
      [PROCESSOR_METRICS.AttributeUpdated, tally.updated],
      [PROCESSOR_METRICS.AttributeUnchanged, tally.unchanged],
      [PROCESSOR_METRICS.PersonNotFound, tally.notFound],
      [PROCESSOR_METRICS.PersonAmbiguous, tally.ambiguous],
      [PROCESSOR_METRICS.Unidentified, tally.unidentified],
      [PROCESSOR_METRICS.Ignored, tally.ignored],
      [PROCESSOR_METRICS.WriteRejected, tally.rejected],
      [PROCESSOR_METRICS.MalformedRecord, tally.malformed],
      [PROCESSOR_METRICS.FailedRecord, tally.failedRecords],
      [PROCESSOR_METRICS.Throttled, tally.throttled],
    ];
    for (const [name, value] of counters) metrics.addMetric(name, MetricUnit.Count, value);
    metrics.publishStoredMetrics();
  }

  return async (event, context) => {
    logger.addContext(context);
    // A malformed envelope is Lambda's, not a producer's: fail the invocation (bisect and retry).
    const { Records } = KinesisEventSchema.parse(event);
    const outcome = await segmentBatch(Records, ports.store, { rules: config.rules, sesIdentityTag: config.sesIdentityTag });
    for (const m of outcome.malformed) logger.warn("Malformed stream record; not retried", m);
    for (const p of outcome.problems) {
      const entry = { person: maskedPerson(p.person, mask), status: p.status, reason: p.reason, retryable: p.retryable, records: p.inputs.length };
      if (p.status === "failed" || p.status === "invalid") logger.error("Attribute update not stored", entry);
      else logger.info("Attribute update skipped", entry);
    }
    logger.info("Segment batch processed", { records: Records.length, ...outcome.tally });
    publish(outcome.tally);
    // Powertools builds the partial response from each record's outcome, decided for the whole batch above.
    return processPartialResponse(
      event,
      (record: KinesisStreamRecord) => {
        if (outcome.failed.has(record.kinesis.sequenceNumber)) throw new Error("attribute update failed");
      },
      processor,
      { context, throwOnFullBatchFailure: false },
    );
  };
}

const config = loadProcessorConfig(process.env);
export const handler = createProcessorHandler(config, createProcessorPorts(config), createObservability("event-based-segmentation"));
