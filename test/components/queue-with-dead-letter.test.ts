import { expect } from "chai";
import { QueueWithDeadLetter, fifoQueueName, serviceSendStatement, validateQueueArgs } from "../../components/shared";
import { build, thrownMessage } from "../harness/pulumi";

const ACCOUNT = "123456789012";

describe("QueueWithDeadLetter", () => {
  it("creates the DLQ, the queue, both HTTPS-only policies and a DLQ-depth alarm", async () => {
    const built = await build(() => new QueueWithDeadLetter("jobs", {}));
    expect(built.childrenOf("jobs")).to.deep.equal([
      "aws:sqs/queue:Queue::jobs-dlq",
      "aws:sqs/queue:Queue::jobs-queue",
      "aws:sqs/queuePolicy:QueuePolicy::jobs-policy",
      "aws:sqs/queuePolicy:QueuePolicy::jobs-dlq-policy",
      "aws:cloudwatch/metricAlarm:MetricAlarm::jobs-dlq-depth",
    ]);
  });

  it("encrypts both queues with SSE-SQS and redrives to the DLQ after 5 receives by default", async () => {
    const built = await build(() => new QueueWithDeadLetter("jobs", {}));
    expect(built.inputs("jobs-queue")).to.deep.equal({
      sqsManagedSseEnabled: true,
      visibilityTimeoutSeconds: 180,
      messageRetentionSeconds: 345600,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:jobs-dlq-0000000`, maxReceiveCount: 5 }),
    });
    expect(built.inputs("jobs-dlq")).to.deep.equal({ sqsManagedSseEnabled: true, messageRetentionSeconds: 1209600 });
  });

  it("uses the given customer-managed key on both queues", async () => {
    const key = "arn:aws:kms:us-east-1:123456789012:key/abc";
    const built = await build(() => new QueueWithDeadLetter("jobs", { kmsKeyArn: key }));
    for (const name of ["jobs-queue", "jobs-dlq"]) {
      expect(built.inputs(name)).to.include({ kmsMasterKeyId: key, kmsDataKeyReusePeriodSeconds: 300 });
      expect(built.inputs(name)).to.not.have.property("sqsManagedSseEnabled");
    }
  });

  it("denies non-TLS access and lets a service send only on behalf of its source", async () => {
    const topic = "arn:aws:sns:us-east-1:123456789012:feedback";
    const built = await build(() => new QueueWithDeadLetter("jobs", { allowedSenders: [{ service: "sns.amazonaws.com", sourceArn: topic }] }));
    const queueArn = `arn:aws:sqs:us-east-1:${ACCOUNT}:jobs-queue-0000000`;
    expect(built.statements("jobs-policy")).to.deep.equal([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sqs:*",
        Resource: [queueArn],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "AllowSNSSend",
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": topic } },
      },
    ]);
    expect(built.statements("jobs-dlq-policy").map((s) => s.Effect)).to.deep.equal(["Deny"]);
  });

  it("creates FIFO queues with explicit .fifo names, and alarms on the DLQ's depth", async () => {
    const built = await build(() => new QueueWithDeadLetter("sms", { fifo: true, alarmActions: ["arn:aws:sns:us-east-1:123456789012:alarms"] }));
    expect(built.inputs("sms-queue")).to.include({ fifoQueue: true, name: "digital-user-engagement-test-sms-queue.fifo", contentBasedDeduplication: false });
    expect(built.inputs("sms-dlq")).to.include({ fifoQueue: true, name: "digital-user-engagement-test-sms-dlq.fifo" });
    expect(built.inputs("sms-dlq-depth")).to.include({
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    });
    expect(built.inputs("sms-dlq-depth").dimensions).to.deep.equal({ QueueName: "digital-user-engagement-test-sms-dlq.fifo" });
    expect(built.inputs("sms-dlq-depth").alarmActions).to.deep.equal(["arn:aws:sns:us-east-1:123456789012:alarms"]);
  });

  it("uses an existing DLQ without creating one", async () => {
    const dlq = "arn:aws:sqs:us-east-1:123456789012:shared-dlq";
    const built = await build(() => new QueueWithDeadLetter("jobs", { existingDeadLetterQueueArn: dlq }));
    expect(built.has("jobs-dlq")).to.equal(false);
    expect(JSON.parse(built.inputs("jobs-queue").redrivePolicy as string)).to.deep.equal({ deadLetterTargetArn: dlq, maxReceiveCount: 5 });
  });

  it("rejects a DLQ whose FIFO setting differs from the queue's, with an exact error", () => {
    expect(thrownMessage(() => validateQueueArgs({ fifo: true, existingDeadLetterQueueArn: "arn:aws:sqs:us-east-1:123456789012:dlq" }))).to.equal(
      'QueueWithDeadLetter: invalid arguments:\n  - existingDeadLetterQueueArn must be a FIFO queue to match fifo: true, got "arn:aws:sqs:us-east-1:123456789012:dlq"',
    );
    expect(thrownMessage(() => validateQueueArgs({ existingDeadLetterQueueArn: "arn:aws:sqs:us-east-1:123456789012:dlq.fifo" }))).to.equal(
      'QueueWithDeadLetter: invalid arguments:\n  - existingDeadLetterQueueArn must be a standard queue to match fifo: false, got "arn:aws:sqs:us-east-1:123456789012:dlq.fifo"',
    );
  });

  it("reports every other invalid argument at once", () => {
    expect(
      thrownMessage(() => validateQueueArgs({ maxReceiveCount: 0, visibilityTimeoutSeconds: 50000, messageRetentionSeconds: 10, contentBasedDeduplication: true })),
    ).to.equal(
      [
        "QueueWithDeadLetter: invalid arguments:",
        "  - maxReceiveCount must be between 1 and 1000, got 0",
        "  - visibilityTimeoutSeconds must be between 0 and 43200, got 50000",
        "  - messageRetentionSeconds must be between 60 and 1209600, got 10",
        "  - contentBasedDeduplication applies only to FIFO queues (fifo: true)",
      ].join("\n"),
    );
  });

  it("names a sender statement after its service", () => {
    expect(serviceSendStatement("q", { service: "s3.amazonaws.com", sourceArn: "b" }).Sid).to.equal("AllowS3Send");
  });
});

describe("fifoQueueName", () => {
  it("ends in .fifo and stays within 80 characters, with a hash keeping long names distinct", async () => {
    const names: string[] = [];
    await build(() => {
      names.push(fifoQueueName("a".repeat(100)), fifoQueueName(`${"a".repeat(99)}b`), fifoQueueName("short"));
    });
    expect(names[0]).to.have.length(80);
    expect(names[0].endsWith(".fifo")).to.equal(true);
    expect(names[0]).to.not.equal(names[1]);
    expect(names[2]).to.equal("digital-user-engagement-test-short.fifo");
  });
});
