import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/** Options for an explicit physical name. */
export interface NameOptions {
  /** Appended after truncation (e.g. ".fifo", which SQS requires at the end of a FIFO queue's name). */
  suffix?: string;
  /** Lower-case letters only (S3 bucket names). Default false. */
  lowercase?: boolean;
}

/**
 * An explicit, stable physical name: `<project>-<stack>-<logicalName>`. Project and stack keep it
 * unique per account and region. When it is longer than `maxLength`, it is cut and ends in an
 * 8-character hash of the full name, so two long names that share a prefix stay distinct.
 * Characters AWS names do not accept become "-".
 */
export function stableName(logicalName: string, maxLength: number, options: NameOptions | string = {}): string {
  const { suffix = "", lowercase = false } = typeof options === "string" ? { suffix: options } : options;
  let base = `${pulumi.getProject()}-${pulumi.getStack()}-${logicalName}`;
  base = (lowercase ? base.toLowerCase() : base).replace(lowercase ? /[^a-z0-9-]/g : /[^A-Za-z0-9_-]/g, "-");
  const room = maxLength - suffix.length;
  if (base.length <= room) return `${base}${suffix}`;
  const hash = createHash("sha256").update(base).digest("hex").slice(0, 8);
  return `${base.slice(0, room - 9)}-${hash}${suffix}`;
}

/** Pulumi autonames a resource `<logicalName>-<7 random hex characters>`. */
export const AUTONAME_SUFFIX_LENGTH = 8;

/**
 * The physical name for a resource that is otherwise autonamed. While Pulumi's autoname
 * (`<logicalName>-xxxxxxx`) fits within `maxLength`, returns undefined: the resource keeps its
 * autoname, so existing stacks see no change. A longer logical name (a component used with a long
 * name) would make the provider reject the autoname, so it gets a `stableName` within the limit.
 */
export function boundedName(logicalName: string, maxLength: number, options: NameOptions = {}): string | undefined {
  if (logicalName.length + AUTONAME_SUFFIX_LENGTH <= maxLength) return undefined;
  return stableName(logicalName, maxLength, options);
}

/**
 * Physical-name limits of the resources the components name (AWS service quotas / API docs). One
 * place, so the components and the naming test agree.
 */
export const NAME_LIMITS = {
  /** Lambda FunctionName (name form). */
  lambdaFunction: 64,
  /** IAM role name. */
  iamRole: 64,
  /** IAM inline policy name. */
  iamRolePolicy: 128,
  /** SQS queue name, including ".fifo". */
  sqsQueue: 80,
  /** SNS topic name. */
  snsTopic: 256,
  /** S3 bucket name (lower case). */
  s3Bucket: 63,
  /** DynamoDB table name. */
  dynamodbTable: 255,
  /** CloudWatch alarm name. */
  cloudwatchAlarm: 255,
  /** CloudWatch Logs log group name. */
  logGroup: 512,
  /** Firehose delivery stream name. */
  firehoseStream: 64,
  /** SES configuration set name, and an event destination's name within it. */
  sesConfigurationSet: 64,
  sesEventDestination: 64,
  /** Lambda permission statement id. */
  lambdaStatementId: 100,
} as const;

/** A short, stable suffix for a child created per list element (order changes must not rename it). */
export function hashSuffix(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 8);
}
