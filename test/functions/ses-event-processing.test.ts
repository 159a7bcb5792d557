import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClientResolvedConfig,
  type PutItemCommandInput,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import {
  PutSuppressedDestinationCommand,
  SESv2Client,
  SESv2ServiceException,
  TooManyRequestsException,
  type SESv2ClientResolvedConfig,
  type ServiceInputTypes as SesInputTypes,
  type ServiceOutputTypes as SesOutputTypes,
} from "@aws-sdk/client-sesv2";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { mockClient, type AwsStub } from "aws-sdk-client-mock";
import { expect } from "chai";
import { createHash } from "node:crypto";
import { COUNTED_EVENT_KEYS_LIMIT, ContactStoreConflictError, DynamoDbContactStore, SesV2SuppressionList } from "../../functions/shared/email/feedback/adapters";
import { ConfigError, loadProcessorConfig } from "../../functions/ses-event-processing/config";
import {
  DEFAULT_FEEDBACK_POLICY_SETTINGS,
  classifyFeedback,
  decideFeedback,
  decideRecipientAction,
  transientWindowStartCutoff,
  type FeedbackPolicySettings,
  type RecipientAction,
  type TransientBounceHistory,
} from "../../functions/shared/email/feedback/feedback-policy";
import {
  RecipientFailuresError,
  createBatchDeduplicator,
  createFeedbackService,
  type ContactStore,
  type SuppressionList,
  type SuppressionRecord,
  type TransientBounceRecord,
} from "../../functions/shared/email/feedback/feedback-service";
import type { SuppressionReason } from "../../functions/shared/email/feedback/feedback-policy";
import { parseSesFeedback, type FeedbackEvent } from "../../functions/shared/email/ses-events";
import { FIXTURE_FORMS, notification, snsEnvelope, sqsBody, sqsEvent, sqsRecord, type FixtureName } from "../fixtures/ses";

type DynamoDbMock = AwsStub<ServiceInputTypes, ServiceOutputTypes, DynamoDBClientResolvedConfig>;
type SesMock = AwsStub<SesInputTypes, SesOutputTypes, SESv2ClientResolvedConfig>;

const event = (name: FixtureName): FeedbackEvent => parseSesFeedback(notification(name));

/** A transient bounce for `address` at `timestamp`, with its own message and feedback ids. */
function transientBounce(address: string, timestamp: string, id: string): FeedbackEvent {
  return {
    ...event("bounce-transient"),
    sesMessageId: `msg-${id}`,
    feedbackId: `fb-${id}`,
    timestamp,
    recipients: [address],
  };
}

const hoursAfter = (iso: string, hours: number) => new Date(Date.parse(iso) + hours * 3_600_000).toISOString();
const T0 = "2025-03-14T11:15:40.000Z";

// =================================================================================================
// Policy (pure)
// =================================================================================================

describe("ses-event-processing: feedback policy (pure)", () => {
  const defaults: FeedbackPolicySettings = { ...DEFAULT_FEEDBACK_POLICY_SETTINGS };
  const noExemption: FeedbackPolicySettings = { ...defaults, complaintExemptFeedbackTypes: [] };
  const threshold3: FeedbackPolicySettings = { ...defaults, transientBounceThreshold: 3 };

  it("defaults to exempting not-spam, never suppressing on transient bounces, and a 72 h window", () => {
    expect(DEFAULT_FEEDBACK_POLICY_SETTINGS).to.deep.equal({
      complaintExemptFeedbackTypes: ["not-spam"],
      transientBounceThreshold: 0,
      transientBounceWindowHours: 72,
    });
  });

  describe("decides per recipient", () => {
    const cases: { name: string; event: FeedbackEvent; settings: FeedbackPolicySettings; expected: RecipientAction[] }[] = [
      {
        name: "a Permanent bounce suppresses with reason BOUNCE",
        event: event("bounce-permanent"),
        settings: defaults,
        expected: [{ type: "suppress", address: "no.such.user@example.net", reason: "BOUNCE", detail: "Permanent/General bounce" }],
      },
      {
        name: "a multi-recipient Permanent bounce suppresses every recipient",
        event: event("bounce-permanent-multi"),
        settings: defaults,
        expected: ["jane.doe@example.net", "richard.roe@example.net", "mary.major@example.com"].map((address) => ({
          type: "suppress" as const,
          address,
          reason: "BOUNCE" as const,
          detail: "Permanent/NoEmail bounce",
        })),
      },
      {
        name: "a Transient bounce is counted, not suppressed, with the default threshold 0",
        event: event("bounce-transient"),
        settings: defaults,
        expected: [
          {
            type: "record-transient",
            address: "full.mailbox@example.net",
            count: 1,
            detail: "Transient/MailboxFull bounce: 1 within 72h (no threshold)",
          },
        ],
      },
      {
        name: "an Undetermined bounce is counted like a Transient one",
        event: event("bounce-undetermined"),
        settings: defaults,
        expected: [
          {
            type: "record-transient",
            address: "unknown.state@example.net",
            count: 1,
            detail: "Undetermined/Undetermined bounce: 1 within 72h (no threshold)",
          },
        ],
      },
      {
        name: "a bounce type SES may add later is ignored, not suppressed",
        event: { ...event("bounce-permanent"), bounceType: "Soft" },
        settings: defaults,
        expected: [{ type: "ignore", address: "no.such.user@example.net", detail: 'unrecognised bounceType "Soft"' }],
      },
      {
        name: "an abuse complaint suppresses with reason COMPLAINT",
        event: event("complaint-abuse"),
        settings: defaults,
        expected: [{ type: "suppress", address: "angry.reader@example.net", reason: "COMPLAINT", detail: "complaint (abuse)" }],
      },
      {
        name: "a not-spam complaint is ignored with the default exemption",
        event: event("complaint-not-spam"),
        settings: defaults,
        expected: [{ type: "ignore", address: "happy.reader@example.net", detail: 'complaint with exempt feedback type "not-spam"' }],
      },
      {
        name: "a not-spam complaint suppresses when the exemption list is empty",
        event: event("complaint-not-spam"),
        settings: noExemption,
        expected: [{ type: "suppress", address: "happy.reader@example.net", reason: "COMPLAINT", detail: "complaint (not-spam)" }],
      },
      {
        name: "the exemption list is compared case-insensitively and can name other types",
        event: { ...event("complaint-abuse"), complaintFeedbackType: "ABUSE" },
        settings: { ...defaults, complaintExemptFeedbackTypes: ["Abuse"] },
        expected: [{ type: "ignore", address: "angry.reader@example.net", detail: 'complaint with exempt feedback type "abuse"' }],
      },
      {
        name: "a complaint without a feedback report suppresses",
        event: { ...event("complaint-abuse"), complaintFeedbackType: undefined },
        settings: defaults,
        expected: [{ type: "suppress", address: "angry.reader@example.net", reason: "COMPLAINT", detail: "complaint" }],
      },
      {
        name: "a delivery is ignored",
        event: event("delivery"),
        settings: defaults,
        expected: [{ type: "ignore", address: "delivered.ok@example.net", detail: "delivery" }],
      },
      {
        name: "other event types (Open) are ignored",
        event: { kind: "other", eventType: "Open", sesMessageId: "m", timestamp: T0, recipients: ["reader@example.net"] },
        settings: defaults,
        expected: [{ type: "ignore", address: "reader@example.net", detail: 'event type "Open" is not acted on' }],
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        expect(decideFeedback(c.event, new Map(), c.settings)).to.deep.equal(c.expected);
      });
    }
  });

  describe("transient-bounce threshold", () => {
    const address = "full.mailbox@example.net";
    const bounce = transientBounce(address, T0, "t");
    const cases: { name: string; history: TransientBounceHistory | undefined; settings: FeedbackPolicySettings; expected: RecipientAction }[] = [
      {
        name: "suppresses when the count within the window reaches the threshold",
        history: { transientBounceCount: 3, transientWindowStart: hoursAfter(T0, -48) },
        settings: threshold3,
        expected: {
          type: "suppress",
          address,
          reason: "BOUNCE",
          transientBounceCount: 3,
          detail: "Transient/MailboxFull bounce: 3 within 72h reached threshold 3",
        },
      },
      {
        name: "suppresses when the count is above the threshold",
        history: { transientBounceCount: 5, transientWindowStart: hoursAfter(T0, -1) },
        settings: threshold3,
        expected: {
          type: "suppress",
          address,
          reason: "BOUNCE",
          transientBounceCount: 5,
          detail: "Transient/MailboxFull bounce: 5 within 72h reached threshold 3",
        },
      },
      {
        name: "counts without suppressing below the threshold",
        history: { transientBounceCount: 2, transientWindowStart: hoursAfter(T0, -10) },
        settings: threshold3,
        expected: { type: "record-transient", address, count: 2, detail: "Transient/MailboxFull bounce: 2 within 72h (threshold 3)" },
      },
      {
        name: "counts a window that started exactly at the cutoff",
        history: { transientBounceCount: 3, transientWindowStart: hoursAfter(T0, -72) },
        settings: threshold3,
        expected: {
          type: "suppress",
          address,
          reason: "BOUNCE",
          transientBounceCount: 3,
          detail: "Transient/MailboxFull bounce: 3 within 72h reached threshold 3",
        },
      },
      {
        name: "does not count bounces from a window that started before the cutoff",
        history: { transientBounceCount: 3, transientWindowStart: hoursAfter(T0, -73) },
        settings: threshold3,
        expected: { type: "record-transient", address, count: 1, detail: "Transient/MailboxFull bounce: 1 within 72h (threshold 3)" },
      },
      {
        name: "treats a bounce without history as the first in its window",
        history: undefined,
        settings: { ...defaults, transientBounceThreshold: 1 },
        expected: {
          type: "suppress",
          address,
          reason: "BOUNCE",
          transientBounceCount: 1,
          detail: "Transient/MailboxFull bounce: 1 within 72h reached threshold 1",
        },
      },
      {
        name: "never suppresses with threshold 0, however many bounces",
        history: { transientBounceCount: 50, transientWindowStart: hoursAfter(T0, -1) },
        settings: defaults,
        expected: { type: "record-transient", address, count: 50, detail: "Transient/MailboxFull bounce: 50 within 72h (no threshold)" },
      },
      {
        name: "uses the configured window length",
        history: { transientBounceCount: 3, transientWindowStart: hoursAfter(T0, -30) },
        settings: { ...threshold3, transientBounceWindowHours: 24 },
        expected: { type: "record-transient", address, count: 1, detail: "Transient/MailboxFull bounce: 1 within 24h (threshold 3)" },
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        expect(decideRecipientAction(bounce, address, c.history, c.settings)).to.deep.equal(c.expected);
      });
    }

    it("computes the window cutoff as the bounce time minus the window", () => {
      expect(transientWindowStartCutoff("2025-03-14T11:15:40.000Z", 72)).to.equal("2025-03-11T11:15:40.000Z");
      expect(transientWindowStartCutoff("2025-03-14T11:15:40.000Z", 1)).to.equal("2025-03-14T10:15:40.000Z");
    });

    it("classifies at event level before any history is known", () => {
      expect(classifyFeedback(bounce, threshold3)).to.deep.equal({ type: "count-transient", detail: "Transient/MailboxFull bounce" });
    });
  });
});

