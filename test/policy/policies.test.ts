import { expect } from "chai";
import {
  PolicyResource,
  bucketsArePrivateAndTlsOnly,
  DECLARED_WITHOUT_DATA_AT_REST,
  encryptionAtRest,
  logGroupsHaveRetention,
  noDeprecatedLambdaRuntime,
  noWildcardActions,
  queuesFeedingFunctionsHaveDeadLetterQueues,
  runPolicies,
} from "../../policy/policies";
import { PACK_POLICIES } from "../../policy/pack";

function resource(type: string, name: string, props: Record<string, unknown> = {}, dependencies: string[] = []): PolicyResource {
  return { key: `${type}::${name}`, type, name, props, dependencies };
}

const doc = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const BUCKET = "aws:s3/bucket:Bucket";
const QUEUE = "aws:sqs/queue:Queue";

describe("policy: encryption-at-rest", () => {
  it("flags an unencrypted queue, topic, table, stream, Direct PUT delivery stream and a bucket without SSE", () => {
    const violations = encryptionAtRest.validate([
      resource(QUEUE, "plain-queue"),
      resource("aws:sns/topic:Topic", "plain-topic"),
      resource("aws:dynamodb/table:Table", "plain-table"),
      resource("aws:kinesis/stream:Stream", "plain-stream", { encryptionType: "NONE" }),
      resource("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "plain-firehose"),
      resource(BUCKET, "plain-bucket"),
    ]);
    expect(violations.map((v) => `${v.resource}: ${v.message}`)).to.deep.equal([
      "aws:sqs/queue:Queue::plain-queue: queue has neither SSE-SQS nor a KMS key",
      "aws:sns/topic:Topic::plain-topic: topic has no KMS key",
      "aws:dynamodb/table:Table::plain-table: table does not enable server-side encryption with a KMS key",
      "aws:kinesis/stream:Stream::plain-stream: stream is not KMS-encrypted",
      "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream::plain-firehose: Direct PUT delivery stream does not enable server-side encryption",
      "aws:s3/bucket:Bucket::plain-bucket: bucket has no server-side encryption configuration",
    ]);
  });

  it("accepts encrypted resources, including a bucket whose SSE configuration depends on it", () => {
    expect(
      encryptionAtRest.validate([
        resource(QUEUE, "q", { sqsManagedSseEnabled: true }),
        resource(QUEUE, "k", { kmsMasterKeyId: "arn:aws:kms:us-east-1:123456789012:key/k" }),
        resource("aws:sns/topic:Topic", "t", { kmsMasterKeyId: "k" }),
        resource("aws:dynamodb/table:Table", "d", { serverSideEncryption: { enabled: true } }),
        resource(BUCKET, "b"),
        resource("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "b-sse", {}, [`${BUCKET}::b`]),
      ]),
    ).to.deep.equal([]);
  });
});

describe("policy: encryption-at-rest fails closed", () => {
  it("fails on a resource type it neither checks nor declares as holding no data, naming the type", () => {
    expect(encryptionAtRest.validate([resource("aws:efs/fileSystem:FileSystem", "events")])).to.deep.equal([
      {
        policy: "encryption-at-rest",
        resource: "aws:efs/fileSystem:FileSystem::events",
        message:
          "resource type aws:efs/fileSystem:FileSystem is neither checked for encryption nor declared as holding no data (policy/policies.ts)",
      },
    ]);
  });

  it("passes declared data-free types, this project's components and the engine's own resources", () => {
    expect(
      encryptionAtRest.validate([
        resource("aws:iam/role:Role", "r"),
        resource("aws:cloudwatch/logGroup:LogGroup", "lg", { retentionInDays: 30 }),
        resource("due:email:SesEventProcessing", "c"),
        resource("pulumi:pulumi:Stack", "s"),
        resource("pulumi:providers:aws", "p"),
      ]),
    ).to.deep.equal([]);
  });

  it("gives a reason for every declared type", () => {
    for (const [type, reason] of Object.entries(DECLARED_WITHOUT_DATA_AT_REST)) {
      // Provider types, and dynamic resources registered under a module and type of their own.
      expect(type, type).to.match(/^(aws:[a-z0-9]+\/[A-Za-z0-9]+|pulumi-nodejs:dynamic\/[a-z0-9]+):[A-Za-z0-9]+$/);
      expect(reason.length, type).to.be.greaterThan(5);
    }
  });
});

describe("policy: queue-feeding-function-has-dlq", () => {
  const mapping = resource("aws:lambda/eventSourceMapping:EventSourceMapping", "esm", { eventSourceArn: "arn:aws:sqs:us-east-1:1:q" }, [`${QUEUE}::q`]);

  it("flags a queue that feeds a function but has no redrive policy", () => {
    expect(queuesFeedingFunctionsHaveDeadLetterQueues.validate([resource(QUEUE, "q", {}), mapping])).to.deep.equal([
      {
        policy: "queue-feeding-function-has-dlq",
        resource: `${QUEUE}::q`,
        message: "feeds aws:lambda/eventSourceMapping:EventSourceMapping::esm but has no dead-letter queue",
      },
    ]);
  });

  it("accepts a queue with a dead-letter target, and ignores queues nothing reads", () => {
    const redrive = JSON.stringify({ deadLetterTargetArn: "arn:aws:sqs:us-east-1:1:dlq", maxReceiveCount: 5 });
    expect(queuesFeedingFunctionsHaveDeadLetterQueues.validate([resource(QUEUE, "q", { redrivePolicy: redrive }), mapping, resource(QUEUE, "dlq")])).to.deep.equal([]);
  });

  it("does not mistake a stream mapping's on-failure queue for a queue feeding the function", () => {
    const fromStream = resource(
      "aws:lambda/eventSourceMapping:EventSourceMapping",
      "kinesis-esm",
      { eventSourceArn: "arn:aws:kinesis:us-east-1:1:stream/events", destinationConfig: { onFailure: { destinationArn: "arn:aws:sqs:us-east-1:1:failures" } } },
      [`${QUEUE}::failures`],
    );
    expect(queuesFeedingFunctionsHaveDeadLetterQueues.validate([resource(QUEUE, "failures", {}), fromStream])).to.deep.equal([]);
  });
});

describe("policy: no-wildcard-iam-actions", () => {
  it("flags a wildcard action in a role policy, an inline role policy and a queue policy's Allow", () => {
    const violations = noWildcardActions.validate([
      resource("aws:iam/rolePolicy:RolePolicy", "rp", { policy: doc({ Effect: "Allow", Action: ["s3:GetObject", "s3:*"], Resource: "*" }) }),
      resource("aws:iam/role:Role", "r", { assumeRolePolicy: doc({ Effect: "Allow", Action: "sts:AssumeRole" }), inlinePolicies: [{ policy: doc({ Effect: "Allow", Action: "*" }) }] }),
      resource("aws:sqs/queuePolicy:QueuePolicy", "qp", { policy: doc({ Effect: "Allow", Action: "sqs:Send*" }) }),
    ]);
    expect(violations.map((v) => `${v.resource}: ${v.message}`)).to.deep.equal([
      'aws:iam/rolePolicy:RolePolicy::rp: allows the wildcard action "s3:*"',
      'aws:iam/role:Role::r: allows the wildcard action "*"',
      'aws:sqs/queuePolicy:QueuePolicy::qp: allows the wildcard action "sqs:Send*"',
    ]);
  });

  it("accepts exact actions, and wildcards in Deny statements", () => {
    expect(
      noWildcardActions.validate([
        resource("aws:s3/bucketPolicy:BucketPolicy", "bp", { policy: doc({ Effect: "Deny", Action: "s3:*" }, { Effect: "Allow", Action: "s3:PutObject" }) }),
      ]),
    ).to.deep.equal([]);
  });
});

describe("policy: log-group-retention", () => {
  it("flags a log group that keeps logs forever, and accepts one with retention", () => {
    expect(
      logGroupsHaveRetention.validate([
        resource("aws:cloudwatch/logGroup:LogGroup", "forever"),
        resource("aws:cloudwatch/logGroup:LogGroup", "month", { retentionInDays: 30 }),
      ]),
    ).to.deep.equal([{ policy: "log-group-retention", resource: "aws:cloudwatch/logGroup:LogGroup::forever", message: "log group keeps logs forever (no retentionInDays)" }]);
  });
});

describe("policy: bucket-private-and-tls-only", () => {
  const pab = (on: boolean) =>
    resource(
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      "pab",
      { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: on },
      [`${BUCKET}::b`],
    );
  const tls = resource(
    "aws:s3/bucketPolicy:BucketPolicy",
    "bp",
    { policy: doc({ Effect: "Deny", Action: "s3:*", Principal: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } }) },
    [`${BUCKET}::b`],
  );

  it("flags a bucket with partial public-access blocking and no TLS-only policy", () => {
    expect(bucketsArePrivateAndTlsOnly.validate([resource(BUCKET, "b"), pab(false)]).map((v) => v.message)).to.deep.equal([
      "bucket does not block all four kinds of public access",
      "bucket policy does not deny non-TLS requests",
    ]);
  });

  it("accepts a fully blocked bucket with a TLS-only policy", () => {
    expect(bucketsArePrivateAndTlsOnly.validate([resource(BUCKET, "b"), pab(true), tls])).to.deep.equal([]);
  });
});

describe("policy: no-deprecated-lambda-runtime", () => {
  it("flags nodejs20.x and python3.7, and accepts nodejs22.x", () => {
    const violations = noDeprecatedLambdaRuntime.validate([
      resource("aws:lambda/function:Function", "old-node", { runtime: "nodejs20.x" }),
      resource("aws:lambda/function:Function", "old-python", { runtime: "python3.7" }),
      resource("aws:lambda/function:Function", "current", { runtime: "nodejs22.x" }),
    ]);
    expect(violations.map((v) => v.message)).to.deep.equal(["runtime nodejs20.x is deprecated", "runtime python3.7 is deprecated"]);
  });
});

describe("runPolicies", () => {
  it("runs every policy and concatenates their violations", () => {
    const violations = runPolicies([resource(QUEUE, "q"), resource("aws:cloudwatch/logGroup:LogGroup", "l")]);
    expect(violations.map((v) => v.policy)).to.deep.equal(["encryption-at-rest", "log-group-retention"]);
  });
});

describe("the Pulumi policy pack", () => {
  it("runs each plain policy over the engine's resources, relating them through their dependencies", async () => {
    const bucket = { type: BUCKET, name: "b", urn: "urn:b", props: {}, dependencies: [] };
    const sse = {
      type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      name: "b-sse",
      urn: "urn:sse",
      props: {},
      dependencies: [bucket],
    };
    const queue = { type: QUEUE, name: "q", urn: "urn:q", props: {}, dependencies: [] };
    const resources = [bucket, sse, queue] as unknown as Parameters<NonNullable<(typeof PACK_POLICIES)[number]["validateStack"]>>[0]["resources"];
    const reported: string[] = [];
    const encryption = PACK_POLICIES.find((p) => p.name === "encryption-at-rest")!;
    expect(encryption.enforcementLevel).to.equal("mandatory");
    await encryption.validateStack({ resources, getConfig: () => ({}) } as never, (message: string) => reported.push(message));
    expect(reported).to.deep.equal(["aws:sqs/queue:Queue::q: queue has neither SSE-SQS nor a KMS key"]);
    expect(PACK_POLICIES.map((p) => p.name)).to.deep.equal([
      "encryption-at-rest",
      "queue-feeding-function-has-dlq",
      "no-wildcard-iam-actions",
      "log-group-retention",
      "bucket-private-and-tls-only",
      "no-deprecated-lambda-runtime",
    ]);
  });
});
