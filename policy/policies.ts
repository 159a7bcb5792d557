/**
 * The project's policies as plain functions over a list of resources, so the offline plan and the
 * tests run them without the Pulumi CLI. `index.ts` wraps the same functions in a real policy pack
 * for `pulumi preview --policy-pack policy`.
 *
 * A value that is not known yet (a preview of a resource not yet created) is `undefined`; policies
 * skip what they cannot see rather than guess.
 */

export interface PolicyResource {
  /** `type::name`: unique in a stack. */
  key: string;
  type: string;
  name: string;
  /** Input properties as the provider receives them. */
  props: Record<string, unknown>;
  /** Keys of the resources this one depends on. */
  dependencies: string[];
}

export interface Violation {
  policy: string;
  resource: string;
  message: string;
}

export interface StackPolicy {
  name: string;
  description: string;
  validate(resources: PolicyResource[]): Violation[];
}

type Statement = { Effect?: string; Action?: string | string[]; Condition?: Record<string, Record<string, unknown>> };

/** Lambda runtimes AWS has deprecated (no new functions; see the Lambda runtimes page). */
export const DEPRECATED_LAMBDA_RUNTIMES = new Set([
  "nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x",
  "nodejs16.x", "nodejs18.x", "nodejs20.x",
  "python2.7", "python3.6", "python3.7", "python3.8", "python3.9",
  "ruby2.5", "ruby2.7", "ruby3.2", "java8", "go1.x", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1",
  "dotnet5.0", "dotnet6", "dotnet7", "provided",
]);

function parseDocument(value: unknown): { Statement?: Statement | Statement[] } | undefined {
  if (typeof value === "string") {
    try {
      return JSON.parse(value) as { Statement?: Statement | Statement[] };
    } catch {
      return undefined;
    }
  }
  return typeof value === "object" && value !== null ? (value as { Statement?: Statement | Statement[] }) : undefined;
}

function statementsOf(value: unknown): Statement[] {
  const doc = parseDocument(value);
  if (!doc?.Statement) return [];
  return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
}

function asList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function dependents(resources: PolicyResource[], target: PolicyResource, type: string): PolicyResource[] {
  return resources.filter((r) => r.type === type && r.dependencies.includes(target.key));
}

function violation(policy: string, resource: PolicyResource, message: string): Violation {
  return { policy, resource: resource.key, message };
}

/** Resource types whose policy documents are checked for wildcard actions, and where the documents are. */
const POLICY_DOCUMENT_PROPS: Record<string, string[]> = {
  "aws:iam/rolePolicy:RolePolicy": ["policy"],
  "aws:iam/policy:Policy": ["policy"],
  "aws:iam/role:Role": ["assumeRolePolicy"],
  "aws:sqs/queuePolicy:QueuePolicy": ["policy"],
  "aws:sns/topicPolicy:TopicPolicy": ["policy"],
  "aws:s3/bucketPolicy:BucketPolicy": ["policy"],
  "aws:kms/key:Key": ["policy"],
};

/**
 * Resource types that hold no data of their own at rest, or whose data AWS always encrypts with no
 * setting to turn it off: each with the reason. `encryption-at-rest` checks every other type it
 * knows and fails on any type in neither list, so a new kind of resource cannot slip past unseen.
 */
