/**
 * Every architecture's dashboard graphs exactly what its handlers publish: each widget metric in a
 * custom namespace is one a handler contract of the architecture declares there, for that handler's
 * service, and every metric every contract declares has a widget. The handlers and their contracts
 * are found from the built functions (namespace and environment), never listed here.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { REPO_ROOT } from "../../components/shared/bundle";
import { PLATFORM_ENVIRONMENT } from "../../components/shared/bundled-function";
import type { FunctionContract } from "../../functions/shared/runtime/function-contract";
import { ARCHITECTURES, createStack, parseStackConfig } from "../../stacks";
import { RecordedResource, runUnderMocks } from "../../stacks/plan/mock-runtime";

const DASHBOARD = "aws:cloudwatch/dashboard:Dashboard";
const OVERVIEW = "overview-dashboard";

/** Every contract exported by functions/<architecture>/contract.ts. */
const CONTRACTS: FunctionContract[] = fs
  .readdirSync(path.join(REPO_ROOT, "functions"))
  .filter((dir) => fs.existsSync(path.join(REPO_ROOT, "functions", dir, "contract.ts")))
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- every architecture's contract, found by listing
  .flatMap((dir) => Object.values(require(path.join(REPO_ROOT, "functions", dir, "contract.ts")) as Record<string, unknown>))
  .filter((v): v is FunctionContract => typeof v === "object" && v !== null && "namespace" in v && "metrics" in v && "env" in v);

/** A custom metric a widget graphs: its namespace, name and `service` dimension. */
interface Graphed {
  namespace: string;
  name: string;
  service: string | undefined;
}

/** The custom-namespace metrics of a dashboard body: plain metric arrays and SEARCH expressions. */
function customMetrics(body: string): Graphed[] {
  const widgets = (JSON.parse(body) as { widgets: { properties: { metrics?: unknown[][] } }[] }).widgets;
  const out: Graphed[] = [];
  for (const entry of widgets.flatMap((w) => w.properties.metrics ?? [])) {
    const [first] = entry;
    if (typeof first === "string") {
      if (first.startsWith("AWS/")) continue;
      const dims = entry.slice(2).filter((x) => typeof x === "string") as string[];
      const service = dims[dims.indexOf("service") + 1];
      out.push({ namespace: first, name: entry[1] as string, service: dims.includes("service") ? service : undefined });
    } else {
      const expression = (first as { expression: string }).expression;
      const match = /^SEARCH\('\{"([^"]+)",[^}]*\} MetricName="([^"]+)" service="([^"]+)"', 'Sum', \d+\)$/.exec(expression);
      expect(match, `a SEARCH over one metric of one service: ${expression}`).to.not.equal(null);
      out.push({ namespace: match![1], name: match![2], service: match![3] });
    }
  }
  return out;
}

/** The handlers below a component: each function's service name and the contract it was built from. */
function handlersBelow(resources: RecordedResource[], root: string): { service: string; contract: FunctionContract }[] {
  const below = new Set([root]);
  for (const r of resources) if (r.parent && below.has(r.parent)) below.add(r.key);
  const platform = new Set<string>(PLATFORM_ENVIRONMENT);
  return resources
    .filter((r) => r.type === "aws:lambda/function:Function" && below.has(r.key))
    .map((fn) => {
      const env = ((fn.inputs.environment as { variables?: Record<string, string> } | undefined)?.variables ?? {}) as Record<string, string>;
      const keys = Object.keys(env).filter((k) => !platform.has(k)).sort().join(",");
      const entry = (fn.inputs.tags as Record<string, string> | undefined)?.["due:handler"];
      const contract = CONTRACTS.find((c) => c.entry === entry && c.namespace === env.POWERTOOLS_METRICS_NAMESPACE && [...c.env].sort().join(",") === keys);
      expect(contract, `the contract of ${fn.name}`).to.not.equal(undefined);
      return { service: env.POWERTOOLS_SERVICE_NAME, contract: contract! };
    });
}

async function buildStack(raw: Record<string, unknown>, stack: string) {
  const run = await runUnderMocks(() => createStack(parseStackConfig(raw)), { stack });
  expect(run.duplicateUrns).to.deep.equal([]);
  return run.resources;
}