// =================================================================================================
// Configuration
// =================================================================================================

describe("ses-event-processing: environment configuration", () => {
  const required = { CONTACT_TABLE_NAME: "due-contacts", IDEMPOTENCY_TABLE_NAME: "due-idempotency" };

  it("applies the documented defaults", () => {
    expect(loadProcessorConfig(required)).to.deep.equal({
      contactTableName: "due-contacts",
      idempotencyTableName: "due-idempotency",
      idempotencyTtlSeconds: 86_400,
      policy: { complaintExemptFeedbackTypes: ["not-spam"], transientBounceThreshold: 0, transientBounceWindowHours: 72 },
    });
  });

  it("reads every variable", () => {
    const config = loadProcessorConfig({
      ...required,
      COMPLAINT_EXEMPT_FEEDBACK_TYPES: " not-spam , Other,not-spam",
      TRANSIENT_BOUNCE_THRESHOLD: "3",
      TRANSIENT_BOUNCE_WINDOW_HOURS: "24",
    });
    expect(config).to.deep.equal({
      contactTableName: "due-contacts",
      idempotencyTableName: "due-idempotency",
      idempotencyTtlSeconds: 86_400,
      policy: { complaintExemptFeedbackTypes: ["not-spam", "other"], transientBounceThreshold: 3, transientBounceWindowHours: 24 },
    });
  });

  it("treats an empty COMPLAINT_EXEMPT_FEEDBACK_TYPES as no exemption", () => {
    expect(loadProcessorConfig({ ...required, COMPLAINT_EXEMPT_FEEDBACK_TYPES: "" }).policy.complaintExemptFeedbackTypes).to.deep.equal([]);
  });

  const errors: [string, Record<string, string | undefined>, string][] = [
    ["missing CONTACT_TABLE_NAME", { IDEMPOTENCY_TABLE_NAME: "due-idempotency" }, "Invalid environment: CONTACT_TABLE_NAME is required"],
    ["blank IDEMPOTENCY_TABLE_NAME", { CONTACT_TABLE_NAME: "due-contacts", IDEMPOTENCY_TABLE_NAME: " " }, "Invalid environment: IDEMPOTENCY_TABLE_NAME is required"],
    [
      "a table name with invalid characters",
      { ...required, CONTACT_TABLE_NAME: "due contacts" },
      "Invalid environment: CONTACT_TABLE_NAME must be a DynamoDB table name (3-255 characters of a-z, A-Z, 0-9, _ . -)",
    ],
    [
      "a negative threshold",
      { ...required, TRANSIENT_BOUNCE_THRESHOLD: "-1" },
      'Invalid environment: TRANSIENT_BOUNCE_THRESHOLD must be an integer >= 0, got "-1"',
    ],
    [
      "a zero window",
      { ...required, TRANSIENT_BOUNCE_WINDOW_HOURS: "0" },
      'Invalid environment: TRANSIENT_BOUNCE_WINDOW_HOURS must be an integer >= 1, got "0"',
    ],
    [
      "a misspelt feedback type",
      { ...required, COMPLAINT_EXEMPT_FEEDBACK_TYPES: "notspam" },
      'Invalid environment: COMPLAINT_EXEMPT_FEEDBACK_TYPES has unknown feedback type(s) "notspam"; expected a comma list of abuse, auth-failure, fraud, not-spam, other, virus',
    ],
    [
      "several bad variables at once",
      { TRANSIENT_BOUNCE_THRESHOLD: "x" },
      'Invalid environment: CONTACT_TABLE_NAME is required; IDEMPOTENCY_TABLE_NAME is required; TRANSIENT_BOUNCE_THRESHOLD must be an integer >= 0, got "x"',
    ],
  ];
  for (const [name, env, message] of errors) {
    it(`rejects ${name}, naming the variable`, () => {
      expect(() => loadProcessorConfig(env)).to.throw(ConfigError).with.property("message", message);
    });
  }
});

// =================================================================================================
// Adapters (exact SDK inputs)
// =================================================================================================

