import { NAME_LIMITS } from "../../components/shared/naming";
import { RecordedResource } from "../../stacks/plan/mock-runtime";

/** How a resource type is named, and what AWS accepts. */
interface NameRule {
  /** The input that holds the physical name. */
  field: string;
  maxLength: number;
  pattern: RegExp;
  /** The provider autonames it when `field` is unset (`<logical name>-xxxxxxx`). */
  autonamed: boolean;
  /** The autoname is lower-cased (S3). */
  lowercase?: boolean;
}

/**
 * Physical-name rules of every resource type the components name or let Pulumi autoname, from
 * each service's API reference. A `namePrefix` gets a 26-character suffix from the provider.
 */
export const NAME_RULES: Record<string, NameRule> = {
  "aws:lambda/function:Function": { field: "name", maxLength: NAME_LIMITS.lambdaFunction, pattern: /^[A-Za-z0-9_-]+$/, autonamed: true },
  "aws:iam/role:Role": { field: "name", maxLength: NAME_LIMITS.iamRole, pattern: /^[\w+=,.@-]+$/, autonamed: true },
  "aws:iam/rolePolicy:RolePolicy": { field: "name", maxLength: NAME_LIMITS.iamRolePolicy, pattern: /^[\w+=,.@-]+$/, autonamed: true },
  "aws:sqs/queue:Queue": { field: "name", maxLength: NAME_LIMITS.sqsQueue, pattern: /^[A-Za-z0-9_-]+(\.fifo)?$/, autonamed: true },
  "aws:sns/topic:Topic": { field: "name", maxLength: NAME_LIMITS.snsTopic, pattern: /^[A-Za-z0-9_-]+$/, autonamed: true },
  "aws:s3/bucket:Bucket": { field: "bucket", maxLength: NAME_LIMITS.s3Bucket, pattern: /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, autonamed: true, lowercase: true },
  "aws:dynamodb/table:Table": { field: "name", maxLength: NAME_LIMITS.dynamodbTable, pattern: /^[A-Za-z0-9_.-]{3,}$/, autonamed: true },
  "aws:cloudwatch/metricAlarm:MetricAlarm": { field: "name", maxLength: NAME_LIMITS.cloudwatchAlarm, pattern: /^[ -~]+$/, autonamed: true },
  "aws:cloudwatch/logGroup:LogGroup": { field: "name", maxLength: NAME_LIMITS.logGroup, pattern: /^[A-Za-z0-9_/.#-]+$/, autonamed: true },
  "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": {
    field: "name",
    maxLength: NAME_LIMITS.firehoseStream,
    pattern: /^[A-Za-z0-9_.-]+$/,
    autonamed: true,
  },
  "aws:sesv2/configurationSet:ConfigurationSet": {
    field: "configurationSetName",
    maxLength: NAME_LIMITS.sesConfigurationSet,
    pattern: /^[A-Za-z0-9_-]+$/,
    autonamed: false,
  },
  "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination": {
    field: "eventDestinationName",
    maxLength: NAME_LIMITS.sesEventDestination,
    pattern: /^[A-Za-z0-9_-]+$/,
    autonamed: false,
  },
  "aws:lambda/permission:Permission": { field: "statementId", maxLength: NAME_LIMITS.lambdaStatementId, pattern: /^[A-Za-z0-9_-]+$/, autonamed: true },
};

/** Terraform's unique suffix for a `namePrefix` (timestamp and counter). */
const NAME_PREFIX_SUFFIX = "20260101000000000000000001";

export interface PhysicalName {
  resource: string;
  name: string;
  maxLength: number;
  pattern: RegExp;
}

/** The physical name the provider would give each named resource: explicit, prefixed or autonamed (worst case). */
export function physicalNames(resources: RecordedResource[]): PhysicalName[] {
  const out: PhysicalName[] = [];
  for (const r of resources) {
    const rule = NAME_RULES[r.type];
    if (!rule) continue;
    const explicit = r.inputs[rule.field];
    const prefix = r.inputs[`${rule.field}Prefix`];
    let name: string | undefined;
    if (typeof explicit === "string") name = explicit;
    else if (typeof prefix === "string") name = `${prefix}${NAME_PREFIX_SUFFIX}`;
    else if (rule.autonamed) name = `${rule.lowercase ? r.name.toLowerCase() : r.name}-a1b2c3d`;
    if (name !== undefined) out.push({ resource: r.key, name, maxLength: rule.maxLength, pattern: rule.pattern });
  }
  return out;
}

/** One line per physical name that AWS would reject: too long, or a character it does not accept. */
export function physicalNameProblems(resources: RecordedResource[]): string[] {
  return physicalNames(resources).flatMap((n) => {
    const problems: string[] = [];
    if (n.name.length > n.maxLength) problems.push(`${n.resource}: "${n.name}" is ${n.name.length} characters (limit ${n.maxLength})`);
    if (!n.pattern.test(n.name)) problems.push(`${n.resource}: "${n.name}" does not match ${n.pattern}`);
    return problems;
  });
}
