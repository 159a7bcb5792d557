/**
 * Architecture #10, the state machine's "Diff" task: reads the finished query's result page by
 * page, merges it with the segment's stored members, and writes the joiners and leavers to change
 * files for the Distributed Map. It writes nothing else: the members table changes only once the
 * target has taken a change (applier.ts), so a run with no change writes nothing at all.
 *
 * It stops 90 s before its timeout, saves its cursor next to the run's change files, and returns
 * `{ resume: true }` (the cursor names a member, which must not travel through the execution
 * history); the state machine invokes it again until it returns `done`. A retried invocation
 * rewrites the same files with the same content (the store does not change while the diff runs).
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { AthenaClient } from "@aws-sdk/client-athena";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import * as z from "zod";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { createObservability, type Observability } from "../shared/runtime/observability";
import { createResultReader } from "./athena-results";
import { changeFileKey, cursorKeyFor, readCursor, writeChangeFile, writeCursor } from "./change-files";
import { loadDifferConfig, type DifferConfig } from "./config";
import { CHANGES_PER_FILE, changesPrefixFor, DIFFER_METRICS, SEGMENT_NAME } from "./contract";
import { runDiff, START_CURSOR, type DiffCounts, type DiffCursor } from "./diff";
import { createMembersStore, type MembersStore } from "./members-store";

/** Time kept in reserve when deciding to pause: one more page, one file flush, and the return. */
export const PAUSE_RESERVE_MS = 90_000;

const SegmentSchema = z.object({
  name: z.string().regex(SEGMENT_NAME),
  token: z.string().min(1),
  attribute: z.string().min(1),
  memberKey: z.string().min(1),
});


export const DiffEventSchema = z.object({
  segment: SegmentSchema,
  queryExecutionId: z.string().min(1),
  runId: z.string().min(1),
  /** `{}` on the first invocation (the state machine starts with an empty cursor), then what the previous one returned. */
  cursor: z.union([z.object({ resume: z.literal(true) }).strict(), z.object({}).strict()]),
});
export type DiffEvent = z.input<typeof DiffEventSchema>;

export interface DiffResult {
  done: boolean;
  /** `{ resume: true }`: the cursor is saved in S3 (`cursorKeyFor`). */
  cursor: { resume: true } | Record<string, never>;
  changesPrefix: string;
  files: number;
  counts: DiffCounts;
}

export interface DifferPorts {
  athena: AthenaClient;
  s3: S3Client;
  members: MembersStore;
}

export function createDifferPorts(config: DifferConfig): DifferPorts {
  return {
    athena: new AthenaClient({ ...sdkClientConfig() }),
    s3: new S3Client({ ...sdkClientConfig() }),
    members: createMembersStore({ documents: DynamoDBDocumentClient.from(new DynamoDBClient({ ...sdkClientConfig() })), tableName: config.membersTableName }),
  };
}

export function createDifferHandler(config: DifferConfig, ports: DifferPorts, observability: Observability): (event: unknown, context: Context) => Promise<DiffResult> {
  const { logger, metrics } = observability;
  return async (raw, context) => {
    logger.addContext(context);
    const event = DiffEventSchema.parse(raw);
    const { segment, runId, queryExecutionId } = event;
    const prefix = changesPrefixFor(config.changesPrefix, segment.name, runId);
    const cursorKey = cursorKeyFor(prefix);
    const from: DiffCursor = "resume" in event.cursor ? await readCursor(ports.s3, config.resultsBucket, cursorKey) : { ...START_CURSOR };
    const filesBefore = from.files;
    const { done, cursor } = await runDiff(
      {
        readPage: createResultReader(ports.athena, queryExecutionId),
        storedMembers: (after) => ports.members.members(segment.name, after),
        writeChanges: (index, changes) =>
          writeChangeFile(ports.s3, config.resultsBucket, changeFileKey(prefix, index), {
            segment: { name: segment.name, token: segment.token, attribute: segment.attribute, memberKey: segment.memberKey },
            runId,
            changes,
          }),
      },
      from,
      { changesPerFile: CHANGES_PER_FILE, shouldPause: () => context.getRemainingTimeInMillis() < PAUSE_RESERVE_MS },
    );
    const counts = { joined: cursor.joined, left: cursor.left, unchanged: cursor.unchanged };
    // Counts are cumulative in the cursor; publish this invocation's share.
    metrics.addMetric(DIFFER_METRICS.MembersJoined, MetricUnit.Count, cursor.joined - from.joined);
    metrics.addMetric(DIFFER_METRICS.MembersLeft, MetricUnit.Count, cursor.left - from.left);
    metrics.addMetric(DIFFER_METRICS.MembersUnchanged, MetricUnit.Count, cursor.unchanged - from.unchanged);
    metrics.addMetric(DIFFER_METRICS.ResultPages, MetricUnit.Count, cursor.pages - from.pages);
    metrics.addMetric(DIFFER_METRICS.ChangeFilesWritten, MetricUnit.Count, cursor.files - filesBefore);
    metrics.publishStoredMetrics();
    if (!done) await writeCursor(ports.s3, config.resultsBucket, cursorKey, cursor);
    // Counts only: member ids never go to the logs.
    logger.info(done ? "Segment diff complete" : "Segment diff paused; the state machine resumes it", { segment: segment.name, runId, ...counts, files: cursor.files, pages: cursor.pages });
    const next: DiffResult["cursor"] = done ? {} : { resume: true };
    return { done, cursor: next, changesPrefix: prefix, files: cursor.files, counts };
  };
}

const config = loadDifferConfig(process.env);
export const handler = createDifferHandler(config, createDifferPorts(config), createObservability("advanced-segmentation-differ"));
