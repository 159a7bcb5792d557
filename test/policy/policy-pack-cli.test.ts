/**
 * Starts the policy pack the way `pulumi preview --policy-pack policy` does: the Node.js language
 * host resolves `@pulumi/pulumi/cmd/run-policy-pack` from the pack's folder and runs it with that
 * folder as the working directory, and the runner compiles the TypeScript pack with Pulumi's
 * vendored ts-node (type-checking on). `PolicyPack` then reads `package.json` from the working
 * directory and serves the analyzer over gRPC, printing its port. The test talks to that server as
 * the engine would: it lists the policies and has one stack analysed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { expect } from "chai";
import { REPO_ROOT } from "../../components/shared/bundle";
import { POLICIES } from "../../policy/policies";

const POLICY_DIR = path.join(REPO_ROOT, "policy");
// The runner as the language host finds it: resolved from the pack's own folder.
const requireFromPack = createRequire(path.join(POLICY_DIR, "package.json"));
const RUN_POLICY_PACK = requireFromPack.resolve("@pulumi/pulumi/cmd/run-policy-pack");

/* eslint-disable @typescript-eslint/no-require-imports -- generated gRPC stubs are CommonJS without ESM types */
const grpc = require(requireFromPack.resolve("@grpc/grpc-js")) as typeof import("@grpc/grpc-js");
const analyzerGrpc = require(requireFromPack.resolve("@pulumi/pulumi/proto/analyzer_grpc_pb")) as {
  AnalyzerClient: new (address: string, credentials: unknown) => {
    getAnalyzerInfo(request: unknown, callback: (error: Error | null, response: { getPoliciesList(): { getName(): string }[] }) => void): void;
    analyzeStack(request: unknown, callback: (error: Error | null, response: { getDiagnosticsList(): { getPolicyname(): string; getMessage(): string }[] }) => void): void;
    close(): void;
  };
};
const analyzerPb = require(requireFromPack.resolve("@pulumi/pulumi/proto/analyzer_pb")) as Record<string, new () => Record<string, (...args: unknown[]) => unknown>>;
const { Empty } = require(requireFromPack.resolve("google-protobuf/google/protobuf/empty_pb")) as { Empty: new () => unknown };
const { Struct } = require(requireFromPack.resolve("google-protobuf/google/protobuf/struct_pb")) as { Struct: { fromJavaScript(value: object): unknown } };
/* eslint-enable @typescript-eslint/no-require-imports */

function startPack(): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    // The first argument is the engine address; the pack only needs it for logging.
    const child = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:1", "."], { cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^(\d+)\s*$/m.exec(stdout);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => reject(new Error(`policy pack exited with ${code} before serving:\n${stderr}${stdout}`)));
  });
}

describe("policy pack, started as the Pulumi CLI starts it", function () {
  this.timeout(120_000);
  let pack: { child: ChildProcess; port: number };
  let client: InstanceType<typeof analyzerGrpc.AnalyzerClient>;

  before(async () => {
    pack = await startPack();
    client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${pack.port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    pack?.child.kill();
  });

  it("serves every policy of policy/policies.ts as a mandatory policy", async () => {
    const info = await new Promise<{ getPoliciesList(): { getName(): string }[] }>((resolve, reject) =>
      client.getAnalyzerInfo(new Empty(), (error, response) => (error ? reject(error) : resolve(response))),
    );
    expect(info.getPoliciesList().map((p) => p.getName())).to.deep.equal(POLICIES.map((p) => p.name));
  });

  it("reports a violation for an engine-shaped resource that breaks a policy", async () => {
    const resource = new analyzerPb.AnalyzerResource();
    resource.setType("aws:sqs/queue:Queue");
    resource.setName("plain-queue");
    resource.setUrn("urn:pulumi:dev::digital-user-engagement::aws:sqs/queue:Queue::plain-queue");
    resource.setProperties(Struct.fromJavaScript({ name: "plain-queue" }));
    // The engine always sends resource options (an empty set is fine).
    resource.setOptions(new analyzerPb.AnalyzerResourceOptions());
    const request = new analyzerPb.AnalyzeStackRequest();
    request.setResourcesList([resource]);
    const response = await new Promise<{ getDiagnosticsList(): { getPolicyname(): string; getMessage(): string }[] }>((resolve, reject) =>
      client.analyzeStack(request, (error, result) => (error ? reject(error) : resolve(result))),
    );
    const diagnostics = response.getDiagnosticsList().map((d) => `${d.getPolicyname()}: ${d.getMessage()}`);
    expect(diagnostics.some((d) => d.startsWith("encryption-at-rest:") && d.includes("queue has neither SSE-SQS nor a KMS key"))).to.equal(true);
  });
});
