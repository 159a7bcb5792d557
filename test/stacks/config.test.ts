import * as path from "node:path";
import { expect } from "chai";
import { REPO_ROOT } from "../../components/shared/bundle";
import { ARCHITECTURES } from "../../stacks/architectures";
import { OFFLINE_PLAN_ENV, StackConfigError, ourConfig, parseStackConfig, readStackFile } from "../../stacks/config";

function issuesOf(raw: Record<string, unknown>, options: Parameters<typeof parseStackConfig>[2] = {}): string[] {
  try {
    parseStackConfig(raw, undefined, options);
  } catch (error) {
    expect(error).to.be.instanceOf(StackConfigError);
    return (error as StackConfigError).issues;
  }
  return expect.fail("expected a StackConfigError");
}

/** A stack file's config map in the form parseStackConfig takes (our namespace, prefix removed). */
function ours(stack: string): Record<string, unknown> {
  return ourConfig(readStackFile(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`)));
}

const DEV_PLACEHOLDER_ISSUE =
  "digital-user-engagement:smsFileDrop.originationIdentities.0.arn: account 123456789012 is a placeholder from AWS's documentation; " +
  'replace "arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-0123456789abcdef0123456789abcdef" with the ARN in your account';

describe("stack config", () => {
  it("parses the dev stack with its defaults filled in, once its placeholders are allowed (the offline plan)", () => {
    const config = parseStackConfig(ours("dev"), undefined, { placeholders: "allow" });
    expect(config.defaults).to.deep.equal({
      logRetentionInDays: 14,
      runtime: "nodejs22.x",
      architecture: "arm64",
      tracing: "Active",
      logLevel: "INFO",
      sendGuarantee: "at-most-once",
      tableDeletionProtection: false,
      alarms: { createTopic: false, emailEndpoints: [] },
      dashboards: true,
    });
    expect(config.architectures.sesEventProcessing).to.deep.include({
      enabled: true,
      additionalEventTypes: ["DELIVERY", "REJECT"],
      transientBounceThreshold: 3,
      batchSize: 10,
      complaintExemptFeedbackTypes: ["not-spam"],
    });
  });

  it("rejects the dev stack's placeholder account ID for a real deployment, naming the key", () => {
    expect(issuesOf(ours("dev"))).to.deep.equal([DEV_PLACEHOLDER_ISSUE]);
  });

  it("allows placeholders by default only while the offline plan runs", () => {
    const previous = process.env[OFFLINE_PLAN_ENV];
    try {
      process.env[OFFLINE_PLAN_ENV] = "1";
      expect(parseStackConfig(ours("dev")).architectures.smsFileDrop.enabled).to.equal(true);
      delete process.env[OFFLINE_PLAN_ENV];
      expect(issuesOf(ours("dev"))).to.deep.equal([DEV_PLACEHOLDER_ISSUE]);
    } finally {
      if (previous === undefined) delete process.env[OFFLINE_PLAN_ENV];
      else process.env[OFFLINE_PLAN_ENV] = previous;
    }
  });

  it("finds every documentation account ID in any ARN-valued key, and accepts a real one", () => {
    const raw = {
      defaults: { alarms: { existingTopicArn: "arn:aws:sns:us-east-1:111122223333:oncall" } },
      selfManagedOptOuts: {
        enabled: true,
        existingPoolId: "pool-0123456789abcdef0123456789abcdef",
        existingEventsTopicArn: "arn:aws:sns:us-east-1:444455556666:events",
        existingEventsTopicKmsKeyArn: "arn:aws:kms:us-east-1:210987654321:key/abc",
      },
    };
    expect(issuesOf(raw)).to.deep.equal([
      "digital-user-engagement:defaults.alarms.existingTopicArn: account 111122223333 is a placeholder from AWS's documentation; " +
        'replace "arn:aws:sns:us-east-1:111122223333:oncall" with the ARN in your account',
      "digital-user-engagement:selfManagedOptOuts.existingEventsTopicArn: account 444455556666 is a placeholder from AWS's documentation; " +
        'replace "arn:aws:sns:us-east-1:444455556666:events" with the ARN in your account',
    ]);
  });

  it("rejects two architectures that add an event destination to the same configuration set, naming both keys", () => {
    expect(
      issuesOf({
        sesEventProcessing: { enabled: true, existingConfigurationSetName: "newsletters" },
        pinpointEventProcessing: { enabled: true, configurationSetName: "newsletters" },
      }),
    ).to.deep.equal([
      'digital-user-engagement:pinpointEventProcessing.configurationSetName: configuration set "newsletters" already gets an event destination ' +
        "from digital-user-engagement:sesEventProcessing.existingConfigurationSetName; each bounce and complaint would be processed twice " +
        "(enable one of them, or give each its own configuration set)",
    ]);
  });

  it("lets destinations of other kinds share #1's configuration set (#5's event lake, #7's segmentation)", () => {
    const config = parseStackConfig({
      sesEventProcessing: { enabled: true, existingConfigurationSetName: "newsletters" },
      eventDatabase: { enabled: true, sesConfigurationSetName: "newsletters" },
      eventBasedSegmentation: { enabled: true, existingConfigurationSetName: "newsletters" },
    });
    expect(Object.keys(config.architectures).filter((k) => config.architectures[k]?.enabled)).to.have.members(["sesEventProcessing", "eventDatabase", "eventBasedSegmentation"]);
  });

  it("accepts #1 and #4 on different configuration sets, or with one of them disabled or on the legacy source", () => {
    for (const raw of [
      { sesEventProcessing: { enabled: true, existingConfigurationSetName: "a" }, pinpointEventProcessing: { enabled: true, configurationSetName: "b" } },
      { sesEventProcessing: { enabled: true }, pinpointEventProcessing: { enabled: true } },
      { sesEventProcessing: { enabled: false, existingConfigurationSetName: "a" }, pinpointEventProcessing: { enabled: true, configurationSetName: "a" } },
      {
        sesEventProcessing: { enabled: true, existingConfigurationSetName: "a" },
        pinpointEventProcessing: { enabled: true, target: "pinpoint", createPinpointApplication: true },
      },
    ]) {
      expect(() => parseStackConfig(raw), JSON.stringify(raw)).to.not.throw();
    }
  });

  it("parses the prod stack: long retention, protected tables, alarms to a created topic", () => {
    const config = parseStackConfig(ours("prod"));
    expect(config.defaults.logRetentionInDays).to.equal(365);
    expect(config.defaults.tableDeletionProtection).to.equal(true);
    expect(config.defaults.alarms).to.deep.equal({ createTopic: true, emailEndpoints: ["messaging-oncall@example.com"] });
  });

  it("treats an architecture missing from the config as disabled", () => {
    expect(parseStackConfig({}).architectures.sesEventProcessing).to.deep.equal({ enabled: false });
  });

  it("rejects unknown keys at every level, naming the exact key", () => {
    expect(issuesOf({ sesEventProcesing: { enabled: true }, sesEventProcessing: { enabled: true, batchsize: 5 }, defaults: { retention: 7 } })).to.deep.equal([
      `digital-user-engagement:sesEventProcesing: unknown key (known: defaults, ${ARCHITECTURES.map((m) => m.key).join(", ")})`,
      "digital-user-engagement:defaults.retention: unknown key",
      "digital-user-engagement:sesEventProcessing.batchsize: unknown key",
    ]);
  });

  it("reports every wrong type and out-of-range value at once", () => {
    expect(
      issuesOf({
        defaults: { logRetentionInDays: 10, runtime: "nodejs18.x" },
        sesEventProcessing: { enabled: "yes", batchSize: 20, additionalEventTypes: ["OPENED"], transientBounceThreshold: -1 },
      }),
    ).to.deep.equal([
      "digital-user-engagement:defaults.logRetentionInDays: must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
      'digital-user-engagement:defaults.runtime: Invalid option: expected one of "nodejs22.x"|"nodejs24.x"',
      "digital-user-engagement:sesEventProcessing.enabled: Invalid input: expected boolean, received string",
      'digital-user-engagement:sesEventProcessing.additionalEventTypes.0: Invalid option: expected one of "SEND"|"REJECT"|"BOUNCE"|"COMPLAINT"|"DELIVERY"|"OPEN"|"CLICK"|"RENDERING_FAILURE"|"DELIVERY_DELAY"|"SUBSCRIPTION"',
      "digital-user-engagement:sesEventProcessing.transientBounceThreshold: Too small: expected number to be >=0",
      "digital-user-engagement:sesEventProcessing.batchSize: Too big: expected number to be <=10",
    ]);
  });

  it("requires enabled on an architecture that is configured", () => {
    expect(issuesOf({ sesEventProcessing: { batchSize: 5 } })).to.deep.equal([
      "digital-user-engagement:sesEventProcessing.enabled: Invalid input: expected boolean, received undefined",
    ]);
  });

  it("rejects contradictory alarm settings", () => {
    expect(issuesOf({ defaults: { alarms: { createTopic: true, existingTopicArn: "arn:aws:sns:us-east-1:210987654321:oncall" } } })).to.deep.equal([
      "digital-user-engagement:defaults.alarms: set either createTopic or existingTopicArn, not both",
    ]);
    expect(issuesOf({ defaults: { alarms: { emailEndpoints: ["a@example.com"] } } })).to.deep.equal([
      "digital-user-engagement:defaults.alarms: emailEndpoints needs createTopic: true",
    ]);
    expect(issuesOf({ defaults: { alarms: { existingTopicArn: "oncall" } } })).to.deep.equal([
      "digital-user-engagement:defaults.alarms.existingTopicArn: must be an SNS topic ARN",
    ]);
  });
});