describe("ses-event-processing: SDK adapters", () => {
  // Created in `before` and restored in `after`, so the stubs never leak into other test files.
  let ses: SesMock;
  let ddb: DynamoDbMock;
  before(() => {
    ses = mockClient(SESv2Client);
    ddb = mockClient(DynamoDBClient);
  });
  beforeEach(() => {
    ses.reset();
    ddb.reset();
  });
  after(() => {
    ses.restore();
    ddb.restore();
  });

  it("SesV2SuppressionList sends one PutSuppressedDestination with the address and reason", async () => {
    ses.on(PutSuppressedDestinationCommand).resolves({});
    await new SesV2SuppressionList(new SESv2Client({})).suppress("jane.doe@example.net", "COMPLAINT");
    expect(ses.commandCalls(PutSuppressedDestinationCommand).map((c) => c.args[0].input)).to.deep.equal([
      { EmailAddress: "jane.doe@example.net", Reason: "COMPLAINT" },
    ]);
  });

  describe("DynamoDbContactStore", () => {
    const store = () => new DynamoDbContactStore(new DynamoDBClient({}), "due-contacts");
    const at = "2025-03-14T11:15:40.000Z";
    const cutoff = "2025-03-11T11:15:40.000Z";
    const counterValues = {
      ":active": { S: "ACTIVE" },
      ":reason": { S: "TRANSIENT_BOUNCE" },
      ":at": { S: at },
      ":key": { S: "msg-1#fb-1" },
      ":keys": { SS: ["msg-1#fb-1"] },
      ":one": { N: "1" },
      ":cutoff": { S: cutoff },
    };
    const continueWindow: UpdateItemCommandInput = {
      TableName: "due-contacts",
      Key: { emailAddress: { S: "full.mailbox@example.net" } },
      UpdateExpression:
        "SET #status = if_not_exists(#status, :active), lastReason = :reason, firstEventAt = if_not_exists(firstEventAt, :at), lastEventAt = :at ADD eventCount :one, transientBounceCount :one, countedTransientKeys :keys",
      ConditionExpression:
        "transientWindowStart >= :cutoff AND (attribute_not_exists(countedTransientKeys) OR NOT contains(countedTransientKeys, :key))",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: counterValues,
      ReturnValues: "ALL_NEW",
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    };
    const newWindow: UpdateItemCommandInput = {
      ...continueWindow,
      UpdateExpression:
        "SET #status = if_not_exists(#status, :active), lastReason = :reason, firstEventAt = if_not_exists(firstEventAt, :at), lastEventAt = :at, transientBounceCount = :one, transientWindowStart = :at, countedTransientKeys = :keys ADD eventCount :one",
      ConditionExpression:
        "(attribute_not_exists(transientWindowStart) OR transientWindowStart < :cutoff) AND (attribute_not_exists(countedTransientKeys) OR NOT contains(countedTransientKeys, :key))",
    };
    const record: TransientBounceRecord = { address: "full.mailbox@example.net", at, windowStartCutoff: cutoff, eventKey: "msg-1#fb-1" };
    const ccf = (item?: Record<string, AttributeValue>) =>
      new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {}, Item: item });

    const suppressionKey = "Bounce#msg-1#fb-1";
    const appendKey: UpdateItemCommandInput = {
      TableName: "due-contacts",
      Key: { emailAddress: { S: "jane.doe@example.net" } },
      UpdateExpression:
        "SET #status = :suppressed, lastReason = :reason, firstEventAt = if_not_exists(firstEventAt, :at), lastEventAt = :at, countedEventKeys = list_append(if_not_exists(countedEventKeys, :none), :keys) ADD eventCount :one",
      ConditionExpression: "attribute_not_exists(countedEventKeys) OR (NOT contains(countedEventKeys, :key) AND size(countedEventKeys) < :limit)",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: {
        ":suppressed": { S: "SUPPRESSED" },
        ":reason": { S: "BOUNCE" },
        ":at": { S: at },
        ":none": { L: [] },
        ":keys": { L: [{ S: suppressionKey }] },
        ":key": { S: suppressionKey },
        ":limit": { N: String(COUNTED_EVENT_KEYS_LIMIT) },
        ":one": { N: "1" },
      },
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    };
    const suppression: SuppressionRecord = { address: "jane.doe@example.net", reason: "BOUNCE", at, countEvent: true, eventKey: suppressionKey };

    it("recordSuppression marks the address SUPPRESSED and counts the event once per event key, in one UpdateItem", async () => {
      ddb.on(UpdateItemCommand).resolves({});
      await store().recordSuppression(suppression);
      expect(ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input)).to.deep.equal([appendKey]);
    });

    it("recordSuppression writes nothing more when the stored item already counted the event key (a re-sent update)", async () => {
      ddb.on(UpdateItemCommand).rejects(ccf({ emailAddress: { S: "jane.doe@example.net" }, eventCount: { N: "2" }, countedEventKeys: { L: [{ S: "Complaint#msg-0#fb-0" }, { S: suppressionKey }] } }));
      await store().recordSuppression(suppression);
      expect(ddb.commandCalls(UpdateItemCommand)).to.have.length(1);
    });

    it("recordSuppression keeps only the newest keys when the list is full, conditional on the count it read", async () => {
      const full = Array.from({ length: COUNTED_EVENT_KEYS_LIMIT }, (_, i) => ({ S: `Bounce#old-${i}#` }));
      ddb
        .on(UpdateItemCommand)
        .rejectsOnce(ccf({ emailAddress: { S: "jane.doe@example.net" }, eventCount: { N: "12" }, countedEventKeys: { L: full } }))
        .resolvesOnce({});
      await store().recordSuppression(suppression);
      expect(ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input)).to.deep.equal([
        appendKey,
        {
          TableName: "due-contacts",
          Key: { emailAddress: { S: "jane.doe@example.net" } },
          UpdateExpression:
            "SET #status = :suppressed, lastReason = :reason, firstEventAt = if_not_exists(firstEventAt, :at), lastEventAt = :at, countedEventKeys = :keys ADD eventCount :one",
          ConditionExpression: "eventCount = :seen",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":suppressed": { S: "SUPPRESSED" },
            ":reason": { S: "BOUNCE" },
            ":at": { S: at },
            ":keys": { L: [...full.slice(1), { S: suppressionKey }] },
            ":one": { N: "1" },
            ":seen": { N: "12" },
          },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        },
      ]);
    });

    it("recordSuppression gives up with a retryable error after losing the race three times", async () => {
      ddb.on(UpdateItemCommand).rejects(ccf({ emailAddress: { S: "jane.doe@example.net" }, eventCount: { N: "1" }, countedEventKeys: { L: [{ S: "Bounce#other#" }] } }));
      const error = await store().recordSuppression(suppression).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ContactStoreConflictError);
      expect(ddb.commandCalls(UpdateItemCommand)).to.have.length(3);
    });

    it("recordSuppression does not count an event that was already counted", async () => {
      ddb.on(UpdateItemCommand).resolves({});
      await store().recordSuppression({ address: "jane.doe@example.net", reason: "COMPLAINT", at, countEvent: false, eventKey: "Bounce#msg-1#fb-1" });
      const input = ddb.commandCalls(UpdateItemCommand)[0].args[0].input;
      expect(input.UpdateExpression).to.equal(
        "SET #status = :suppressed, lastReason = :reason, firstEventAt = if_not_exists(firstEventAt, :at), lastEventAt = :at",
      );
      expect(input.ExpressionAttributeValues).to.deep.equal({ ":suppressed": { S: "SUPPRESSED" }, ":reason": { S: "COMPLAINT" }, ":at": { S: at } });
    });

    it("recordTransientBounce adds to an open window with a single UpdateItem returning ALL_NEW", async () => {
      ddb.on(UpdateItemCommand).resolves({
        Attributes: { transientBounceCount: { N: "2" }, transientWindowStart: { S: "2025-03-13T08:00:00.000Z" } },
      });
      const history = await store().recordTransientBounce(record);
      expect(history).to.deep.equal({ transientBounceCount: 2, transientWindowStart: "2025-03-13T08:00:00.000Z" });
      expect(ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input)).to.deep.equal([continueWindow]);
    });

    it("recordTransientBounce starts a new window at this bounce when there is none or it is stale", async () => {
      ddb
        .on(UpdateItemCommand)
        .rejectsOnce(ccf({ emailAddress: { S: "full.mailbox@example.net" }, transientWindowStart: { S: "2025-03-01T00:00:00.000Z" } }))
        .resolvesOnce({ Attributes: { transientBounceCount: { N: "1" }, transientWindowStart: { S: at } } });
      const history = await store().recordTransientBounce(record);
      expect(history).to.deep.equal({ transientBounceCount: 1, transientWindowStart: at });
      expect(ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input)).to.deep.equal([continueWindow, newWindow]);
    });

    it("recordTransientBounce does not count the same bounce twice, even after later bounces were counted, and returns the stored counter", async () => {
      ddb.on(UpdateItemCommand).rejects(
        ccf({
          emailAddress: { S: "full.mailbox@example.net" },
          transientBounceCount: { N: "2" },
          transientWindowStart: { S: "2025-03-13T08:00:00.000Z" },
          countedTransientKeys: { SS: ["msg-0#fb-0", "msg-1#fb-1", "msg-2#fb-2"] },
        }),
      );
      const history = await store().recordTransientBounce(record);
      expect(history).to.deep.equal({ transientBounceCount: 2, transientWindowStart: "2025-03-13T08:00:00.000Z" });
      expect(ddb.commandCalls(UpdateItemCommand)).to.have.length(1);
    });

    it("recordTransientBounce gives up with a retryable error after losing the race three times", async () => {
      ddb.on(UpdateItemCommand).rejects(ccf({ emailAddress: { S: "full.mailbox@example.net" } }));
      const error = await store().recordTransientBounce(record).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ContactStoreConflictError);
      expect(ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input.ConditionExpression)).to.deep.equal([
        continueWindow.ConditionExpression,
        newWindow.ConditionExpression,
        continueWindow.ConditionExpression,
        newWindow.ConditionExpression,
        continueWindow.ConditionExpression,
        newWindow.ConditionExpression,
      ]);
    });

    it("recordTransientBounce rethrows other errors unchanged", async () => {
      const throttled = new SESv2ServiceException({ name: "ProvisionedThroughputExceededException", $fault: "client", $metadata: {} });
      ddb.on(UpdateItemCommand).rejects(throttled);
      const error = await store().recordTransientBounce(record).catch((e: unknown) => e);
      expect(error).to.equal(throttled);
    });
  });
});

// =================================================================================================
// Service (fakes, no SDK)
// =================================================================================================

/** In-memory ContactStore with the same window semantics as the DynamoDB conditions. */
class FakeContactStore implements ContactStore {
  readonly suppressions: SuppressionRecord[] = [];
  readonly transients: TransientBounceRecord[] = [];
  readonly counters = new Map<string, TransientBounceHistory & { lastKey: string }>();

  async recordSuppression(record: SuppressionRecord): Promise<void> {
    this.suppressions.push(record);
  }

  async recordTransientBounce(record: TransientBounceRecord): Promise<TransientBounceHistory> {
    this.transients.push(record);
    const current = this.counters.get(record.address);
    if (current?.lastKey === record.eventKey) return { transientBounceCount: current.transientBounceCount, transientWindowStart: current.transientWindowStart };
    const next =
      current && current.transientWindowStart >= record.windowStartCutoff
        ? { ...current, transientBounceCount: current.transientBounceCount + 1, lastKey: record.eventKey }
        : { transientBounceCount: 1, transientWindowStart: record.at, lastKey: record.eventKey };
    this.counters.set(record.address, next);
    return { transientBounceCount: next.transientBounceCount, transientWindowStart: next.transientWindowStart };
  }
}

