import { expect } from "chai";
import { SEND_TIME_ATTRIBUTES, SendTimeAttributes, type SendTimeAttributesArgs } from "../../components/campaigns/send-time-attributes";
import { resolveSettings } from "../../components/kit/contract";
import { runPolicies } from "../../policy/policies";
import { ARCHITECTURES, createStack, parseStackConfig } from "../../stacks";
import { toPolicyResources } from "../../stacks/plan/render";
import { allowedActions, build, thrownMessage } from "../harness/pulumi";

const ACCOUNT = "123456789012";
const APP = "3a9b1f6b6c6a4d3e9b0c2a1d4e5f6a7b";
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/sta-offers-0000000`;
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:sta-hook-function-0000000`;

const make = (args: SendTimeAttributesArgs = {}) => () => new SendTimeAttributes("sta", args);
const variables = (built: Awaited<ReturnType<typeof build>>, name: string) => (built.inputs(name).environment as { variables: Record<string, string> }).variables;

describe("SendTimeAttributes", () => {
  it("send-step target: creates only the offer table (encrypted, point-in-time recovery, keyed by recipientId)", async () => {
    const built = await build(make());
    expect(built.childrenOf("sta")).to.deep.equal(["aws:dynamodb/table:Table::sta-offers"]);
    expect(built.inputs("sta-offers")).to.deep.include({
      hashKey: "recipientId",
      attributes: [{ name: "recipientId", type: "S" }],
      billingMode: "PAY_PER_REQUEST",
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
    });
  });

  it("send-step target with an existing table creates nothing", async () => {
    const built = await build(make({ existingOfferTableName: "crm-offers" }));
    expect(built.childrenOf("sta")).to.deep.equal([]);
  });

  it("pinpoint target on an existing project: the hook, Pinpoint's two invoke permissions (both ARN forms, source account), no project settings", async () => {
    const built = await build(make({ target: "pinpoint", existingApplicationId: APP, missingOffer: "drop", recipientKey: "userId" }));
    expect(built.childrenOf("sta")).to.deep.equal([
      "aws:dynamodb/table:Table::sta-offers",
      "due:shared:BundledFunction::sta-hook",
      "aws:lambda/permission:Permission::sta-invoke-from-project",
      "aws:lambda/permission:Permission::sta-invoke-from-campaigns",
      "aws:cloudwatch/dashboard:Dashboard::sta-dashboard",
    ]);
    const common = { action: "lambda:InvokeFunction", function: "sta-hook-function-0000000", principal: "pinpoint.us-east-1.amazonaws.com", sourceAccount: ACCOUNT };
    expect(built.inputs("sta-invoke-from-project")).to.deep.equal({ ...common, sourceArn: `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/${APP}` });
    expect(built.inputs("sta-invoke-from-campaigns")).to.deep.equal({ ...common, sourceArn: `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/${APP}/*` });
    expect(built.ofType("aws:pinpoint/app:App")).to.deep.equal([]);
  });

  it("pinpoint target: the hook answers well within 15 s, reads offers with BatchGetItem only, and gets its policy through its environment", async () => {
    const built = await build(make({ target: "pinpoint", existingApplicationId: APP, missingOffer: "drop", recipientKey: "userId" }));
    expect(built.inputs("sta-hook-function")).to.include({ timeout: 10, memorySize: 512 });
    expect(variables(built, "sta-hook-function")).to.include({ OFFER_TABLE_NAME: "sta-offers-0000000", RECIPIENT_KEY: "userId", MISSING_OFFER: "drop", LOOKUP_BUDGET_MS: "8000" });
    const statements = built.callerStatements("sta-hook");
    expect(statements).to.deep.equal([{ Sid: "ReadOffers", Effect: "Allow", Action: "dynamodb:BatchGetItem", Resource: TABLE_ARN }]);
    expect(allowedActions(statements).filter((a) => a.includes("*"))).to.deep.equal([]);
  });

  it("pinpoint target creating the project makes the hook its default CampaignHook in FILTER mode", async () => {
    const built = await build(make({ target: "pinpoint" }));
    expect(built.inputs("sta-project")).to.deep.equal({ name: "campaign-hooks", campaignHook: { lambdaFunctionName: FUNCTION_ARN, mode: "FILTER" } });
    const without = await build(make({ target: "pinpoint", projectDefaultHook: false }));
    expect(without.inputs("sta-project")).to.deep.equal({ name: "campaign-hooks" });
  });

  it("rejects a project-default hook on an existing project, a timeout Pinpoint would not wait for, and a key of the other target", () => {
    expect(thrownMessage(() => resolveSettings(SEND_TIME_ATTRIBUTES, { target: "pinpoint", existingApplicationId: APP, projectDefaultHook: true, hookTimeoutSeconds: 15 }))).to.equal(
      [
        "SendTimeAttributes: invalid arguments:",
        "  - hookTimeoutSeconds: Too big: expected number to be <=14",
        "  - projectDefaultHook: needs a project this component creates: @pulumi/aws has no resource for an existing project's settings; attach the hook per campaign (CampaignHook) instead",
      ].join("\n"),
    );
    expect(thrownMessage(() => resolveSettings(SEND_TIME_ATTRIBUTES, { recipientKey: "userId" }))).to.equal("SendTimeAttributes: invalid arguments:\n  - recipientKey: unknown key");
  });

  it("as part of the stack, adds its step to the SMS file drop's sender, with BatchGetItem on the offer table, and not to #8's opt-out replies", async () => {
    const raw = {
      selfManagedOptOuts: { enabled: true, ...ARCHITECTURES.find((m) => m.key === "selfManagedOptOuts")!.minimalConfig },
      smsFileDrop: { enabled: true, originationIdentities: [{ identity: "pool-0123456789abcdef0123456789abcdef", mps: 1 }] },
      sendTimeAttributes: { enabled: true, missingOffer: "drop", recipientKeyContextEntry: "id_1" },
    };
    const built = await build(() => createStack(parseStackConfig(raw)));
    const steps = JSON.parse(variables(built, "sms-file-drop-sender-function").SEND_STEPS) as unknown[];
    expect(steps).to.deep.equal([
      {
        name: "sendTimeAttributes",
        settings: {
          tableName: "send-time-attributes-offers-0000000",
          tableArn: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/send-time-attributes-offers-0000000`,
          missingOffer: "drop",
          maxValueLength: 100,
          recipientKeyContextEntry: "id_1",
        },
      },
    ]);
    const optOutFunctions = built.ofType("aws:lambda/function:Function").filter((r) => r.name.startsWith("self-managed-opt-outs"));
    expect(optOutFunctions).to.have.length.greaterThan(0);
    for (const fn of optOutFunctions) expect((fn.inputs.environment as { variables: Record<string, string> }).variables).to.not.have.property("SEND_STEPS");
    expect(built.callerStatements("sms-file-drop-sender")).to.deep.include({
      Sid: "ReadOffers",
      Effect: "Allow",
      Action: "dynamodb:BatchGetItem",
      Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/send-time-attributes-offers-0000000`,
    });
  });

  it("pinpoint targets of #11 and #12 together, one on a created project: no URN repeated, every policy passing", async () => {
    const raw = {
      sendTimeAttributes: { enabled: true, target: "pinpoint" },
      externalTemplates: { enabled: true, target: "pinpoint", existingApplicationId: APP, templateKey: "welcome", createIndexTable: true },
    };
    const built = await build(() => createStack(parseStackConfig(raw)));
    expect(built.ofType("aws:pinpoint/app:App").map((r) => r.name)).to.deep.equal(["send-time-attributes-project"]);
    expect(runPolicies(toPolicyResources(built.resources))).to.deep.equal([]);
  });
});
