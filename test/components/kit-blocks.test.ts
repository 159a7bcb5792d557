import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { arnBuilder } from "../../components/shared/arn";
import { existingOrCreate } from "../../components/shared/existing-or-create";
import { firehoseToBucket } from "../../components/shared/firehose-to-bucket";
import { build } from "../harness/pulumi";
import { runUnderMocks } from "../../stacks/plan/mock-runtime";

const resolve = <T>(output: pulumi.Output<T>) => new Promise<T>((r) => output.apply(r));

describe("kit: small building blocks", () => {
  it("arnBuilder builds ARNs in the stack's partition, Region and account", async () => {
    const run = await runUnderMocks(async () => resolve(arnBuilder({})("ses", pulumi.output("configuration-set/x"))), { stack: "arn" });
    expect(run.result).to.equal("arn:aws:ses:us-east-1:123456789012:configuration-set/x");
  });

  it("arnBuilder asks only for what is used, once: the account id alone is one invoke", async () => {
    const run = await runUnderMocks(
      async () => {
        const arn = arnBuilder({});
        return [await resolve(arn.accountId), await resolve(arn.accountId)];
      },
      { stack: "lazy" },
    );
    expect(run.result).to.deep.equal(["123456789012", "123456789012"]);
    expect(run.invokes.map((i) => i.token)).to.deep.equal(["aws:index/getCallerIdentity:getCallerIdentity"]);
  });

  it("existingOrCreate creates nothing when an existing value is named, and uses it", async () => {
    const run = await runUnderMocks(
      async () => {
        const choice = existingOrCreate("existing-topic-arn", () => new aws.sns.Topic("t", {}), (t) => t.arn);
        return { created: choice.created, value: await resolve(choice.value) };
      },
      { stack: "existing" },
    );
    expect(run.resources.filter((r) => r.type === "aws:sns/topic:Topic")).to.have.length(0);
    expect(run.result).to.deep.equal({ created: undefined, value: "existing-topic-arn" });
  });

  it("existingOrCreate creates the resource when nothing is named, and uses its value", async () => {
    const run = await runUnderMocks(
      async () => {
        const choice = existingOrCreate<aws.sns.Topic, string>(undefined, () => new aws.sns.Topic("t", { name: "created-topic" }), (t) => t.name);
        return { created: choice.created !== undefined, value: await resolve(choice.value) };
      },
      { stack: "create" },
    );
    expect(run.resources.filter((r) => r.type === "aws:sns/topic:Topic").map((r) => r.name)).to.deep.equal(["t"]);
    expect(run.result).to.deep.equal({ created: true, value: "created-topic" });
  });

  it("firehoseToBucket: an encrypted Direct PUT stream, its own error log, and a role only this account's Firehose may assume, scoped to the bucket and the log stream", async () => {
    const built = await build(() => {
      const parent = new pulumi.ComponentResource("test:index:Parent", "lake");
      firehoseToBucket(
        "lake",
        {
          bucketArn: "arn:aws:s3:::lake-bucket",
          prefix: "events/!{timestamp:yyyy/MM/dd/HH}/",
          errorOutputPrefix: "errors/!{firehose:error-output-type}/",
          bufferingIntervalSeconds: 60,
          bufferingSizeMb: 5,
          logRetentionInDays: 30,
        },
        { parent },
      );
    });
    expect(built.childrenOf("lake")).to.deep.equal([
      "aws:cloudwatch/logGroup:LogGroup::lake-firehose-logs",
      "aws:cloudwatch/logStream:LogStream::lake-firehose-log-stream",
      "aws:iam/role:Role::lake-firehose-role",
      "aws:iam/rolePolicy:RolePolicy::lake-firehose-policy",
      "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream::lake-delivery-stream",
    ]);
    expect(built.statements("lake-firehose-role", "assumeRolePolicy")).to.deep.equal([
      { Effect: "Allow", Principal: { Service: "firehose.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "sts:ExternalId": "123456789012" } } },
    ]);
    const statements = built.statements("lake-firehose-policy");
    expect(statements.map((s) => s.Sid)).to.deep.equal(["DeliverToBucket", "LogDeliveryErrors"]);
    expect(statements[0].Resource).to.deep.equal(["arn:aws:s3:::lake-bucket", "arn:aws:s3:::lake-bucket/*"]);
    const stream = built.inputs("lake-delivery-stream");
    expect(stream.serverSideEncryption).to.deep.equal({ enabled: true, keyType: "AWS_OWNED_CMK" });
    expect((stream.extendedS3Configuration as Record<string, unknown>).errorOutputPrefix).to.equal("errors/!{firehose:error-output-type}/");
    expect((stream.extendedS3Configuration as Record<string, unknown>).compressionFormat).to.equal("GZIP");
    expect(built.one("lake-delivery-stream").dependencies).to.include("aws:iam/rolePolicy:RolePolicy::lake-firehose-policy");
  });
});
