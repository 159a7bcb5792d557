import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { REPO_ROOT, bundleHandler } from "../../components/shared/bundle";
import { PROCESSOR } from "../../functions/ses-event-processing/contract";
import { DELIVERY, REPORTER, SENDER, SPLITTER } from "../../functions/sms-file-drop/contract";

/**
 * The library used from another program: `npm pack` (its prepack compiles the components to lib/),
 * the tarball extracted into a temporary project's node_modules, and a small TypeScript program
 * there, compiled with tsc against the package's exported types and run with plain node under
 * runtime mocks, builds two components whose handlers bundle from inside the installed package.
 */

const PACKAGE = "digital-user-engagement";

// The consumer: imports the package by name only (no repository file), with its own mocks.
const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { SesEventProcessing, SmsFileDrop, shared } from "${PACKAGE}";

const INVOKES: Record<string, Record<string, string>> = {
  "aws:index/getCallerIdentity:getCallerIdentity": { accountId: "123456789012" },
  "aws:index/getRegion:getRegion": { name: "us-east-1", region: "us-east-1" },
  "aws:index/getPartition:getPartition": { partition: "aws", dnsSuffix: "amazonaws.com" },
};
const types: string[] = [];
const bundled: shared.BundledFunction[] = [];

async function main(): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        types.push(args.type);
        const name = args.inputs.name ?? args.name + "-0000000";
        return { id: args.name + "-id", state: { ...args.inputs, name, arn: "arn:aws:mock:us-east-1:123456789012:" + name } };
      },
      call: (args) => {
        if (!INVOKES[args.token]) throw new Error("no mock for " + args.token);
        return INVOKES[args.token];
      },
    },
    "consumer",
    "test",
    false,
  );
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      if (args.resource instanceof shared.BundledFunction) bundled.push(args.resource);
      return undefined;
    });
    new SesEventProcessing("ses", {});
    new SmsFileDrop("drop", { originationIdentities: [{ identity: "pool-0123456789abcdef0123456789abcdef", mps: 20 }] });
    return {};
  });
  await pulumi.runtime.disconnect();
  const bundles = bundled.map((f) => ({ bytes: f.bundleBytes, sha256: f.bundleSha256 }));
  console.log("RESULT " + JSON.stringify({ packageRoot: shared.REPO_ROOT, types, bundles }));
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

const CONSUMER_TSCONFIG = {
  compilerOptions: { target: "ES2022", module: "node16", moduleResolution: "node16", strict: true, skipLibCheck: true, types: ["node"], outDir: "bin" },
  files: ["index.ts"],
};

const SKIPPED_FROM_STAGE = new Set(["node_modules", ".git", "lib", "dist", "bin", ".plan", "coverage"]);

interface ConsumerResult {
  packageRoot: string;
  types: string[];
  bundles: { bytes: number; sha256: string }[];
}

describe("the package, used from another program", () => {
  let scratch: string;
  after(() => scratch && fs.rmSync(scratch, { recursive: true, force: true }));

  it("packs, installs into a temporary project and builds two components whose handlers bundle there", function () {
    this.timeout(120_000);
    scratch = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "due-package-")));
    // Pack from a copy, so prepack's lib/ never lands in the working tree.
    const stage = path.join(scratch, "stage");
    fs.cpSync(REPO_ROOT, stage, { recursive: true, filter: (src) => !SKIPPED_FROM_STAGE.has(path.basename(src)) || path.dirname(src) !== REPO_ROOT });
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(stage, "node_modules"), "dir");
    // The consumer: the extracted tarball as its package, every other dependency linked one by one.
    const consumer = path.join(scratch, "consumer");
    const installed = path.join(consumer, "node_modules", PACKAGE);
    fs.mkdirSync(installed, { recursive: true });
    for (const dependency of fs.readdirSync(path.join(REPO_ROOT, "node_modules"))) {
      if (dependency.startsWith(".")) continue;
      fs.symlinkSync(path.join(REPO_ROOT, "node_modules", dependency), path.join(consumer, "node_modules", dependency), "dir");
    }
    fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, dependencies: { [PACKAGE]: "*" } }));
    fs.writeFileSync(path.join(consumer, "tsconfig.json"), JSON.stringify(CONSUMER_TSCONFIG));
    fs.writeFileSync(path.join(consumer, "index.ts"), PROGRAM);

    const script = [
      "set -e",
      `cd "${stage}"`,
      `npm pack --pack-destination "${scratch}" >&2`,
      `tar -xzf "${scratch}"/${PACKAGE}-*.tgz -C "${installed}" --strip-components=1`,
      `cd "${consumer}"`,
      `node "${path.join(REPO_ROOT, "node_modules/typescript/bin/tsc")}" -p tsconfig.json`,
      "node bin/index.js",
    ].join("\n");
    const run = spawnSync("sh", ["-c", script], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" },
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).to.equal(0);

    // What ships: compiled components with their types and the handler sources; no tests or stacks.
    for (const file of ["lib/components/index.js", "lib/components/index.d.ts", PROCESSOR.entry, SPLITTER.entry]) {
      expect(fs.existsSync(path.join(installed, file)), file).to.equal(true);
    }
    for (const absent of ["components", "stacks", "test", "index.ts", "tsconfig.json"]) expect(fs.existsSync(path.join(installed, absent)), absent).to.equal(false);

    const line = run.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    const result = JSON.parse(line!.slice("RESULT ".length)) as ConsumerResult;
    // Handler entries resolved inside the installed package, not the repository.
    expect(result.packageRoot).to.equal(installed);
    expect(result.types).to.include.members([
      "due:email:SesEventProcessing",
      "due:sms:SmsFileDrop",
      "due:shared:BundledFunction",
      "aws:lambda/function:Function",
    ]);
    // #1's processor and #9's splitter, sender, delivery-event consumer and reporter, bundled from the
    // package exactly as from the repository.
    expect(result.bundles.every((b) => b.bytes > 0)).to.equal(true);
    expect(result.bundles.map((b) => b.sha256).sort()).to.deep.equal([PROCESSOR, SPLITTER, SENDER, DELIVERY, REPORTER].map((c) => bundleHandler(c.entry).sha256).sort());
  });
});
