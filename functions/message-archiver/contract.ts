/**
 * #6's contract between the MessageArchiver component and its handlers (pure: no SDK).
 */
import { defineFunctionContract, envOf, metricsOf } from "../shared/runtime/function-contract";

const NAMESPACE = "DigitalUserEngagement/MessageArchiver";

/** Legacy target: the Firehose transformation that queues `_campaign.send` and `_journey.send`. */
export const QUEUER = defineFunctionContract({
  entry: "functions/message-archiver/queuer.ts",
  env: ["QUEUE_URL"],
  namespace: NAMESPACE,
  metrics: ["RecordsSeen", "RecordsQueued", "MalformedRecord", "UnqueueableRecord"],
});
export const QUEUER_ENV = envOf(QUEUER);
export const QUEUER_METRICS = metricsOf(QUEUER);

/** Legacy target: re-renders each queued send from the versions it used and writes the MIME archive. */
export const ARCHIVER = defineFunctionContract({
  entry: "functions/message-archiver/archiver.ts",
  env: ["BUCKET_NAME", "ARCHIVE_PREFIX"],
  namespace: NAMESPACE,
  metrics: ["Archived", "Duplicate", "UnsupportedChannel", "FetchFailed", "MalformedRecord", "VersionUncertain"],
});
export const ARCHIVER_ENV = envOf(ARCHIVER);
export const ARCHIVER_METRICS = metricsOf(ARCHIVER);

/** Both targets: erases every object version and delete marker under a recipient's prefix. */
export const ERASER = defineFunctionContract({
  entry: "functions/message-archiver/erase.ts",
  env: ["BUCKET_NAME", "ARCHIVE_PREFIX"],
  namespace: NAMESPACE,
  metrics: ["VersionsDeleted", "DeleteMarkersDeleted", "ErasureRefused", "ErasureIncomplete"],
});
export const ERASER_ENV = envOf(ERASER);
export const ERASER_METRICS = metricsOf(ERASER);
