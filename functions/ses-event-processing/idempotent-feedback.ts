/**
 * The feedback service wired for production: SES v2 suppression, the DynamoDB contact store, and
 * Powertools idempotency per recipient. Shared by #1's SQS processor and #4's legacy S3 processor;
 * the common key prefix means a bounce that reaches both pipelines is recorded once.
 * Side-effect free: nothing is created until a handler calls it at cold start.
 */
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SESv2Client } from "@aws-sdk/client-sesv2";
import { IDEMPOTENCY_TABLE } from "../shared/tables";
import { DynamoDbContactStore, SesV2SuppressionList } from "./adapters";
import type { ProcessorConfig } from "./config";
import { createFeedbackService, type RecipientResult, type RecipientRunner, type RecipientWork } from "./feedback-service";

/** Idempotency keys are prefixed with this, not the function name, so #1 and #4 share one key space. */
export const IDEMPOTENCY_KEY_PREFIX = "ses-feedback";

export function createIdempotentFeedbackService(config: ProcessorConfig, clients: { ses: SESv2Client; dynamo: DynamoDBClient }) {
  const idempotencyConfig = new IdempotencyConfig({
    eventKeyJmesPath: "key",
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: config.idempotencyTtlSeconds,
    // Called only when a completed record is found: the stored result is a redelivery's.
    responseHook: (response) =>
      typeof response === "object" && response !== null && !Array.isArray(response) ? { ...response, duplicate: true } : response,
  });
  const runIdempotently = makeIdempotent(
    (work: RecipientWork, run: RecipientRunner): Promise<RecipientResult> => run(work),
    {
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: config.idempotencyTableName,
        // The table the component creates from the same schema.
        keyAttr: IDEMPOTENCY_TABLE.partitionKey,
        expiryAttr: IDEMPOTENCY_TABLE.ttlAttribute,
        awsSdkV3Client: clients.dynamo,
      }),
      config: idempotencyConfig,
      keyPrefix: IDEMPOTENCY_KEY_PREFIX,
    },
  );
  const service = createFeedbackService({
    suppressionList: new SesV2SuppressionList(clients.ses),
    contactStore: new DynamoDbContactStore(clients.dynamo, config.contactTableName),
    settings: config.policy,
    recipientGuard: (work, run) => runIdempotently(work, run) as Promise<RecipientResult & { duplicate?: boolean }>,
  });
  return { service, idempotencyConfig };
}
