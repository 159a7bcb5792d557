/**
 * #10's contract between the AdvancedSegmentation component, its state machine and its two
 * handlers (pure: no SDK). The component builds the state machine from state-machine.ts and the
 * schedules' input from `segmentRunInput`; the handlers read the same names.
 */
import { ATTRIBUTE_STORE_ENV } from "../shared/profiles/config";
import { defineFunctionContract, envOf, metricsOf } from "../shared/runtime/function-contract";

/** Reads the query's result pages and the stored members, and writes the changes (joiners, leavers) to S3. */
export const DIFFER = defineFunctionContract({
  entry: "functions/advanced-segmentation/differ.ts",
  env: ["RESULTS_BUCKET", "CHANGES_PREFIX", "MEMBERS_TABLE_NAME"],
  namespace: "DigitalUserEngagement/AdvancedSegmentation",
  metrics: ["MembersJoined", "MembersLeft", "MembersUnchanged", "ResultPages", "ChangeFilesWritten"],
});
export const DIFFER_ENV = envOf(DIFFER);
export const DIFFER_METRICS = metricsOf(DIFFER);

/** The Distributed Map's item processor: applies one change file to the target, then records it in the members table. */
export const APPLIER = defineFunctionContract({
  entry: "functions/advanced-segmentation/applier.ts",
  env: ["RESULTS_BUCKET", "MEMBERS_TABLE_NAME", ...ATTRIBUTE_STORE_ENV],
  namespace: "DigitalUserEngagement/AdvancedSegmentation",
  metrics: ["TokensAdded", "TokensRemoved", "AlreadyApplied", "MemberNotFound", "MemberAmbiguous", "MemberInvalid", "WriteRetryable", "WriteFailed"],
});
export const APPLIER_ENV = envOf(APPLIER);
export const APPLIER_METRICS = metricsOf(APPLIER);

/** Where the attribute lives: Customer Profiles (default) or the seed's Pinpoint endpoints. */
export const SEGMENT_TARGETS = ["customer-profiles", "pinpoint"] as const;
export type SegmentTarget = (typeof SEGMENT_TARGETS)[number];

/**
 * Members per stored-members partition: a segment's members are spread over this many partition
 * keys (`<segment>#00`…), so writing a large segment is not held to one key's throughput. Fixed:
 * changing it would orphan the stored members.
 */
export const MEMBER_SHARDS = 16;

/** Changes per change file (and so per item-processor execution). */
export const CHANGES_PER_FILE = 1000;

/** Rows per GetQueryResults page: the API's maximum. */
export const RESULT_PAGE_SIZE = 1000;

/** Error names the handlers raise, which the state machine's Retry and Catch match. */
export const SEGMENT_ERRORS = {
  /** Throttling or a transient fault outlasted the handler's own retries: the state machine retries later. */
  retryable: "SegmentRetryableError",
  /** A write the target refused for good (not a per-person problem): the run fails. */
  writeFailed: "SegmentWriteFailed",
  /** The query's rows are not in the order the diff needs (a query or collation problem). */
  resultOrder: "SegmentResultOrderError",
} as const;

/** Segment names: they key the stored members and name the schedule, so letters, digits, "-" and "_". */
export const SEGMENT_NAME = /^[A-Za-z0-9_-]{1,48}$/;
/** Tokens are attribute values: within Pinpoint's 100 characters, without Customer Profiles' set delimiter "|". */
export const SEGMENT_TOKEN = /^[^|\s][^|]{0,98}[^|\s]$|^[^|\s]$/;

/** The one column every segment query must return: the member's identifier. */
export const MEMBER_COLUMN = "member_id";

/**
 * The query that runs: the segment's SQL as a subquery, its `member_id` cast to varchar, without
 * nulls or duplicates, in ascending order. The diff merges this sorted stream with the stored
 * members (also sorted), so neither is ever held whole in memory. Trino sorts varchar by code
 * point; `compareMemberIds` sorts the same way.
 */
export function wrapSegmentQuery(sql: string): string {
  const body = sql.trim().replace(/;\s*$/, "");
  return [
    `SELECT DISTINCT CAST(${MEMBER_COLUMN} AS varchar) AS ${MEMBER_COLUMN}`,
    "FROM (",
    body,
    ") AS segment_query",
    `WHERE ${MEMBER_COLUMN} IS NOT NULL`,
    `ORDER BY ${MEMBER_COLUMN}`,
  ].join("\n");
}

/** Orders strings by Unicode code point, as Trino orders varchar (JS `<` compares UTF-16 units). */
export function compareMemberIds(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** How a member id locates the person: a Customer Profiles search key, or a Pinpoint endpoint id. */
export const ENDPOINT_ID = "endpointId";

/** One segment as the schedule hands it to the state machine (and the state machine to the handlers). */
export interface SegmentRun {
  name: string;
  token: string;
  /** The attribute holding the tokens. */
  attribute: string;
  /** Customer Profiles search key (`_email`, `_phone`, `_profileId` or a domain key), or "endpointId" for Pinpoint. */
  memberKey: string;
  /** The wrapped query (`wrapSegmentQuery`). */
  queryString: string;
}

/** The execution input a segment's schedule sends. */
export function segmentRunInput(segment: SegmentRun): { segment: SegmentRun } {
  return { segment: { name: segment.name, token: segment.token, attribute: segment.attribute, memberKey: segment.memberKey, queryString: segment.queryString } };
}

/** The S3 prefix of one run's change files: `<changesPrefix><segment>/<run>/`. */
export function changesPrefixFor(changesPrefix: string, segment: string, runId: string): string {
  return `${changesPrefix}${segment}/${runId}/`;
}