export const DECLARED_WITHOUT_DATA_AT_REST: Readonly<Record<string, string>> = Object.freeze({
  "aws:cloudwatch/logGroup:LogGroup": "CloudWatch Logs always encrypts log data at rest",
  "aws:cloudwatch/logStream:LogStream": "a stream of a log group, encrypted with it",
  "aws:cloudwatch/metricAlarm:MetricAlarm": "configuration only",
  "aws:connect/contactFlow:ContactFlow": "a flow definition (configuration); Amazon Connect encrypts it at rest and has no setting for it",
  "aws:cloudwatch/dashboard:Dashboard": "configuration only",
  "aws:athena/namedQuery:NamedQuery": "query text (configuration)",
  "aws:athena/workgroup:Workgroup": "configuration only; the #5 workgroup enforces SSE on its query results (its component test checks it)",
  "aws:glue/catalogDatabase:CatalogDatabase": "catalog metadata (configuration)",
  "aws:glue/catalogTable:CatalogTable": "catalog metadata (schema, view text); the data lives in the encrypted bucket",
  "aws:pinpoint/smsvoicev2EventDestination:Smsvoicev2EventDestination": "configuration only",
  "aws:cloudwatch/eventRule:EventRule": "configuration only",
  "aws:cloudwatch/eventTarget:EventTarget": "configuration only",
  "aws:iam/role:Role": "configuration only",
  "aws:iam/rolePolicy:RolePolicy": "configuration only",
  "aws:kms/key:Key": "key material, held in KMS",
  "aws:lambda/function:Function": "Lambda encrypts code and environment variables at rest with an AWS managed key",
  "aws:lambda/eventSourceMapping:EventSourceMapping": "configuration only",
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": "configuration only",
  "aws:lambda/permission:Permission": "configuration only",
  "aws:pinpoint/app:App": "a project shell; Amazon Pinpoint encrypts its data at rest and has no setting for it",
  "aws:pinpoint/eventStream:EventStream": "configuration only",
  "aws:pinpoint/smsvoicev2OptOutList:Smsvoicev2OptOutList": "AWS End User Messaging encrypts opt-out lists at rest and has no setting for it",
  "aws:pinpoint/smsvoicev2PhoneNumber:Smsvoicev2PhoneNumber": "configuration only",
  "aws:pinpoint/smsvoicev2ConfigurationSet:Smsvoicev2ConfigurationSet": "configuration only (its events go to the event destinations)",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "configuration only",
  "aws:s3/bucketNotification:BucketNotification": "configuration only",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "configuration only",
  "aws:s3/bucketPolicy:BucketPolicy": "configuration only",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "configuration only",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "the bucket's encryption itself",
  "aws:s3/bucketVersioning:BucketVersioning": "configuration only",
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "configuration only",
  "aws:mailmanager/archive:Archive": "SES Mail Manager encrypts archived mail at rest (its own key, or the customer-managed key in kmsKeyArn)",
  "pulumi-nodejs:dynamic/compliance:ConfigurationSetArchivingOptions": "configuration only: a configuration set's archive ARN (#6)",
  "aws:ses/activeReceiptRuleSet:ActiveReceiptRuleSet": "configuration only",
  "aws:ses/identityNotificationTopic:IdentityNotificationTopic": "configuration only",
  "aws:ses/receiptRule:ReceiptRule": "configuration only",
  "aws:ses/receiptRuleSet:ReceiptRuleSet": "configuration only",
  "aws:ses/template:Template": "message template text, no recipient data",
  "aws:sesv2/accountSuppressionAttributes:AccountSuppressionAttributes": "configuration only",
  "aws:sesv2/configurationSet:ConfigurationSet": "configuration only",
  "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination": "configuration only",
  "aws:sns/topicPolicy:TopicPolicy": "configuration only",
  "aws:sns/topicSubscription:TopicSubscription": "configuration only",
  "aws:sqs/queuePolicy:QueuePolicy": "configuration only",
  "aws:sfn/stateMachine:StateMachine": "Step Functions encrypts definitions and execution history at rest (AWS owned key); #3's executions carry object keys and counts, no contact data",
  "aws:sesv2/contactList:ContactList": "SES encrypts contact lists at rest and has no setting for it",
  "aws:scheduler/schedule:Schedule": "EventBridge Scheduler encrypts schedules at rest (AWS owned key by default); #10's hold a segment's SQL and token, no personal data",
});

/** Types the Pulumi engine or this project's components register: they create nothing in AWS. */
function isLogicalType(type: string): boolean {
  return type.startsWith("due:") || type.startsWith("pulumi:");
}

