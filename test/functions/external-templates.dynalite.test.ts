/**
 * #12's optional template index on a real DynamoDB engine (dynalite), with a table created from
 * TEMPLATE_INDEX_TABLE: the locale fallback is one BatchGetItem, and the chosen object is read at
 * the version the index pins. S3 is mocked (no engine for it here).
 */
import { Readable } from "node:stream";
import { GetObjectCommand, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { sdkStreamMixin } from "@smithy/util-stream";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { TEMPLATE_INDEX_TABLE } from "../../functions/shared/runtime/tables";
import { IndexedTemplateSource, InvalidTemplateError, S3TemplateStore, TemplateResolver } from "../../functions/shared/campaigns/templates";
import { startDynalite, type DynaliteEngine } from "../engines/dynalite";

describe("external templates index on DynamoDB (dynalite)", () => {
  let engine: DynaliteEngine;
  let table: string;
  const s3 = mockClient(S3Client);
  before(async () => {
    engine = await startDynalite();
  });
  after(async () => {
    s3.restore();
    await engine.stop();
  });
  beforeEach(async () => {
    s3.reset();
    table = await engine.createTable(TEMPLATE_INDEX_TABLE, "template-index");
  });
  const index = (templateId: string, item: Record<string, string>) => engine.documents.send(new PutCommand({ TableName: table, Item: { templateId, ...item } }));
  const resolver = () =>
    new TemplateResolver(new IndexedTemplateSource(engine.documents, table, new S3TemplateStore(new S3Client({ region: "us-east-1" }), "templates-bucket", 10_000)), { defaultLocale: "en", cacheTtlMs: 0 });

  it("picks the first indexed candidate locale and reads that object at its pinned version", async () => {
    await index("welcome#email#pt", { objectKey: "cms/welcome-pt.json", versionId: "v7" });
    await index("welcome#email#en", { objectKey: "cms/welcome-en.json" });
    s3.on(GetObjectCommand).resolves({ Body: sdkStreamMixin(Readable.from([Buffer.from('{"subject":"Olá","html":"<p>Olá</p>"}')])), VersionId: "v7" });
    const template = await resolver().resolve("welcome", "email", "pt-BR");
    expect({ locale: template!.locale, objectKey: template!.objectKey, versionId: template!.versionId }).to.deep.equal({ locale: "pt", objectKey: "cms/welcome-pt.json", versionId: "v7" });
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).to.deep.equal([{ Bucket: "templates-bucket", Key: "cms/welcome-pt.json", VersionId: "v7" }]);
  });

  it("returns no template without reading S3 when no candidate is indexed, and reports an index item whose object is gone", async () => {
    expect(await resolver().resolve("welcome", "sms", "fr")).to.equal(undefined);
    expect(s3.commandCalls(GetObjectCommand)).to.have.length(0);
    await index("gone#sms#en", { objectKey: "cms/gone.json" });
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: "The specified key does not exist.", $metadata: { httpStatusCode: 404 } }));
    const error = await resolver().resolve("gone", "sms", "en").catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InvalidTemplateError);
    expect((error as Error).message).to.equal("template index item gone#sms#en names cms/gone.json, which does not exist");
  });
});
