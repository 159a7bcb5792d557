/**
 * Every handler's config loader reads exactly the environment its contract declares: a variable the
 * component sets and the handler ignores, or one the handler reads and nothing sets, fails here.
 * (The component side is enforced by BundledFunction, which rejects an environment that differs
 * from the contract, and by `environmentFor`'s type.) One case file per architecture, in
 * handler-cases/.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { PLATFORM_ENVIRONMENT } from "../../components/shared/bundled-function";
import type { FunctionContract } from "../../functions/shared/runtime/function-contract";
import type { HandlerCase } from "./handler-cases/types";

const CASE_DIR = path.join(__dirname, "handler-cases");
const CASES: HandlerCase[] = fs
  .readdirSync(CASE_DIR)
  .filter((f) => f.endsWith(".ts") && f !== "types.ts")
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- one file per architecture, found by listing
  .flatMap((f) => (require(path.join(CASE_DIR, f)) as { CASES: HandlerCase[] }).CASES);

/**
 * Runs a loader over an environment that records every variable read. The platform's variables
 * (Powertools', the send guarantee) are set by the function block and sendGuaranteeEnvironment for
 * every handler, outside any contract, so reading them is not counted.
 */
function variablesRead(load: HandlerCase["load"], sample: Record<string, string>): string[] {
  const read = new Set<string>();
  const env = new Proxy(sample, {
    get(target, key) {
      if (typeof key === "string" && !(PLATFORM_ENVIRONMENT as readonly string[]).includes(key)) read.add(key);
      return target[key as string];
    },
  });
  load(env);
  return [...read].sort();
}

/** Every FunctionContract exported by a functions/<architecture>/contract.ts. */
function declaredContracts(): FunctionContract[] {
  const root = path.join(__dirname, "..", "..", "functions");
  return fs
    .readdirSync(root)
    .map((dir) => path.join(root, dir, "contract.ts"))
    .filter((file) => fs.existsSync(file))
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- every architecture's contract, found by listing
    .flatMap((file) => Object.values(require(file) as Record<string, unknown>))
    .filter((value): value is FunctionContract => typeof value === "object" && value !== null && "entry" in value && "env" in value && "metrics" in value);
}

describe("handler contracts", () => {
  it("has one case for every handler contract in functions/*/contract.ts", () => {
    const entries = CASES.map((c) => c.contract.entry).sort();
    expect(entries.length).to.be.greaterThan(0);
    expect(entries).to.deep.equal(declaredContracts().map((c) => c.entry).sort());
  });

  for (const { contract, load, sample } of CASES) {
    it(`${contract.entry} reads exactly the variables its contract declares`, () => {
      expect(Object.keys(sample).sort(), "the sample covers the contract").to.deep.equal([...contract.env].sort());
      expect(variablesRead(load, sample)).to.deep.equal([...contract.env].sort());
    });
  }
});
