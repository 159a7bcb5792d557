/**
 * Architecture #5, Pinpoint S3 Event Database: the Firehose transformation function. Every record
 * (SES event publishing, End User Messaging SMS events, Pinpoint event stream) becomes one
 * `all_events` row as JSON, which Firehose then converts to Parquet (normalize.ts has the mapping).
 *
 * Firehose's record contract: every input recordId comes back exactly once, with `result`
 * Ok | Dropped | ProcessingFailed and base64 `data`.
 * https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-status-model.html
 * - Data is decoded as UTF-8 (the seed decoded ASCII and corrupted non-ASCII subjects); bytes that
 *   are not UTF-8 fail the record.
 * - Pinpoint's `_test.event_stream` is Dropped: it is not an engagement event.
 * - A record that does not parse or match a known source is ProcessingFailed, never Dropped:
 *   Firehose writes it, untouched, under the error prefix, where it can be inspected and replayed.
 * No SDK call and no side effect, so redelivery only rewrites the same rows.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, FirehoseTransformationEvent, FirehoseTransformationResult, FirehoseTransformationResultRecord } from "aws-lambda";
import * as z from "zod";
import { addDimensionedCount, createObservability, type Observability } from "../shared/runtime/observability";
import { loadTransformConfig, type TransformConfig } from "./config";
import { TRANSFORM_METRICS } from "./contract";
import { normalizeEvent, type EventSource } from "./normalize";

const FirehoseEventSchema = z.looseObject({
  invocationId: z.string(),
  deliveryStreamArn: z.string().regex(/^arn:[^:]+:firehose:[^:]*:\d{12}:deliverystream\/.+$/, "must be a delivery stream ARN"),
  records: z.array(z.looseObject({ recordId: z.string().min(1), approximateArrivalTimestamp: z.number(), data: z.string() })),
});

/** The transformation calls no AWS API: it has no ports beyond its configuration. */
export type TransformPorts = Readonly<Record<never, never>>;

export function createTransformPorts(_config: TransformConfig): TransformPorts {
  return {};
}

export interface TransformTally {
  transformed: Partial<Record<EventSource, number>>;
  dropped: number;
  failed: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Transforms one Firehose batch; pure apart from the tally. Exported for the benchmark. */
export function transformRecords(
  event: FirehoseTransformationEvent,
  config: TransformConfig,
  onFailure: (recordId: string, source: string, error: string) => void = () => undefined,
): { result: FirehoseTransformationResult; tally: TransformTally } {
  const accountId = event.deliveryStreamArn.split(":")[4];
  const tally: TransformTally = { transformed: {}, dropped: 0, failed: 0 };
  const records: FirehoseTransformationResultRecord[] = event.records.map((record) => {
    const failed = (source: string, error: string): FirehoseTransformationResultRecord => {
      tally.failed++;
      onFailure(record.recordId, source, error);
      return { recordId: record.recordId, result: "ProcessingFailed", data: record.data };
    };
    let value: unknown;
    try {
      value = JSON.parse(utf8.decode(Buffer.from(record.data, "base64")));
    } catch (error) {
      return failed("unknown", error instanceof SyntaxError ? "not JSON" : "not UTF-8");
    }
    const outcome = normalizeEvent(value, {
      arrivalTimestamp: record.approximateArrivalTimestamp,
      accountId,
      campaignIdTag: config.campaignIdTag,
      treatmentIdTag: config.treatmentIdTag,
    });
    if (outcome.kind === "test-event") {
      tally.dropped++;
      return { recordId: record.recordId, result: "Dropped", data: record.data };
    }
    if (outcome.kind === "invalid") return failed(outcome.source, outcome.error);
    tally.transformed[outcome.source] = (tally.transformed[outcome.source] ?? 0) + 1;
    // One JSON object per line: Firehose's JSON deserializer reads it for the Parquet conversion.
    return { recordId: record.recordId, result: "Ok", data: Buffer.from(`${JSON.stringify(outcome.row)}\n`, "utf8").toString("base64") };
  });
  return { result: { records }, tally };
}

export function createTransformHandler(
  config: TransformConfig,
  _ports: TransformPorts,
  observability: Observability,
): (event: FirehoseTransformationEvent, context: Context) => Promise<FirehoseTransformationResult> {
  const { logger, metrics } = observability;
  return async (event, context) => {
    logger.addContext(context);
    // A malformed invocation is Firehose's or the wiring's fault: fail it, so Firehose retries and
    // then writes the whole batch under the error prefix.
    const parsed = FirehoseEventSchema.safeParse(event);
    if (!parsed.success) {
      logger.error("Not a Firehose transformation event", { issues: parsed.error.issues.map((i) => i.path.join(".")) });
      throw new Error("Not a Firehose transformation event");
    }
    const { result, tally } = transformRecords(event, config, (recordId, source, error) =>
      logger.warn("Record not transformed; Firehose writes it under the error prefix", { recordId, source, error }),
    );
    for (const [source, count] of Object.entries(tally.transformed)) addDimensionedCount(metrics, TRANSFORM_METRICS.Transformed, { Source: source }, count);
    metrics.addMetric(TRANSFORM_METRICS.DroppedTestEvent, MetricUnit.Count, tally.dropped);
    metrics.addMetric(TRANSFORM_METRICS.ProcessingFailed, MetricUnit.Count, tally.failed);
    metrics.publishStoredMetrics();
    logger.info("Batch transformed", { invocationId: event.invocationId, records: event.records.length, ...tally });
    return result;
  };
}

const config = loadTransformConfig(process.env);
export const handler = createTransformHandler(config, createTransformPorts(config), createObservability("event-database-transform"));
