/**
 * The feedback service wired for production: SES v2 suppression, the DynamoDB contact store, and
 * Powertools idempotency per recipient. Used by #1's SQS processor and #4's legacy S3 processor,
 * each with its own idempotency table: a bounce that reaches both pipelines is counted once only
 * when they share the contact table, by its event-key guard (adapters.ts).
 * Side-effect free: nothing is created until a handler calls it at cold start.
 */
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SESv2Client } from "@aws-sdk/client-sesv2";
import { IDEMPOTENCY_TABLE } from "../../runtime/tables";
import { DynamoDbContactStore, SesV2SuppressionList } from "./adapters";
import type { FeedbackPolicySettings } from "./feedback-policy";
import { createFeedbackService, type RecipientResult, type RecipientRunner, type RecipientWork } from "./feedback-service";

/** Idempotency keys are prefixed with this, not the function name, so a renamed function still finds its records. */
export const IDEMPOTENCY_KEY_PREFIX = "ses-feedback";

/** What a feedback processor's config loader provides. */
export interface FeedbackServiceConfig {
  contactTableName: string;
  idempotencyTableName: string;
  idempotencyTtlSeconds: number;
  policy: FeedbackPolicySettings;
}

export function createIdempotentFeedbackService(config: FeedbackServiceConfig, clients: { ses: SESv2Client; dynamo: DynamoDBClient }) {
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
