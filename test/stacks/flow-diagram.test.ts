import { expect } from "chai";
import { collectDataFlows, dataFlow, external } from "../../components/shared/flow";
import { ARCHITECTURES } from "../../stacks";
import { architectureFlows, renderFlowDiagram, type ResolvedFlow } from "../../stacks/plan/flow-diagram";
import type { RecordedResource } from "../../stacks/plan/mock-runtime";

function resource(type: string, name: string, extra: Partial<RecordedResource> = {}): RecordedResource {
  const key = `${type}::${name}`;
  return { type, name, key, urn: `urn:pulumi:t::p::${key}`, custom: true, inputs: {}, parent: undefined, dependencies: [], ...extra };
}

describe("data-flow diagram", () => {
  const dlq = resource("aws:sqs/queue:Queue", "app-dlq");
  const queue = resource("aws:sqs/queue:Queue", "app-queue", {
    inputs: { redrivePolicy: JSON.stringify({ deadLetterTargetArn: "arn", maxReceiveCount: 5 }) },
    dependencies: [dlq.key],
  });
  const role = resource("aws:iam/role:Role", "app-role");
  const fn = resource("aws:lambda/function:Function", "app-fn", { dependencies: [role.key] });
  const policy = resource("aws:iam/rolePolicy:RolePolicy", "app-policy", { dependencies: [role.key] });
  const logGroup = resource("aws:cloudwatch/logGroup:LogGroup", "app-logs");
  const mapping = resource("aws:lambda/eventSourceMapping:EventSourceMapping", "app-mapping", { dependencies: [queue.key, fn.key] });
  const resources = [dlq, queue, role, fn, policy, logGroup, mapping];
  const flows: ResolvedFlow[] = [
    { from: { external: "Amazon SES" }, to: { key: queue.key }, label: "messages" },
    { from: { key: queue.key }, to: { key: fn.key }, label: "batches" },
  ];

  it("draws the declared flows, labelled, and hides the plumbing", () => {
    const diagram = renderFlowDiagram(resources, flows);
    expect(diagram.split("\n")[0]).to.equal("flowchart LR");
    expect(diagram).to.include('ext_Amazon_SES{{"Amazon SES"}}');
    expect(diagram).to.include('ext_Amazon_SES -->|"messages"| app_queue');
    expect(diagram).to.include('app_queue -->|"batches"| app_fn');
    expect(diagram).to.include('app_fn(["Lambda function<br/>app-fn"])');
    for (const hidden of ["app-role", "app-policy", "app-logs", "app-mapping"]) expect(diagram).not.to.include(hidden);
  });

  it("puts the DLQ beside its queue, in one group, with the redrive edge", () => {
    const lines = renderFlowDiagram(resources, flows).split("\n");
    const begin = lines.findIndex((l) => l.includes("subgraph app_queue_group"));
    const end = lines.indexOf("  end", begin);
    expect(begin).to.be.greaterThan(0);
    const group = lines.slice(begin, end).join("\n");
    expect(group).to.include('app_queue[["SQS queue<br/>app-queue"]]');
    expect(group).to.include('app_dlq[["SQS dead-letter queue<br/>app-dlq"]]');
    expect(lines).to.include('  app_queue -.->|"after 5 receives"| app_dlq');
  });

  it("shows the plumbing with `all`, hung on what it depends on", () => {
    const diagram = renderFlowDiagram(resources, flows, { all: true });
    for (const shown of ["app-role", "app-policy", "app-logs", "app-mapping"]) expect(diagram).to.include(shown);
    expect(diagram).to.include("app_policy -.- app_role");
    expect(diagram).to.include("app_mapping -.- app_fn");
  });

  it("records nothing outside the offline plan", async () => {
    dataFlow(external("a"), external("b"), "calls");
    const { edges } = await collectDataFlows(async () => dataFlow(external("c"), undefined, "calls"));
    expect(edges).to.deep.equal([]);
  });

  for (const module of ARCHITECTURES) {
    it(`${module.title}: flows from an external source and into a function, every end a registered resource or a service`, async () => {
      const { resources: recorded, flows: declared } = await architectureFlows(module);
      const types = new Map(recorded.map((r) => [r.key, r.type]));
      expect(declared.some((f) => "external" in f.from), "an edge from an external source").to.equal(true);
      // An architecture whose config deploys no function (#11's and #12's send steps run in other
      // architectures' senders) has no function to flow into.
      const hasFunction = recorded.some((r) => r.type === "aws:lambda/function:Function");
      expect(declared.some((f) => "key" in f.to && types.get(f.to.key) === "aws:lambda/function:Function"), "an edge into a function").to.equal(hasFunction);
      for (const f of declared) expect(f.label.trim()).not.to.equal("");
    });
  }
});