/** The architecture alone (with what it requires), as test/stacks/architectures.test.ts builds it. */
function aloneConfig(key: string, settings: Record<string, unknown>): Record<string, unknown> {
  const module = ARCHITECTURES.find((m) => m.key === key)!;
  const requires = module.requires?.(module.contract.settings.parse(settings) as never) ?? [];
  const raw: Record<string, unknown> = { [key]: { enabled: true, ...settings } };
  for (const provider of new Set(requires.map((c) => c.provider))) raw[provider] = { enabled: true, ...ARCHITECTURES.find((m) => m.key === provider)!.minimalConfig };
  return raw;
}

const CASES = [
  ...ARCHITECTURES.map((m) => ({ title: m.title, key: m.key, settings: m.minimalConfig })),
  ...["sendTimeAttributes", "externalTemplates"].map((key) => {
    const module = ARCHITECTURES.find((m) => m.key === key)!;
    return { title: `${module.title}, target "pinpoint" (the CampaignHook)`, key, settings: { ...module.minimalConfig, target: "pinpoint" } };
  }),
  {
    title: '#4 Pinpoint Event Processing, target "pinpoint"',
    key: "pinpointEventProcessing",
    settings: { ...ARCHITECTURES.find((m) => m.key === "pinpointEventProcessing")!.minimalConfig, target: "pinpoint", existingPinpointApplicationId: "0123456789abcdef0123456789abcdef" },
  },
];

