import { expect } from "chai";
import { ACCOUNT_KEY_ACTIONS, EncryptedTopic } from "../../components/shared";
import { allowedActions, build } from "../harness/pulumi";

const CONFIG_SET = "arn:aws:ses:us-east-1:123456789012:configuration-set/main";
const TOPIC_NAME = "digital-user-engagement-test-feedback";
const TOPIC_ARN = `arn:aws:sns:us-east-1:123456789012:${TOPIC_NAME}`;
const ACCOUNT_ADMINISTRATION = {
  Sid: "AccountAdministration",
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam::123456789012:root" },
  Action: ACCOUNT_KEY_ACTIONS,
  Resource: "*",
};

describe("EncryptedTopic", () => {
  const make = () => new EncryptedTopic("feedback", { publishers: [{ service: "ses.amazonaws.com", sourceArns: [CONFIG_SET] }] });

  it("creates its own key, the topic encrypted with it under a name known before it exists, and the topic policy", async () => {
    const built = await build(make);
    expect(built.childrenOf("feedback")).to.deep.equal([
      "aws:kms/key:Key::feedback-key",
      "aws:sns/topic:Topic::feedback-topic",
      "aws:sns/topicPolicy:TopicPolicy::feedback-policy",
    ]);
    expect(built.inputs("feedback-topic")).to.deep.equal({ name: TOPIC_NAME, kmsMasterKeyId: "arn:aws:kms:us-east-1:123456789012:key/feedback-key" });
    expect(built.inputs("feedback-key")).to.include({ enableKeyRotation: true, deletionWindowInDays: 30 });
  });

  it("gives SES AWS's documented key statement, for this topic only, and SNS the key only for deliveries from this topic", async () => {
    const built = await build(make);
    expect(built.statements("feedback-key")).to.deep.equal([
      ACCOUNT_ADMINISTRATION,
      {
        Sid: "AllowSES",
        Effect: "Allow",
        Principal: { Service: "ses.amazonaws.com" },
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "*",
        // SNS sends this encryption context on every publish; SES's source is checked by the topic policy.
        Condition: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": TOPIC_ARN } },
      },
      {
        Sid: "AllowSNS",
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "*",
        Condition: { ArnEquals: { "aws:SourceArn": TOPIC_ARN } },
      },
    ]);
    expect(allowedActions(built.statements("feedback-key")).filter((a) => a.includes("*"))).to.deep.equal([]);
  });

  it("grants no SNS key use when it does not deliver to encrypted queues", async () => {
    const built = await build(() => new EncryptedTopic("alarms", { publishers: [{ service: "cloudwatch.amazonaws.com" }], deliverToEncryptedQueues: false }));
    expect(built.statements("alarms-key")).to.deep.equal([
      ACCOUNT_ADMINISTRATION,
      {
        Sid: "AllowCLOUDWATCH",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "*",
        Condition: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": "arn:aws:sns:us-east-1:123456789012:digital-user-engagement-test-alarms" } },
      },
    ]);
  });

  it("denies every topic action without TLS, and lets the service publish only from its sources in this account", async () => {
    const built = await build(make);
    expect(built.statements("feedback-policy")).to.deep.equal([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sns:*",
        Resource: [TOPIC_ARN],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "AllowSESPublish",
        Effect: "Allow",
        Principal: { Service: "ses.amazonaws.com" },
        Action: "sns:Publish",
        Resource: TOPIC_ARN,
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" }, ArnLike: { "aws:SourceArn": [CONFIG_SET] } },
      },
    ]);
    expect(built.inputs("feedback-policy").arn).to.equal(TOPIC_ARN);
  });

  it("keeps a long component name's topic name within SNS's 256 characters, distinct by a hash", async () => {
    const names: unknown[] = [];
    const built = await build(() => {
      new EncryptedTopic("t".repeat(300), { publishers: [] });
      new EncryptedTopic(`${"t".repeat(299)}u`, { publishers: [] });
    });
    for (const topic of built.ofType("aws:sns/topic:Topic")) names.push(topic.inputs.name);
    expect(names.map((n) => String(n).length)).to.deep.equal([256, 256]);
    expect(names[0]).to.not.equal(names[1]);
  });
});
