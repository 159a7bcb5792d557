import { expect } from "chai";
import { PINPOINT_EVENT_PROCESSING, PinpointEventProcessing, PinpointEventProcessingArgs } from "../../components/email/pinpoint-event-processing";
import { resolveSettings } from "../../components/kit/contract";
import { createStack, parseStackConfig, StackConfigError } from "../../stacks";
import { pinpointEventProcessingArchitecture } from "../../stacks/architectures/pinpoint-event-processing";
import { physicalNameProblems, physicalNames } from "../harness/physical-names";
import { allowedActions, build, stackConfigFailure, thrownMessage } from "../harness/pulumi";

const ACCOUNT = "123456789012";
const APP_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const BUCKET_ARN = "arn:aws:s3:::pp-events-bucket-0000000";
// The offline mocks give Firehose their generic ARN shape (the real one is arn:aws:firehose:…:deliverystream/<name>).
const STREAM_ARN = `arn:aws:kinesis:us-east-1:${ACCOUNT}:firehoseDeliveryStream/pp-delivery-stream-0000000`;
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:pp-processor-function-0000000`;
const FAILURE_QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:pp-failures-0000000`;

const LEGACY = { target: "pinpoint", existingPinpointApplicationId: APP_ID } satisfies PinpointEventProcessingArgs;
const make = (args: PinpointEventProcessingArgs = {}) => () => new PinpointEventProcessing("pp", args);