describe("dashboards", () => {
  for (const { title, key, settings } of CASES) {
    it(`${title}: graphs every metric its handlers' contracts declare, and only those`, async () => {
      const resources = await buildStack(aloneConfig(key, settings), `dash-${key}`);
      const dashboards = resources.filter((r) => r.type === DASHBOARD && r.name !== OVERVIEW);
      // An architecture whose config deploys no function (e.g. #11's and #12's default targets, which
      // are send steps run by other senders) has nothing of its own to graph.
      const functions = resources.filter((r) => r.type === "aws:lambda/function:Function");
      expect(dashboards.length > 0, "a dashboard exactly when there are functions").to.equal(functions.length > 0);
      for (const dashboard of dashboards) {
        const handlers = handlersBelow(resources, dashboard.parent!);
        expect(handlers.length, `functions below ${dashboard.parent}`).to.be.greaterThan(0);
        const graphed = customMetrics(dashboard.inputs.dashboardBody as string);
        // (a) every custom metric is declared by a handler of this architecture, for that handler's service
        const declared = new Set(handlers.flatMap((h) => h.contract.metrics.map((m) => `${h.contract.namespace}|${m}|${h.service}`)));
        expect(graphed.map((g) => `${g.namespace}|${g.name}|${g.service}`).filter((g) => !declared.has(g)), `undeclared metrics on ${dashboard.name}`).to.deep.equal([]);
        // (b) every declared metric has a widget
        const shown = new Set(graphed.map((g) => `${g.namespace}|${g.name}|${g.service}`));
        expect([...declared].filter((d) => !shown.has(d)), `declared metrics missing from ${dashboard.name}`).to.deep.equal([]);
      }
    });
  }

  it("graphs queue depth and age, DLQ depth, and each function's errors, throttles, p99 duration and concurrency", async () => {
    const resources = await buildStack(aloneConfig("smsFileDrop", ARCHITECTURES.find((m) => m.key === "smsFileDrop")!.minimalConfig), "dash-aws");
    const body = JSON.parse(resources.find((r) => r.type === DASHBOARD && r.name === "sms-file-drop-dashboard")!.inputs.dashboardBody as string) as {
      widgets: { properties: { title: string; metrics: unknown[][] } }[];
    };
    const byTitle = Object.fromEntries(body.widgets.map((w) => [w.properties.title, w.properties.metrics.map((m) => `${m[0]}/${m[1]}`)]));
    // The messages queue and the delivery-events queue, with their DLQs and the on-failure queue of
    // the asynchronously invoked splitter.
    expect(byTitle["Queue depth"]).to.deep.equal(["AWS/SQS/ApproximateNumberOfMessagesVisible", "AWS/SQS/ApproximateNumberOfMessagesVisible"]);
    expect(byTitle["Age of oldest message (s)"]).to.deep.equal(["AWS/SQS/ApproximateAgeOfOldestMessage", "AWS/SQS/ApproximateAgeOfOldestMessage"]);
    expect(byTitle["Dead-letter queue depth"]).to.have.length(3);
    for (const [widget, metric] of [
      ["Function errors", "Errors"],
      ["Function throttles", "Throttles"],
      ["Function duration p99 (ms)", "Duration"],
      ["Function concurrency", "ConcurrentExecutions"],
    ]) {
      // splitter, sender, delivery-event consumer, reporter
      expect(byTitle[widget]).to.deep.equal(Array(4).fill(`AWS/Lambda/${metric}`));
    }
  });

  it("graphs a state machine's executions (#3, #10): started, succeeded, and failed, timed out or aborted", async () => {
    for (const [key, dashboardName] of [
      ["s3TriggeredImport", "s3-triggered-import-dashboard"],
      ["advancedSegmentation", "advanced-segmentation-dashboard"],
    ] as const) {
      const resources = await buildStack(aloneConfig(key, ARCHITECTURES.find((m) => m.key === key)!.minimalConfig), `dash-sfn-${key}`);
      const body = JSON.parse(resources.find((r) => r.type === DASHBOARD && r.name === dashboardName)!.inputs.dashboardBody as string) as {
        widgets: { properties: { title: string; metrics: unknown[][] } }[];
      };
      const byTitle = Object.fromEntries(body.widgets.map((w) => [w.properties.title, w.properties.metrics.map((m) => `${m[0]}/${m[1]}`)]));
      expect(byTitle["Executions started"], key).to.deep.equal(["AWS/States/ExecutionsStarted"]);
      expect(byTitle["Executions succeeded"], key).to.deep.equal(["AWS/States/ExecutionsSucceeded"]);
      expect(byTitle["Executions failed, timed out or aborted"], key).to.deep.equal(["AWS/States/ExecutionsFailed", "AWS/States/ExecutionsTimedOut", "AWS/States/ExecutionsAborted"]);
    }
  });

  it("creates none when defaults.dashboards is false, and the overview of every enabled architecture otherwise", async () => {
    const all: Record<string, unknown> = {};
    for (const m of ARCHITECTURES) Object.assign(all, aloneConfig(m.key, m.minimalConfig));
    const off = await buildStack({ ...all, defaults: { dashboards: false } }, "dash-off");
    expect(off.filter((r) => r.type === DASHBOARD).map((r) => r.name)).to.deep.equal([]);

    const on = await buildStack(all, "dash-on");
    const overview = on.filter((r) => r.type === DASHBOARD && r.name === OVERVIEW);
    expect(overview).to.have.length(1);
    expect(overview[0].parent).to.equal(undefined);
    const titles = (JSON.parse(overview[0].inputs.dashboardBody as string) as { widgets: { properties: { title?: string } }[] }).widgets
      .map((w) => w.properties.title)
      .filter((t) => t !== undefined);
    // A row per architecture that has a dashboard, with the graphs it has something to draw in:
    // no dead-letter graph without a queue, no row for an architecture without functions.
    const expected = ARCHITECTURES.flatMap((m) => {
      // Each stack module names its component after its key (sesEventProcessing → ses-event-processing).
      const component = on.find((r) => r.type.startsWith("due:") && r.name === m.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
      const below = (r: RecordedResource): boolean => r.parent !== undefined && (r.parent === component?.key || below(on.find((p) => p.key === r.parent)!));
      const dashboard = on.find((r) => r.type === DASHBOARD && below(r));
      if (dashboard === undefined) return [];
      const graphs = (JSON.parse(dashboard.inputs.dashboardBody as string) as { widgets: { properties: { title?: string } }[] }).widgets.map((w) => w.properties.title);
      return [
        ...(graphs.includes("Dead-letter queue depth") ? [`${m.title}: dead-letter queue depth`] : []),
        ...(graphs.includes("Function errors") ? [`${m.title}: function errors`] : []),
      ];
    });
    expect(titles).to.deep.equal(expected);
    expect(titles.length, "most architectures have both rows").to.be.greaterThan(2 * 8);
  });
});