class FakeSuppressionList implements SuppressionList {
  readonly calls: [string, SuppressionReason][] = [];
  failFor = new Map<string, Error>();
  failOnceFor = new Map<string, Error>();
  /** When set, every call waits for it (to hold a call in flight). */
  gate: Promise<void> | undefined;
  async suppress(address: string, reason: SuppressionReason): Promise<void> {
    this.calls.push([address, reason]);
    if (this.gate) await this.gate;
    const once = this.failOnceFor.get(address);
    this.failOnceFor.delete(address);
    const failure = once ?? this.failFor.get(address);
    if (failure) throw failure;
  }
}

describe("ses-event-processing: feedback service", () => {
  const setup = (settings: Partial<FeedbackPolicySettings> = {}) => {
    const suppressionList = new FakeSuppressionList();
    const contactStore = new FakeContactStore();
    const service = createFeedbackService({
      suppressionList,
      contactStore,
      settings: { ...DEFAULT_FEEDBACK_POLICY_SETTINGS, ...settings },
    });
    return { service, suppressionList, contactStore };
  };

  it("suppresses every recipient of a multi-recipient permanent bounce, then records each contact", async () => {
    const { service, suppressionList, contactStore } = setup();
    const outcomes = await service.processEvent(event("bounce-permanent-multi"));
    expect(suppressionList.calls).to.deep.equal([
      ["jane.doe@example.net", "BOUNCE"],
      ["richard.roe@example.net", "BOUNCE"],
      ["mary.major@example.com", "BOUNCE"],
    ]);
    expect(contactStore.suppressions).to.deep.equal(
      ["jane.doe@example.net", "richard.roe@example.net", "mary.major@example.com"].map((address) => ({
        address,
        reason: "BOUNCE",
        at: "2025-03-14T10:02:11.000Z",
        countEvent: true,
        eventKey: "Bounce#0100019a2b3c5b20-2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a-000000#0100019a2b3c5e6f-7a8b9c0d-2e3f-4a5b-8c9d-0e1f2a3b4c5d-000000",
      })),
    );
    expect(outcomes.map((o) => [o.address, o.action, o.reason])).to.deep.equal([
      ["jane.doe@example.net", "suppressed", "BOUNCE"],
      ["richard.roe@example.net", "suppressed", "BOUNCE"],
      ["mary.major@example.com", "suppressed", "BOUNCE"],
    ]);
  });

  it("touches nothing for a delivery or an exempt complaint", async () => {
    const { service, suppressionList, contactStore } = setup();
    const outcomes = [...(await service.processEvent(event("delivery"))), ...(await service.processEvent(event("complaint-not-spam")))];
    expect(outcomes).to.deep.equal([
      { address: "delivered.ok@example.net", action: "ignored", detail: "delivery" },
      { address: "happy.reader@example.net", action: "ignored", detail: 'complaint with exempt feedback type "not-spam"' },
    ]);
    expect(suppressionList.calls).to.deep.equal([]);
    expect(contactStore.suppressions).to.deep.equal([]);
    expect(contactStore.transients).to.deep.equal([]);
  });

  it("suppresses a not-spam complaint when the exemption is off", async () => {
    const { service, suppressionList } = setup({ complaintExemptFeedbackTypes: [] });
    await service.processEvent(event("complaint-not-spam"));
    expect(suppressionList.calls).to.deep.equal([["happy.reader@example.net", "COMPLAINT"]]);
  });

  it("suppresses on the third transient bounce within 72 h (threshold 3), marking the contact without recounting", async () => {
    const { service, suppressionList, contactStore } = setup({ transientBounceThreshold: 3 });
    const address = "full.mailbox@example.net";
    const results = [];
    for (const [i, hours] of [0, 10, 20].entries()) {
      results.push(...(await service.processEvent(transientBounce(address, hoursAfter(T0, hours), String(i)))));
    }
    expect(results.map((o) => [o.action, o.transientBounceCount])).to.deep.equal([
      ["transient-recorded", 1],
      ["transient-recorded", 2],
      ["suppressed", 3],
    ]);
    expect(suppressionList.calls).to.deep.equal([[address, "BOUNCE"]]);
    expect(contactStore.suppressions).to.deep.equal([{ address, reason: "BOUNCE", at: hoursAfter(T0, 20), countEvent: false, eventKey: "Bounce#msg-2#fb-2" }]);
    expect(contactStore.transients.map((t) => [t.at, t.windowStartCutoff, t.eventKey])).to.deep.equal([
      [T0, hoursAfter(T0, -72), "msg-0#fb-0"],
      [hoursAfter(T0, 10), hoursAfter(T0, -62), "msg-1#fb-1"],
      [hoursAfter(T0, 20), hoursAfter(T0, -52), "msg-2#fb-2"],
    ]);
  });

  it("does not suppress three transient bounces spread beyond the 72 h window", async () => {
    const { service, suppressionList } = setup({ transientBounceThreshold: 3 });
    const address = "full.mailbox@example.net";
    const results = [];
    for (const [i, hours] of [0, 40, 80].entries()) {
      results.push(...(await service.processEvent(transientBounce(address, hoursAfter(T0, hours), String(i)))));
    }
    expect(results.map((o) => [o.action, o.transientBounceCount])).to.deep.equal([
      ["transient-recorded", 1],
      ["transient-recorded", 2],
      ["transient-recorded", 1],
    ]);
    expect(suppressionList.calls).to.deep.equal([]);
  });

  it("attempts every recipient and reports the failures by error name only", async () => {
    const { service, suppressionList, contactStore } = setup();
    const throttled = new TooManyRequestsException({ message: "Too many requests for richard.roe@example.net", $metadata: {} });
    suppressionList.failFor.set("richard.roe@example.net", throttled);
    const error = await service.processEvent(event("bounce-permanent-multi")).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RecipientFailuresError);
    const failure = error as RecipientFailuresError;
    expect(failure.message).to.equal("1 of 3 recipients failed: TooManyRequestsException");
    expect(failure.failures).to.deep.equal([{ address: "richard.roe@example.net", error: throttled }]);
    expect(failure.outcomes.map((o) => o.address)).to.deep.equal(["jane.doe@example.net", "mary.major@example.com"]);
    expect(suppressionList.calls.map(([a]) => a)).to.deep.equal(["jane.doe@example.net", "richard.roe@example.net", "mary.major@example.com"]);
    expect(contactStore.suppressions.map((s) => s.address)).to.deep.equal(["jane.doe@example.net", "mary.major@example.com"]);
  });

  it("skips an address whose suppression this batch already handled", async () => {
    const { service, suppressionList } = setup();
    const batch = createBatchDeduplicator();
    const first = await service.processEvent(event("bounce-permanent"), { batch });
    const second = await service.processEvent({ ...event("bounce-permanent"), sesMessageId: "another-message" }, { batch });
    expect(suppressionList.calls).to.deep.equal([["no.such.user@example.net", "BOUNCE"]]);
    expect(first[0].duplicate).to.equal(undefined);
    expect(second).to.deep.equal([
      {
        address: "no.such.user@example.net",
        action: "suppressed",
        reason: "BOUNCE",
        detail: "Permanent/General bounce (already handled in this batch)",
        duplicate: "batch",
      },
    ]);
  });

  it("does not acknowledge a batch duplicate whose twin failed: the duplicate is processed itself", async () => {
    const { service, suppressionList, contactStore } = setup();
    const batch = createBatchDeduplicator();
    const throttled = new TooManyRequestsException({ message: "Too many requests", $metadata: {} });
    suppressionList.failOnceFor.set("no.such.user@example.net", throttled);
    const first = await service.processEvent(event("bounce-permanent"), { batch }).catch((e: unknown) => e);
    expect(first).to.be.instanceOf(RecipientFailuresError);
    const second = await service.processEvent({ ...event("bounce-permanent"), sesMessageId: "another-message" }, { batch });
    expect(suppressionList.calls).to.deep.equal([
      ["no.such.user@example.net", "BOUNCE"],
      ["no.such.user@example.net", "BOUNCE"],
    ]);
    expect(second).to.deep.equal([{ address: "no.such.user@example.net", action: "suppressed", reason: "BOUNCE", detail: "Permanent/General bounce" }]);
    expect(contactStore.suppressions.map((r) => r.eventKey)).to.deep.equal([
      "Bounce#another-message#0100019a2b3c4d5e-6f7a8b9c-1d2e-4f3a-9b8c-7d6e5f4a3b2c-000000",
    ]);
  });

  it("makes a concurrent batch duplicate wait for its twin, and acknowledges it only once the twin succeeded", async () => {
    const { service, suppressionList } = setup();
    const batch = createBatchDeduplicator();
    let release!: () => void;
    suppressionList.gate = new Promise<void>((resolve) => (release = resolve));
    const first = service.processEvent(event("bounce-permanent"), { batch });
    const second = service.processEvent({ ...event("bounce-permanent"), sesMessageId: "another-message" }, { batch });
    let secondSettled = false;
    void second.then(() => (secondSettled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondSettled, "the duplicate settled before its twin").to.equal(false);
    release();
    expect((await first)[0].duplicate).to.equal(undefined);
    expect((await second)[0].duplicate).to.equal("batch");
    expect(suppressionList.calls).to.have.length(1);
  });

  it("fails a concurrent batch duplicate whose twin failed and whose own attempt fails too, so neither is acknowledged", async () => {
    const { service, suppressionList } = setup();
    const batch = createBatchDeduplicator();
    suppressionList.failFor.set("no.such.user@example.net", new TooManyRequestsException({ message: "Too many requests", $metadata: {} }));
    const results = await Promise.allSettled([
      service.processEvent(event("bounce-permanent"), { batch }),
      service.processEvent({ ...event("bounce-permanent"), sesMessageId: "another-message" }, { batch }),
      service.processEvent({ ...event("bounce-permanent"), sesMessageId: "a-third-message" }, { batch }),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(["rejected", "rejected", "rejected"]);
    // Each one tried in turn, one at a time: a failed twin never lets a duplicate through.
    expect(suppressionList.calls).to.have.length(3);
  });

  it("neither suppresses nor records an address SES would reject, and reports why", async () => {
    const { service, suppressionList, contactStore } = setup({ transientBounceThreshold: 1 });
    const bad = { ...event("bounce-permanent"), recipients: ["undisclosed-recipients:;", "jos\u00e9@example.net", "ok.user@example.net"] };
    const outcomes = await service.processEvent(bad);
    expect(outcomes).to.deep.equal([
      { address: "undisclosed-recipients:;", action: "invalid-address", problem: "not-an-address", detail: "Permanent/General bounce: address not accepted by SES (not-an-address)" },
      { address: "jos\u00e9@example.net", action: "invalid-address", problem: "non-ascii", detail: "Permanent/General bounce: address not accepted by SES (non-ascii)" },
      { address: "ok.user@example.net", action: "suppressed", reason: "BOUNCE", detail: "Permanent/General bounce" },
    ]);
    expect(suppressionList.calls).to.deep.equal([["ok.user@example.net", "BOUNCE"]]);
    expect(contactStore.suppressions.map((r) => r.address)).to.deep.equal(["ok.user@example.net"]);
    const transient = await service.processEvent(transientBounce("no-domain@", T0, "x"));
    expect(transient.map((o) => [o.action, o.problem])).to.deep.equal([["invalid-address", "not-an-address"]]);
    expect(contactStore.transients).to.deep.equal([]);
  });

  it("runs each recipient through the guard with the idempotency key and reports redeliveries", async () => {
    const suppressionList = new FakeSuppressionList();
    const keys: unknown[] = [];
    const service = createFeedbackService({
      suppressionList,
      contactStore: new FakeContactStore(),
      settings: DEFAULT_FEEDBACK_POLICY_SETTINGS,
      recipientGuard: async (work) => {
        keys.push(work.key);
        return { action: "suppressed", reason: "COMPLAINT", detail: "complaint (abuse)", duplicate: true };
      },
    });
    const outcomes = await service.processEvent(event("complaint-abuse"));
    expect(keys).to.deep.equal([
      {
        sesMessageId: "0100019a2b3c8e50-5a6b7c8d-9e0f-4a1b-2c3d-4e5f6a7b8c9d-000000",
        eventType: "Complaint",
        feedbackId: "0100019a2b3c8b92-0d1e2f3a-5b6c-4d7e-9f2a-3b4c5d6e7f80-000000",
        recipient: "angry.reader@example.net",
      },
    ]);
    expect(outcomes).to.deep.equal([
      { address: "angry.reader@example.net", action: "suppressed", reason: "COMPLAINT", detail: "complaint (abuse)", duplicate: "redelivery" },
    ]);
    expect(suppressionList.calls).to.deep.equal([]);
  });
});

// =================================================================================================
// Handler (SQS event → SDK calls, with SDK mocks)
// =================================================================================================

const CONTACT_TABLE = "due-contacts";
const IDEMPOTENCY_TABLE = "due-idempotency";

type Item = Record<string, AttributeValue>;

/**
 * Enough of DynamoDB for the handler: the Powertools idempotency table (PutItem with its
 * condition, UpdateItem, GetItem, DeleteItem) and the contact table's UpdateItem expressions.
 */
class FakeDynamoDb {
  readonly idempotency = new Map<string, Item>();
  readonly contacts = new Map<string, Item>();

  install(mock: DynamoDbMock): void {
    mock.on(PutItemCommand).callsFake((input: PutItemCommandInput) => this.putItem(input));
    mock.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) =>
      input.TableName === IDEMPOTENCY_TABLE ? this.updateIdempotency(input) : this.updateContact(input),
    );
    mock.on(GetItemCommand).callsFake((input: { Key: Item }) => ({ Item: this.idempotency.get(input.Key.id.S!) }));
    mock.on(DeleteItemCommand).callsFake((input: { Key: Item }) => {
      this.idempotency.delete(input.Key.id.S!);
      return {};
    });
  }

  private putItem(input: PutItemCommandInput) {
    expect(input.TableName).to.equal(IDEMPOTENCY_TABLE);
    const item = input.Item!;
    const existing = this.idempotency.get(item.id.S!);
    const values = input.ExpressionAttributeValues!;
    const now = Number(values[":now"].N);
    const nowMs = Number(values[":now_in_millis"].N);
    const writable =
      existing === undefined ||
      Number(existing.expiration.N) < now ||
      (existing.status.S === "INPROGRESS" &&
        existing.in_progress_expiration !== undefined &&
        Number(existing.in_progress_expiration.N) < nowMs);
    if (!writable) {
      throw new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {}, Item: structuredClone(existing) });
    }
    this.idempotency.set(item.id.S!, structuredClone(item));
    return {};
  }

  private updateIdempotency(input: UpdateItemCommandInput) {
    const id = input.Key!.id.S!;
    const item = this.idempotency.get(id) ?? { id: { S: id } };
    applySet(item, input);
    this.idempotency.set(id, item);
    return {};
  }

  private updateContact(input: UpdateItemCommandInput) {
    expect(input.TableName).to.equal(CONTACT_TABLE);
    const address = input.Key!.emailAddress.S!;
    const existing = this.contacts.get(address);
    const item: Item = structuredClone(existing ?? { emailAddress: { S: address } });
    const values = input.ExpressionAttributeValues!;
    if (input.ConditionExpression !== undefined) {
      const condition = CONTACT_CONDITIONS[input.ConditionExpression];
      if (!condition) throw new Error(`unexpected ConditionExpression ${input.ConditionExpression}`);
      if (!condition(item, values)) {
        throw new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {}, Item: existing && structuredClone(existing) });
      }
    }
    applySet(item, input);
    this.contacts.set(address, item);
    return input.ReturnValues === "ALL_NEW" ? { Attributes: structuredClone(item) } : {};
  }
}

