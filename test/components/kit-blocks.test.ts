import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { arnBuilder } from "../../components/shared/arn";
import { existingOrCreate } from "../../components/shared/existing-or-create";
import { runUnderMocks } from "../../stacks/plan/mock-runtime";

const resolve = <T>(output: pulumi.Output<T>) => new Promise<T>((r) => output.apply(r));

describe("kit: small building blocks", () => {
  it("arnBuilder builds ARNs in the stack's partition, Region and account", async () => {
    const run = await runUnderMocks(async () => resolve(arnBuilder({})("ses", pulumi.output("configuration-set/x"))), { stack: "arn" });
    expect(run.result).to.equal("arn:aws:ses:us-east-1:123456789012:configuration-set/x");
  });

  it("existingOrCreate creates nothing when an existing value is named, and uses it", async () => {
    const run = await runUnderMocks(
      async () => {
        const choice = existingOrCreate("existing-topic-arn", () => new aws.sns.Topic("t", {}), (t) => t.arn);
        return { created: choice.created, value: await resolve(choice.value) };
      },
      { stack: "existing" },
    );
    expect(run.resources.filter((r) => r.type === "aws:sns/topic:Topic")).to.have.length(0);
    expect(run.result).to.deep.equal({ created: undefined, value: "existing-topic-arn" });
  });

  it("existingOrCreate creates the resource when nothing is named, and uses its value", async () => {
    const run = await runUnderMocks(
      async () => {
        const choice = existingOrCreate<aws.sns.Topic, string>(undefined, () => new aws.sns.Topic("t", { name: "created-topic" }), (t) => t.name);
        return { created: choice.created !== undefined, value: await resolve(choice.value) };
      },
      { stack: "create" },
    );
    expect(run.resources.filter((r) => r.type === "aws:sns/topic:Topic").map((r) => r.name)).to.deep.equal(["t"]);
    expect(run.result).to.deep.equal({ created: true, value: "created-topic" });
  });
});
