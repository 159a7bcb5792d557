import { expect } from "chai";
import { ArgumentErrors, consolidate } from "../../components/shared";
import { thrownMessage } from "../harness/pulumi";

describe("consolidate (defaults ← user ← required)", () => {
  const defaults = { scanEnabled: true, tlsPolicy: "Require", retries: 2 };

  it("keeps the defaults when the user sets nothing, without warnings", () => {
    const warnings: string[] = [];
    expect(consolidate("C", defaults, undefined, {}, (m) => warnings.push(m))).to.deep.equal(defaults);
    expect(warnings).to.deep.equal([]);
  });

  it("honours a user override of a secure default and warns about it; an equal value or undefined does not warn", () => {
    const warnings: string[] = [];
    const merged = consolidate("C", defaults, { scanEnabled: false, tlsPolicy: "Require", retries: undefined }, {}, (m) => warnings.push(m));
    expect(merged).to.deep.equal({ scanEnabled: false, tlsPolicy: "Require", retries: 2 });
    expect(warnings).to.deep.equal(['C: overriding the secure default for "scanEnabled" (true -> false)']);
  });

  it("lets what the architecture requires win over the user", () => {
    expect(consolidate("C", defaults, { retries: 5 }, { retries: 0 }, () => undefined)).to.deep.equal({ ...defaults, retries: 0 });
  });
});

describe("ArgumentErrors", () => {
  it("collects every failed check and throws them once, in order", () => {
    const errors = new ArgumentErrors("Thing");
    errors.check(true, "first is wrong");
    errors.check(false, "never reported");
    errors.add("second is wrong");
    expect(thrownMessage(() => errors.throwIfAny())).to.equal("Thing: invalid arguments:\n  - first is wrong\n  - second is wrong");
  });

  it("does not throw when every check passed", () => {
    const errors = new ArgumentErrors("Thing");
    errors.check(false, "fine");
    expect(() => errors.throwIfAny()).to.not.throw();
  });
});