describe("PinpointEventProcessing", () => {
  describe('target "configuration-set" (default)', () => {
    it("composes architecture #1 as its only child, fed by the given configuration set", async () => {
      const built = await build(make({ configurationSetName: "pinpoint-email", enableAccountSuppression: true }));
      expect(built.childrenOf("pp")).to.deep.equal(["due:email:SesEventProcessing::pp-ses-events"]);
      expect(built.has("pp-ses-events-configuration-set")).to.equal(false);
      expect(built.inputs("pp-ses-events-event-destination")).to.include({ configurationSetName: "pinpoint-email" });
      expect(built.inputs("pp-ses-events-account-suppression")).to.deep.equal({ suppressedReasons: ["BOUNCE", "COMPLAINT"] });
      expect(built.ofType("aws:pinpoint/eventStream:EventStream")).to.deep.equal([]);
      expect(built.ofType("aws:pinpoint/app:App")).to.deep.equal([]);
    });

    it("gives the composed #1 its own event destination name, within SES's 64 characters", async () => {
      const built = await build(make({ configurationSetName: "pinpoint-email" }));
      expect(built.inputs("pp-ses-events-event-destination").eventDestinationName).to.equal("digital-user-engagement-test-pp-ses-events-feedback");
      const long = await build(() => new PinpointEventProcessing(`pp-${"z".repeat(57)}`, { configurationSetName: "pinpoint-email" }));
      expect(physicalNameProblems(long.resources)).to.deep.equal([]);
    });

    it("lets #1 create a configuration set when none is given", async () => {
      const built = await build(make());
      expect(built.inputs("pp-ses-events-configuration-set")).to.include({ configurationSetName: "digital-user-engagement-test-pp-ses-events" });
    });
  });

  describe('target "pinpoint" (legacy)', () => {
    it("creates exactly the bucket, Firehose with logging, the stream role, the event stream, tables, processor and notification", async () => {
      const built = await build(make(LEGACY));
      expect(built.childrenOf("pp")).to.deep.equal([
        "due:shared:SecureBucket::pp-events",
        "aws:cloudwatch/logGroup:LogGroup::pp-firehose-logs",
        "aws:cloudwatch/logStream:LogStream::pp-firehose-log-stream",
        "aws:iam/role:Role::pp-firehose-role",
        "aws:iam/rolePolicy:RolePolicy::pp-firehose-policy",
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream::pp-delivery-stream",
        "aws:iam/role:Role::pp-stream-role",
        "aws:iam/rolePolicy:RolePolicy::pp-stream-policy",
        "aws:pinpoint/eventStream:EventStream::pp-event-stream",
        "aws:dynamodb/table:Table::pp-contacts",
        "aws:dynamodb/table:Table::pp-idempotency",
        "aws:sqs/queue:Queue::pp-failures",
        "aws:sqs/queuePolicy:QueuePolicy::pp-failures-policy",
        "aws:cloudwatch/metricAlarm:MetricAlarm::pp-failures-depth",
        "due:shared:BundledFunction::pp-processor",
        "aws:lambda/permission:Permission::pp-s3-invoke-permission",
        "aws:s3/bucketNotification:BucketNotification::pp-notification",
        "aws:cloudwatch/dashboard:Dashboard::pp-dashboard",
      ]);
    });

    it("keeps every physical name within its AWS limit when the component has a 60-character name", async () => {
      const built = await build(() => new PinpointEventProcessing(`pp-${"y".repeat(57)}`, LEGACY));
      expect(physicalNameProblems(built.resources)).to.deep.equal([]);
      expect(physicalNames(built.resources).map((n) => n.resource.split("::")[0])).to.include.members([
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
        "aws:s3/bucket:Bucket",
        "aws:iam/role:Role",
        "aws:lambda/permission:Permission",
        "aws:lambda/function:Function",
      ]);
    });

    it("creates the Pinpoint project only when asked", async () => {
      const built = await build(make({ target: "pinpoint", createPinpointApplication: true, pinpointApplicationName: "My Project" }));
      expect(built.childrenOf("pp")[0]).to.equal("aws:pinpoint/app:App::pp-app");
      expect(built.inputs("pp-app")).to.deep.equal({ name: "My Project" });
    });

    it("delivers GZIP objects under events/ with an error-output prefix, encryption and CloudWatch logging", async () => {
      const built = await build(make(LEGACY));
      expect(built.inputs("pp-delivery-stream")).to.deep.equal({
        destination: "extended_s3",
        serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
        extendedS3Configuration: {
          roleArn: `arn:aws:iam::${ACCOUNT}:role/pp-firehose-role-0000000`,
          bucketArn: BUCKET_ARN,
          prefix: "events/!{timestamp:yyyy/MM/dd/HH}/",
          errorOutputPrefix: "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/",
          bufferingInterval: 300,
          bufferingSize: 5,
          compressionFormat: "GZIP",
          cloudwatchLoggingOptions: { enabled: true, logGroupName: "/aws/kinesisfirehose/pp-0000000", logStreamName: "S3Delivery" },
        },
      });
      expect(built.inputs("pp-firehose-logs")).to.deep.equal({ namePrefix: "/aws/kinesisfirehose/pp-", retentionInDays: 30 });
    });

    it("scopes the Firehose role to this bucket, its objects and its log stream, trusted only in this account", async () => {
      const built = await build(make(LEGACY));
      expect(built.statements("pp-firehose-policy")).to.deep.equal([
        {
          Sid: "DeliverToBucket",
          Effect: "Allow",
          Action: [
            "s3:AbortMultipartUpload",
            "s3:GetBucketLocation",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:ListBucketMultipartUploads",
            "s3:PutObject",
          ],
          Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
        },
        {
          Sid: "LogDeliveryErrors",
          Effect: "Allow",
          Action: "logs:PutLogEvents",
          Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/kinesisfirehose/pp-0000000:log-stream:S3Delivery`,
        },
      ]);
      expect(built.statements("pp-firehose-role", "assumeRolePolicy")).to.deep.equal([
        {
          Effect: "Allow",
          Principal: { Service: "firehose.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "sts:ExternalId": ACCOUNT } },
        },
      ]);
    });

    it("lets Pinpoint assume the stream role only for this project, and put records only into this stream", async () => {
      const built = await build(make(LEGACY));
      expect(built.statements("pp-stream-role", "assumeRolePolicy")).to.deep.equal([
        {
          Effect: "Allow",
          Principal: { Service: "pinpoint.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:SourceAccount": ACCOUNT },
            ArnLike: { "aws:SourceArn": `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/${APP_ID}` },
          },
        },
      ]);
      expect(built.statements("pp-stream-policy")).to.deep.equal([
        { Sid: "PutEvents", Effect: "Allow", Action: ["firehose:PutRecordBatch", "firehose:DescribeDeliveryStream"], Resource: STREAM_ARN },
      ]);
      expect(built.inputs("pp-event-stream")).to.deep.equal({
        applicationId: APP_ID,
        destinationStreamArn: STREAM_ARN,
        roleArn: `arn:aws:iam::${ACCOUNT}:role/pp-stream-role-0000000`,
      });
      expect(built.one("pp-event-stream").dependencies).to.include("aws:iam/rolePolicy:RolePolicy::pp-stream-policy");
    });

    it("notifies the processor of new objects under events/ only, after the invoke permission exists", async () => {
      const built = await build(make(LEGACY));
      expect(built.inputs("pp-notification")).to.deep.equal({
        bucket: "pp-events-bucket-id",
        lambdaFunctions: [{ lambdaFunctionArn: FUNCTION_ARN, events: ["s3:ObjectCreated:*"], filterPrefix: "events/" }],
      });
      expect(built.one("pp-notification").dependencies).to.include("aws:lambda/permission:Permission::pp-s3-invoke-permission");
      expect(built.inputs("pp-s3-invoke-permission")).to.deep.equal({
        action: "lambda:InvokeFunction",
        function: "pp-processor-function-0000000",
        principal: "s3.amazonaws.com",
        sourceArn: BUCKET_ARN,
        sourceAccount: ACCOUNT,
      });
    });

    it("retries the processor's async invocations at most twice, then sends them to the on-failure queue", async () => {
      const built = await build(make(LEGACY));
      expect(built.inputs("pp-processor-async")).to.deep.equal({
        functionName: "pp-processor-function-0000000",
        maximumRetryAttempts: 2,
        destinationConfig: { onFailure: { destination: FAILURE_QUEUE_ARN } },
      });
      expect(built.inputs("pp-processor-function")).to.include({ timeout: 300 });
    });

    it("grants the processor exactly what it calls, with no wildcard action", async () => {
      const built = await build(make(LEGACY));
      const statements = built.callerStatements("pp-processor");
      expect(statements).to.deep.equal([
        { Sid: "ReadEventObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: `${BUCKET_ARN}/events/*` },
        { Sid: "SuppressAddresses", Effect: "Allow", Action: "ses:PutSuppressedDestination", Resource: "*" },
        { Sid: "RecordContactStatus", Effect: "Allow", Action: "dynamodb:UpdateItem", Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/pp-contacts-0000000` },
        {
          Sid: "Idempotency",
          Effect: "Allow",
          Action: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
          Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/pp-idempotency-0000000`,
        },
      ]);
      expect(allowedActions(statements).filter((a) => a.includes("*"))).to.deep.equal([]);
      expect(allowedActions(built.statements("pp-firehose-policy")).filter((a) => a.includes("*"))).to.deep.equal([]);
    });

    it("passes the processor its contract's environment, and can share #1's contact table", async () => {
      const built = await build(make({ ...LEGACY, existingContactTableName: "ses-contacts", complaintExemptFeedbackTypes: [] }));
      expect(built.has("pp-contacts")).to.equal(false);
      expect((built.inputs("pp-processor-function").environment as { variables: Record<string, string> }).variables).to.deep.equal({
        POWERTOOLS_SERVICE_NAME: "pp-processor",
        POWERTOOLS_LOG_LEVEL: "INFO",
        CONTACT_TABLE_NAME: "ses-contacts",
        IDEMPOTENCY_TABLE_NAME: "pp-idempotency-0000000",
        COMPLAINT_EXEMPT_FEEDBACK_TYPES: "",
        POWERTOOLS_METRICS_NAMESPACE: "DigitalUserEngagement/PinpointEventProcessing",
      });
      const grant = built.statements("pp-processor-policy").find((s) => s.Sid === "RecordContactStatus");
      expect(grant?.Resource).to.equal(`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/ses-contacts`);
    });

    it("expires event objects and delivery errors by lifecycle", async () => {
      const built = await build(make({ ...LEGACY, eventRetentionDays: 120 }));
      expect(built.inputs("pp-events-lifecycle").rules).to.deep.equal([
        { id: "hygiene", status: "Enabled", filter: { prefix: "" }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 }, noncurrentVersionExpiration: { noncurrentDays: 30 } },
        { id: "events", status: "Enabled", filter: { prefix: "events/" }, transitions: [{ days: 30, storageClass: "STANDARD_IA" }], expiration: { days: 120 } },
        { id: "delivery-errors", status: "Enabled", filter: { prefix: "errors/" }, expiration: { days: 30 } },
      ]);
    });
  });

  it("reports every invalid argument at once", () => {
    expect(
      thrownMessage(() =>
        resolveSettings(PINPOINT_EVENT_PROCESSING, { existingPinpointApplicationId: APP_ID, bufferSizeMb: 500, configurationSetName: "bad name" }),
      ),
    ).to.equal(
      [
        "PinpointEventProcessing: invalid arguments:",
        "  - configurationSetName: must be 1–64 letters, digits, hyphens or underscores",
        "  - existingPinpointApplicationId: unknown key",
        "  - bufferSizeMb: unknown key",
      ].join("\n"),
    );
    expect(
      thrownMessage(() =>
        resolveSettings(PINPOINT_EVENT_PROCESSING, {
          target: "pinpoint",
          existingPinpointApplicationId: "My Project",
          createPinpointApplication: true,
          bufferSizeMb: 500,
          configurationSetName: "pinpoint-email",
        }),
      ),
    ).to.equal(
      [
        "PinpointEventProcessing: invalid arguments:",
        "  - existingPinpointApplicationId: must be a 32-character hexadecimal Pinpoint project id",
        "  - bufferSizeMb: Too big: expected number to be <=128",
        "  - configurationSetName: unknown key",
        "  - createPinpointApplication: set either existingPinpointApplicationId or createPinpointApplication, not both",
      ].join("\n"),
    );
    expect(thrownMessage(() => resolveSettings(PINPOINT_EVENT_PROCESSING, { target: "pinpoint" }))).to.equal(
      'PinpointEventProcessing: invalid arguments:\n  - existingPinpointApplicationId: target "pinpoint" needs existingPinpointApplicationId or createPinpointApplication: true',
    );
    expect(thrownMessage(() => resolveSettings(PINPOINT_EVENT_PROCESSING, { target: "pinpoint-event-stream" }))).to.equal(
      'PinpointEventProcessing: invalid arguments:\n  - target: must be "configuration-set" (the default) or "pinpoint"',
    );
  });
});

describe("pinpointEventProcessing stack module", () => {
  const stack = (settings: Record<string, unknown>) => parseStackConfig({ pinpointEventProcessing: { enabled: true, ...settings } });
  const issuesOf = (raw: Record<string, unknown>) => {
    try {
      parseStackConfig(raw);
    } catch (error) {
      return (error as StackConfigError).issues;
    }
    return [];
  };

  it("builds the configuration-set target from its minimal config, and the legacy target when asked", async () => {
    const built = await build(() => createStack(stack(pinpointEventProcessingArchitecture.minimalConfig)));
    expect(built.childrenOf("pinpoint-event-processing")).to.deep.equal(["due:email:SesEventProcessing::pinpoint-event-processing-ses-events"]);
    const builtLegacy = await build(() => createStack(stack({ target: "pinpoint", existingPinpointApplicationId: APP_ID })));
    expect(builtLegacy.has("pinpoint-event-processing-event-stream")).to.equal(true);
  });

  it("rejects a key of the other target, naming it", () => {
    expect(issuesOf({ pinpointEventProcessing: { enabled: true, bufferSizeMb: 5 } })).to.deep.equal([
      "digital-user-engagement:pinpointEventProcessing.bufferSizeMb: unknown key",
    ]);
    expect(issuesOf({ pinpointEventProcessing: { enabled: true, target: "pinpoint", createPinpointApplication: true, enableAccountSuppression: true } })).to.deep.equal([
      "digital-user-engagement:pinpointEventProcessing.enableAccountSuppression: unknown key",
    ]);
  });

  it("says what to write instead of the former source key", () => {
    expect(issuesOf({ pinpointEventProcessing: { enabled: true, source: "configuration-set" } })).to.deep.equal([
      'digital-user-engagement:pinpointEventProcessing.source: no longer accepted; write target ("pinpoint" for "pinpoint-event-stream"; "configuration-set" is the default)',
    ]);
  });

  it("rejects, in the stack's validation and with zero resources registered, a config that breaks a component rule", async () => {
    // Passed the former stack schema (with source instead of target) and failed only in the constructor.
    const raw = { pinpointEventProcessing: { enabled: true, target: "pinpoint", existingPinpointApplicationId: APP_ID, pinpointApplicationName: "My Project" } };
    const { issues, registered } = await stackConfigFailure(raw);
    expect(issues).to.deep.equal([
      "digital-user-engagement:pinpointEventProcessing.pinpointApplicationName: applies only with createPinpointApplication: true",
    ]);
    expect(registered).to.equal(0);
  });

  it("counts the configuration set of the configuration-set target in the event-destination clash rule, and nothing for the pinpoint target", () => {
    expect(
      issuesOf({
        sesEventProcessing: { enabled: true, existingConfigurationSetName: "newsletters" },
        pinpointEventProcessing: { enabled: true, target: "configuration-set", configurationSetName: "newsletters" },
      }),
    ).to.deep.equal([
      'digital-user-engagement:pinpointEventProcessing.configurationSetName: configuration set "newsletters" already gets an event destination ' +
        "from digital-user-engagement:sesEventProcessing.existingConfigurationSetName; each bounce and complaint would be processed twice " +
        "(enable one of them, or give each its own configuration set)",
    ]);
    expect(
      issuesOf({
        sesEventProcessing: { enabled: true, existingConfigurationSetName: "newsletters" },
        pinpointEventProcessing: { enabled: true, target: "pinpoint", createPinpointApplication: true },
      }),
    ).to.deep.equal([]);
  });
});
