import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IDEMPOTENCY_TABLE, type TableSchema } from "../../functions/shared/runtime/tables";
import type { PolicyStatement } from "./iam";
import { NAME_LIMITS, boundedName } from "./naming";

export interface TableArgs {
  /** Key schema and TTL attribute, from the shared definitions in functions/shared/runtime/tables.ts. */
  schema: TableSchema;
  /** Point-in-time recovery. Default true. */
  pointInTimeRecovery?: pulumi.Input<boolean>;
  /** Deletion protection. Default false, so dev stacks can be destroyed; production stacks turn it on. */
  deletionProtection?: pulumi.Input<boolean>;
}

/**
 * An on-demand DynamoDB table, encrypted with the AWS-managed DynamoDB KMS key (rather than the
 * AWS-owned default, so access shows in CloudTrail), with point-in-time recovery.
 */
export function createTable(name: string, args: TableArgs, opts: pulumi.CustomResourceOptions): aws.dynamodb.Table {
  return new aws.dynamodb.Table(
    name,
    {
      name: boundedName(name, NAME_LIMITS.dynamodbTable),
      billingMode: "PAY_PER_REQUEST",
      hashKey: args.schema.partitionKey,
      attributes: [{ name: args.schema.partitionKey, type: "S" }],
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: args.pointInTimeRecovery ?? true },
      deletionProtectionEnabled: args.deletionProtection ?? false,
      ...(args.schema.ttlAttribute === undefined ? {} : { ttl: { attributeName: args.schema.ttlAttribute, enabled: true } }),
    },
    opts,
  );
}

/**
 * The table Powertools idempotency keeps its records in (`id`, TTL on `expiration`), one per
 * handler. Grant it with `idempotencyTableStatement`.
 */
export function createIdempotencyTable(name: string, deletionProtection: pulumi.Input<boolean> | undefined, opts: pulumi.CustomResourceOptions): aws.dynamodb.Table {
  return createTable(name, { schema: IDEMPOTENCY_TABLE, deletionProtection }, opts);
}

/** What Powertools idempotency calls on its table (GetItem only after a lost conditional write). */
export function idempotencyTableStatement(tableArn: pulumi.Input<string>): PolicyStatement {
  return {
    Sid: "Idempotency",
    Effect: "Allow",
    Action: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
    Resource: tableArn,
  };
}
