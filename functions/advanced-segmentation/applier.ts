/**
 * Architecture #10, the Distributed Map's item processor: applies one change file (see
 * apply-changes.ts) to the target through the shared attribute store (functions/shared/profiles):
 * Customer Profiles (SearchProfiles + UpdateProfile per person, bounded concurrency) or Pinpoint
 * (GetEndpoint per endpoint, UpdateEndpointsBatch per 100).
 *
 * Its result decides the state machine's next move: success; SegmentRetryableError (throttling or
 * a transient fault outlasted the store's retries) is retried by the state machine with backoff;
 * SegmentWriteFailed (the target refused a write for good) fails the run. Either way, what the
 * target took is recorded first, so a retry does not write it again.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import * as z from "zod";
import { createAttributeStore, type AttributeStore } from "../shared/profiles";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { applyChangeFile, type ApplyOutcome } from "./apply-changes";
import { readChangeFile } from "./change-files";
import { loadApplierConfig, type ApplierConfig } from "./config";
import { APPLIER_METRICS, SEGMENT_ERRORS } from "./contract";
import { createMembersStore, RetryableSegmentError, type MembersStore } from "./members-store";

export const ApplyEventSchema = z.object({ key: z.string().min(1) });

export class SegmentWriteFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = SEGMENT_ERRORS.writeFailed;
  }
}

export interface ApplierPorts {
  s3: S3Client;
  store: AttributeStore;
  members: MembersStore;
  now: () => Date;
}

export function createApplierPorts(config: ApplierConfig): ApplierPorts {
  return {
    s3: new S3Client({ ...sdkClientConfig() }),
    store: createAttributeStore(config.store),
    members: createMembersStore({ documents: DynamoDBDocumentClient.from(new DynamoDBClient({ ...sdkClientConfig() })), tableName: config.membersTableName }),
    now: () => new Date(),
  };
}

export function createApplierHandler(config: ApplierConfig, ports: ApplierPorts, observability: Observability): (event: unknown, context: Context) => Promise<ApplyOutcome> {
  const { logger, metrics } = observability;
  const publish = (o: ApplyOutcome) => {
    const counts: [keyof typeof APPLIER_METRICS, number][] = [
      [APPLIER_METRICS.TokensAdded, o.added],
      [APPLIER_METRICS.TokensRemoved, o.removed],
      [APPLIER_METRICS.AlreadyApplied, o.alreadyApplied],
      [APPLIER_METRICS.MemberNotFound, o.notFound],
      [APPLIER_METRICS.MemberAmbiguous, o.ambiguous],
      [APPLIER_METRICS.MemberInvalid, o.invalid],
      [APPLIER_METRICS.WriteRetryable, o.retryable],
      [APPLIER_METRICS.WriteFailed, o.failed],
    ];
    for (const [name, value] of counts) metrics.addMetric(name, MetricUnit.Count, value);
    metrics.publishStoredMetrics();
  };
  return async (raw, context) => {
    logger.addContext(context);
    const { key } = ApplyEventSchema.parse(raw);
    const file = await readChangeFile(ports.s3, config.resultsBucket, key);
    const outcome = await applyChangeFile(file, ports);
    publish(outcome);
    // Counts and reasons only: member ids never go to the logs.
    const summary = { segment: file.segment.name, runId: file.runId, key, changes: file.changes.length, ...outcome };
    if (outcome.failed > 0) {
      logger.error("Change file failed: the target refused writes", summary);
      throw new SegmentWriteFailedError(`${outcome.failed} change(s) refused by the target (${outcome.reasons.join(", ")})`);
    }
    if (outcome.retryable > 0) {
      logger.warn("Change file partly applied; the state machine retries the rest", summary);
      throw new RetryableSegmentError(`${outcome.retryable} change(s) not applied yet (${outcome.reasons.join(", ")})`);
    }
    logger.info("Change file applied", summary);
    return outcome;
  };
}

const config = loadApplierConfig(process.env);
export const handler = createApplierHandler(config, createApplierPorts(config), createObservability("advanced-segmentation-applier"));
