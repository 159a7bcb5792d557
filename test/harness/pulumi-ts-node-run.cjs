// Loads index.ts the way `pulumi up` does: @pulumi/pulumi's cmd/run registers its vendored ts-node
// (type-checking on, the project's tsconfig and TypeScript) before requiring the program. The
// registration below mirrors node_modules/@pulumi/pulumi/cmd/run/run.js for a CommonJS project;
// the program then runs under runtime mocks. Prints the number of registered resources.
const fs = require("node:fs");
const path = require("node:path");
const root = path.resolve(__dirname, "..", "..");
const tsutils = require(path.join(root, "node_modules/@pulumi/pulumi/tsutils"));
const tsConfigPath = path.join(root, "tsconfig.json");
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
require(tsnodeRequire).register({
  compiler: typescriptRequire,
  transpileOnly: undefined,
  project: tsConfigPath,
  skipProject: false,
  compilerOptions: {
    target: "ES2020",
    module: "nodenext",
    moduleResolution: "nodenext",
    sourceMap: "true",
    ...tsutils.loadTypeScriptCompilerOptions(tsConfigPath),
  },
});
// Like the offline plan, this runs in no account: documentation placeholders in the stack file are
// allowed (stacks/config/placeholders.ts); a real `pulumi up` rejects them.
process.env.DUE_OFFLINE_PLAN = "1";
const pulumi = require(path.join(root, "node_modules/@pulumi/pulumi"));
const { parse } = require(path.join(root, "node_modules/yaml"));
const stack = process.argv[2] || "dev";
const config = {};
for (const [key, value] of Object.entries(parse(fs.readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8")).config ?? {})) {
  config[key] = typeof value === "string" ? value : JSON.stringify(value);
}
let registered = 0;
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered++;
      const name = args.inputs.name ?? args.name;
      return { id: `${args.name}-id`, state: { ...args.inputs, name, arn: `arn:aws:mock:us-east-1:123456789012:${name}`, url: `https://mock/${name}` } };
    },
    call: () => ({ accountId: "123456789012", region: "us-east-1", name: "us-east-1", partition: "aws", id: "mock" }),
  },
  "digital-user-engagement",
  stack,
  false,
);
pulumi.runtime.setAllConfig(config);
pulumi.runtime
  .runInPulumiStack(async () => require(path.join(root, "index.ts")))
  .then(() => pulumi.runtime.disconnect())
  .then(
    () => console.log(`registered ${registered}`),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
