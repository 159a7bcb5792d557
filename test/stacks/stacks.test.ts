import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { expect } from "chai";
import { REPO_ROOT } from "../../components/shared/bundle";
import { runPolicies } from "../../policy/policies";
import { ARCHITECTURES, PROJECT, createStack, parseStackConfig, rawConfigFromRuntime, readStackFile, toRuntimeConfig } from "../../stacks";
import { runUnderMocks } from "../../stacks/plan/mock-runtime";
import { availableStacks, planStack } from "../../stacks/plan/plan";
import { toPolicyResources } from "../../stacks/plan/render";

const ALARM_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:digital-user-engagement-prod-alarms";

function enabledIn(stack: string): string[] {
  const raw = readStackFile(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`));
  return ARCHITECTURES.filter((m) => (raw[`digital-user-engagement:${m.key}`] as { enabled?: boolean } | undefined)?.enabled === true).map(
    (m) => m.key,
  );
}

describe("stacks", () => {
  it("has a dev and a prod stack file", () => {
    expect(availableStacks()).to.include.members(["dev", "prod"]);
  });

  for (const stack of availableStacks()) {
    describe(`Pulumi.${stack}.yaml`, () => {
      let plan: Awaited<ReturnType<typeof planStack>>;
      before(async () => {
        plan = await planStack(stack);
      });

      it("builds exactly the architectures its config enables", () => {
        const outputs = plan.run.result as { enabledArchitectures: string[] };
        expect(outputs.enabledArchitectures).to.deep.equal(enabledIn(stack));
        const topLevel = plan.resources.filter((r) => r.parent === undefined && r.type.startsWith("due:") && r.name !== "alarms");
        expect(topLevel.map((r) => r.name)).to.have.length(enabledIn(stack).length);
      });

      it("registers no URN twice", () => {
        expect(plan.run.duplicateUrns).to.deep.equal([]);
        const urns = plan.resources.map((r) => r.urn);
        expect(new Set(urns).size).to.equal(urns.length);
      });

      it("passes every policy", () => {
        expect(plan.violations).to.deep.equal([]);
      });
    });
  }

  it("sends every alarm of the prod stack to the created alarm topic", async () => {
    const plan = await planStack("prod");
    const alarms = plan.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
    expect(alarms.length).to.be.greaterThan(0);
    for (const alarm of alarms) expect(alarm.inputs.alarmActions, alarm.name).to.deep.equal([ALARM_TOPIC_ARN]);
    expect(plan.resources.find((r) => r.name === "alarms-topic")?.inputs.kmsMasterKeyId).to.be.a("string");
  });

  it("lets CloudWatch publish to the alarm topic only for this account's alarms, and use its key only for that topic", async () => {
    const plan = await planStack("prod");
    const statements = (name: string) => JSON.parse(plan.resources.find((r) => r.name === name)!.inputs.policy as string).Statement as unknown[];
    expect(statements("alarms-policy")).to.deep.equal([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sns:*",
        Resource: [ALARM_TOPIC_ARN],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "AllowCLOUDWATCHPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: ALARM_TOPIC_ARN,
        Condition: {
          StringEquals: { "aws:SourceAccount": "123456789012" },
          ArnLike: { "aws:SourceArn": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"] },
        },
      },
    ]);
    expect(statements("alarms-key").slice(1)).to.deep.equal([
      {
        Sid: "AllowCLOUDWATCH",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "*",
        Condition: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": ALARM_TOPIC_ARN } },
      },
    ]);
  });

  it("fails a real deployment of the dev stack on its placeholder account ID, before creating anything", async () => {
    const config = toRuntimeConfig(readStackFile(path.join(REPO_ROOT, "Pulumi.dev.yaml")));
    let message = "";
    try {
      await runUnderMocks(() => createStack(parseStackConfig(rawConfigFromRuntime())), { project: PROJECT, stack: "dev", config });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.contain("digital-user-engagement:smsFileDrop.originationIdentities.0.arn: account 123456789012 is a placeholder");
  });

  it("builds every architecture at once with no duplicate URN and no policy violation", async () => {
    const raw = Object.fromEntries(ARCHITECTURES.map((m) => [m.key, { enabled: true, ...m.minimalConfig }]));
    const run = await runUnderMocks(() => createStack(parseStackConfig({ ...raw, defaults: { alarms: { createTopic: true } } })), { stack: "all" });
    expect(run.duplicateUrns).to.deep.equal([]);
    expect((run.result as { enabledArchitectures: string[] }).enabledArchitectures).to.deep.equal(ARCHITECTURES.map((m) => m.key));
    expect(runPolicies(toPolicyResources(run.resources))).to.deep.equal([]);
  });

  it("sends auto-replies through #1's configuration set when SES Event Processing is enabled", async () => {
    const autoReply = ARCHITECTURES.find((m) => m.key === "sesAutoReply")!.minimalConfig;
    const run = await runUnderMocks(
      () => createStack(parseStackConfig({ sesEventProcessing: { enabled: true }, sesAutoReply: { enabled: true, ...autoReply } })),
      { stack: "compose" },
    );
    const fn = run.resources.find((r) => r.type === "aws:lambda/function:Function" && r.name.startsWith("ses-auto-reply"))!;
    const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    expect(env.CONFIGURATION_SET_NAME).to.equal("digital-user-engagement-compose-ses-event-processing");
  });

  it("loads through Pulumi's own TypeScript loader (its vendored ts-node, type-checking on), as `pulumi up` does", function () {
    this.timeout(180_000);
    const result = spawnSync(process.execPath, [path.join(REPO_ROOT, "test/harness/pulumi-ts-node-run.cjs"), "dev"], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(result.status, result.stderr).to.equal(0);
    const registered = Number(/registered (\d+)/.exec(result.stdout)?.[1]);
    expect(registered).to.be.greaterThan(50);
  });

  it("the offline plan command prints the resources, writes the diagram and exits 0", function () {
    this.timeout(120_000);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
    const result = spawnSync(process.execPath, ["--import", "tsx", "stacks/plan/cli.ts", "--stack", "dev", "--out", out], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.contain("aws:sesv2/configurationSet:ConfigurationSet  ses-event-processing-configuration-set");
    expect(result.stdout).to.contain("Policies: all passed");
    // A fresh clone plans the dev stack; its documentation placeholders are listed, not fatal.
    expect(result.stdout).to.contain("Placeholders to replace before `pulumi preview`/`pulumi up` (which reject them):");
    expect(result.stdout).to.contain("  - digital-user-engagement:smsFileDrop.originationIdentities.0.arn: account 123456789012 is a placeholder");
    const diagram = fs.readFileSync(path.join(out, "graph.mmd"), "utf8");
    expect(diagram.startsWith("flowchart LR\n")).to.equal(true);
    expect(diagram).to.match(/subgraph r\d+\["ses-event-processing<br\/>/);
    expect(diagram).to.match(/r\d+ --> r\d+/);
  });

  it("the offline plan command exits 2 with the exact key on a config error", function () {
    this.timeout(120_000);
    // Scratch files live in a temporary directory only: a killed run leaves nothing in the repo.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "badstack-"));
    const stackFile = path.join(dir, "Pulumi.test-invalid.yaml");
    fs.writeFileSync(stackFile, "config:\n  digital-user-engagement:sesEventProcessing:\n    enabled: true\n    batchSize: 99\n");
    const result = spawnSync(process.execPath, ["--import", "tsx", "stacks/plan/cli.ts", "--stack", "test-invalid", "--stack-file", stackFile, "--out", dir], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    expect(result.status).to.equal(2);
    expect(result.stderr).to.contain("digital-user-engagement:sesEventProcessing.batchSize: Too big: expected number to be <=10");
    expect(result.stderr).to.contain("Resources registered: 0");
  });
});
