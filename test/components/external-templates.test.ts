import { expect } from "chai";
import { EXTERNAL_TEMPLATES, ExternalTemplates, type ExternalTemplatesArgs } from "../../components/campaigns/external-templates";
import { templateStepStatements, personalizeStepStatements } from "../../components/campaigns/send-step-statements";
import { resolveSettings } from "../../components/kit/contract";
import { createStack, parseStackConfig } from "../../stacks";
import { allowedActions, build, thrownMessage } from "../harness/pulumi";

const ACCOUNT = "123456789012";
const APP = "3a9b1f6b6c6a4d3e9b0c2a1d4e5f6a7b";
const BUCKET_ARN = "arn:aws:s3:::et-templates-bucket-0000000";

const make = (args: ExternalTemplatesArgs) => () => new ExternalTemplates("et", args);
const variables = (built: Awaited<ReturnType<typeof build>>, name: string) => (built.inputs(name).environment as { variables: Record<string, string> }).variables;

describe("ExternalTemplates", () => {
  it("send-step target: creates the versioned, encrypted template bucket, and the index table only when asked", async () => {
    const built = await build(make({ templateKey: "welcome" }));
    expect(built.childrenOf("et")).to.deep.equal(["due:shared:SecureBucket::et-templates"]);
    expect(built.inputs("et-templates-versioning")).to.deep.include({ versioningConfiguration: { status: "Enabled" } });
    expect(built.inputs("et-templates-encryption").rules).to.deep.equal([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
    const indexed = await build(make({ templateKey: "welcome", createIndexTable: true }));
    expect(indexed.childrenOf("et")).to.deep.equal(["due:shared:SecureBucket::et-templates", "aws:dynamodb/table:Table::et-index"]);
    expect(indexed.inputs("et-index")).to.deep.include({ hashKey: "templateId", attributes: [{ name: "templateId", type: "S" }], serverSideEncryption: { enabled: true } });
  });

  it("pinpoint target: the hook with exactly the template reads it needs, and Pinpoint's two invoke permissions", async () => {
    const built = await build(make({ target: "pinpoint", existingApplicationId: APP, templateKey: "welcome", createIndexTable: true, templateKeyAttribute: "Template" }));
    expect(built.childrenOf("et")).to.deep.equal([
      "due:shared:SecureBucket::et-templates",
      "aws:dynamodb/table:Table::et-index",
      "due:shared:BundledFunction::et-hook",
      "aws:lambda/permission:Permission::et-invoke-from-project",
      "aws:lambda/permission:Permission::et-invoke-from-campaigns",
      "aws:cloudwatch/dashboard:Dashboard::et-dashboard",
    ]);
    const statements = built.callerStatements("et-hook");
    expect(statements).to.deep.equal([
      { Sid: "ReadTemplates", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: `${BUCKET_ARN}/templates/*` },
      { Sid: "TellMissingTemplates", Effect: "Allow", Action: "s3:ListBucket", Resource: BUCKET_ARN },
      { Sid: "ReadTemplateIndex", Effect: "Allow", Action: "dynamodb:BatchGetItem", Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/et-index-0000000` },
    ]);
    expect(allowedActions(statements).filter((a) => a.includes("*"))).to.deep.equal([]);
    expect(built.inputs("et-invoke-from-campaigns")).to.deep.equal({
      action: "lambda:InvokeFunction",
      function: "et-hook-function-0000000",
      principal: "pinpoint.us-east-1.amazonaws.com",
      sourceAccount: ACCOUNT,
      sourceArn: `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/${APP}/*`,
    });
    expect(built.inputs("et-hook-function")).to.include({ timeout: 10 });
    expect(variables(built, "et-hook-function")).to.include({
      TEMPLATE_BUCKET_NAME: "et-templates-bucket-0000000",
      TEMPLATE_PREFIX: "templates/",
      TEMPLATE_INDEX_TABLE_NAME: "et-index-0000000",
      TEMPLATE_KEY: "welcome",
      TEMPLATE_KEY_ATTRIBUTE: "Template",
      MAX_ATTRIBUTE_VALUE_LENGTH: "100000",
      MISSING_TEMPLATE: "keep",
    });
  });

  it("reports every invalid argument at once", () => {
    expect(thrownMessage(() => resolveSettings(EXTERNAL_TEMPLATES, { createIndexTable: true, existingIndexTableName: "idx", prefix: "/abs", templateKeyAttribute: "T" }))).to.equal(
      [
        "ExternalTemplates: invalid arguments:",
        "  - prefix: must be empty or end with /",
        "  - templateKeyAttribute: unknown key",
        "  - createIndexTable: set only one of createIndexTable and existingIndexTableName",
        "  - templateKey: set templateKey, templateKeyContextEntry or both",
      ].join("\n"),
    );
    expect(thrownMessage(() => resolveSettings(EXTERNAL_TEMPLATES, { createIndexTable: true, existingIndexTableName: "idx", prefix: "/abs", templateKey: "../x" }))).to.equal(
      [
        "ExternalTemplates: invalid arguments:",
        "  - prefix: must be empty or end with /",
        "  - templateKey: must be letters, digits, _, - or . (at most 128)",
        "  - createIndexTable: set only one of createIndexTable and existingIndexTableName",
      ].join("\n"),
    );
    expect(thrownMessage(() => resolveSettings(EXTERNAL_TEMPLATES, {}))).to.equal("ExternalTemplates: invalid arguments:\n  - templateKey: set templateKey, templateKeyContextEntry or both");
  });

  it("as part of the stack, runs after #11's step in the SMS file drop's sender and renders #11's offers", async () => {
    const raw = {
      smsFileDrop: { enabled: true, originationIdentities: [{ identity: "pool-0123456789abcdef0123456789abcdef", mps: 1 }] },
      sendTimeAttributes: { enabled: true },
      externalTemplates: { enabled: true, templateKeyContextEntry: "external_campaign_id", templateKey: "default" },
    };
    const built = await build(() => createStack(parseStackConfig(raw)));
    const steps = JSON.parse(variables(built, "sms-file-drop-sender-function").SEND_STEPS) as { name: string; settings: Record<string, unknown> }[];
    const offersTable = "send-time-attributes-offers-0000000";
    const offersArn = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${offersTable}`;
    const bucket = "external-templates-templates-bucket-0000000";
    expect(steps.map((s) => s.name)).to.deep.equal(["sendTimeAttributes", "externalTemplates"]);
    expect(steps[1].settings).to.deep.equal({
      bucketName: bucket,
      bucketArn: `arn:aws:s3:::${bucket}`,
      prefix: "templates/",
      templateKey: "default",
      templateKeyContextEntry: "external_campaign_id",
      defaultLocale: "en",
      cacheTtlSeconds: 300,
      maxTemplateBytes: 262144,
      missingTemplate: "skip",
      offers: { tableName: offersTable, tableArn: offersArn },
    });
    const statements = built.callerStatements("sms-file-drop-sender");
    expect(statements.filter((s) => ["ReadOffers", "ReadTemplates", "TellMissingTemplates", "ReadOffersForTemplates"].includes(s.Sid ?? ""))).to.deep.equal([
      { Sid: "ReadOffers", Effect: "Allow", Action: "dynamodb:BatchGetItem", Resource: offersArn },
      { Sid: "ReadTemplates", Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/templates/*` },
      { Sid: "TellMissingTemplates", Effect: "Allow", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${bucket}` },
      { Sid: "ReadOffersForTemplates", Effect: "Allow", Action: "dynamodb:BatchGetItem", Resource: offersArn },
    ]);
  });
});

describe("send-step IAM declarations", () => {
  it("refuse a hand-listed step without the ARNs its statements are scoped to", () => {
    expect(thrownMessage(() => personalizeStepStatements({ tableName: "offers" }))).to.equal('send step "sendTimeAttributes": settings.tableArn is required (its IAM statement is scoped to it)');
    expect(thrownMessage(() => templateStepStatements({ bucketName: "b", bucketArn: "arn:aws:s3:::b", offers: { tableName: "offers" } }))).to.equal(
      'send step "externalTemplates": settings.offers.tableArn is required (its IAM statement is scoped to it)',
    );
    expect(thrownMessage(() => templateStepStatements({ bucketName: "b", bucketArn: "arn:aws:s3:::b", indexTableName: "idx" }))).to.equal(
      'send step "externalTemplates": settings.indexTableArn is required (its IAM statement is scoped to it)',
    );
  });
});
