import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import * as z from "zod";
import {
  ContractError,
  contractKeys,
  defineContract,
  passThrough,
  resolveSettings,
  settingsFromConfig,
  settingsReference,
  type ContractArgs,
} from "../../components/kit/contract";

const example = defineContract(
  "Example",
  z
    .strictObject({
      batchSize: z.int().min(1).max(10).default(10).describe("Records per invocation."),
      existingTableName: passThrough(z.string().min(3)).optional().describe("Use this table instead of creating one."),
      createTable: z.boolean().default(false).describe("Create a table."),
      tags: z.array(z.string()).default([]).describe("Tags."),
    })
    .superRefine((c, ctx) => {
      if (c.existingTableName !== undefined && c.createTable) {
        ctx.addIssue({ code: "custom", path: ["createTable"], message: "set either existingTableName or createTable, not both" });
      }
    }),
);

const targets = defineContract(
  "Targeted",
  z.discriminatedUnion("target", [
    z.strictObject({ target: z.literal("supported").default("supported").describe("Which services to build on."), rate: z.int().default(1).describe("Rate.") }),
    z.strictObject({ target: z.literal("pinpoint").describe("Which services to build on."), rate: z.int().default(5).describe("Rate."), applicationId: z.string().describe("Pinpoint project id.") }),
  ]),
);

describe("kit: contracts", () => {
  it("applies defaults and keeps only the contract's keys", () => {
    const settings = resolveSettings(example, { batchSize: 5, logRetentionInDays: 7 });
    expect(settings).to.deep.equal({ batchSize: 5, createTable: false, tags: [] });
  });

  it("reports every problem at once, each with its exact key", () => {
    expect(() => resolveSettings(example, { batchSize: 11, existingTableName: "ab", tags: "x" }))
      .to.throw(ContractError)
      .with.property("message")
      .that.equals(
        "Example: invalid arguments:\n" +
          "  - batchSize: Too big: expected number to be <=10\n" +
          "  - existingTableName: Too small: expected string to have >=3 characters\n" +
          "  - tags: Invalid input: expected array, received string",
      );
  });

  it("accepts an Output for a pass-through setting, hands it back unchanged, and still applies cross-field rules to it", () => {
    const name = pulumi.output("table-from-elsewhere");
    const settings = resolveSettings(example, { existingTableName: name });
    expect(settings.existingTableName).to.equal(name);
    expect(() => resolveSettings(example, { existingTableName: name, createTable: true })).to.throw(
      "Example: invalid arguments:\n  - createTable: set either existingTableName or createTable, not both",
    );
  });

  it("types pass-through settings as Inputs and the rest as plain values", () => {
    const args: ContractArgs<typeof example.settings> = { existingTableName: pulumi.output("t"), batchSize: 2 };
    // @ts-expect-error batchSize shapes the graph and must be known up front
    const bad: ContractArgs<typeof example.settings> = { batchSize: pulumi.output(2) };
    expect(args.batchSize).to.equal(2);
    expect(bad).to.be.an("object");
  });

  it("copies exactly the contract's keys from a parsed stack config", () => {
    expect(settingsFromConfig(example, { enabled: true, batchSize: 3, logRetentionInDays: 14, createTable: true })).to.deep.equal({ batchSize: 3, createTable: true });
  });

  it("lists the keys of every variant of a discriminated union", () => {
    expect(contractKeys(targets)).to.deep.equal(["target", "rate", "applicationId"]);
  });

  it("says a missing pass-through value is required", () => {
    const required = defineContract("Required", z.strictObject({ tableName: passThrough(z.string().min(3)).describe("A table.") }));
    expect(() => resolveSettings(required, {})).to.throw("Required: invalid arguments:\n  - tableName: is required");
  });

  it("rejects a key that belongs to the other target", () => {
    expect(() => resolveSettings(targets, { target: "supported", applicationId: "abc" })).to.throw("Targeted: invalid arguments:\n  - applicationId: unknown key");
    expect(resolveSettings(targets, { target: "pinpoint", applicationId: "abc" })).to.deep.equal({ target: "pinpoint", rate: 5, applicationId: "abc" });
  });

  it("generates the settings reference from the declaration", () => {
    expect(settingsReference(example)).to.deep.equal([
      { key: "batchSize", type: "integer 1–10", default: "10", description: "Records per invocation.", onlyWhen: undefined, required: false },
      { key: "existingTableName", type: "string", default: "—", description: "Use this table instead of creating one.", onlyWhen: undefined, required: false },
      { key: "createTable", type: "boolean", default: "false", description: "Create a table.", onlyWhen: undefined, required: false },
      { key: "tags", type: "list of string", default: "[]", description: "Tags.", onlyWhen: undefined, required: false },
    ]);
  });

  it("marks settings that exist for one target only", () => {
    const rows = settingsReference(targets);
    expect(rows[0]).to.deep.include({ key: "target", type: "one of supported | pinpoint", default: '"supported"' });
    expect(rows[1].default).to.equal('1 (target = "supported"), 5 (target = "pinpoint")');
    expect(rows.map((r) => [r.key, r.onlyWhen])).to.deep.equal([
      ["target", undefined],
      ["rate", undefined],
      ["applicationId", 'target = "pinpoint"'],
    ]);
  });
});
