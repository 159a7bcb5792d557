import { expect } from "chai";
import {
  SesEventBridgeEventSchema,
  SesFeedbackDocumentSchema,
  SesFeedbackParseError,
  SesSnsEnvelopeSchema,
  normaliseRecipients,
  parseSesFeedback,
  safeParseSesFeedback,
  sesAddressProblem,
  type FeedbackEvent,
  type SesAddressProblem,
} from "../../functions/shared/email/ses-events";
import {
  FIXTURE_FORMS,
  FIXTURE_NAMES,
  eventBridgeEvent,
  eventPublishing,
  notification,
  snsEnvelope,
  sqsBody,
  type FixtureName,
} from "../fixtures/ses";

const EXPECTED: Record<FixtureName, FeedbackEvent> = {
  "bounce-permanent": {
    kind: "bounce",
    eventType: "Bounce",
    sesMessageId: "0100019a2b3c4a10-1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f-000000",
    feedbackId: "0100019a2b3c4d5e-6f7a8b9c-1d2e-4f3a-9b8c-7d6e5f4a3b2c-000000",
    timestamp: "2025-03-14T09:26:53.000Z",
    bounceType: "Permanent",
    bounceSubType: "General",
    recipients: ["no.such.user@example.net"],
  },
  "bounce-permanent-multi": {
    kind: "bounce",
    eventType: "Bounce",
    sesMessageId: "0100019a2b3c5b20-2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a-000000",
    feedbackId: "0100019a2b3c5e6f-7a8b9c0d-2e3f-4a5b-8c9d-0e1f2a3b4c5d-000000",
    timestamp: "2025-03-14T10:02:11.000Z",
    bounceType: "Permanent",
    bounceSubType: "NoEmail",
    recipients: ["jane.doe@example.net", "richard.roe@example.net", "mary.major@example.com"],
  },
  "bounce-transient": {
    kind: "bounce",
    eventType: "Bounce",
    sesMessageId: "0100019a2b3c6c30-3e4f5a6b-7c8d-4e9f-0a1b-2c3d4e5f6a7b-000000",
    feedbackId: "0100019a2b3c6f70-8b9c0d1e-3f4a-4b5c-9d0e-1f2a3b4c5d6e-000000",
    timestamp: "2025-03-14T11:15:40.000Z",
    bounceType: "Transient",
    bounceSubType: "MailboxFull",
    recipients: ["full.mailbox@example.net"],
  },
  "bounce-undetermined": {
    kind: "bounce",
    eventType: "Bounce",
    sesMessageId: "0100019a2b3c7d40-4f5a6b7c-8d9e-4f0a-1b2c-3d4e5f6a7b8c-000000",
    feedbackId: "0100019a2b3c7a81-9c0d1e2f-4a5b-4c6d-8e1f-2a3b4c5d6e7f-000000",
    timestamp: "2025-03-14T12:40:05.000Z",
    bounceType: "Undetermined",
    bounceSubType: "Undetermined",
    recipients: ["unknown.state@example.net"],
  },
  "complaint-abuse": {
    kind: "complaint",
    eventType: "Complaint",
    sesMessageId: "0100019a2b3c8e50-5a6b7c8d-9e0f-4a1b-2c3d-4e5f6a7b8c9d-000000",
    feedbackId: "0100019a2b3c8b92-0d1e2f3a-5b6c-4d7e-9f2a-3b4c5d6e7f80-000000",
    timestamp: "2025-03-15T08:01:27.000Z",
    complaintFeedbackType: "abuse",
    recipients: ["angry.reader@example.net"],
  },
  "complaint-not-spam": {
    kind: "complaint",
    eventType: "Complaint",
    sesMessageId: "0100019a2b3c9f60-6b7c8d9e-0f1a-4b2c-3d4e-5f6a7b8c9d0e-000000",
    feedbackId: "0100019a2b3c9ca3-1e2f3a4b-6c7d-4e8f-0a3b-4c5d6e7f8091-000000",
    timestamp: "2025-03-15T09:12:44.000Z",
    complaintFeedbackType: "not-spam",
    recipients: ["happy.reader@example.net"],
  },
  delivery: {
    kind: "delivery",
    eventType: "Delivery",
    sesMessageId: "0100019a2b3cab70-7c8d9e0f-1a2b-4c3d-4e5f-6a7b8c9d0e1f-000000",
    timestamp: "2025-03-14T13:20:31.004Z",
    recipients: ["delivered.ok@example.net"],
  },
};

