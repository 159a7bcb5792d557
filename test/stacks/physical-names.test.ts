import { expect } from "chai";
import { boundedName, stableName } from "../../components/shared/naming";
import { RecordedResource } from "../../stacks/plan/mock-runtime";
import { physicalNameProblems } from "../harness/physical-names";
import { build } from "../harness/pulumi";

function recorded(type: string, name: string, inputs: Record<string, unknown>): RecordedResource {
  return { type, name, key: `${type}::${name}`, urn: "", custom: true, inputs, parent: undefined, dependencies: [] };
}

describe("physical names", () => {
  it("leaves a name to Pulumi's autonaming while the autoname fits, and bounds it with a hash when it would not", async () => {
    const names: (string | undefined)[] = [];
    await build(() => {
      names.push(boundedName("f".repeat(56), 64), boundedName("f".repeat(57), 64), boundedName(`${"f".repeat(56)}g`, 64));
      names.push(boundedName("Bucket-Name-".repeat(6), 63, { lowercase: true }));
    });
    expect(names[0]).to.equal(undefined);
    expect(names[1]).to.have.length(64);
    expect(names[1]).to.match(/^digital-user-engagement-test-f+-[0-9a-f]{8}$/);
    expect(names[1]).to.not.equal(names[2]);
    expect(names[3]).to.have.length(63);
    expect(names[3]).to.match(/^[a-z0-9-]+$/);
  });

  it("keeps a short stable name unchanged, and a suffix after the hash", async () => {
    const names: string[] = [];
    await build(() => {
      names.push(stableName("short", 64), stableName("q".repeat(90), 80, ".fifo"));
    });
    expect(names[0]).to.equal("digital-user-engagement-test-short");
    expect(names[1]).to.have.length(80);
    expect(names[1].endsWith(".fifo")).to.equal(true);
  });

  it("reports explicit, prefixed and autonamed names that AWS would reject (the harness the component tests use)", () => {
    expect(
      physicalNameProblems([
        recorded("aws:lambda/function:Function", "fn", { name: "f".repeat(65) }),
        recorded("aws:iam/role:Role", "r".repeat(57), {}),
        recorded("aws:iam/role:Role", "ok-role", {}),
        recorded("aws:cloudwatch/logGroup:LogGroup", "logs", { namePrefix: `/aws/lambda/${"l".repeat(480)}-` }),
        recorded("aws:s3/bucket:Bucket", "b", { bucket: "Has_Upper" }),
        recorded("aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination", "d", { eventDestinationName: "feedback to sns" }),
        recorded("aws:sns/topicPolicy:TopicPolicy", "unnamed-type", {}),
      ]),
    ).to.deep.equal([
      `aws:lambda/function:Function::fn: "${"f".repeat(65)}" is 65 characters (limit 64)`,
      `aws:iam/role:Role::${"r".repeat(57)}: "${"r".repeat(57)}-a1b2c3d" is 65 characters (limit 64)`,
      `aws:cloudwatch/logGroup:LogGroup::logs: "/aws/lambda/${"l".repeat(480)}-20260101000000000000000001" is 519 characters (limit 512)`,
      'aws:s3/bucket:Bucket::b: "Has_Upper" does not match /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/',
      'aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination::d: "feedback to sns" does not match /^[A-Za-z0-9_-]+$/',
    ]);
  });
});
