import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { SecureBucket, validateSecureBucketArgs } from "../../components/shared";
import { build, thrownMessage } from "../harness/pulumi";

describe("SecureBucket", () => {
  it("owns the bucket's one notification configuration: every consumer in one resource, after their permissions and the bucket's setup", async () => {
    const built = await build(() => {
      const bucket = new SecureBucket("files", {});
      const permission = new aws.lambda.Permission("files-invoke", { action: "lambda:InvokeFunction", function: "fn", principal: "s3.amazonaws.com" }, { parent: bucket });
      bucket.notify(
        "consumer-notification",
        { lambdaFunctions: [{ functionArn: "arn:aws:lambda:us-east-1:123456789012:function:fn", events: ["s3:ObjectCreated:*"], filterPrefix: "in/", permission }], eventBridge: true },
        { parent: bucket },
      );
    });
    expect(built.inputs("consumer-notification")).to.deep.equal({
      bucket: "files-bucket-id",
      lambdaFunctions: [{ lambdaFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:fn", events: ["s3:ObjectCreated:*"], filterPrefix: "in/" }],
      eventbridge: true,
    });
    expect(built.one("consumer-notification").dependencies).to.include.members([
      "aws:lambda/permission:Permission::files-invoke",
      "aws:s3/bucketPolicy:BucketPolicy::files-policy",
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::files-public-access",
    ]);
  });

  it("refuses a second notification configuration, which would overwrite the first", async () => {
    let message = "";
    await build(() => {
      const bucket = new SecureBucket("files", {});
      bucket.notify("first", { eventBridge: true }, { parent: bucket });
      try {
        bucket.notify("second", { eventBridge: true }, { parent: bucket });
      } catch (error) {
        message = (error as Error).message;
      }
    });
    expect(message).to.equal("files: the bucket's notifications are already configured; register every consumer in one notify() call");
  });

  it("creates the bucket with public access blocked, ACLs disabled, encryption, versioning, lifecycle and a policy", async () => {
    const built = await build(() => new SecureBucket("files", {}));
    expect(built.childrenOf("files")).to.deep.equal([
      "aws:s3/bucket:Bucket::files-bucket",
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::files-public-access",
      "aws:s3/bucketOwnershipControls:BucketOwnershipControls::files-ownership",
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration::files-encryption",
      "aws:s3/bucketVersioning:BucketVersioning::files-versioning",
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration::files-lifecycle",
      "aws:s3/bucketPolicy:BucketPolicy::files-policy",
    ]);
    expect(built.inputs("files-public-access")).to.deep.equal({
      bucket: "files-bucket-id",
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(built.inputs("files-ownership")).to.deep.equal({ bucket: "files-bucket-id", rule: { objectOwnership: "BucketOwnerEnforced" } });
    expect(built.inputs("files-encryption").rules).to.deep.equal([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
    expect(built.inputs("files-versioning").versioningConfiguration).to.deep.equal({ status: "Enabled" });
    expect(built.inputs("files-bucket")).to.deep.equal({ forceDestroy: false });
  });

  it("denies every non-TLS request to the bucket and its objects, before any extra statement", async () => {
    const extra = { Sid: "Extra", Effect: "Allow" as const, Principal: { Service: "logging.s3.amazonaws.com" }, Action: "s3:PutObject", Resource: "x" };
    const built = await build(() => new SecureBucket("files", { extraPolicyStatements: [extra] }));
    expect(built.statements("files-policy")).to.deep.equal([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: ["arn:aws:s3:::files-bucket-0000000", "arn:aws:s3:::files-bucket-0000000/*"],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      extra,
    ]);
  });

  it("always aborts stale multipart uploads and expires noncurrent versions, then applies the caller's rules", async () => {
    const built = await build(
      () => new SecureBucket("files", { lifecycleRules: [{ id: "processed", prefix: "processed/", transitionToInfrequentAccessDays: 30, expirationDays: 365 }] }),
    );
    expect(built.inputs("files-lifecycle").rules).to.deep.equal([
      {
        id: "hygiene",
        status: "Enabled",
        filter: { prefix: "" },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        noncurrentVersionExpiration: { noncurrentDays: 30 },
      },
      {
        id: "processed",
        status: "Enabled",
        filter: { prefix: "processed/" },
        transitions: [{ days: 30, storageClass: "STANDARD_IA" }],
        expiration: { days: 365 },
      },
    ]);
  });

  it("uses SSE-KMS with a bucket key when given a key", async () => {
    const key = "arn:aws:kms:us-east-1:123456789012:key/k";
    const built = await build(() => new SecureBucket("files", { kmsKeyArn: key, versioning: false }));
    expect(built.inputs("files-encryption").rules).to.deep.equal([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key }, bucketKeyEnabled: true },
    ]);
    expect(built.inputs("files-versioning").versioningConfiguration).to.deep.equal({ status: "Suspended" });
    expect(built.inputs("files-lifecycle").rules).to.deep.equal([
      { id: "hygiene", status: "Enabled", filter: { prefix: "" }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
    ]);
  });

  it("reports every invalid lifecycle rule at once", () => {
    expect(
      thrownMessage(() =>
        validateSecureBucketArgs({
          lifecycleRules: [
            { id: "hygiene" },
            { id: "a", transitionToInfrequentAccessDays: 10, expirationDays: 5 },
          ],
          noncurrentVersionExpirationDays: 0,
        }),
      ),
    ).to.equal(
      [
        "SecureBucket: invalid arguments:",
        '  - lifecycleRules[0].id "hygiene" is already used',
        "  - lifecycleRules[1].transitionToInfrequentAccessDays must be at least 30 (an S3 minimum for STANDARD_IA), got 10",
        "  - lifecycleRules[1].expirationDays must be later than transitionToInfrequentAccessDays",
        "  - noncurrentVersionExpirationDays must be at least 1, got 0",
      ].join("\n"),
    );
  });
});
