import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as awsx from "@pulumi/awsx/classic";
import type { FunctionContract } from "../../functions/shared/runtime/function-contract";
import type { BundledFunction } from "./bundled-function";
import { stableName } from "./naming";
import type { PlatformArgs } from "./platform";
import type { QueueWithDeadLetter } from "./queue-with-dead-letter";

/** CloudWatch dashboard names: up to 255 letters, digits, "-" and "_". */
const DASHBOARD_NAME_LIMIT = 255;
/** Seconds per data point of every graph. */
const PERIOD = 300;

/** A function on a dashboard, with the contract whose Powertools metrics it publishes. */
export interface DashboardFunction<Metric extends string = string> {
  fn: BundledFunction;
  contract: FunctionContract<string, Metric>;
  /**
   * Metrics the handler publishes with dimensions besides `service` (a Powertools single metric),
   * each with those dimensions' names: graphed by a SEARCH, one line per value.
   */
  dimensions?: Partial<Record<Metric, readonly string[]>>;
}

/** Typed on the contract: `dimensions` may only name the contract's metrics. */
export function dashboardFunction<Metric extends string>(
  fn: BundledFunction,
  contract: FunctionContract<string, Metric>,
  dimensions?: Partial<Record<Metric, readonly string[]>>,
): DashboardFunction {
  return { fn, contract, dimensions } as DashboardFunction;
}

export interface ArchitectureDashboardArgs {
  /** The architecture's queues: depth and age of the oldest message, and their DLQs' depth. */
  queues?: QueueWithDeadLetter[];
  /** On-failure queues of asynchronously invoked functions (createAsyncFailureQueue): shown with the DLQs. */
  failureQueues?: aws.sqs.Queue[];
  functions: DashboardFunction[];
  /** Step Functions state machines: executions started, succeeded, failed, timed out and aborted. */
  stateMachines?: aws.sfn.StateMachine[];
}

/** What the stack's overview shows of one architecture: its DLQ depth and function errors. */
interface OverviewMetrics {
  deadLetters: awsx.cloudwatch.Metric[];
  errors: awsx.cloudwatch.Metric[];
}
const OVERVIEW = new WeakMap<aws.cloudwatch.Dashboard, OverviewMetrics>();

/** A graph, or nothing when there is nothing to draw (awsx rejects a graph without metrics). */
const graph = (title: string, metrics: awsx.cloudwatch.WidgetMetric[]): awsx.cloudwatch.Widget[] =>
  metrics.length === 0 ? [] : [new awsx.cloudwatch.LineGraphMetricWidget({ title, metrics, width: 8, height: 6 })];

/** The AWS/States execution metrics of each state machine, one line per machine. */
function executionGraphs(stateMachines: aws.sfn.StateMachine[]): awsx.cloudwatch.Widget[] {
  const metric = (name: string) =>
    stateMachines.map((sm) => new awsx.cloudwatch.Metric({ namespace: "AWS/States", name, dimensions: { StateMachineArn: sm.arn }, statistic: "Sum", period: PERIOD, label: sm.name }));
  return [
    ...graph("Executions started", metric("ExecutionsStarted")),
    ...graph("Executions succeeded", metric("ExecutionsSucceeded")),
    ...graph("Executions failed, timed out or aborted", [...metric("ExecutionsFailed"), ...metric("ExecutionsTimedOut"), ...metric("ExecutionsAborted")]),
  ];
}

function deadLetterMetrics(args: ArchitectureDashboardArgs): awsx.cloudwatch.Metric[] {
  const depth = awsx.sqs.metrics.approximateNumberOfMessagesVisible;
  return [
    ...(args.queues ?? []).map((q) =>
      q.deadLetterQueue
        ? depth({ queue: q.deadLetterQueue, statistic: "Maximum", period: PERIOD })
        : depth({ dimensions: { QueueName: q.deadLetterQueueArn.apply((arn) => arn.split(":").pop() ?? arn) }, statistic: "Maximum", period: PERIOD }),
    ),
    ...(args.failureQueues ?? []).map((queue) => depth({ queue, statistic: "Maximum", period: PERIOD })),
  ];
}

