import { loadArchiverConfig, loadEraserConfig, loadQueuerConfig } from "../../../functions/message-archiver/config";
import { ARCHIVER, ERASER, QUEUER } from "../../../functions/message-archiver/contract";
import type { HandlerCase } from "./types";

export const CASES: HandlerCase[] = [
  { contract: QUEUER, load: loadQueuerConfig, sample: { QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/work" } },
  { contract: ARCHIVER, load: loadArchiverConfig, sample: { BUCKET_NAME: "archive-bucket", ARCHIVE_PREFIX: "archive" } },
  { contract: ERASER, load: loadEraserConfig, sample: { BUCKET_NAME: "archive-bucket", ARCHIVE_PREFIX: "archive" } },
];