const notCounted = (item: Item, v: Item) => !(item.countedTransientKeys?.SS ?? []).includes(v[":key"].S!);
const CONTACT_CONDITIONS: Record<string, (item: Item, values: Item) => boolean> = {
  "transientWindowStart >= :cutoff AND (attribute_not_exists(countedTransientKeys) OR NOT contains(countedTransientKeys, :key))": (item, v) =>
    item.transientWindowStart !== undefined && item.transientWindowStart.S! >= v[":cutoff"].S! && notCounted(item, v),
  "(attribute_not_exists(transientWindowStart) OR transientWindowStart < :cutoff) AND (attribute_not_exists(countedTransientKeys) OR NOT contains(countedTransientKeys, :key))":
    (item, v) => (item.transientWindowStart === undefined || item.transientWindowStart.S! < v[":cutoff"].S!) && notCounted(item, v),
  "attribute_not_exists(countedEventKeys) OR (NOT contains(countedEventKeys, :key) AND size(countedEventKeys) < :limit)": (item, v) =>
    item.countedEventKeys === undefined ||
    (!item.countedEventKeys.L!.some((k) => k.S === v[":key"].S) && item.countedEventKeys.L!.length < Number(v[":limit"].N)),
  "eventCount = :seen": (item, v) => item.eventCount?.N === v[":seen"].N,
};

