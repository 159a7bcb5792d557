import { expect } from "chai";
import { staleFiles } from "../../stacks/docs/generate";

describe("generated docs", () => {
  it("match what `npm run docs` generates from the contracts (settings tables, defaults, Pulumi.yaml's keys)", () => {
    expect(staleFiles()).to.deep.equal([]);
  });
});
