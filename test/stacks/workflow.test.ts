import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { parse } from "yaml";
import { REPO_ROOT } from "../../components/shared/bundle";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  steps: Step[];
}

const workflow = parse(fs.readFileSync(path.join(REPO_ROOT, ".github/workflows/pull-request.yml"), "utf8")) as {
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
};
const SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository";
const FORK = "github.event.pull_request.head.repo.full_name != github.repository";

describe("pull-request workflow", () => {
  const preview = workflow.jobs.preview;
  const pulumiStep = () => preview.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));

  it("creates a stack that does not exist yet instead of failing to select it (pulumi/actions upsert)", () => {
    expect(pulumiStep()?.with).to.include({ command: "preview", upsert: true, policyPacks: "policy" });
  });

  it("runs the real preview only for branches of this repository, which get an OIDC token", () => {
    expect(preview.if).to.equal(SAME_REPOSITORY);
    expect(preview.permissions).to.deep.equal({ contents: "read", "id-token": "write", "pull-requests": "write" });
    expect(workflow.permissions).to.deep.equal({ contents: "read" });
  });

  it("says why the preview is skipped for a pull request from a fork, instead of failing", () => {
    const notice = workflow.jobs["preview-skipped-for-fork"];
    expect(notice.if).to.equal(FORK);
    expect(notice.needs).to.equal("offline-plan");
    expect(notice.permissions, "the notice needs no token").to.equal(undefined);
    const run = notice.steps.map((s) => s.run ?? "").join("\n");
    expect(run).to.match(/^echo "::notice title=pulumi preview skipped::/);
    expect(run).to.contain("from the fork $FORK");
    expect(run).to.contain("GitHub gives workflows from forks no OIDC token");
    // The fork's name reaches the script through the environment, never spliced into it.
    expect(notice.steps[0].env).to.deep.equal({ FORK: "${{ github.event.pull_request.head.repo.full_name }}" });
    expect(run).to.not.contain("${{");
  });

  it("previews each stack in its own environment, whose name is part of the OIDC subject the trust policies match", () => {
    expect(preview.environment).to.equal("preview-${{ matrix.stack }}");
    expect(pulumiStep()?.with?.["stack-name"]).to.equal("${{ vars.PULUMI_ORG }}/${{ matrix.stack }}");
  });
});
