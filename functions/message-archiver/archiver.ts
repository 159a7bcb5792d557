/**
 * Lambda handler, #6 legacy target: archives each queued `_campaign.send` / `_journey.send` as a
 * MIME message in the archive bucket (SQS event source, ReportBatchItemFailures).
 *
 * - Content: the campaign version, treatment, journey activity and template version the send used
 *   (content.ts), rendered with the event's endpoint snapshot (render.ts), as standard MIME
 *   (archive-message.ts). What could not be established for certain is written into the message
 *   (Archive-Uncertainty headers) and counted (VersionUncertain).
 * - Key: deterministic from the event (archive-message.ts), written with a conditional put: a
 *   redelivered or duplicated event writes nothing more (Duplicate), also within one batch. A
 *   redelivery (receive count > 1) checks with a HEAD first, so it costs no PUT either.
 * - Failures: a fetch error, a definition that does not match the event, or a malformed record
 *   fails that record only; SQS retries it and, after maxReceiveCount receives, moves it to the
 *   DLQ (alarmed). Nothing is acknowledged without an archive, except a send on a channel the
 *   archive does not cover (CUSTOM, in-app…), which is counted (UnsupportedChannel) and logged.
 * - Logs carry ids (endpoint, campaign, journey, SQS message), never message content.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { PinpointClient } from "@aws-sdk/client-pinpoint";
import { S3Client } from "@aws-sdk/client-s3";
import type { Context, SQSBatchResponse, SQSRecord } from "aws-lambda";
import { buildArchiveMime } from "../shared/archive/mime";
import { S3ArchiveStore, type ArchivePutResult, type ArchiveStore } from "../shared/archive/store";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { SdkPinpointReader } from "./adapters";
import { legacyKey, legacyMime } from "./archive-message";
import { loadArchiverConfig, type ArchiveBucketConfig } from "./config";
import { FetchCache, resolveContent, UnsupportedChannelError, type PinpointReader } from "./content";
import { ARCHIVER_METRICS } from "./contract";
import { endpointSnapshot, SendEventSchema, sendSource, type SendEvent } from "./pinpoint-event";
import { Renderer, renderContext } from "./render";

export interface ArchiverPorts {
  pinpoint: PinpointReader;
  store: ArchiveStore;
}

export function createArchiverPorts(config: ArchiveBucketConfig): ArchiverPorts {
  return {
    pinpoint: new SdkPinpointReader(new PinpointClient({ ...sdkClientConfig() })),
    store: new S3ArchiveStore(new S3Client({ ...sdkClientConfig() }), config.bucketName),
  };
}

interface Tally {
  archived: number;
  duplicate: number;
  unsupported: number;
  fetchFailed: number;
  malformed: number;
  uncertain: number;
}

export class MalformedSendEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedSendEventError";
  }
}

function parseEvent(body: string): SendEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedSendEventError("the record body is not JSON");
  }
  const parsed = SendEventSchema.safeParse(json);
  if (!parsed.success) throw new MalformedSendEventError(`not a send event: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

export function createArchiverHandler(
  config: ArchiveBucketConfig,
  ports: ArchiverPorts,
  observability: Observability,
): (event: { Records: SQSRecord[] }, context: Context) => Promise<SQSBatchResponse> {
  const { logger, metrics } = observability;
  const processor = new BatchProcessor(EventType.SQS);

  return async (event, context) => {
    logger.addContext(context);
    // Per invocation: fetches and compiled templates by exact identity, and writes by key.
    const cache = new FetchCache();
    const renderer = new Renderer();
    const writes = new Map<string, Promise<ArchivePutResult>>();
    const tally: Tally = { archived: 0, duplicate: 0, unsupported: 0, fetchFailed: 0, malformed: 0, uncertain: 0 };

    async function archive(record: SQSRecord): Promise<void> {
      let sendEvent: SendEvent;
      let ids: Record<string, string | null | undefined>;
      try {
        sendEvent = parseEvent(record.body);
        ids = { messageId: record.messageId, endpointId: sendEvent.client.client_id, eventType: sendEvent.event_type };
      } catch (error) {
        tally.malformed++;
        logger.error("Malformed archive record; it will reach the DLQ", { messageId: record.messageId, error: (error as Error).message });
        throw error;
      }
      const key = legacyKey(config.prefix, sendEvent);
      const earlier = writes.get(key);
      if (earlier !== undefined) {
        // The same event twice in one batch: one write; this record's fate is the first one's.
        await earlier;
        tally.duplicate++;
        return;
      }
      const write = (async (): Promise<ArchivePutResult | "unsupported"> => {
        let content;
        try {
          const source = sendSource(sendEvent);
          ids = { ...ids, ...(source.kind === "campaign" ? { campaignId: source.campaignId, treatmentId: source.treatmentId } : { journeyId: source.journeyId, journeyActivityId: source.journeyActivityId }) };
          content = await resolveContent(sendEvent, source, endpointSnapshot(sendEvent), ports.pinpoint, cache);
        } catch (error) {
          if (error instanceof UnsupportedChannelError) {
            tally.unsupported++;
            logger.warn("Send on a channel the archive does not cover; acknowledged without an archive", { ...ids, channelType: error.channelType });
            return "unsupported";
          }
          tally.fetchFailed++;
          logger.error("Could not resolve the content of a send; the record will be retried", { ...ids, errorName: (error as Error).name, error: (error as Error).message });
          throw error;
        }
        if (content.uncertainties.length > 0) tally.uncertain++;
        const rendered = renderer.render(content, renderContext(endpointSnapshot(sendEvent), sendEvent.client.client_id, content.defaultSubstitutions));
        const body = await buildArchiveMime(legacyMime(sendEvent, content, rendered));
        return ports.store.putOnce(
          {
            key,
            body,
            contentType: "message/rfc822",
            metadata: { channel: content.channel.toLowerCase(), "event-type": sendEvent.event_type },
          },
          // A redelivery has most likely been archived already: a HEAD saves the PUT.
          { checkFirst: Number(record.attributes.ApproximateReceiveCount ?? "1") > 1 },
        );
      })();
      writes.set(key, write as Promise<ArchivePutResult>);
      const result = await write;
      if (result === "written" || result === "replaced") tally.archived++;
      if (result === "exists") tally.duplicate++;
      if (result !== "unsupported") logger.info("Send archived", { ...ids, result });
    }

    try {
      return await processPartialResponse(event, archive, processor, { context, throwOnFullBatchFailure: false });
    } finally {
      metrics.addMetric(ARCHIVER_METRICS.Archived, MetricUnit.Count, tally.archived);
      metrics.addMetric(ARCHIVER_METRICS.Duplicate, MetricUnit.Count, tally.duplicate);
      metrics.addMetric(ARCHIVER_METRICS.UnsupportedChannel, MetricUnit.Count, tally.unsupported);
      metrics.addMetric(ARCHIVER_METRICS.FetchFailed, MetricUnit.Count, tally.fetchFailed);
      metrics.addMetric(ARCHIVER_METRICS.MalformedRecord, MetricUnit.Count, tally.malformed);
      metrics.addMetric(ARCHIVER_METRICS.VersionUncertain, MetricUnit.Count, tally.uncertain);
      metrics.publishStoredMetrics();
    }
  };
}

const config = loadArchiverConfig(process.env);
export const handler = createArchiverHandler(config, createArchiverPorts(config), createObservability("message-archiver-archiver"));