/** One widget per metric of the function's contract, in the contract's namespace, for its service. */
function customMetricWidgets({ fn, contract, dimensions = {} }: DashboardFunction): awsx.cloudwatch.Widget[] {
  return contract.metrics.flatMap((name) => {
    const title = `${name} (${fn.serviceName})`;
    const extra = (dimensions as Record<string, readonly string[] | undefined>)[name];
    if (extra === undefined) {
      return graph(title, [new awsx.cloudwatch.Metric({ namespace: contract.namespace, name, dimensions: { service: fn.serviceName }, statistic: "Sum", period: PERIOD })]);
    }
    const schema = [`"${contract.namespace}"`, ...extra, "service"].join(",");
    const search = `SEARCH('{${schema}} MetricName="${name}" service="${fn.serviceName}"', 'Sum', ${PERIOD})`;
    return graph(`${title} by ${extra.join(", ")}`, [new awsx.cloudwatch.ExpressionWidgetMetric(search, name, "search")]);
  });
}

/**
 * The architecture's dashboard, `${name}-dashboard`, a child of `parent`; undefined when the
 * platform turns dashboards off. It shows its queues' depth and age of the oldest message, DLQ
 * depth, the functions' errors, throttles, p99 duration and concurrency, and a widget per metric
 * each function's contract declares.
 */
export function architectureDashboard(
  name: string,
  platform: PlatformArgs,
  args: ArchitectureDashboardArgs,
  parent: pulumi.Resource,
): aws.cloudwatch.Dashboard | undefined {
  if (platform.dashboards === false) return undefined;
  const sqs = awsx.sqs.metrics;
  const lambda = awsx.lambda.metrics;
  const queues = args.queues ?? [];
  const perFunction = (metric: (change: awsx.lambda.metrics.LambdaMetricChange) => awsx.cloudwatch.Metric, change: awsx.cloudwatch.MetricChange) =>
    args.functions.map(({ fn }) => metric({ function: fn.function, period: PERIOD, label: fn.serviceName, ...change }));
  const overview: OverviewMetrics = { deadLetters: deadLetterMetrics(args), errors: perFunction(lambda.errors, { statistic: "Sum" }) };
  const widgets: awsx.cloudwatch.Widget[] = [
    ...graph("Queue depth", queues.map((q) => sqs.approximateNumberOfMessagesVisible({ queue: q.queue, statistic: "Maximum", period: PERIOD }))),
    ...graph("Age of oldest message (s)", queues.map((q) => sqs.approximateAgeOfOldestMessage({ queue: q.queue, statistic: "Maximum", period: PERIOD }))),
    ...executionGraphs(args.stateMachines ?? []),
    ...graph("Dead-letter queue depth", overview.deadLetters),
    ...graph("Function errors", overview.errors),
    ...graph("Function throttles", perFunction(lambda.throttles, { statistic: "Sum" })),
    ...graph("Function duration p99 (ms)", perFunction(lambda.duration, { extendedStatistic: 99 })),
    ...graph("Function concurrency", perFunction(lambda.concurrentExecutions, { statistic: "Maximum" })),
    ...args.functions.flatMap(customMetricWidgets),
  ];
  const dashboard = new awsx.cloudwatch.Dashboard(`${name}-dashboard`, { name: stableName(`${name}-dashboard`, DASHBOARD_NAME_LIMIT), widgets }, { parent });
  OVERVIEW.set(dashboard, overview);
  return dashboard;
}

/**
 * The stack's overview: a row per architecture (in the order given) with its DLQ depth and its
 * functions' errors, taken from the architecture's own dashboard. Architectures without one are left out.
 */
export function overviewDashboard(name: string, architectures: { title: string; dashboard: aws.cloudwatch.Dashboard | undefined }[]): awsx.cloudwatch.Dashboard {
  const header = new awsx.cloudwatch.TextWidget({ markdown: "# Digital User Engagement: dead letters and errors per architecture", width: 24, height: 1 });
  const rows = architectures.flatMap(({ title, dashboard }) => {
    const metrics = dashboard && OVERVIEW.get(dashboard);
    if (!metrics) return [];
    const widget = (what: string, m: awsx.cloudwatch.Metric[]) =>
      m.length === 0 ? [] : [new awsx.cloudwatch.LineGraphMetricWidget({ title: `${title}: ${what}`, metrics: m, width: 12, height: 6 })];
    const row = [...widget("dead-letter queue depth", metrics.deadLetters), ...widget("function errors", metrics.errors)];
    return row.length === 0 ? [] : [new awsx.cloudwatch.RowWidget(...row)];
  });
  return new awsx.cloudwatch.Dashboard(name, { name: stableName(name, DASHBOARD_NAME_LIMIT), widgets: [new awsx.cloudwatch.RowWidget(header), ...rows] });
}