/** Applies "SET a = :v, b = if_not_exists(b, :w) ADD c :n" to an item. */
function applySet(item: Item, input: UpdateItemCommandInput): void {
  const names = input.ExpressionAttributeNames ?? {};
  const values = input.ExpressionAttributeValues ?? {};
  const name = (token: string) => names[token] ?? token;
  const match = /^SET (.*?)(?: ADD (.*))?$/.exec(input.UpdateExpression!);
  if (!match) throw new Error(`unsupported UpdateExpression ${input.UpdateExpression}`);
  for (const clause of match[1].split(/,\s*(?![^()]*\))/)) {
    const [lhs, rhs] = clause.split(" = ");
    const ifNotExists = /^if_not_exists\((\S+), (:\w+)\)$/.exec(rhs);
    const listAppend = /^list_append\(if_not_exists\((\S+), (:\w+)\), (:\w+)\)$/.exec(rhs);
    if (listAppend) {
      item[name(lhs)] = { L: [...(item[name(lhs)]?.L ?? values[listAppend[2]].L!), ...values[listAppend[3]].L!] };
    } else if (ifNotExists) {
      if (item[name(lhs)] === undefined) item[name(lhs)] = values[ifNotExists[2]];
    } else {
      item[name(lhs)] = values[rhs];
    }
  }
  for (const clause of match[2]?.split(/,\s*/) ?? []) {
    const [attr, value] = clause.split(" ");
    const added = values[value];
    if (added.SS !== undefined) {
      item[name(attr)] = { SS: [...new Set([...(item[name(attr)]?.SS ?? []), ...added.SS])] };
    } else {
      item[name(attr)] = { N: String(Number(item[name(attr)]?.N ?? "0") + Number(added.N)) };
    }
  }
}

const lambdaContext = {
  functionName: "due-ses-event-processor",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:due-ses-event-processor",
  memoryLimitInMB: "256",
  awsRequestId: "c0ffee00-0000-4000-8000-000000000001",
  logGroupName: "/aws/lambda/due-ses-event-processor",
  logStreamName: "2025/03/15/[$LATEST]0123456789abcdef",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

interface Invocation {
  response: SQSBatchResponse;
  lines: string[];
  logs: Record<string, unknown>[];
  metrics: Record<string, number>;
}

/** Sums EMF metric values by name (and "name|Reason=x" for the Reason dimension). */
function emfMetrics(lines: string[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of lines) {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const aws = parsed._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } | undefined;
    if (!aws) continue;
    for (const { Name } of aws.CloudWatchMetrics[0].Metrics) {
      const key = parsed.Reason ? `${Name}|Reason=${String(parsed.Reason)}` : Name;
      totals[key] = (totals[key] ?? 0) + Number(parsed[Name]);
    }
  }
  return totals;
}