/** Per data-holding type, the check; undefined means the resource is encrypted as configured. */
const ENCRYPTION_CHECKS: Record<string, (r: PolicyResource, resources: PolicyResource[]) => string | undefined> = {
  "aws:s3/bucket:Bucket": (r, resources) =>
    dependents(resources, r, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").length === 0
      ? "bucket has no server-side encryption configuration"
      : undefined,
  "aws:sqs/queue:Queue": (r) => (r.props.sqsManagedSseEnabled !== true && !r.props.kmsMasterKeyId ? "queue has neither SSE-SQS nor a KMS key" : undefined),
  "aws:sns/topic:Topic": (r) => (!r.props.kmsMasterKeyId ? "topic has no KMS key" : undefined),
  "aws:customerprofiles/domain:Domain": (r) => (!r.props.defaultEncryptionKey ? "Customer Profiles domain has no default encryption key" : undefined),
  "aws:dynamodb/table:Table": (r) =>
    (r.props.serverSideEncryption as { enabled?: boolean } | undefined)?.enabled !== true
      ? "table does not enable server-side encryption with a KMS key"
      : undefined,
  "aws:kinesis/stream:Stream": (r) => (r.props.encryptionType !== "KMS" ? "stream is not KMS-encrypted" : undefined),
  // A delivery stream reading a Kinesis stream keeps the source's encryption; Direct PUT needs its own.
  "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (r) =>
    r.props.kinesisSourceConfiguration === undefined && (r.props.serverSideEncryption as { enabled?: boolean } | undefined)?.enabled !== true
      ? "Direct PUT delivery stream does not enable server-side encryption"
      : undefined,
};

export const encryptionAtRest: StackPolicy = {
  name: "encryption-at-rest",
  description:
    "Every resource that holds data is encrypted at rest; every other resource type is declared as holding none. An unknown type fails.",
  validate(resources) {
    const out: Violation[] = [];
    for (const r of resources) {
      const check = ENCRYPTION_CHECKS[r.type];
      if (check !== undefined) {
        const problem = check(r, resources);
        if (problem !== undefined) out.push(violation(this.name, r, problem));
      } else if (DECLARED_WITHOUT_DATA_AT_REST[r.type] === undefined && !isLogicalType(r.type)) {
        out.push(violation(this.name, r, `resource type ${r.type} is neither checked for encryption nor declared as holding no data (policy/policies.ts)`));
      }
    }
    return out;
  },
};

export const queuesFeedingFunctionsHaveDeadLetterQueues: StackPolicy = {
  name: "queue-feeding-function-has-dlq",
  description: "Every SQS queue that feeds a Lambda function has a redrive policy to a dead-letter queue.",
  validate(resources) {
    const out: Violation[] = [];
    const queues = new Map(resources.filter((r) => r.type === "aws:sqs/queue:Queue").map((r) => [r.key, r]));
    for (const mapping of resources.filter((r) => r.type === "aws:lambda/eventSourceMapping:EventSourceMapping")) {
      const source = mapping.props.eventSourceArn;
      // A stream (Kinesis, DynamoDB) feeds the function itself; a queue it depends on is its on-failure destination.
      if (typeof source === "string" && /^arn:aws[a-z-]*:(kinesis|dynamodb):/.test(source)) continue;
      const fromSqs = typeof source === "string" ? source.startsWith("arn:aws") && source.includes(":sqs:") : false;
      const queue = mapping.dependencies.map((d) => queues.get(d)).find((q) => q !== undefined);
      if (!queue && !fromSqs) continue;
      if (!queue) {
        out.push(violation(this.name, mapping, `reads a queue outside this stack (${String(source)}); its DLQ cannot be checked`));
        continue;
      }
      const redrive = parseDocument(queue.props.redrivePolicy) as { deadLetterTargetArn?: string } | undefined;
      if (!redrive?.deadLetterTargetArn) out.push(violation(this.name, queue, `feeds ${mapping.key} but has no dead-letter queue`));
    }
    return out;
  },
};

export const noWildcardActions: StackPolicy = {
  name: "no-wildcard-iam-actions",
  description: "No Allow statement in any IAM, key, queue, topic or bucket policy uses a wildcard action.",
  validate(resources) {
    const out: Violation[] = [];
    for (const r of resources) {
      const documents = (POLICY_DOCUMENT_PROPS[r.type] ?? []).map((prop) => r.props[prop]);
      if (r.type === "aws:iam/role:Role" && Array.isArray(r.props.inlinePolicies)) {
        documents.push(...(r.props.inlinePolicies as { policy?: unknown }[]).map((p) => p.policy));
      }
      for (const document of documents) {
        for (const s of statementsOf(document)) {
          if (s.Effect !== "Allow") continue;
          for (const action of asList(s.Action)) {
            if (action.includes("*") || action.includes("?")) out.push(violation(this.name, r, `allows the wildcard action "${action}"`));
          }
        }
      }
    }
    return out;
  },
};

export const logGroupsHaveRetention: StackPolicy = {
  name: "log-group-retention",
  description: "Every log group has a retention period.",
  validate(resources) {
    return resources
      .filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup")
      .filter((r) => !(typeof r.props.retentionInDays === "number" && r.props.retentionInDays > 0))
      .map((r) => violation(this.name, r, "log group keeps logs forever (no retentionInDays)"));
  },
};

export const bucketsArePrivateAndTlsOnly: StackPolicy = {
  name: "bucket-private-and-tls-only",
  description: "Every bucket blocks all public access and denies requests that do not use TLS.",
  validate(resources) {
    const out: Violation[] = [];
    for (const bucket of resources.filter((r) => r.type === "aws:s3/bucket:Bucket")) {
      const blocks = dependents(resources, bucket, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
      const fullyBlocked = blocks.some((b) =>
        ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((k) => b.props[k] === true),
      );
      if (!fullyBlocked) out.push(violation(this.name, bucket, "bucket does not block all four kinds of public access"));
      const policies = dependents(resources, bucket, "aws:s3/bucketPolicy:BucketPolicy");
      const tlsOnly = policies.some((p) =>
        statementsOf(p.props.policy).some(
          (s) => s.Effect === "Deny" && String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false",
        ),
      );
      if (!tlsOnly) out.push(violation(this.name, bucket, "bucket policy does not deny non-TLS requests"));
    }
    return out;
  },
};

export const noDeprecatedLambdaRuntime: StackPolicy = {
  name: "no-deprecated-lambda-runtime",
  description: "No Lambda function uses a runtime AWS has deprecated.",
  validate(resources) {
    return resources
      .filter((r) => r.type === "aws:lambda/function:Function")
      .filter((r) => typeof r.props.runtime === "string" && DEPRECATED_LAMBDA_RUNTIMES.has(r.props.runtime))
      .map((r) => violation(this.name, r, `runtime ${String(r.props.runtime)} is deprecated`));
  },
};

export const POLICIES: StackPolicy[] = [
  encryptionAtRest,
  queuesFeedingFunctionsHaveDeadLetterQueues,
  noWildcardActions,
  logGroupsHaveRetention,
  bucketsArePrivateAndTlsOnly,
  noDeprecatedLambdaRuntime,
];

/** Runs every policy over a stack's resources. */
export function runPolicies(resources: PolicyResource[], policies: StackPolicy[] = POLICIES): Violation[] {
  return policies.flatMap((p) => p.validate(resources));
}
