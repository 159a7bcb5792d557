/**
 * What every architecture module must have, checked over the registry: its minimal config builds
 * alone with no URN repeated and every policy passing, every setting of its contract is described,
 * and its docs page exists. Adding an architecture adds a row here without editing this file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { settingsReference } from "../../components/kit/contract";
import { REPO_ROOT } from "../../components/shared/bundle";
import { runPolicies } from "../../policy/policies";
import { ARCHITECTURES, createStack, parseStackConfig } from "../../stacks";
import { runUnderMocks } from "../../stacks/plan/mock-runtime";
import { toPolicyResources } from "../../stacks/plan/render";

describe("every architecture module", () => {
  it("has a unique key and seed number", () => {
    const keys = ARCHITECTURES.map((m) => m.key);
    const numbers = ARCHITECTURES.map((m) => m.number);
    expect(new Set(keys).size).to.equal(keys.length);
    expect(new Set(numbers).size).to.equal(numbers.length);
  });

  for (const module of ARCHITECTURES) {
    describe(`${module.title} (${module.key})`, () => {
      it("builds alone from its minimal config, with no URN repeated and every policy passing", async () => {
        const requires = module.requires?.(module.contract.settings.parse(module.minimalConfig) as never) ?? [];
        const providers = [...new Set(requires.map((c) => c.provider))];
        const raw: Record<string, unknown> = { [module.key]: { enabled: true, ...module.minimalConfig } };
        for (const provider of providers) raw[provider] = { enabled: true, ...ARCHITECTURES.find((m) => m.key === provider)!.minimalConfig };
        const run = await runUnderMocks(() => createStack(parseStackConfig(raw)), { stack: `alone-${module.key}` });
        expect(run.duplicateUrns).to.deep.equal([]);
        expect(run.resources.filter((r) => r.custom).length).to.be.greaterThan(0);
        expect(runPolicies(toPolicyResources(run.resources))).to.deep.equal([]);
      });

      it("describes every setting of its contract", () => {
        const rows = settingsReference(module.contract);
        expect(rows.length).to.be.greaterThan(0);
        expect(rows.filter((r) => r.description.trim() === "").map((r) => r.key)).to.deep.equal([]);
      });

      it("has its docs page", () => {
        const prefix = String(module.number).padStart(2, "0");
        const pages = fs.readdirSync(path.join(REPO_ROOT, "docs", "architectures")).filter((f) => f.startsWith(`${prefix}-`) && f.endsWith(".md"));
        expect(pages, `docs/architectures/${prefix}-*.md`).to.have.length(1);
      });
    });
  }
});