describe("ses-event-processing: SQS handler", function () {
  let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  let IDEMPOTENCY_KEY_PREFIX: string;
  let ses: SesMock;
  let ddb: DynamoDbMock;
  let dynamo: FakeDynamoDb;
  const savedEnv = { ...process.env };

  before(async () => {
    ses = mockClient(SESv2Client);
    ddb = mockClient(DynamoDBClient);
    Object.assign(process.env, {
      AWS_REGION: "us-east-1",
      CONTACT_TABLE_NAME: CONTACT_TABLE,
      IDEMPOTENCY_TABLE_NAME: IDEMPOTENCY_TABLE,
      TRANSIENT_BOUNCE_THRESHOLD: "2",
      TRANSIENT_BOUNCE_WINDOW_HOURS: "72",
      POWERTOOLS_SERVICE_NAME: "ses-event-processing",
      POWERTOOLS_METRICS_NAMESPACE: "DigitalUserEngagementTest",
      POWERTOOLS_LOG_LEVEL: "INFO",
    });
    delete process.env.COMPLAINT_EXEMPT_FEEDBACK_TYPES;
    delete process.env.POWERTOOLS_DEV;
    ({ handler, IDEMPOTENCY_KEY_PREFIX } = await import("../../functions/ses-event-processing/processor.js"));
  });

  after(() => {
    ses.restore();
    ddb.restore();
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  });

  beforeEach(() => {
    ses.reset();
    ddb.reset();
    ses.on(PutSuppressedDestinationCommand).resolves({});
    dynamo = new FakeDynamoDb();
    dynamo.install(ddb);
  });

  async function invoke(...records: SQSRecord[]): Promise<Invocation> {
    const chunks: string[] = [];
    const out = process.stdout.write;
    const err = process.stderr.write;
    const capture = ((chunk: unknown) => {
      chunks.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    let response: SQSBatchResponse;
    try {
      response = await handler(sqsEvent(...records), lambdaContext);
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
    }
    const lines = chunks.join("").split("\n").filter((l) => l.trim() !== "");
    const logs = lines
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return { unparsed: l };
        }
      })
      .filter((l) => !("_aws" in l));
    return { response, lines, logs, metrics: emfMetrics(lines) };
  }

  const sesInputs = () => ses.commandCalls(PutSuppressedDestinationCommand).map((c) => c.args[0].input);
  const contactUpdates = () =>
    ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input).filter((i) => i.TableName === CONTACT_TABLE);
  const byAddress = (a: { EmailAddress?: string }, b: { EmailAddress?: string }) => (a.EmailAddress ?? "").localeCompare(b.EmailAddress ?? "");

  for (const form of FIXTURE_FORMS) {
    it(`suppresses a permanent bounce and an abuse complaint and ignores a delivery, delivered as ${form}`, async () => {
      const { response, metrics } = await invoke(
        sqsRecord(sqsBody("bounce-permanent", form), "m-bounce"),
        sqsRecord(sqsBody("complaint-abuse", form), "m-complaint"),
        sqsRecord(sqsBody("delivery", form), "m-delivery"),
      );
      expect(response).to.deep.equal({ batchItemFailures: [] });
      expect(sesInputs().sort(byAddress)).to.deep.equal([
        { EmailAddress: "angry.reader@example.net", Reason: "COMPLAINT" },
        { EmailAddress: "no.such.user@example.net", Reason: "BOUNCE" },
      ]);
      expect(contactUpdates().map((u) => [u.Key!.emailAddress.S, u.ExpressionAttributeValues![":reason"].S]).sort()).to.deep.equal([
        ["angry.reader@example.net", "COMPLAINT"],
        ["no.such.user@example.net", "BOUNCE"],
      ]);
      expect(metrics).to.include({ "Suppressed|Reason=BOUNCE": 1, "Suppressed|Reason=COMPLAINT": 1, Ignored: 1, MalformedRecord: 0, Duplicate: 0 });
    });
  }

  it("sends one PutSuppressedDestination per recipient of a multi-recipient bounce, with exact inputs", async () => {
    const { response, metrics } = await invoke(sqsRecord(sqsBody("bounce-permanent-multi", "sns-envelope"), "m-1"));
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(sesInputs()).to.deep.equal([
      { EmailAddress: "jane.doe@example.net", Reason: "BOUNCE" },
      { EmailAddress: "richard.roe@example.net", Reason: "BOUNCE" },
      { EmailAddress: "mary.major@example.com", Reason: "BOUNCE" },
    ]);
    expect(contactUpdates().map((u) => u.Key!.emailAddress.S)).to.deep.equal([
      "jane.doe@example.net",
      "richard.roe@example.net",
      "mary.major@example.com",
    ]);
    expect(dynamo.contacts.get("jane.doe@example.net")).to.deep.equal({
      emailAddress: { S: "jane.doe@example.net" },
      status: { S: "SUPPRESSED" },
      lastReason: { S: "BOUNCE" },
      firstEventAt: { S: "2025-03-14T10:02:11.000Z" },
      lastEventAt: { S: "2025-03-14T10:02:11.000Z" },
      eventCount: { N: "1" },
      countedEventKeys: { L: [{ S: "Bounce#0100019a2b3c5b20-2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a-000000#0100019a2b3c5e6f-7a8b9c0d-2e3f-4a5b-8c9d-0e1f2a3b4c5d-000000" }] },
    });
    expect(metrics).to.include({ "Suppressed|Reason=BOUNCE": 3 });
  });

  it("fails exactly the malformed records (bad JSON, no discriminator, schema failure) and processes the rest", async () => {
    const noDiscriminator = JSON.stringify({ mail: notification("bounce-permanent").mail });
    const schemaFailure = JSON.stringify({ ...notification("bounce-permanent"), bounce: { bounceType: "Permanent" } });
    const { response, metrics, logs } = await invoke(
      sqsRecord(sqsBody("bounce-permanent", "raw"), "m-good-1"),
      sqsRecord("{this is not json", "m-bad-json"),
      sqsRecord(noDiscriminator, "m-no-type"),
      sqsRecord(schemaFailure, "m-schema"),
      sqsRecord(sqsBody("complaint-abuse", "eventbridge"), "m-good-2"),
    );
    expect(response).to.deep.equal({
      batchItemFailures: [{ itemIdentifier: "m-bad-json" }, { itemIdentifier: "m-no-type" }, { itemIdentifier: "m-schema" }],
    });
    expect(sesInputs().sort(byAddress)).to.deep.equal([
      { EmailAddress: "angry.reader@example.net", Reason: "COMPLAINT" },
      { EmailAddress: "no.such.user@example.net", Reason: "BOUNCE" },
    ]);
    expect(metrics).to.include({ MalformedRecord: 3 });
    const warnings = logs.filter((l) => l.message === "Malformed SES feedback record").map((l) => [l.messageId, l.error]);
    expect(warnings).to.deep.equal([
      ["m-bad-json", "body is not valid JSON"],
      ["m-no-type", "SES event: no notificationType or eventType discriminator"],
      ["m-schema", "SES event: bounce.bouncedRecipients: Invalid input: expected array, received undefined; bounce.timestamp: Invalid input: expected string, received undefined"],
    ]);
  });

  it("reports every record when the whole batch is malformed, instead of throwing", async () => {
    const { response } = await invoke(sqsRecord("not json", "m-only"));
    expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m-only" }] });
  });

  for (const [label, throttle] of [
    ["ThrottlingException", () => new SESv2ServiceException({ name: "ThrottlingException", $fault: "client", $metadata: { httpStatusCode: 400 }, message: "Rate exceeded" })],
    ["TooManyRequestsException", () => new TooManyRequestsException({ $metadata: { httpStatusCode: 429 }, message: "Too many requests" })],
  ] as const) {
    it(`fails the record whose PutSuppressedDestination is throttled (${label}) and releases its idempotency record`, async () => {
      ses.on(PutSuppressedDestinationCommand, { EmailAddress: "angry.reader@example.net" }).rejects(throttle());
      const { response, metrics, logs } = await invoke(
        sqsRecord(sqsBody("bounce-permanent", "sns-envelope"), "m-ok"),
        sqsRecord(sqsBody("complaint-abuse", "sns-envelope"), "m-throttled"),
      );
      expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m-throttled" }] });
      expect(contactUpdates().map((u) => u.Key!.emailAddress.S)).to.deep.equal(["no.such.user@example.net"]);
      // The in-progress record was deleted, so the redelivery is processed, not treated as a duplicate.
      expect(ddb.commandCalls(DeleteItemCommand)).to.have.length(1);
      expect(dynamo.idempotency.size).to.equal(1);
      expect(metrics).to.include({ FailedRecord: 1, Throttled: 1, "Suppressed|Reason=BOUNCE": 1 });
      const failure = logs.find((l) => l.message === "SES feedback record failed");
      expect(failure).to.include({ level: "ERROR", messageId: "m-throttled", retryable: true });
      expect(failure!.errors).to.deep.equal([label]);

      ses.reset();
      ses.on(PutSuppressedDestinationCommand).resolves({});
      const retry = await invoke(sqsRecord(sqsBody("complaint-abuse", "sns-envelope"), "m-throttled"));
      expect(retry.response).to.deep.equal({ batchItemFailures: [] });
      expect(retry.metrics).to.include({ "Suppressed|Reason=COMPLAINT": 1, Duplicate: 0 });
    });
  }

  it("fails a record on a non-retryable error too, so it reaches the DLQ after redrive", async () => {
    ses.on(PutSuppressedDestinationCommand).rejects(
      new SESv2ServiceException({ name: "AccessDeniedException", $fault: "client", $metadata: { httpStatusCode: 403 }, message: "not authorized" }),
    );
    const { response, logs } = await invoke(sqsRecord(sqsBody("bounce-permanent", "raw"), "m-denied"));
    expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m-denied" }] });
    const failure = logs.find((l) => l.message === "SES feedback record failed");
    expect(failure).to.include({ messageId: "m-denied", retryable: false });
    expect(failure!.errors).to.deep.equal(["AccessDeniedException"]);
    expect(contactUpdates()).to.deep.equal([]);
  });

  it("does not update the contact table again when the same notification is redelivered (second invocation)", async () => {
    const first = await invoke(sqsRecord(sqsBody("bounce-permanent-multi", "sns-envelope"), "m-first"));
    expect(first.response).to.deep.equal({ batchItemFailures: [] });
    expect(contactUpdates()).to.have.length(3);
    expect([...dynamo.idempotency.values()].map((i) => i.status.S)).to.deep.equal(["COMPLETED", "COMPLETED", "COMPLETED"]);

    ses.resetHistory();
    ddb.resetHistory();
    const second = await invoke(sqsRecord(sqsBody("bounce-permanent-multi", "sns-envelope"), "m-second"));
    expect(second.response).to.deep.equal({ batchItemFailures: [] });
    expect(sesInputs()).to.deep.equal([]);
    expect(contactUpdates()).to.deep.equal([]);
    // Each recipient's PutItem hit the stored record (ConditionalCheckFailedException with the item).
    expect(ddb.commandCalls(PutItemCommand)).to.have.length(3);
    expect(dynamo.contacts.get("jane.doe@example.net")!.eventCount).to.deep.equal({ N: "1" });
    expect(second.metrics).to.include({ Duplicate: 3 });
    expect(second.metrics["Suppressed|Reason=BOUNCE"]).to.equal(undefined);
  });

  it("keys the idempotency record on sesMessageId, eventType, feedbackId and recipient, with the configured TTL", async () => {
    const before = Math.floor(Date.now() / 1000);
    await invoke(sqsRecord(sqsBody("complaint-abuse", "raw"), "m-1"));
    const key = {
      eventType: "Complaint",
      feedbackId: "0100019a2b3c8b92-0d1e2f3a-5b6c-4d7e-9f2a-3b4c5d6e7f80-000000",
      recipient: "angry.reader@example.net",
      sesMessageId: "0100019a2b3c8e50-5a6b7c8d-9e0f-4a1b-2c3d-4e5f6a7b8c9d-000000",
    };
    const id = `${IDEMPOTENCY_KEY_PREFIX}#${createHash("md5").update(JSON.stringify(key)).digest("base64")}`;
    const put = ddb.commandCalls(PutItemCommand)[0].args[0].input;
    expect(put.TableName).to.equal(IDEMPOTENCY_TABLE);
    expect(put.Item!.id).to.deep.equal({ S: id });
    expect(put.Item!.status).to.deep.equal({ S: "INPROGRESS" });
    expect(Number(put.Item!.expiration.N) - before).to.be.within(86_400, 86_402);
    expect(dynamo.idempotency.get(id)!.data).to.deep.equal({
      M: { action: { S: "suppressed" }, reason: { S: "COMPLAINT" }, detail: { S: "complaint (abuse)" } },
    });
  });

  it("treats a pre-existing COMPLETED idempotency record as a duplicate without any side effect", async () => {
    const key = {
      eventType: "Bounce",
      feedbackId: "0100019a2b3c4d5e-6f7a8b9c-1d2e-4f3a-9b8c-7d6e5f4a3b2c-000000",
      recipient: "no.such.user@example.net",
      sesMessageId: "0100019a2b3c4a10-1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f-000000",
    };
    const id = `${IDEMPOTENCY_KEY_PREFIX}#${createHash("md5").update(JSON.stringify(key)).digest("base64")}`;
    dynamo.idempotency.set(id, {
      id: { S: id },
      status: { S: "COMPLETED" },
      expiration: { N: String(Math.floor(Date.now() / 1000) + 3600) },
      data: { M: { action: { S: "suppressed" }, reason: { S: "BOUNCE" }, detail: { S: "Permanent/General bounce" } } },
    });
    const { response, metrics, logs } = await invoke(sqsRecord(sqsBody("bounce-permanent", "eventbridge"), "m-dup"));
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(sesInputs()).to.deep.equal([]);
    expect(contactUpdates()).to.deep.equal([]);
    expect(metrics).to.include({ Duplicate: 1 });
    const processed = logs.find((l) => l.message === "SES feedback processed") as { outcomes: unknown[] };
    expect(processed.outcomes).to.deep.equal([
      { recipient: "n***@e***.net", action: "suppressed", reason: "BOUNCE", duplicate: "redelivery", detail: "Permanent/General bounce" },
    ]);
  });

  it("fails the record while another invocation holds the same notification in progress", async () => {
    const key = {
      eventType: "Bounce",
      feedbackId: "0100019a2b3c4d5e-6f7a8b9c-1d2e-4f3a-9b8c-7d6e5f4a3b2c-000000",
      recipient: "no.such.user@example.net",
      sesMessageId: "0100019a2b3c4a10-1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f-000000",
    };
    const id = `${IDEMPOTENCY_KEY_PREFIX}#${createHash("md5").update(JSON.stringify(key)).digest("base64")}`;
    dynamo.idempotency.set(id, {
      id: { S: id },
      status: { S: "INPROGRESS" },
      expiration: { N: String(Math.floor(Date.now() / 1000) + 3600) },
      in_progress_expiration: { N: String(Date.now() + 60_000) },
    });
    const { response, logs } = await invoke(sqsRecord(sqsBody("bounce-permanent", "raw"), "m-busy"));
    expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m-busy" }] });
    expect(sesInputs()).to.deep.equal([]);
    const failure = logs.find((l) => l.message === "SES feedback record failed");
    expect(failure).to.include({ messageId: "m-busy", retryable: true });
    expect(failure!.errors).to.deep.equal(["IdempotencyAlreadyInProgressError"]);
  });

  it("fails the record when the idempotency table is throttled, logging the wrapped SDK error name", async () => {
    ddb.on(PutItemCommand).rejects(
      new SESv2ServiceException({ name: "ProvisionedThroughputExceededException", $fault: "client", $metadata: {}, message: "slow down" }),
    );
    const { response, logs, metrics } = await invoke(sqsRecord(sqsBody("complaint-abuse", "raw"), "m-ddb"));
    expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m-ddb" }] });
    expect(sesInputs()).to.deep.equal([]);
    const failure = logs.find((l) => l.message === "SES feedback record failed");
    expect(failure).to.include({ messageId: "m-ddb", retryable: true });
    expect(failure!.errors).to.deep.equal(["IdempotencyPersistenceLayerError(ProvisionedThroughputExceededException)"]);
    expect(metrics).to.include({ FailedRecord: 1, Throttled: 1 });
  });

  it("calls SES once when the same address appears twice in one batch", async () => {
    const again = notification("bounce-permanent") as { mail: { messageId: string }; bounce: { feedbackId: string } };
    again.mail.messageId = "0100019a2b3cffff-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee-000000";
    again.bounce.feedbackId = "0100019a2b3cffff-11111111-2222-4333-8444-555555555555-000000";
    const { response, metrics } = await invoke(
      sqsRecord(sqsBody("bounce-permanent", "sns-envelope"), "m-1"),
      sqsRecord(JSON.stringify(snsEnvelope(again)), "m-2"),
      sqsRecord(sqsBody("bounce-permanent", "raw"), "m-3"),
    );
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(sesInputs()).to.deep.equal([{ EmailAddress: "no.such.user@example.net", Reason: "BOUNCE" }]);
    expect(contactUpdates()).to.have.length(1);
    expect(metrics).to.include({ "Suppressed|Reason=BOUNCE": 1, Duplicate: 2 });
  });

  it("does not acknowledge a duplicate in the batch whose twin failed: it is processed itself and the address is suppressed", async () => {
    ses
      .on(PutSuppressedDestinationCommand, { EmailAddress: "no.such.user@example.net" })
      .rejectsOnce(new TooManyRequestsException({ $metadata: { httpStatusCode: 429 }, message: "Too many requests" }))
      .resolves({});
    const again = notification("bounce-permanent") as { mail: { messageId: string }; bounce: { feedbackId: string } };
    again.mail.messageId = "0100019a2b3cffff-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee-000000";
    again.bounce.feedbackId = "0100019a2b3cffff-11111111-2222-4333-8444-555555555555-000000";
    const { response, metrics } = await invoke(
      sqsRecord(sqsBody("bounce-permanent", "sns-envelope"), "m-1"),
      sqsRecord(JSON.stringify(snsEnvelope(again)), "m-2"),
    );
    expect(response).to.deep.equal({ batchItemFailures: [{ itemIdentifier: "m-1" }] });
    expect(sesInputs()).to.have.length(2);
    expect(contactUpdates().map((u) => u.Key!.emailAddress.S)).to.deep.equal(["no.such.user@example.net"]);
    expect(dynamo.contacts.get("no.such.user@example.net")!.status).to.deep.equal({ S: "SUPPRESSED" });
    expect(metrics).to.include({ "Suppressed|Reason=BOUNCE": 1, Duplicate: 0, FailedRecord: 1 });
  });

  it("acknowledges an address SES would reject without calling SES or the contact table, counting InvalidAddress and logging it masked", async () => {
    const bad = notification("bounce-permanent-multi") as { bounce: { bouncedRecipients: { emailAddress: string }[] } };
    bad.bounce.bouncedRecipients[1].emailAddress = "richard roe@example.net";
    bad.bounce.bouncedRecipients[2].emailAddress = "mary.major@[192.0.2.1]";
    const { response, metrics, logs, lines } = await invoke(sqsRecord(JSON.stringify(bad), "m-bad-address"));
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(sesInputs()).to.deep.equal([{ EmailAddress: "jane.doe@example.net", Reason: "BOUNCE" }]);
    expect(contactUpdates().map((u) => u.Key!.emailAddress.S)).to.deep.equal(["jane.doe@example.net"]);
    expect(metrics).to.include({ InvalidAddress: 2, "Suppressed|Reason=BOUNCE": 1, FailedRecord: 0 });
    const warning = logs.find((l) => l.message === "Recipient address not accepted by SES; not suppressed");
    expect(warning).to.include({ level: "WARN", messageId: "m-bad-address" });
    expect(warning!.recipients).to.deep.equal([
      { recipient: "r***@e***.net", problem: "local-part-syntax" },
      { recipient: "m***@[***.1]", problem: "domain-syntax" },
    ]);
    for (const line of lines) expect(line).not.to.match(/richard roe|mary\.major/);
  });

  it("ignores a not-spam complaint by default", async () => {
    const { response, metrics } = await invoke(sqsRecord(sqsBody("complaint-not-spam", "raw"), "m-1"));
    expect(response).to.deep.equal({ batchItemFailures: [] });
    expect(sesInputs()).to.deep.equal([]);
    expect(contactUpdates()).to.deep.equal([]);
    expect(metrics).to.include({ Ignored: 1 });
  });

  it("counts transient and undetermined bounces and suppresses at TRANSIENT_BOUNCE_THRESHOLD (2) within the window", async () => {
    const second = notification("bounce-undetermined") as {
      mail: { messageId: string; destination: string[] };
      bounce: { bouncedRecipients: { emailAddress: string }[]; timestamp: string };
    };
    second.bounce.bouncedRecipients = [{ emailAddress: "full.mailbox@example.net" }];
    second.bounce.timestamp = "2025-03-15T09:00:00.000Z";

    const first = await invoke(sqsRecord(sqsBody("bounce-transient", "raw"), "m-1"));
    expect(first.response).to.deep.equal({ batchItemFailures: [] });
    expect(sesInputs()).to.deep.equal([]);
    expect(first.metrics).to.include({ TransientBounce: 1 });
    expect(dynamo.contacts.get("full.mailbox@example.net")).to.include.keys("transientBounceCount", "transientWindowStart");
    expect(dynamo.contacts.get("full.mailbox@example.net")!.status).to.deep.equal({ S: "ACTIVE" });

    const again = await invoke(sqsRecord(JSON.stringify(snsEnvelope(second)), "m-2"));
    expect(again.response).to.deep.equal({ batchItemFailures: [] });
    expect(sesInputs()).to.deep.equal([{ EmailAddress: "full.mailbox@example.net", Reason: "BOUNCE" }]);
    expect(again.metrics).to.include({ "Suppressed|Reason=BOUNCE": 1, TransientBounce: 0 });
    expect(dynamo.contacts.get("full.mailbox@example.net")).to.deep.include({
      status: { S: "SUPPRESSED" },
      lastReason: { S: "BOUNCE" },
      transientBounceCount: { N: "2" },
      transientWindowStart: { S: "2025-03-14T11:15:40.000Z" },
      eventCount: { N: "2" },
    });
  });

  it("never writes a full email address to any log line, and logs masked recipients at INFO", async () => {
    ses.on(PutSuppressedDestinationCommand, { EmailAddress: "richard.roe@example.net" }).rejects(
      new SESv2ServiceException({ name: "ThrottlingException", $fault: "client", $metadata: {}, message: "Rate exceeded for richard.roe@example.net" }),
    );
    const { lines, logs } = await invoke(
      sqsRecord(sqsBody("bounce-permanent-multi", "sns-envelope"), "m-multi"),
      sqsRecord(sqsBody("complaint-abuse", "raw"), "m-complaint"),
      sqsRecord(sqsBody("bounce-transient", "eventbridge"), "m-transient"),
      sqsRecord(sqsBody("delivery", "raw"), "m-delivery"),
      sqsRecord('{"notificationType":"Bounce","mail":{"destination":["leak@example.net"]}}', "m-malformed"),
    );
    expect(lines.length).to.be.greaterThan(5);
    for (const line of lines) expect(line).not.to.match(/[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/i);
    const info = logs.filter((l) => l.level === "INFO");
    expect(info.flatMap((l) => ((l.outcomes ?? []) as { recipient: string }[]).map((o) => o.recipient)).sort()).to.deep.equal([
      "a***@e***.net",
      "d***@e***.net",
      "f***@e***.net",
    ]);
    const failed = logs.find((l) => l.message === "SES feedback record failed")!;
    expect(failed.failedRecipients).to.deep.equal(["r***@e***.net"]);
    expect((failed.outcomes as { recipient: string }[]).map((o) => o.recipient)).to.deep.equal(["j***@e***.net", "m***@e***.com"]);
  });
});