describe("SES feedback parsing (functions/shared/email/ses-events)", () => {
  describe("fixtures", () => {
    for (const name of FIXTURE_NAMES) {
      it(`${name}: the notification and event-publishing documents pass the SES document schema`, () => {
        expect(SesFeedbackDocumentSchema.safeParse(notification(name)).success).to.equal(true);
        expect(SesFeedbackDocumentSchema.safeParse(eventPublishing(name)).success).to.equal(true);
      });

      it(`${name}: the SNS envelope and the EventBridge event pass their envelope schemas`, () => {
        expect(SesSnsEnvelopeSchema.safeParse(snsEnvelope(notification(name))).success).to.equal(true);
        expect(SesEventBridgeEventSchema.safeParse(eventBridgeEvent(name)).success).to.equal(true);
      });
    }
  });

  describe("normalises every fixture in every form to the same FeedbackEvent", () => {
    for (const name of FIXTURE_NAMES) {
      for (const form of FIXTURE_FORMS) {
        it(`${name} as ${form}`, () => {
          const result = safeParseSesFeedback(sqsBody(name, form));
          expect(result).to.deep.equal({ ok: true, event: EXPECTED[name], form });
        });
      }
      it(`${name} as an SNS envelope carrying the event-publishing form (configuration set → SNS)`, () => {
        expect(parseSesFeedback(sqsBody(name, "sns-envelope", "event-publishing"))).to.deep.equal(EXPECTED[name]);
      });
      it(`${name} as a bare object and as a parsed EventBridge object`, () => {
        expect(parseSesFeedback(notification(name))).to.deep.equal(EXPECTED[name]);
        expect(parseSesFeedback(eventBridgeEvent(name))).to.deep.equal(EXPECTED[name]);
      });
    }
  });

  it("reads an SNS Lambda record (EventSource aws:sns)", () => {
    const envelope = snsEnvelope(notification("complaint-abuse"));
    const record = {
      EventSource: "aws:sns",
      EventVersion: "1.0",
      EventSubscriptionArn: `${envelope.TopicArn as string}:0b2b8bd4-1111-4c4c-9a9a-000000000002`,
      Sns: { ...envelope, UnsubscribeUrl: envelope.UnsubscribeURL, SigningCertUrl: envelope.SigningCertURL },
    };
    expect(safeParseSesFeedback(record)).to.deep.equal({ ok: true, event: EXPECTED["complaint-abuse"], form: "sns-record" });
  });

  it("tolerates fields SES may add later, at every level", () => {
    const doc = notification("bounce-permanent") as Record<string, Record<string, unknown>>;
    doc.futureTopLevel = { anything: true };
    doc.bounce.futureBounceField = "x";
    doc.mail.futureMailField = 42;
    const envelope = { ...snsEnvelope(doc), FutureEnvelopeField: "y" };
    expect(parseSesFeedback(JSON.stringify(envelope))).to.deep.equal(EXPECTED["bounce-permanent"]);
  });

  it("normalises other event-publishing types to kind 'other' with mail.destination as recipients", () => {
    const open = {
      eventType: "Open",
      mail: { ...(notification("delivery").mail as object), destination: ["Reader@Example.net"] },
      open: { ipAddress: "192.0.2.1", timestamp: "2025-03-14T14:00:00.000Z", userAgent: "Mozilla/5.0" },
    };
    expect(parseSesFeedback(open)).to.deep.equal({
      kind: "other",
      eventType: "Open",
      sesMessageId: EXPECTED.delivery.sesMessageId,
      timestamp: "2025-03-14T13:20:30.221Z",
      recipients: ["reader@example.net"],
    });
  });

  it("accepts SES's AmazonSnsSubscriptionSucceeded control message as an 'other' event without recipients", () => {
    const control = {
      notificationType: "AmazonSnsSubscriptionSucceeded",
      message: "You have successfully subscribed your Amazon SNS topic to receive 'Bounce' notifications.",
    };
    expect(parseSesFeedback(JSON.stringify(snsEnvelope(control)))).to.deep.equal({
      kind: "other",
      eventType: "AmazonSnsSubscriptionSucceeded",
      sesMessageId: "",
      timestamp: "2025-03-15T10:00:00.123Z",
      recipients: [],
    });
  });

  describe("rejects malformed input with an error that names the problem and contains no input values", () => {
    const bounce = notification("bounce-permanent") as Record<string, Record<string, unknown>>;
    const cases: { name: string; input: unknown; form: string; error: string }[] = [
      { name: "not JSON", input: "{not json", form: "unknown", error: "body is not valid JSON" },
      { name: "a JSON array", input: "[1,2]", form: "unknown", error: "input is not a JSON object" },
      { name: "a JSON string", input: '"Bounce"', form: "unknown", error: "input is not a JSON object" },
      {
        name: "no discriminator",
        input: { mail: bounce.mail, bounce: bounce.bounce },
        form: "raw",
        error: "SES event: no notificationType or eventType discriminator",
      },
      {
        name: "conflicting discriminators",
        input: { ...bounce, eventType: "Complaint" },
        form: "raw",
        error: "SES event: eventType: notificationType and eventType disagree",
      },
      {
        name: "a Bounce without its bounce object",
        input: { notificationType: "Bounce", mail: bounce.mail },
        form: "raw",
        error: "SES event: bounce: Bounce requires bounce",
      },
      {
        name: "a Complaint without mail",
        input: { eventType: "Complaint", complaint: notification("complaint-abuse").complaint },
        form: "raw",
        error: "SES event: mail: Complaint requires mail",
      },
      {
        name: "a bounce without recipients",
        input: { ...bounce, bounce: { ...bounce.bounce, bouncedRecipients: [] } },
        form: "raw",
        error: "SES event: bounce.bouncedRecipients: Too small: expected array to have >=1 items",
      },
      {
        name: "a bounce recipient that is not a string",
        input: { ...bounce, bounce: { ...bounce.bounce, bouncedRecipients: [{ emailAddress: 7 }] } },
        form: "raw",
        error: "SES event: bounce.bouncedRecipients.0.emailAddress: Invalid input: expected string, received number",
      },
      {
        name: "a bounce with an unparseable timestamp",
        input: {
          ...bounce,
          bounce: { ...bounce.bounce, timestamp: "yesterday" },
          mail: { ...bounce.mail, timestamp: "also not a date" },
        },
        form: "raw",
        error: "SES event: unparseable timestamp",
      },
      {
        name: "an SNS envelope whose Message is not JSON",
        input: JSON.stringify({ ...snsEnvelope({}), Message: "jane@example.net bounced" }),
        form: "sns-envelope",
        error: "SNS Message is not valid JSON",
      },
      {
        name: "an SNS envelope without TopicArn",
        input: JSON.stringify({ ...snsEnvelope(bounce), TopicArn: undefined }),
        form: "sns-envelope",
        error: "SNS envelope: TopicArn: Invalid input: expected string, received undefined",
      },
      {
        name: "an SNS subscription confirmation (not a Notification)",
        input: JSON.stringify({ ...snsEnvelope(bounce), Type: "SubscriptionConfirmation" }),
        form: "sns-envelope",
        error: 'SNS envelope: Type: Invalid input: expected "Notification"',
      },
      {
        name: "an EventBridge event from another source",
        input: { ...eventBridgeEvent("bounce-permanent"), source: "aws.ec2" },
        form: "eventbridge",
        error: 'EventBridge event: source: Invalid input: expected "aws.ses"',
      },
      {
        name: "an EventBridge event whose detail has no discriminator",
        input: { ...eventBridgeEvent("delivery"), detail: { mail: bounce.mail } },
        form: "eventbridge",
        error: "SES event: no notificationType or eventType discriminator",
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const result = safeParseSesFeedback(c.input);
        expect(result).to.deep.equal({ ok: false, form: c.form, error: c.error });
        expect(() => parseSesFeedback(c.input))
          .to.throw(SesFeedbackParseError, c.error)
          .with.property("form", c.form);
        expect(c.error).not.to.match(/@example\.(com|net)/);
      });
    }
  });

  describe("normaliseRecipients", () => {
    const cases: [string[], string[]][] = [
      [["Jane@Example.NET"], ["jane@example.net"]],
      [["  jane@example.net  "], ["jane@example.net"]],
      [['"Jane Doe" <Jane@example.net>'], ["jane@example.net"]],
      [["jane@example.net", "JANE@example.net", "richard@example.net"], ["jane@example.net", "richard@example.net"]],
      [["", "   "], []],
    ];
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
        expect(normaliseRecipients(input)).to.deep.equal(expected);
      });
    }
  });

  describe("sesAddressProblem: what may go on the SES suppression list", () => {
    const cases: [string, SesAddressProblem | undefined][] = [
      ["jane.doe@example.net", undefined],
      ["o'brien+news@mail.example.co.uk", undefined],
      ["x@xn--exmple-cua.com", undefined],
      ["a!#$%&*/=?^_`{|}~-@sub-domain.example", undefined],
      [`${"a".repeat(64)}@example.net`, undefined],
      ["undisclosed-recipients:;", "not-an-address"],
      ["", "not-an-address"],
      ["@example.net", "not-an-address"],
      ["jane@", "not-an-address"],
      ["josé@example.net", "non-ascii"],
      ["jane@exämple.net", "non-ascii"],
      [`${"a".repeat(65)}@example.net`, "local-part-too-long"],
      ["jane doe@example.net", "local-part-syntax"],
      [".jane@example.net", "local-part-syntax"],
      ["jane.@example.net", "local-part-syntax"],
      ["jane..doe@example.net", "local-part-syntax"],
      ['"jane doe"@example.net', "local-part-syntax"],
      ["jane@doe@example.net", "local-part-syntax"],
      [`jane@${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.example`, "domain-too-long"],
      ["jane@localhost", "domain-syntax"],
      ["jane@[192.0.2.1]", "domain-syntax"],
      ["jane@192.0.2.1", "domain-syntax"],
      ["jane@-example.net", "domain-syntax"],
      ["jane@example-.net", "domain-syntax"],
      ["jane@example..net", "domain-syntax"],
      ["jane@exa_mple.net", "domain-syntax"],
      [`jane@${"a".repeat(64)}.net`, "domain-syntax"],
      ["jane@example.net.", "domain-syntax"],
    ];
    for (const [address, expected] of cases) {
      it(`${JSON.stringify(address.length > 40 ? `${address.slice(0, 37)}...` : address)} → ${expected ?? "accepted"}`, () => {
        expect(sesAddressProblem(address)).to.equal(expected);
      });
    }
  });
});
