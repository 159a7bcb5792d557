import * as path from "node:path";
import { expect } from "chai";
import { REPO_ROOT } from "../../components/shared/bundle";
import { ARCHITECTURES } from "../../stacks/architectures";
import { StackConfigError, parseStackConfig, readStackFile } from "../../stacks/config";

function issuesOf(raw: Record<string, unknown>): string[] {
  try {
    parseStackConfig(raw);
  } catch (error) {
    expect(error).to.be.instanceOf(StackConfigError);
    return (error as StackConfigError).issues;
  }
  return expect.fail("expected a StackConfigError");
}

/** A stack file's config map in the form parseStackConfig takes (our namespace, prefix removed). */
function ours(stack: string): Record<string, unknown> {
  const raw = readStackFile(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`));
  return Object.fromEntries(
    Object.entries(raw)
      .filter(([k]) => k.startsWith("digital-user-engagement:"))
      .map(([k, v]) => [k.slice("digital-user-engagement:".length), v]),
  );
}

describe("stack config", () => {
  it("parses the dev stack with its defaults filled in", () => {
    const config = parseStackConfig(ours("dev"));
    expect(config.defaults).to.deep.equal({
      logRetentionInDays: 14,
      runtime: "nodejs22.x",
      architecture: "arm64",
      tracing: "Active",
      logLevel: "INFO",
      tableDeletionProtection: false,
      alarms: { createTopic: false, emailEndpoints: [] },
    });
    expect(config.architectures.sesEventProcessing).to.deep.include({
      enabled: true,
      additionalEventTypes: ["DELIVERY", "REJECT"],
      transientBounceThreshold: 3,
      batchSize: 10,
      complaintExemptFeedbackTypes: ["not-spam"],
    });
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
    expect(issuesOf({ defaults: { alarms: { createTopic: true, existingTopicArn: "arn:aws:sns:us-east-1:123456789012:oncall" } } })).to.deep.equal([
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
