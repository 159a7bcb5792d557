import { expect } from "chai";
import { staleFiles } from "../../stacks/docs/generate";

describe("generated docs", function () {
  // Each page's diagram is built under runtime mocks in a child process (about 10 s on 2 cores).
  this.timeout(120_000);

  it("match what `npm run docs` generates from the program (settings tables, defaults, diagrams, Pulumi.yaml's keys)", () => {
    expect(staleFiles()).to.deep.equal([]);
  });
});
