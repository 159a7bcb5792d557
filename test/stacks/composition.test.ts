import { expect } from "chai";
import { Capabilities, capability, planComposition, provide, type Composition } from "../../stacks/architectures/composition";

const CONFIG_SET = capability<{ name: string }>("email", "configurationSet", "its SES configuration set");
const PREFERENCES = capability<string>("optOuts", "preferences", "its SMS preference table");
const LOOP = capability<string>("loopB", "value", "loopB's value");
const LOOP_A = capability<string>("loopA", "value", "loopA's value");

type Config = { wants?: boolean };
const modules: Composition<Config>[] = [
  { key: "replies", requires: (c) => (c.wants === false ? [] : [CONFIG_SET]) },
  { key: "fileDrop", uses: () => [PREFERENCES] },
  { key: "email", provides: [CONFIG_SET] },
  { key: "optOuts", provides: [PREFERENCES] },
  { key: "loopA", provides: [LOOP_A], requires: () => [LOOP] },
  { key: "loopB", provides: [LOOP], requires: () => [LOOP_A] },
];
const configs = (...keys: [string, Config?][]) => new Map(keys.map(([k, c]) => [k, c ?? {}]));

describe("kit: composition", () => {
  it("builds a provider before the modules that require or use it, otherwise in registry order", () => {
    const plan = planComposition(modules, configs(["replies"], ["fileDrop"], ["email"], ["optOuts"]));
    expect(plan.issues).to.deep.equal([]);
    expect(plan.order).to.deep.equal(["email", "replies", "optOuts", "fileDrop"]);
  });

  it("reports a missing prerequisite naming both keys", () => {
    const plan = planComposition(modules, configs(["replies"]), (k) => `due:${k}`);
    expect(plan.issues).to.deep.equal([{ key: "replies", message: "needs its SES configuration set from due:email, which is not enabled" }]);
  });

  it("lets a module's config decide what it requires", () => {
    expect(planComposition(modules, configs(["replies", { wants: false }])).issues).to.deep.equal([]);
  });

  it("treats a used capability whose provider is off as absent, not as an error", () => {
    const plan = planComposition(modules, configs(["fileDrop"]));
    expect(plan).to.deep.equal({ order: ["fileDrop"], issues: [] });
  });

  it("reports a cycle with the keys on it", () => {
    const plan = planComposition(modules, configs(["loopA"], ["loopB"]));
    expect(plan.issues).to.deep.equal([{ key: "loopA", message: "composition cycle: loopA → loopB → loopA" }]);
  });

  it("gives typed access to provided values", () => {
    const capabilities = new Capabilities();
    capabilities.add(provide(CONFIG_SET, { name: "set-1" }));
    const value: { name: string } = capabilities.require(CONFIG_SET);
    expect(value).to.deep.equal({ name: "set-1" });
    expect(capabilities.use(PREFERENCES)).to.equal(undefined);
    expect(() => capabilities.require(PREFERENCES)).to.throw("optOuts.preferences was required but not provided");
  });
});
