import { expect } from "chai";
import {
  SesEventProcessing,
  SesEventProcessingArgs,
  matchingEventTypes,
  SES_EVENT_PROCESSING,
} from "../../components/email/ses-event-processing";
import { resolveSettings } from "../../components/kit/contract";
import { physicalNameProblems, physicalNames } from "../harness/physical-names";
import { allowedActions, build, thrownMessage } from "../harness/pulumi";

const ACCOUNT = "123456789012";
const CONFIG_SET_ARN = `arn:aws:ses:us-east-1:${ACCOUNT}:configuration-set/digital-user-engagement-test-ses`;
const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:ses-events-queue-0000000`;
const TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:digital-user-engagement-test-ses-notifications`;
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/ses-notifications-key`;

const make = (args: SesEventProcessingArgs = {}) => () => new SesEventProcessing("ses", args);

describe("SesEventProcessing", () => {
  it("creates exactly the configuration set, topic, queue, subscription, destination, tables, processor and mapping", async () => {
    const built = await build(make());
    expect(built.childrenOf("ses")).to.deep.equal([
      "aws:sesv2/configurationSet:ConfigurationSet::ses-configuration-set",
      "due:shared:EncryptedTopic::ses-notifications",
      "due:shared:QueueWithDeadLetter::ses-events",
      "aws:sns/topicSubscription:TopicSubscription::ses-subscription",
      "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination::ses-event-destination",
      "aws:dynamodb/table:Table::ses-contacts",
      "aws:dynamodb/table:Table::ses-idempotency",
      "due:shared:BundledFunction::ses-processor",
      "aws:lambda/eventSourceMapping:EventSourceMapping::ses-event-source",
      "aws:cloudwatch/dashboard:Dashboard::ses-dashboard",
    ]);
    expect(built.descendantsOf("ses")).to.have.length(23);
  });

  it("creates a configuration set that requires TLS and routes BOUNCE and COMPLAINT to the topic", async () => {
    const built = await build(make({ additionalEventTypes: ["DELIVERY"] }));
    expect(built.inputs("ses-configuration-set")).to.deep.equal({
      configurationSetName: "digital-user-engagement-test-ses",
      deliveryOptions: { tlsPolicy: "REQUIRE" },
      reputationOptions: { reputationMetricsEnabled: true },
    });
    expect(built.inputs("ses-event-destination")).to.deep.equal({
      configurationSetName: "digital-user-engagement-test-ses",
      eventDestinationName: "digital-user-engagement-test-ses-feedback",
      eventDestination: { enabled: true, matchingEventTypes: ["BOUNCE", "COMPLAINT", "DELIVERY"], snsDestination: { topicArn: TOPIC_ARN } },
    });
    expect(built.one("ses-event-destination").dependencies).to.include.members([
      "aws:sns/topicPolicy:TopicPolicy::ses-notifications-policy",
      "aws:sns/topicSubscription:TopicSubscription::ses-subscription",
    ]);
  });

  it("adds its event destination to an existing configuration set without creating one", async () => {
    const built = await build(make({ existingConfigurationSetName: "marketing" }));
    expect(built.has("ses-configuration-set")).to.equal(false);
    expect(built.inputs("ses-event-destination").configurationSetName).to.equal("marketing");
    expect(built.inputs("ses-event-destination").eventDestinationName).to.equal("digital-user-engagement-test-ses-feedback");
    const sesGrant = built.statements("ses-notifications-policy").find((s) => s.Sid === "AllowSESPublish");
    expect(sesGrant?.Condition).to.deep.equal({
      StringEquals: { "aws:SourceAccount": ACCOUNT },
      ArnLike: { "aws:SourceArn": [`arn:aws:ses:us-east-1:${ACCOUNT}:configuration-set/marketing`] },
    });
  });

  it("encrypts the topic and the queue with the customer-managed key SES and SNS may use", async () => {
    const built = await build(make());
    expect(built.inputs("ses-notifications-topic").kmsMasterKeyId).to.equal(KEY_ARN);
    expect(built.inputs("ses-events-queue").kmsMasterKeyId).to.equal(KEY_ARN);
    expect(built.inputs("ses-events-dlq").kmsMasterKeyId).to.equal(KEY_ARN);
    const services = built.statements("ses-notifications-key").map((s) => (s.Principal as { Service?: string }).Service);
    expect(services).to.deep.equal([undefined, "ses.amazonaws.com", "sns.amazonaws.com"]);
  });

  it("redrives to the DLQ after 5 receives, with a visibility timeout six times the function timeout", async () => {
    const built = await build(make({ timeoutSeconds: 60 }));
    expect(built.inputs("ses-events-queue")).to.include({ visibilityTimeoutSeconds: 360 });
    expect(JSON.parse(built.inputs("ses-events-queue").redrivePolicy as string)).to.deep.equal({
      deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:ses-events-dlq-0000000`,
      maxReceiveCount: 5,
    });
  });

  it("lets only its topic send to the queue, and subscribes it with raw delivery after the queue policy exists", async () => {
    const built = await build(make());
    expect(built.statements("ses-events-policy")[1]).to.deep.equal({
      Sid: "AllowSNSSend",
      Effect: "Allow",
      Principal: { Service: "sns.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: QUEUE_ARN,
      Condition: { ArnEquals: { "aws:SourceArn": TOPIC_ARN } },
    });
    expect(built.inputs("ses-subscription")).to.deep.equal({ topic: TOPIC_ARN, protocol: "sqs", endpoint: QUEUE_ARN, rawMessageDelivery: true });
    expect(built.one("ses-subscription").dependencies).to.include("aws:sqs/queuePolicy:QueuePolicy::ses-events-policy");
  });

  it("reads the queue in batches of 10 with partial batch responses, a 5 s window and bounded concurrency", async () => {
    const built = await build(make());
    expect(built.inputs("ses-event-source")).to.deep.equal({
      eventSourceArn: QUEUE_ARN,
      functionName: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:ses-processor-function-0000000`,
      batchSize: 10,
      maximumBatchingWindowInSeconds: 5,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: 5 },
    });
  });

  it("grants the processor exactly what it calls, with no wildcard action", async () => {
    const built = await build(make());
    const statements = built.callerStatements("ses-processor");
    expect(statements).to.deep.equal([
      { Sid: "ConsumeQueue", Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource: QUEUE_ARN },
      { Sid: "DecryptQueue", Effect: "Allow", Action: "kms:Decrypt", Resource: KEY_ARN },
      { Sid: "SuppressAddresses", Effect: "Allow", Action: "ses:PutSuppressedDestination", Resource: "*" },
      { Sid: "RecordContactStatus", Effect: "Allow", Action: "dynamodb:UpdateItem", Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/ses-contacts-0000000` },
      {
        Sid: "Idempotency",
        Effect: "Allow",
        Action: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/ses-idempotency-0000000`,
      },
    ]);
    expect(allowedActions(statements).filter((a) => a.includes("*"))).to.deep.equal([]);
  });

  it("passes the suppression policy to the processor through its environment", async () => {
    const built = await build(make({ complaintExemptFeedbackTypes: [], transientBounceThreshold: 3, transientBounceWindowHours: 48 }));
    expect((built.inputs("ses-processor-function").environment as { variables: Record<string, string> }).variables).to.deep.equal({
      POWERTOOLS_SERVICE_NAME: "ses-processor",
      POWERTOOLS_LOG_LEVEL: "INFO",
      CONTACT_TABLE_NAME: "ses-contacts-0000000",
      IDEMPOTENCY_TABLE_NAME: "ses-idempotency-0000000",
      COMPLAINT_EXEMPT_FEEDBACK_TYPES: "",
      TRANSIENT_BOUNCE_THRESHOLD: "3",
      TRANSIENT_BOUNCE_WINDOW_HOURS: "48",
      POWERTOOLS_METRICS_NAMESPACE: "DigitalUserEngagement/SesEventProcessing",
    });
  });

  it("creates encrypted on-demand tables with point-in-time recovery, the idempotency one with TTL", async () => {
    const built = await build(make({ tableDeletionProtection: true }));
    expect(built.inputs("ses-contacts")).to.deep.equal({
      billingMode: "PAY_PER_REQUEST",
      hashKey: "emailAddress",
      attributes: [{ name: "emailAddress", type: "S" }],
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: true,
    });
    expect(built.inputs("ses-idempotency")).to.include({ hashKey: "id" });
    expect(built.inputs("ses-idempotency").ttl).to.deep.equal({ attributeName: "expiration", enabled: true });
  });

  it("uses an existing contact table by name and scopes the grant to its ARN", async () => {
    const built = await build(make({ existingContactTableName: "crm-contacts" }));
    expect(built.has("ses-contacts")).to.equal(false);
    const grant = built.statements("ses-processor-policy").find((s) => s.Sid === "RecordContactStatus");
    expect(grant?.Resource).to.equal(`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/crm-contacts`);
  });

  it("turns on account-level suppression only when asked", async () => {
    expect((await build(make())).has("ses-account-suppression")).to.equal(false);
    const built = await build(make({ enableAccountSuppression: true }));
    expect(built.inputs("ses-account-suppression")).to.deep.equal({ suppressedReasons: ["BOUNCE", "COMPLAINT"] });
  });

  it("routes feedback notifications of the listed identities only, and lets SES publish for them", async () => {
    const built = await build(make({ legacyNotificationIdentities: ["example.com", "noreply@example.org"] }));
    const notifications = built.ofType("aws:ses/identityNotificationTopic:IdentityNotificationTopic").map((r) => r.inputs);
    expect(notifications).to.deep.equal([
      { identity: "example.com", notificationType: "Bounce", topicArn: TOPIC_ARN, includeOriginalHeaders: false },
      { identity: "example.com", notificationType: "Complaint", topicArn: TOPIC_ARN, includeOriginalHeaders: false },
      { identity: "noreply@example.org", notificationType: "Bounce", topicArn: TOPIC_ARN, includeOriginalHeaders: false },
      { identity: "noreply@example.org", notificationType: "Complaint", topicArn: TOPIC_ARN, includeOriginalHeaders: false },
    ]);
    const sesGrant = built.statements("ses-notifications-policy").find((s) => s.Sid === "AllowSESPublish");
    expect((sesGrant?.Condition?.ArnLike as Record<string, string[]>)["aws:SourceArn"]).to.deep.equal([
      CONFIG_SET_ARN,
      `arn:aws:ses:us-east-1:${ACCOUNT}:identity/example.com`,
      `arn:aws:ses:us-east-1:${ACCOUNT}:identity/noreply@example.org`,
    ]);
  });

  it("alarms on DLQ depth and function errors, to the given actions", async () => {
    const built = await build(make({ alarmActions: ["arn:aws:sns:us-east-1:123456789012:oncall"] }));
    for (const alarm of ["ses-events-dlq-depth", "ses-processor-errors"]) {
      expect(built.inputs(alarm).alarmActions).to.deep.equal(["arn:aws:sns:us-east-1:123456789012:oncall"]);
    }
  });

  it("names each component's event destination after it, so two pipelines in one configuration set do not collide", async () => {
    const built = await build(() => {
      new SesEventProcessing("transactional", { existingConfigurationSetName: "shared" });
      new SesEventProcessing("marketing", { existingConfigurationSetName: "shared" });
    });
    const destinations = built.ofType("aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination").map((r) => r.inputs);
    expect(destinations.map((d) => [d.configurationSetName, d.eventDestinationName])).to.deep.equal([
      ["shared", "digital-user-engagement-test-transactional-feedback"],
      ["shared", "digital-user-engagement-test-marketing-feedback"],
    ]);
  });

  it("keeps every physical name within its AWS limit when the component has a 60-character name", async () => {
    const name = `ses-${"x".repeat(56)}`;
    for (const args of [{}, { existingConfigurationSetName: "shared", legacyNotificationIdentities: ["example.com"] }]) {
      const built = await build(() => new SesEventProcessing(name, args));
      expect(physicalNameProblems(built.resources)).to.deep.equal([]);
      const named = physicalNames(built.resources).map((n) => n.resource.split("::")[0]);
      // The check covered the names that used to overflow: function, role, queues, destination.
      expect(named).to.include.members([
        "aws:lambda/function:Function",
        "aws:iam/role:Role",
        "aws:sqs/queue:Queue",
        "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination",
        "aws:sns/topic:Topic",
        "aws:dynamodb/table:Table",
      ]);
    }
    const built = await build(() => new SesEventProcessing(name, {}));
    // Long names become <project>-<stack>-<logical name> cut to the limit, ending in a hash.
    expect(built.inputs(`${name}-processor-function`).name).to.match(/^digital-user-engagement-test-ses-x+-[0-9a-f]{8}$/);
    expect(String(built.inputs(`${name}-processor-function`).name)).to.have.length(64);
  });

  it("keeps Pulumi's autonames for names that fit, so existing stacks see no change", async () => {
    const built = await build(make());
    for (const logical of ["ses-processor-function", "ses-processor-role", "ses-events-queue", "ses-events-dlq", "ses-contacts"]) {
      expect(built.inputs(logical).name, logical).to.equal(undefined);
    }
  });

  it("lists event types once, in SES's order, always with BOUNCE and COMPLAINT", () => {
    expect(matchingEventTypes(["DELIVERY", "BOUNCE", "SEND"])).to.deep.equal(["SEND", "BOUNCE", "COMPLAINT", "DELIVERY"]);
  });

  it("reports every invalid argument at once", () => {
    expect(
      thrownMessage(() =>
        resolveSettings(SES_EVENT_PROCESSING, {
          additionalEventTypes: ["OPENED" as never],
          batchSize: 11,
          maximumConcurrency: 1,
          timeoutSeconds: 0,
          legacyNotificationIdentities: ["not an identity", "not an identity"],
          existingConfigurationSetName: "bad name",
        }),
      ),
    ).to.equal(
      [
        "SesEventProcessing: invalid arguments:",
        "  - existingConfigurationSetName: must be 1–64 letters, digits, hyphens or underscores",
        '  - additionalEventTypes.0: Invalid option: expected one of "SEND"|"REJECT"|"BOUNCE"|"COMPLAINT"|"DELIVERY"|"OPEN"|"CLICK"|"RENDERING_FAILURE"|"DELIVERY_DELAY"|"SUBSCRIPTION"',
        "  - legacyNotificationIdentities.0: must be an email address or a domain",
        "  - legacyNotificationIdentities.1: must be an email address or a domain",
        "  - legacyNotificationIdentities: must not contain duplicates",
        "  - batchSize: Too big: expected number to be <=10",
        "  - maximumConcurrency: Too small: expected number to be >=2",
        "  - timeoutSeconds: Too small: expected number to be >=1",
      ].join("\n"),
    );
  });

  it("fails construction with the same errors, before creating anything", async () => {
    let message = "";
    try {
      await build(make({ batchSize: 0 }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.equal("SesEventProcessing: invalid arguments:\n  - batchSize: Too small: expected number to be >=1");
  });
});
