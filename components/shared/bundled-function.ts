import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { anyAboveZeroAlarm } from "./alarms";
import { arnBuilder } from "./arn";
import type { AsyncFailureQueue } from "./async-failure-queue";
import { bundleHandler, esbuildTargetFor, handlerArchive } from "./bundle";
import { FUNCTION_DEFAULTS, SUPPORTED_NODE_RUNTIMES, VALID_LOG_RETENTION_DAYS } from "./defaults";
import { PolicyStatement, policyDocument, serviceTrustPolicy } from "./iam";
import { NAME_LIMITS, boundedName } from "./naming";
import { ArgumentErrors, isKnown } from "./validation";
import type { FunctionContract } from "../../functions/shared/runtime/function-contract";

/** Sids of the statements the function block adds to every role besides the caller's. */
export const FUNCTION_BLOCK_SIDS = ["WriteOwnLogs", "WriteTraces", "SendToOnFailureQueue"] as const;

/** Variables the platform sets for every handler, outside any architecture's contract. */
export const PLATFORM_ENVIRONMENT = ["POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOG_LEVEL", "POWERTOOLS_METRICS_NAMESPACE", "SEND_GUARANTEE", "SEND_STEPS"] as const;

/** The component must set exactly the variables its handler's contract declares (plus platform ones). */
export function checkContractEnvironment(name: string, contract: FunctionContract, keys: string[]): void {
  const platform = new Set<string>(PLATFORM_ENVIRONMENT);
  const declared = new Set(contract.env);
  const missing = contract.env.filter((k) => !keys.includes(k));
  const undeclared = keys.filter((k) => !declared.has(k) && !platform.has(k));
  if (missing.length > 0 || undeclared.length > 0) {
    throw new Error(
      `${name}: the environment does not match ${contract.entry}'s contract` +
        (missing.length > 0 ? `; missing ${missing.join(", ")}` : "") +
        (undeclared.length > 0 ? `; not declared ${undeclared.join(", ")}` : ""),
    );
  }
}

export interface BundledFunctionArgs {
  /**
   * The handler's contract (functions/<architecture>/contract.ts): its source, bundled at program
   * time, its environment variables and its metrics namespace. Or, for a handler without one, just
   * `entry` (a source relative to the repository root that exports `handler`).
   */
  handler: FunctionContract | { entry: string };
  /** Function description shown in the console. */
  description?: pulumi.Input<string>;
  /** Environment variables. POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL are added unless set here. */
  environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * The exact statements of the role's inline policy. The component adds only: writing to the
   * function's own log group, X-Ray segments when tracing is Active, and sqs:SendMessage on the
   * on-failure queue. Nothing else: no managed policies.
   */
  policyStatements: pulumi.Input<pulumi.Input<PolicyStatement>[]>;
  /** Default 30 s; 1–900. */
  timeoutSeconds?: pulumi.Input<number>;
  /** Default 256 MB; 128–10240. */
  memorySizeMb?: pulumi.Input<number>;
  /** Default "nodejs22.x"; one of SUPPORTED_NODE_RUNTIMES. */
  runtime?: string;
  /** Default "arm64". */
  architecture?: pulumi.Input<"arm64" | "x86_64">;
  /** X-Ray tracing; default "Active". */
  tracing?: pulumi.Input<"Active" | "PassThrough">;
  /** Retention of the function's own log group; default 30 days. */
  logRetentionInDays?: pulumi.Input<number>;
  /** Powertools log level; default "INFO". */
  logLevel?: pulumi.Input<string>;
  /** Reserved concurrency; default none (unreserved). */
  reservedConcurrency?: pulumi.Input<number>;
  /**
   * Asynchronous invocation, for functions invoked by S3, SES or SNS: a FunctionEventInvokeConfig
   * sending what failed every attempt to `onFailure` (created by the caller with
   * createAsyncFailureQueue), sqs:SendMessage on it, and its depth alarm first in `alarms`.
   * Default: none (synchronous or event-source-mapping use).
   */
  asyncInvoke?: AsyncInvoke;
  /** SNS topics (ARNs) notified when the function's Errors alarm fires. Default: none. */
  alarmActions?: pulumi.Input<pulumi.Input<string>[]>;
}

export interface AsyncInvoke {
  /** 0–2. */
  maximumRetryAttempts: pulumi.Input<number>;
  /** 60–21600 s. Default: Lambda's (6 h). */
  maximumEventAgeSeconds?: pulumi.Input<number>;
  /** The on-failure destination. */
  onFailure: AsyncFailureQueue;
}

/** The async settings, when the function is invoked asynchronously. */
function asyncSettings(args: BundledFunctionArgs) {
  const a = args.asyncInvoke;
  return a === undefined
    ? { retries: undefined, maxAge: undefined, destination: undefined, alarms: [] }
    : { retries: a.maximumRetryAttempts, maxAge: a.maximumEventAgeSeconds, destination: a.onFailure.queue.arn, alarms: [a.onFailure.alarm] };
}

