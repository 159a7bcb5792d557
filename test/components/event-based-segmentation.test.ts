import { expect } from "chai";
import { EVENT_BASED_SEGMENTATION, EventBasedSegmentation, type EventBasedSegmentationArgs } from "../../components/segments/event-based-segmentation";
import { resolveSettings } from "../../components/kit/contract";
import { DEFAULT_RULES } from "../../functions/event-based-segmentation/contract";
import { createStack } from "../../stacks";
import { parseStackConfig } from "../../stacks/config";
import { allowedActions, build, stackConfigFailure, thrownMessage } from "../harness/pulumi";

const ACCOUNT = "123456789012";
const STREAM_ARN = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/seg-stream-0000000`;
const STREAM_KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/seg-stream-key`;
const FAILURES_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:seg-failures-0000000`;
const RULE_ARN = `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:eventRule/seg-ses-rule-0000000`;
const DOMAIN = "digital-user-engagement-test-seg-profiles";
const APP_ID = "0123456789abcdef0123456789abcdef";

const make = (args: EventBasedSegmentationArgs = { existingConfigurationSetName: "marketing" }) => () => new EventBasedSegmentation("seg", args);

describe("EventBasedSegmentation", () => {
  it("creates exactly the stream, domain, SES routing, failure queue, processor, mapping, alarms and dashboard", async () => {
    const built = await build(make());
    expect(built.childrenOf("seg")).to.deep.equal([
      "aws:kms/key:Key::seg-stream-key",
      "aws:kinesis/stream:Stream::seg-stream",
      "aws:sqs/queue:Queue::seg-failures",
      "aws:kms/key:Key::seg-domain-key",
      "aws:customerprofiles/domain:Domain::seg-domain",
      "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination::seg-ses-destination",
      "aws:cloudwatch/eventRule:EventRule::seg-ses-rule",
      "aws:iam/role:Role::seg-ses-role",
      "aws:iam/rolePolicy:RolePolicy::seg-ses-role-policy",
      "aws:cloudwatch/eventTarget:EventTarget::seg-ses-target",
      "aws:sqs/queuePolicy:QueuePolicy::seg-failures-policy",
      "due:shared:BundledFunction::seg-processor",
      "aws:lambda/eventSourceMapping:EventSourceMapping::seg-event-source",
      "aws:cloudwatch/metricAlarm:MetricAlarm::seg-failures-depth",
      "aws:cloudwatch/metricAlarm:MetricAlarm::seg-malformed",
      "aws:cloudwatch/metricAlarm:MetricAlarm::seg-rejected",
      "aws:cloudwatch/metricAlarm:MetricAlarm::seg-iterator-age",
      "aws:cloudwatch/dashboard:Dashboard::seg-dashboard",
    ]);
    expect(built.descendantsOf("seg")).to.have.length(23);
  });

  it("encrypts the stream with its own key, on demand, 24 h retention; and the domain and failure queue", async () => {
    const built = await build(make());
    expect(built.inputs("seg-stream")).to.deep.equal({ encryptionType: "KMS", kmsKeyId: STREAM_KEY_ARN, retentionPeriod: 24, streamModeDetails: { streamMode: "ON_DEMAND" } });
    expect(built.inputs("seg-stream-key")).to.include({ enableKeyRotation: true });
    expect(built.inputs("seg-domain")).to.deep.equal({
      domainName: DOMAIN,
      defaultExpirationDays: 366,
      defaultEncryptionKey: `arn:aws:kms:us-east-1:${ACCOUNT}:key/seg-domain-key`,
    });
    expect(built.inputs("seg-failures")).to.include({ sqsManagedSseEnabled: true, messageRetentionSeconds: 1209600 });
    // Only the account's IAM principals may use the keys: no service principal in their policies.
    expect(built.statements("seg-stream-key").map((s) => s.Sid)).to.deep.equal(["AccountAdministration"]);
  });

  it("creates a provisioned stream with the given shards and retention", async () => {
    const built = await build(make({ existingConfigurationSetName: "marketing", streamMode: "PROVISIONED", shardCount: 4, retentionHours: 168 }));
    expect(built.inputs("seg-stream")).to.deep.include({ streamModeDetails: { streamMode: "PROVISIONED" }, shardCount: 4, retentionPeriod: 168 });
  });

  it("reads the stream with bisect-on-error, bounded retries and record age, partial batch responses and an on-failure queue", async () => {
    const built = await build(make());
    expect(built.inputs("seg-event-source")).to.deep.equal({
      eventSourceArn: STREAM_ARN,
      functionName: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:seg-processor-function-0000000`,
      startingPosition: "LATEST",
      batchSize: 100,
      maximumBatchingWindowInSeconds: 1,
      parallelizationFactor: 1,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 3,
      maximumRecordAgeInSeconds: 3600,
      functionResponseTypes: ["ReportBatchItemFailures"],
      destinationConfig: { onFailure: { destinationArn: FAILURES_ARN } },
    });
  });

  it("adds an EventBridge destination for the SES event types the rules use, and routes only this configuration set's events to the stream", async () => {
    const built = await build(
      make({
        existingConfigurationSetName: "marketing",
        rules: [...DEFAULT_RULES, { eventType: "_email.click", attribute: "clicked", value: "true", mode: "set" }, { eventType: "_email.hardbounce", attribute: "bounced", value: "true", mode: "set" }],
      }),
    );
    expect(built.inputs("seg-ses-destination")).to.deep.equal({
      configurationSetName: "marketing",
      eventDestinationName: "digital-user-engagement-test-seg-segments",
      eventDestination: {
        enabled: true,
        matchingEventTypes: ["BOUNCE", "OPEN", "CLICK"],
        eventBridgeDestination: { eventBusArn: `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/default` },
      },
    });
    expect(JSON.parse(built.inputs("seg-ses-rule").eventPattern as string)).to.deep.equal({
      source: ["aws.ses"],
      "detail-type": ["Email Bounced", "Email Opened", "Email Clicked"],
      detail: { mail: { tags: { "ses:configuration-set": ["marketing"] } } },
    });
    expect(built.inputs("seg-ses-target")).to.deep.equal({
      rule: "seg-ses-rule-0000000",
      arn: STREAM_ARN,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/seg-ses-role-0000000`,
      kinesisTarget: { partitionKeyPath: "$.detail.mail.messageId" },
      retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
      deadLetterConfig: { arn: FAILURES_ARN },
    });
    expect(built.one("seg-ses-target").dependencies).to.include("aws:iam/rolePolicy:RolePolicy::seg-ses-role-policy");
  });

  it("lets EventBridge assume its role only for the rule, put records and encrypt them, and dead-letter only from the rule", async () => {
    const built = await build(make());
    expect(built.statements("seg-ses-role", "assumeRolePolicy")).to.deep.equal([
      {
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": RULE_ARN } },
      },
    ]);
    expect(built.statements("seg-ses-role-policy")).to.deep.equal([
      { Sid: "PutSesEvents", Effect: "Allow", Action: ["kinesis:PutRecord"], Resource: STREAM_ARN },
      { Sid: "EncryptStreamRecords", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: STREAM_KEY_ARN },
    ]);
    expect(built.statements("seg-failures-policy")).to.deep.equal([
      { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "sqs:*", Resource: [FAILURES_ARN], Condition: { Bool: { "aws:SecureTransport": "false" } } },
      {
        Sid: "AllowEventBridgeDeadLetters",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: FAILURES_ARN,
        Condition: { ArnEquals: { "aws:SourceArn": RULE_ARN } },
      },
    ]);
  });

  it("grants the processor exactly what it calls on Customer Profiles, with no wildcard action", async () => {
    const built = await build(make());
    const statements = built.callerStatements("seg-processor");
    expect(statements).to.deep.equal([
      {
        Sid: "ReadStream",
        Effect: "Allow",
        Action: ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"],
        Resource: STREAM_ARN,
      },
      { Sid: "DecryptStream", Effect: "Allow", Action: "kms:Decrypt", Resource: STREAM_KEY_ARN },
      { Sid: "RecordFailedBatches", Effect: "Allow", Action: "sqs:SendMessage", Resource: FAILURES_ARN },
      { Sid: "LocateAndUpdateProfiles", Effect: "Allow", Action: ["profile:SearchProfiles", "profile:UpdateProfile"], Resource: `arn:aws:profile:us-east-1:${ACCOUNT}:domains/${DOMAIN}` },
    ]);
    expect(allowedActions(statements).filter((a) => a.includes("*"))).to.deep.equal([]);
  });

  it("hands the processor the store, the rules and the identity tag through its contract's variables", async () => {
    const built = await build(make({ existingConfigurationSetName: "marketing", sesIdentityTag: "profile_id", writeConcurrency: 20 }));
    const variables = (built.inputs("seg-processor-function").environment as { variables: Record<string, string> }).variables;
    expect(variables).to.deep.include({
      ATTRIBUTE_STORE_TARGET: "customerProfiles",
      PROFILES_DOMAIN_NAME: DOMAIN,
      PINPOINT_APPLICATION_ID: "",
      ATTRIBUTE_WRITE_CONCURRENCY: "20",
      SEGMENT_RULES: JSON.stringify(DEFAULT_RULES),
      SES_IDENTITY_TAG: "profile_id",
    });
  });

  it("uses an existing domain, stream and key without creating them", async () => {
    const built = await build(
      make({
        existingConfigurationSetName: "marketing",
        existingDomainName: "crm",
        existingStreamArn: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/app-events`,
        existingStreamKmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/app-events`,
      }),
    );
    for (const created of ["seg-stream", "seg-stream-key", "seg-domain", "seg-domain-key"]) expect(built.has(created), created).to.equal(false);
    expect(built.inputs("seg-event-source").eventSourceArn).to.equal(`arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/app-events`);
    expect(built.callerStatements("seg-processor").map((s) => [s.Sid, s.Resource])).to.deep.equal([
      ["ReadStream", `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/app-events`],
      ["DecryptStream", `arn:aws:kms:us-east-1:${ACCOUNT}:key/app-events`],
      ["RecordFailedBatches", FAILURES_ARN],
      ["LocateAndUpdateProfiles", `arn:aws:profile:us-east-1:${ACCOUNT}:domains/crm`],
    ]);
  });

  it("without SES events builds no SES routing and lets only TLS into the failure queue", async () => {
    const built = await build(make({ sesEvents: false }));
    for (const n of ["seg-ses-destination", "seg-ses-rule", "seg-ses-role", "seg-ses-target"]) expect(built.has(n), n).to.equal(false);
    expect(built.statements("seg-failures-policy").map((s) => s.Sid)).to.deep.equal(["DenyInsecureTransport"]);
  });

  it("pinpoint: updates the project's endpoints and streams its events into the stream with a scoped role", async () => {
    const built = await build(make({ target: "pinpoint", existingPinpointApplicationId: APP_ID, sesEvents: false }));
    expect(built.childrenOf("seg")).to.deep.equal([
      "aws:kms/key:Key::seg-stream-key",
      "aws:kinesis/stream:Stream::seg-stream",
      "aws:sqs/queue:Queue::seg-failures",
      "aws:iam/role:Role::seg-pinpoint-stream-role",
      "aws:iam/rolePolicy:RolePolicy::seg-pinpoint-stream-policy",
      "aws:pinpoint/eventStream:EventStream::seg-pinpoint-event-stream",
      "aws:sqs/queuePolicy:QueuePolicy::seg-failures-policy",
      "due:shared:BundledFunction::seg-processor",
      "aws:lambda/eventSourceMapping:EventSourceMapping::seg-event-source",
      "aws:cloudwatch/metricAlarm:MetricAlarm::seg-failures-depth",
      "aws:cloudwatch/metricAlarm:MetricAlarm::seg-malformed",
      "aws:cloudwatch/metricAlarm:MetricAlarm::seg-rejected",
      "aws:cloudwatch/metricAlarm:MetricAlarm::seg-iterator-age",
      "aws:cloudwatch/dashboard:Dashboard::seg-dashboard",
    ]);
    expect(built.inputs("seg-pinpoint-event-stream")).to.deep.equal({
      applicationId: APP_ID,
      destinationStreamArn: STREAM_ARN,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/seg-pinpoint-stream-role-0000000`,
    });
    expect(built.statements("seg-pinpoint-stream-role", "assumeRolePolicy")[0].Condition).to.deep.equal({
      StringEquals: { "aws:SourceAccount": ACCOUNT },
      ArnLike: { "aws:SourceArn": `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/${APP_ID}` },
    });
    expect(built.statements("seg-pinpoint-stream-policy")).to.deep.equal([
      { Sid: "PutPinpointEvents", Effect: "Allow", Action: ["kinesis:PutRecords", "kinesis:DescribeStream"], Resource: STREAM_ARN },
      { Sid: "EncryptStreamRecords", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: STREAM_KEY_ARN },
    ]);
    expect(built.callerStatements("seg-processor").slice(3)).to.deep.equal([
      { Sid: "ReadEndpoints", Effect: "Allow", Action: ["mobiletargeting:GetEndpoint"], Resource: `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/${APP_ID}/endpoints/*` },
      { Sid: "UpdateEndpointsBatch", Effect: "Allow", Action: ["mobiletargeting:UpdateEndpointsBatch"], Resource: `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/${APP_ID}/endpoints` },
    ]);
    const variables = (built.inputs("seg-processor-function").environment as { variables: Record<string, string> }).variables;
    expect(variables).to.deep.include({ ATTRIBUTE_STORE_TARGET: "pinpoint", PINPOINT_APPLICATION_ID: APP_ID, PROFILES_DOMAIN_NAME: "" });
  });

  it("pinpoint: can leave the project's event stream alone", async () => {
    const built = await build(make({ target: "pinpoint", existingPinpointApplicationId: APP_ID, pinpointEventStream: false, sesEvents: false }));
    expect(built.has("seg-pinpoint-event-stream")).to.equal(false);
    expect(built.has("seg-pinpoint-stream-role")).to.equal(false);
  });

  it("alarms on the failure queue, malformed records, rejected writes and an iterator half-way to the record age", async () => {
    const built = await build(make({ existingConfigurationSetName: "marketing", maximumRecordAgeSeconds: 600 }));
    expect(built.inputs("seg-iterator-age")).to.deep.include({
      namespace: "AWS/Lambda",
      metricName: "IteratorAge",
      dimensions: { FunctionName: "seg-processor-function-0000000" },
      statistic: "Maximum",
      threshold: 300000,
      comparisonOperator: "GreaterThanThreshold",
    });
    expect(built.inputs("seg-malformed")).to.deep.include({
      namespace: "DigitalUserEngagement/EventBasedSegmentation",
      metricName: "MalformedRecord",
      dimensions: { service: "seg-processor" },
      threshold: 0,
    });
    expect(built.inputs("seg-rejected")).to.deep.include({ metricName: "WriteRejected", dimensions: { service: "seg-processor" } });
    expect(built.inputs("seg-failures-depth")).to.deep.include({ metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: "seg-failures-0000000" } });
  });

  it("refuses rules that do not fit in the processor's environment", () => {
    const rules = Array.from({ length: 40 }, (_, i) => ({ eventType: `event_${i}_${"x".repeat(40)}`, attribute: "a", value: "v", mode: "add" as const }));
    expect(thrownMessage(() => resolveSettings(EVENT_BASED_SEGMENTATION, { rules }))).to.match(
      /^EventBasedSegmentation: invalid arguments:\n {2}- rules: take \d+ bytes as JSON; at most 3072 fit in the processor's environment \(Lambda allows 4 KB in all\)$/,
    );
  });

  it("reports every invalid setting at once, with its key", () => {
    const message = thrownMessage(() =>
      resolveSettings(EVENT_BASED_SEGMENTATION, {
        shardCount: 2,
        existingStreamKmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/k`,
        rules: [{ eventType: "_email.open", attribute: "segments", value: "a|b", mode: "add" }],
        maximumRecordAgeSeconds: 10,
      }),
    );
    expect(message).to.equal(
      [
        "EventBasedSegmentation: invalid arguments:",
        "  - maximumRecordAgeSeconds: Too small: expected number to be >=60",
        "  - existingStreamKmsKeyArn: applies only with existingStreamArn",
        '  - shardCount: applies only with streamMode "PROVISIONED"',
        '  - rules.0.value: must not contain "|" (the set delimiter of Customer Profiles attributes)',
      ].join("\n"),
    );
  });

  it("rejects a pinpoint target with no project, and an unknown target", () => {
    expect(thrownMessage(() => resolveSettings(EVENT_BASED_SEGMENTATION, { target: "pinpoint" }))).to.equal(
      'EventBasedSegmentation: invalid arguments:\n  - existingPinpointApplicationId: target "pinpoint" needs existingPinpointApplicationId or createPinpointApplication: true',
    );
    expect(thrownMessage(() => resolveSettings(EVENT_BASED_SEGMENTATION, { target: "dynamo" }))).to.equal(
      'EventBasedSegmentation: invalid arguments:\n  - target: must be "customer-profiles" (the default) or "pinpoint"',
    );
  });

  it("refuses SES rules with no configuration set to read them from", () => {
    expect(thrownMessage(() => new EventBasedSegmentation("seg", {}))).to.equal(
      "EventBasedSegmentation: invalid arguments:\n  - sesEvents: the rules act on SES events (OPEN) but no configuration set is given: set existingConfigurationSetName, enable #1, or set sesEvents: false",
    );
  });
});

describe("EventBasedSegmentation in the stack", () => {
  it("routes the events of #1's configuration set when none is named", async () => {
    const built = await build(() => createStack(parseStackConfig({ sesEventProcessing: { enabled: true }, eventBasedSegmentation: { enabled: true } })));
    expect(built.inputs("event-based-segmentation-ses-destination").configurationSetName).to.equal("digital-user-engagement-test-ses-event-processing");
  });

  it("is a config error, before anything is registered, when SES rules have no configuration set and #1 is off", async () => {
    expect(await stackConfigFailure({ eventBasedSegmentation: { enabled: true } })).to.deep.equal({
      issues: [
        "digital-user-engagement:eventBasedSegmentation: needs its SES configuration set (whose bounces and complaints it processes) from digital-user-engagement:sesEventProcessing, which is not enabled",
      ],
      registered: 0,
    });
  });

  it("needs no #1 when its rules use no SES event", async () => {
    const rules = [{ eventType: "registered_for_webinar", attribute: "webinar_registration", value: "webinar5", mode: "add" }];
    const built = await build(() => createStack(parseStackConfig({ eventBasedSegmentation: { enabled: true, rules } })));
    expect(built.has("event-based-segmentation-ses-destination")).to.equal(false);
  });
});
