import { expect } from "chai";
import { ACCOUNT_KEY_ACTIONS, EncryptedTopic } from "../../components/shared";
import { allowedActions, build } from "../harness/pulumi";

const CONFIG_SET = "arn:aws:ses:us-east-1:123456789012:configuration-set/main";

describe("EncryptedTopic", () => {
  const make = () => new EncryptedTopic("feedback", { publishers: [{ service: "ses.amazonaws.com", sourceArns: [CONFIG_SET] }] });

  it("creates its own key, the topic encrypted with it, and the topic policy", async () => {
    const built = await build(make);
    expect(built.childrenOf("feedback")).to.deep.equal([
      "aws:kms/key:Key::feedback-key",
      "aws:sns/topic:Topic::feedback-topic",
      "aws:sns/topicPolicy:TopicPolicy::feedback-policy",
    ]);
    expect(built.inputs("feedback-topic")).to.deep.equal({ kmsMasterKeyId: "arn:aws:kms:us-east-1:123456789012:key/feedback-key" });
    expect(built.inputs("feedback-key")).to.include({ enableKeyRotation: true, deletionWindowInDays: 30 });
  });

  it("grants the key to the publishing service for its sources only, and to SNS for encrypted queues", async () => {
    const built = await build(make);
    expect(built.statements("feedback-key")).to.deep.equal([
      {
        Sid: "AccountAdministration",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::123456789012:root" },
        Action: ACCOUNT_KEY_ACTIONS,
        Resource: "*",
      },
      {
        Sid: "AllowSES",
        Effect: "Allow",
        Principal: { Service: "ses.amazonaws.com" },
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" }, ArnLike: { "aws:SourceArn": [CONFIG_SET] } },
      },
      {
        Sid: "AllowSNS",
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
    expect(allowedActions(built.statements("feedback-key")).filter((a) => a.includes("*"))).to.deep.equal([]);
  });

  it("lets the service publish only from its sources in this account, and only over TLS", async () => {
    const built = await build(make);
    const topicArn = "arn:aws:sns:us-east-1:123456789012:feedback-topic-0000000";
    expect(built.statements("feedback-policy")).to.deep.equal([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sns:Publish",
        Resource: [topicArn],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "AllowSESPublish",
        Effect: "Allow",
        Principal: { Service: "ses.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" }, ArnLike: { "aws:SourceArn": [CONFIG_SET] } },
      },
    ]);
  });
});