/**
 * A Lambda function bundled with esbuild, with its own role (exact inline statements only), its own
 * log group with retention, optional async-invoke settings, and an Errors alarm.
 */
export class BundledFunction extends pulumi.ComponentResource {
  public readonly function: aws.lambda.Function;
  public readonly role: aws.iam.Role;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly eventInvokeConfig: aws.lambda.FunctionEventInvokeConfig | undefined;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];
  /** Size in bytes and sha256 of the deployed bundle. */
  public readonly bundleBytes: number;
  public readonly bundleSha256: string;
  /** Powertools' service name (POWERTOOLS_SERVICE_NAME), the `service` dimension of every custom metric. */
  public readonly serviceName: string;

  constructor(name: string, args: BundledFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("due:shared:BundledFunction", name, {}, opts);
    validateBundledFunctionArgs(args);

    const runtime = args.runtime ?? FUNCTION_DEFAULTS.runtime;
    const bundle = bundleHandler(args.handler.entry, esbuildTargetFor(runtime));
    const contract = "env" in args.handler ? args.handler : undefined;
    this.serviceName = name;
    this.bundleBytes = bundle.bytes;
    this.bundleSha256 = bundle.sha256;
    const tracing = pulumi.output(args.tracing ?? FUNCTION_DEFAULTS.tracing);
    const { accountId } = arnBuilder({ parent: this });
    const invoke = asyncSettings(args);

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        namePrefix: `/aws/lambda/${name}-`,
        retentionInDays: args.logRetentionInDays ?? FUNCTION_DEFAULTS.logRetentionInDays,
      },
      { parent: this },
    );

    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        name: boundedName(`${name}-role`, NAME_LIMITS.iamRole),
        assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com", accountId),
      },
      { parent: this },
    );

    const statements = pulumi
      .all([args.policyStatements, tracing, this.logGroup.arn, invoke.destination])
      .apply(([callerStatements, tracingMode, logGroupArn, onFailureQueueArn]) =>
        bundledFunctionStatements({ callerStatements, tracingMode, logGroupArn, onFailureQueueArn }),
      );
    const policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      { name: boundedName(`${name}-policy`, NAME_LIMITS.iamRolePolicy), role: this.role.id, policy: policyDocument(statements) },
      { parent: this },
    );

    this.function = new aws.lambda.Function(
      `${name}-function`,
      {
        name: boundedName(`${name}-function`, NAME_LIMITS.lambdaFunction),
        description: args.description,
        code: handlerArchive(bundle),
        handler: "index.handler",
        // Which handler source this function runs, for operators and for tests that map a function
        // back to its contract (two handlers may share a namespace and environment).
        tags: { "due:handler": args.handler.entry },
        runtime,
        architectures: [pulumi.output(args.architecture ?? FUNCTION_DEFAULTS.architecture)],
        role: this.role.arn,
        timeout: args.timeoutSeconds ?? FUNCTION_DEFAULTS.timeoutSeconds,
        memorySize: args.memorySizeMb ?? FUNCTION_DEFAULTS.memorySizeMb,
        reservedConcurrentExecutions: args.reservedConcurrency,
        tracingConfig: { mode: tracing },
        loggingConfig: {
          logFormat: "JSON",
          logGroup: this.logGroup.name,
          // With JSON logs Lambda filters application logs itself, and gives a line without a
          // "level" the level INFO. Powertools' metric (EMF) lines have none, so Lambda must keep
          // INFO; Powertools filters its own logs by POWERTOOLS_LOG_LEVEL.
          // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html
          applicationLogLevel: pulumi.output(args.logLevel ?? FUNCTION_DEFAULTS.logLevel).apply(lambdaLogLevel),
        },
        environment: {
          variables: pulumi.all([args.environment ?? {}, args.logLevel ?? FUNCTION_DEFAULTS.logLevel]).apply(([env, logLevel]) => {
            if (contract !== undefined) checkContractEnvironment(name, contract, Object.keys(env));
            return {
              POWERTOOLS_SERVICE_NAME: this.serviceName,
              POWERTOOLS_LOG_LEVEL: logLevel,
              ...(contract === undefined ? {} : { POWERTOOLS_METRICS_NAMESPACE: contract.namespace }),
              ...env,
            };
          }),
        },
      },
      // The role's policy must exist before the function can log or be invoked by a mapping.
      { parent: this, dependsOn: [policy] },
    );

    const asyncConfigured = invoke.retries !== undefined || invoke.maxAge !== undefined || invoke.destination !== undefined;
    this.eventInvokeConfig = asyncConfigured
      ? new aws.lambda.FunctionEventInvokeConfig(
          `${name}-async`,
          {
            functionName: this.function.name,
            maximumRetryAttempts: invoke.retries,
            maximumEventAgeInSeconds: invoke.maxAge,
            destinationConfig: invoke.destination === undefined ? undefined : { onFailure: { destination: invoke.destination } },
          },
          { parent: this },
        )
      : undefined;

    this.alarms = [
      ...invoke.alarms,
      anyAboveZeroAlarm(
        `${name}-errors`,
        {
          namespace: "AWS/Lambda",
          metricName: "Errors",
          dimensions: { FunctionName: this.function.name },
          statistic: "Sum",
          description: pulumi.interpolate`Lambda ${this.function.name} reported errors`,
          alarmActions: args.alarmActions,
        },
        { parent: this },
      ),
    ];

    this.registerOutputs({
      function: this.function,
      role: this.role,
      logGroup: this.logGroup,
      eventInvokeConfig: this.eventInvokeConfig,
      alarms: this.alarms,
    });
  }
}

