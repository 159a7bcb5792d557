import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import {
  AsyncFailureQueue,
  BundledFunction,
  REPO_ROOT,
  buildBundle,
  bundleHandler,
  createAsyncFailureQueue,
  lambdaLogLevel,
  validateBundledFunctionArgs,
} from "../../components/shared";
import { allowedActions, build, thrownMessage } from "../harness/pulumi";

const LOG_GROUP_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn-0000000";

describe("BundledFunction", () => {
  it("creates exactly a log group, a role, its inline policy, the function and an errors alarm", async () => {
    const built = await build(() => new BundledFunction("fn", { handler: { entry: "functions/shared/runtime/pii.ts" }, policyStatements: [] }));
    expect(built.childrenOf("fn")).to.deep.equal([
      "aws:cloudwatch/logGroup:LogGroup::fn-logs",
      "aws:iam/role:Role::fn-role",
      "aws:iam/rolePolicy:RolePolicy::fn-policy",
      "aws:lambda/function:Function::fn-function",
      "aws:cloudwatch/metricAlarm:MetricAlarm::fn-errors",
    ]);
  });

  it("runs nodejs22.x on arm64 with X-Ray, JSON logs to its own log group, and a 30-day retention by default", async () => {
    const built = await build(() => new BundledFunction("fn", { handler: { entry: "functions/shared/runtime/pii.ts" }, policyStatements: [] }));
    const fn = built.inputs("fn-function");
    expect(fn.runtime).to.equal("nodejs22.x");
    expect(fn.architectures).to.deep.equal(["arm64"]);
    expect(fn.handler).to.equal("index.handler");
    expect(fn.tracingConfig).to.deep.equal({ mode: "Active" });
    expect(fn.loggingConfig).to.deep.equal({ logFormat: "JSON", logGroup: "/aws/lambda/fn-0000000", applicationLogLevel: "INFO" });
    expect(fn.environment).to.deep.equal({ variables: { POWERTOOLS_SERVICE_NAME: "fn", POWERTOOLS_LOG_LEVEL: "INFO" } });
    expect(built.inputs("fn-logs")).to.deep.equal({ namePrefix: "/aws/lambda/fn-", retentionInDays: 30 });
  });

  it("trusts only Lambda, in this account", async () => {
    const built = await build(() => new BundledFunction("fn", { handler: { entry: "functions/shared/runtime/pii.ts" }, policyStatements: [] }));
    expect(built.statements("fn-role", "assumeRolePolicy")).to.deep.equal([
      {
        Effect: "Allow",
        Principal: { Service: "lambda.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
  });

  it("grants exactly its own log group, the caller's statements, X-Ray, and the on-failure queue", async () => {
    const built = await build(() => {
      const parent = new pulumi.ComponentResource("test:index:Parent", "p");
      new BundledFunction(
        "fn",
        {
          handler: { entry: "functions/shared/runtime/pii.ts" },
          policyStatements: [{ Sid: "Caller", Effect: "Allow", Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:123456789012:q" }],
          asyncInvoke: { maximumRetryAttempts: 2, onFailure: createAsyncFailureQueue("failed", undefined, parent) },
        },
        { parent },
      );
    });
    const statements = built.statements("fn-policy");
    expect(statements).to.deep.equal([
      { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${LOG_GROUP_ARN}:*` },
      { Sid: "Caller", Effect: "Allow", Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:123456789012:q" },
      { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
      { Sid: "SendToOnFailureQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:123456789012:failed-0000000" },
    ]);
    expect(allowedActions(statements).filter((a) => a.includes("*"))).to.deep.equal([]);
    expect(built.inputs("fn-async")).to.deep.equal({
      functionName: "fn-function-0000000",
      maximumRetryAttempts: 2,
      destinationConfig: { onFailure: { destination: "arn:aws:sqs:us-east-1:123456789012:failed-0000000" } },
    });
  });

  it("asyncInvoke: retries, then the caller's failure queue, with SendMessage on it and its depth alarm first in alarms", async () => {
    let fn: BundledFunction | undefined;
    let failures: AsyncFailureQueue | undefined;
    const built = await build(() => {
      const parent = new pulumi.ComponentResource("test:index:Parent", "p");
      failures = createAsyncFailureQueue("p-failures", undefined, parent);
      fn = new BundledFunction(
        "fn",
        { handler: { entry: "functions/shared/runtime/pii.ts" }, policyStatements: [], asyncInvoke: { maximumRetryAttempts: 1, maximumEventAgeSeconds: 600, onFailure: failures } },
        { parent },
      );
    });
    const queueArn = "arn:aws:sqs:us-east-1:123456789012:p-failures-0000000";
    expect(built.childrenOf("p")).to.include("aws:sqs/queue:Queue::p-failures");
    expect(built.statements("fn-policy").find((s) => s.Sid === "SendToOnFailureQueue")).to.deep.equal({
      Sid: "SendToOnFailureQueue",
      Effect: "Allow",
      Action: "sqs:SendMessage",
      Resource: queueArn,
    });
    expect(built.inputs("fn-async")).to.deep.equal({
      functionName: "fn-function-0000000",
      maximumRetryAttempts: 1,
      maximumEventAgeInSeconds: 600,
      destinationConfig: { onFailure: { destination: queueArn } },
    });
    expect(fn!.alarms).to.have.length(2);
    expect(fn!.alarms[0]).to.equal(failures!.alarm);
    const asyncInvoke = { maximumRetryAttempts: 3, maximumEventAgeSeconds: 30, onFailure: failures! };
    expect(thrownMessage(() => validateBundledFunctionArgs({ handler: { entry: "functions/shared/runtime/pii.ts" }, policyStatements: [], asyncInvoke }))).to.equal(
      [
        "BundledFunction: invalid arguments:",
        "  - asyncInvoke.maximumRetryAttempts must be between 0 and 2, got 3",
        "  - asyncInvoke.maximumEventAgeSeconds must be between 60 and 21600, got 30",
      ].join("\n"),
    );
  });

  it("lets Lambda keep INFO lines (Powertools' level-less metric lines) at WARN and ERROR, and follows DEBUG", async () => {
    const levels = async (logLevel: string) => {
      const built = await build(() => new BundledFunction("fn", { handler: { entry: "functions/shared/runtime/pii.ts" }, policyStatements: [], logLevel }));
      const fn = built.inputs("fn-function");
      return {
        lambda: (fn.loggingConfig as { applicationLogLevel: string }).applicationLogLevel,
        powertools: (fn.environment as { variables: Record<string, string> }).variables.POWERTOOLS_LOG_LEVEL,
      };
    };
    expect(await levels("ERROR")).to.deep.equal({ lambda: "INFO", powertools: "ERROR" });
    expect(await levels("WARN")).to.deep.equal({ lambda: "INFO", powertools: "WARN" });
    expect(await levels("DEBUG")).to.deep.equal({ lambda: "DEBUG", powertools: "DEBUG" });
    expect(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL"].map(lambdaLogLevel)).to.deep.equal(["TRACE", "DEBUG", "INFO", "INFO", "INFO", "INFO"]);
  });

  it("omits the X-Ray statement when tracing is PassThrough and creates no async config unless asked", async () => {
    const built = await build(
      () => new BundledFunction("fn", { handler: { entry: "functions/shared/runtime/pii.ts" }, policyStatements: [], tracing: "PassThrough" }),
    );
    expect(built.statements("fn-policy").map((s) => s.Sid)).to.deep.equal(["WriteOwnLogs"]);
    expect(built.has("fn-async")).to.equal(false);
  });

  it("alarms on any function error and notifies the alarm actions", async () => {
    const built = await build(
      () =>
        new BundledFunction("fn", {
          handler: { entry: "functions/shared/runtime/pii.ts" },
          policyStatements: [],
          alarmActions: ["arn:aws:sns:us-east-1:123456789012:alarms"],
        }),
    );
    const alarm = built.inputs("fn-errors");
    expect(alarm).to.include({ namespace: "AWS/Lambda", metricName: "Errors", threshold: 0, comparisonOperator: "GreaterThanThreshold" });
    expect(alarm.dimensions).to.deep.equal({ FunctionName: "fn-function-0000000" });
    expect(alarm.alarmActions).to.deep.equal(["arn:aws:sns:us-east-1:123456789012:alarms"]);
  });

  it("reports every invalid argument at once", () => {
    expect(
      thrownMessage(() =>
        validateBundledFunctionArgs({
          handler: { entry: "functions/x.js" },
          policyStatements: [],
          runtime: "nodejs18.x",
          timeoutSeconds: 901,
          memorySizeMb: 64,
          logRetentionInDays: 10,
          logLevel: "VERBOSE",
        }),
      ),
    ).to.equal(
      [
        "BundledFunction: invalid arguments:",
        '  - entry must be a .ts file relative to the repository root, got "functions/x.js"',
        '  - runtime must be one of nodejs22.x, nodejs24.x, got "nodejs18.x"',
        '  - logLevel must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, got "VERBOSE"',
        "  - timeoutSeconds must be between 1 and 900, got 901",
        "  - memorySizeMb must be between 128 and 10240, got 64",
        "  - logRetentionInDays must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, got 10",
      ].join("\n"),
    );
  });
});

describe("handler bundling", () => {
  it("is deterministic: two separate builds of the same source give the same bytes and hash", () => {
    const first = buildBundle("functions/ses-event-processing/processor.ts");
    const again = buildBundle("functions/ses-event-processing/processor.ts");
    expect(again.sha256).to.equal(first.sha256);
    expect(again.code === first.code).to.equal(true);
    expect(first.code).to.not.include(REPO_ROOT);
  });

  it("builds one self-contained CommonJS file that exports handler, with the AWS SDK bundled in", () => {
    const bundle = bundleHandler("functions/ses-event-processing/processor.ts");
    // Only Node built-ins stay external, plus the SDK's optional CRT signer, which it loads in a
    // try block and Lambda does not need.
    const external = [...new Set([...bundle.code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))];
    expect(external.filter((m) => !m.startsWith("node:") && m !== "@aws-sdk/signature-v4-crt")).to.deep.equal([]);
    const module = { exports: {} as Record<string, unknown> };
    const saved = { ...process.env };
    Object.assign(process.env, { CONTACT_TABLE_NAME: "contacts", IDEMPOTENCY_TABLE_NAME: "idempotency", AWS_REGION: "us-east-1" });
    try {
      new Function("module", "exports", "require", bundle.code)(module, module.exports, require);
    } finally {
      process.env = saved;
    }
    expect(module.exports.handler).to.be.a("function");
  });
});
