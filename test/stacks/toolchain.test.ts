import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { REPO_ROOT } from "../../components/shared/bundle";

/** Every installed copy of a package under node_modules, at any depth. */
function installedCopies(pkg: string, dir = path.join(REPO_ROOT, "node_modules")): string[] {
  const found: string[] = [];
  if (!fs.existsSync(dir)) return found;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const full = path.join(dir, entry.name);
    if (entry.name.startsWith("@")) {
      for (const scoped of fs.readdirSync(full, { withFileTypes: true })) {
        if (!scoped.isDirectory()) continue;
        const scopedPath = path.join(full, scoped.name);
        if (`${entry.name}/${scoped.name}` === pkg) found.push(scopedPath);
        found.push(...installedCopies(pkg, path.join(scopedPath, "node_modules")));
      }
    } else {
      if (entry.name === pkg) found.push(full);
      found.push(...installedCopies(pkg, path.join(full, "node_modules")));
    }
  }
  return found;
}

describe("toolchain", () => {
  it("has exactly one copy of @pulumi/pulumi installed (a second copy breaks runtime mocks)", () => {
    expect(installedCopies("@pulumi/pulumi").map((p) => path.relative(REPO_ROOT, p))).to.deep.equal(["node_modules/@pulumi/pulumi"]);
  });

  it("pins TypeScript to 5.9.x (TypeScript 7 has no compiler API for Pulumi, ts-node and typescript-eslint)", () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules/typescript/package.json"), "utf8")) as { version: string };
    expect(version).to.match(/^5\.9\./);
  });
});