/** The full inline policy of a bundled function's role: the caller's statements plus the few the component needs. */
export function bundledFunctionStatements(input: {
  callerStatements: PolicyStatement[];
  tracingMode: string;
  logGroupArn: string;
  onFailureQueueArn?: string;
}): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `${input.logGroupArn}:*`,
    },
    ...input.callerStatements,
  ];
  if (input.tracingMode === "Active") {
    // X-Ray's write actions do not support resource-level permissions; "*" is the only valid resource.
    statements.push({
      Sid: "WriteTraces",
      Effect: "Allow",
      Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
      Resource: "*",
    });
  }
  if (input.onFailureQueueArn) {
    statements.push({
      Sid: "SendToOnFailureQueue",
      Effect: "Allow",
      Action: "sqs:SendMessage",
      Resource: input.onFailureQueueArn,
    });
  }
  return statements;
}

/**
 * Powertools log levels, and Lambda's application log level for each: never above INFO, so
 * Lambda keeps the level-less metric lines of a function that logs only warnings or errors.
 */
const LOG_LEVELS: Record<string, string> = { TRACE: "TRACE", DEBUG: "DEBUG", INFO: "INFO", WARN: "INFO", ERROR: "INFO", CRITICAL: "INFO" };

export function lambdaLogLevel(powertoolsLevel: string): string {
  const level = LOG_LEVELS[powertoolsLevel.toUpperCase()];
  if (!level) throw new Error(`logLevel must be one of ${Object.keys(LOG_LEVELS).join(", ")}, got "${powertoolsLevel}"`);
  return level;
}

export function validateBundledFunctionArgs(args: BundledFunctionArgs): void {
  const errors = new ArgumentErrors("BundledFunction");
  errors.check(!/\.ts$/.test(args.handler?.entry ?? ""), `entry must be a .ts file relative to the repository root, got "${args.handler?.entry}"`);
  const runtime = args.runtime ?? FUNCTION_DEFAULTS.runtime;
  errors.check(
    !(SUPPORTED_NODE_RUNTIMES as readonly string[]).includes(runtime),
    `runtime must be one of ${SUPPORTED_NODE_RUNTIMES.join(", ")}, got "${runtime}"`,
  );
  if (isKnown(args.logLevel)) {
    errors.check(
      LOG_LEVELS[args.logLevel.toUpperCase()] === undefined,
      `logLevel must be one of ${Object.keys(LOG_LEVELS).join(", ")}, got "${args.logLevel}"`,
    );
  }
  if (isKnown(args.timeoutSeconds)) {
    errors.check(args.timeoutSeconds < 1 || args.timeoutSeconds > 900, `timeoutSeconds must be between 1 and 900, got ${args.timeoutSeconds}`);
  }
  if (isKnown(args.memorySizeMb)) {
    errors.check(args.memorySizeMb < 128 || args.memorySizeMb > 10240, `memorySizeMb must be between 128 and 10240, got ${args.memorySizeMb}`);
  }
  if (isKnown(args.logRetentionInDays)) {
    errors.check(
      !(VALID_LOG_RETENTION_DAYS as readonly number[]).includes(args.logRetentionInDays),
      `logRetentionInDays must be one of ${VALID_LOG_RETENTION_DAYS.join(", ")}, got ${args.logRetentionInDays}`,
    );
  }
  const { retries, maxAge } = asyncSettings(args);
  if (isKnown(retries)) errors.check(retries < 0 || retries > 2, `asyncInvoke.maximumRetryAttempts must be between 0 and 2, got ${retries}`);
  if (isKnown(maxAge)) errors.check(maxAge < 60 || maxAge > 21600, `asyncInvoke.maximumEventAgeSeconds must be between 60 and 21600, got ${maxAge}`);
  errors.throwIfAny();
}
