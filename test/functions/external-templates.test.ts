import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { GetObjectCommand, NoSuchKey, S3Client, type GetObjectCommandInput } from "@aws-sdk/client-s3";
import { sdkStreamMixin } from "@smithy/util-stream";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import type { CampaignHookEvent } from "../../functions/shared/campaigns/campaign-hook";
import type { Offer, OfferStore } from "../../functions/shared/campaigns/offers";
import {
  InvalidTemplateError,
  localeCandidates,
  normalizeLocale,
  S3TemplateSource,
  S3TemplateStore,
  TemplateResolver,
  TemplateTooLargeError,
} from "../../functions/shared/campaigns/templates";
import type { EmailSendRequest } from "../../functions/shared/sending/channels";
import { sendStepsFromEnv } from "../../functions/shared/sending/registry";
import { createTemplateStep, parseTemplateSettings } from "../../functions/shared/sending/template-step";
import type { SmsSendRequest } from "../../functions/shared/sms/sms-send";
import { fakeContext, silentObservability, withEnv } from "./sms-test-helpers";

type HookModule = typeof import("../../functions/external-templates/hook");

const FIXTURES = path.join(__dirname, "..", "fixtures", "campaigns");
const hookEvent = (): CampaignHookEvent => JSON.parse(readFileSync(path.join(FIXTURES, "campaign-hook-event.json"), "utf8")) as CampaignHookEvent;
const body = (text: string) => sdkStreamMixin(Readable.from([Buffer.from(text)]));
const notFound = () => new NoSuchKey({ message: "The specified key does not exist.", $metadata: { httpStatusCode: 404 } });

describe("external templates (#12)", () => {
  const s3 = mockClient(S3Client);
  /** Serves test/fixtures/campaigns/<Key> (prefix "templates/"), plus `extra` objects. */
  function serveFixtures(extra: Record<string, string> = {}) {
    s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
      const text = extra[input.Key!] ?? (existsSync(path.join(FIXTURES, input.Key!)) ? readFileSync(path.join(FIXTURES, input.Key!), "utf8") : undefined);
      if (text === undefined) throw notFound();
      return { Body: body(text), ContentLength: Buffer.byteLength(text), VersionId: "v1" };
    });
  }
  const requestedKeys = () => s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key);
  const resolver = (options: { now?: () => number; maxBytes?: number; ttlMs?: number } = {}) =>
    new TemplateResolver(new S3TemplateSource(new S3TemplateStore(new S3Client({ region: "us-east-1" }), "templates-bucket", options.maxBytes ?? 262_144), "templates/"), {
      defaultLocale: "en",
      cacheTtlMs: options.ttlMs ?? 60_000,
      now: options.now,
    });
  beforeEach(() => s3.reset());
  after(() => s3.restore());

  describe("locales", () => {
    it("normalizes locales and tries the locale, its language, then the default, each once", () => {
      expect(normalizeLocale("pt_br")).to.equal("pt-BR");
      expect(normalizeLocale("../en")).to.equal(undefined);
      expect(localeCandidates("pt_BR", "en")).to.deep.equal(["pt-BR", "pt", "en"]);
      expect(localeCandidates("en-GB", "en")).to.deep.equal(["en-GB", "en"]);
      expect(localeCandidates(undefined, "en")).to.deep.equal(["en"]);
      expect(localeCandidates("not a locale", "en")).to.deep.equal(["en"]);
    });

    it("falls back from pt-BR to pt, and from de-DE through de to the default", async () => {
      serveFixtures();
      const templates = resolver();
      expect((await templates.resolve("welcome", "email", "pt_BR"))!.locale).to.equal("pt");
      expect(requestedKeys()).to.deep.equal(["templates/welcome/email/pt-BR.json", "templates/welcome/email/pt.json"]);
      s3.resetHistory();
      const german = await templates.resolve("welcome", "email", "de-DE");
      expect({ locale: german!.locale, objectKey: german!.objectKey, versionId: german!.versionId }).to.deep.equal({ locale: "en", objectKey: "templates/welcome/email/en.json", versionId: "v1" });
      expect(requestedKeys()).to.deep.equal(["templates/welcome/email/de-DE.json", "templates/welcome/email/de.json", "templates/welcome/email/en.json"]);
      expect(await templates.resolve("unknown", "sms", "fr")).to.equal(undefined);
    });
  });

  describe("rendering", () => {
    it("escapes recipient data in the HTML part, not in the subject or text, and keeps the subject on one line", async () => {
      serveFixtures();
      const template = await resolver().resolve("welcome", "email", "en");
      const rendered = template!.render({ Attributes: { FirstName: '<script>alert("x")</script>\r\nBcc: x', Offer: "Fish & Chips" } });
      expect(rendered).to.deep.equal({
        subject: 'Hello <script>alert("x")</script> Bcc: x',
        html: "<p>Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\r\nBcc: x, your offer: Fish &amp; Chips</p>",
        text: 'Hello <script>alert("x")</script>\r\nBcc: x',
      });
    });

    it("refuses a template key that could leave the prefix, and an invalid or malformed template, clearly", async () => {
      serveFixtures({ "templates/broken/sms/en.json": '{"body": "Hi {{#each}}"}', "templates/shape/email/en.json": '{"subject": "s"}', "templates/nojson/sms/en.json": "Hi" });
      const templates = resolver();
      const failure = (key: string, channel: "sms" | "email") => templates.resolve(key, channel, "en").then(() => expect.fail("expected a rejection"), (e: Error) => e);
      expect((await failure("../secrets", "sms")).message).to.equal('template key "../secrets" is not a valid key (letters, digits, "_", "-", ".")');
      expect((await failure("broken", "sms")).message).to.match(/^templates\/broken\/sms\/en.json \(body\) is not a valid template: /);
      expect((await failure("shape", "email")).message).to.equal("template templates/shape/email/en.json is not an email template {subject, html, text?}: html: Invalid input: expected string, received undefined");
      expect(await failure("nojson", "sms")).to.be.instanceOf(InvalidTemplateError);
    });
  });

  describe("size limit", () => {
    it("rejects an oversized template by its declared size before reading it, and by its real size otherwise", async () => {
      s3.on(GetObjectCommand).resolves({ Body: body("x".repeat(300)), ContentLength: 300 });
      const error = await resolver({ maxBytes: 200 }).resolve("big", "sms", "en").catch((e: unknown) => e);
      expect(error).to.be.instanceOf(TemplateTooLargeError);
      expect((error as Error).message).to.equal("template templates/big/sms/en.json is 300 bytes, over the 200-byte limit (maxTemplateBytes); it is not used");
      s3.reset();
      s3.on(GetObjectCommand).resolves({ Body: body(JSON.stringify({ body: "é".repeat(150) })) });
      const undeclared = await resolver({ maxBytes: 200 }).resolve("big", "sms", "en").catch((e: unknown) => e);
      expect((undeclared as Error).message).to.equal("template templates/big/sms/en.json is 311 bytes, over the 200-byte limit (maxTemplateBytes); it is not used");
    });
  });

  describe("cache", () => {
    it("reuses a template (and a missing one) until the TTL passes on the injected clock, and shares one fetch between concurrent requests", async () => {
      serveFixtures();
      let clock = 0;
      const templates = resolver({ now: () => clock, ttlMs: 1000 });
      await Promise.all([templates.resolve("welcome", "sms", "en"), templates.resolve("welcome", "sms", "en")]);
      await templates.resolve("missing", "sms", "en");
      clock = 999;
      await templates.resolve("welcome", "sms", "en");
      await templates.resolve("missing", "sms", "en");
      expect(requestedKeys()).to.deep.equal(["templates/welcome/sms/en.json", "templates/missing/sms/en.json"]);
      clock = 1000;
      await templates.resolve("welcome", "sms", "en");
      await templates.resolve("missing", "sms", "en");
      expect(requestedKeys()).to.have.length(4);
    });

    it("does not cache a failure", async () => {
      s3.on(GetObjectCommand).rejectsOnce(Object.assign(new Error("slow down"), { name: "SlowDown", $metadata: { httpStatusCode: 503 } }));
      const templates = resolver({ now: () => 0 });
      expect(await templates.resolve("welcome", "sms", "en").catch((e: Error) => e.name)).to.equal("SlowDown");
      s3.on(GetObjectCommand).callsFake(() => ({ Body: body('{"body":"ok"}') }));
      expect((await templates.resolve("welcome", "sms", "en"))!.render({})).to.deep.equal({ body: "ok" });
    });
  });

  describe("CampaignHook handler", () => {
    let mod: HookModule;
    before(async () => {
      mod = await withEnv({ TEMPLATE_BUCKET_NAME: "templates-bucket", TEMPLATE_KEY: "welcome", POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" }, () => import("../../functions/external-templates/hook.js"));
    });
    const config = (overrides = {}) => ({
      bucketName: "templates-bucket",
      prefix: "templates/",
      indexTableName: undefined,
      templateKey: "welcome",
      templateKeyAttribute: undefined,
      defaultLocale: "en",
      cacheTtlSeconds: 300,
      maxTemplateBytes: 262_144,
      maxAttributeValueLength: 100_000,
      missingTemplate: "keep" as const,
      ...overrides,
    });

    it("puts each endpoint's rendered subject and HTML (SMS: body) into its attributes, escaping recipient data, endpoints without Attributes included", async () => {
      serveFixtures();
      const observability = silentObservability();
      const handler = mod.createTemplateHookHandler(config(), { resolver: resolver() }, observability);
      const response = await handler(hookEvent(), fakeContext(10_000));
      const original = hookEvent().Endpoints;
      expect(response).to.deep.equal({
        "endpoint-email-1": {
          ...original["endpoint-email-1"],
          Attributes: { ...original["endpoint-email-1"].Attributes, subject: ["Olá Jane"], html: ["<p>Olá Jane, sua oferta: </p>"] },
        },
        "endpoint-sms-2": { ...original["endpoint-sms-2"], Attributes: { body: ["Hi! Campaign :  & more"] } },
        "endpoint-email-3": {
          ...original["endpoint-email-3"],
          Attributes: {
            FirstName: ["<script>alert(1)</script>"],
            subject: ["Hello <script>alert(1)</script>"],
            html: ["<p>Hello &lt;script&gt;alert(1)&lt;/script&gt;, your offer: </p>"],
          },
        },
      });
      // One fetch per object tried, although two endpoints share the English email template.
      expect(requestedKeys().sort()).to.deep.equal(
        ["templates/welcome/email/pt-BR.json", "templates/welcome/email/pt.json", "templates/welcome/email/de-DE.json", "templates/welcome/email/de.json", "templates/welcome/email/en.json", "templates/welcome/sms/en.json"].sort(),
      );
      expect(observability.metricNames).to.include.members(["EndpointsRendered", "TemplateMissing", "TemplateTooLarge", "TemplateInvalid", "EndpointsDropped"]);
    });

    it("drops an endpoint whose rendered HTML is longer than the attribute limit, or whose template is missing, when told to", async () => {
      serveFixtures();
      const handler = mod.createTemplateHookHandler(config({ maxAttributeValueLength: 25, missingTemplate: "drop" }), { resolver: resolver() }, silentObservability());
      const response = await handler(hookEvent(), fakeContext(10_000));
      expect(Object.keys(response)).to.deep.equal(["endpoint-sms-2"]);
      const keep = mod.createTemplateHookHandler(config({ templateKey: "nothing-here" }), { resolver: resolver() }, silentObservability());
      const unchanged = hookEvent().Endpoints;
      // Kept as they came; an endpoint without Attributes gets an empty map.
      expect(await keep(hookEvent(), fakeContext(10_000))).to.deep.equal({ ...unchanged, "endpoint-sms-2": { ...unchanged["endpoint-sms-2"], Attributes: {} } });
    });
  });

  describe("template send step", () => {
    const ctx = { idempotencyKey: "row-1" };
    const sms = (context: Record<string, string>): SmsSendRequest => ({ destination: "+14255550142", originationIdentity: "pool-1", body: "fallback body", messageType: "PROMOTIONAL", context });
    const offers = (map: Record<string, Offer>): OfferStore => ({ getOffers: async (keys) => new Map(keys.filter((k) => map[k]).map((k) => [k, map[k]])) });

    it("renders the campaign's SMS template (key from the send context) with the context and the recipient's offer, unescaped", async () => {
      serveFixtures();
      const settings = parseTemplateSettings({ bucketName: "templates-bucket", templateKeyContextEntry: "external_campaign_id", localeContextEntry: "id_2" });
      const step = createTemplateStep("sms", settings, { resolver: resolver(), offers: offers({ "+14255550142": { Offer: "Tea <free>" } }) });
      const decision = await step.before!(sms({ external_campaign_id: "welcome", id_2: "en_US" }), ctx);
      expect(decision).to.deep.equal({ action: "send", request: { ...sms({ external_campaign_id: "welcome", id_2: "en_US" }), body: "Hi! Campaign welcome: Tea <free> & more" } });
    });

    it("withholds a message with no template or an oversized one, naming why, or sends the sender's own content (keep)", async () => {
      s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
        if (input.Key === "templates/big/sms/en.json") return { Body: body("{}"), ContentLength: 999_999 };
        throw notFound();
      });
      const skip = createTemplateStep("sms", parseTemplateSettings({ bucketName: "templates-bucket", templateKey: "welcome" }), { resolver: resolver() });
      expect(await skip.before!(sms({}), ctx)).to.deep.equal({ action: "skip", reason: 'no sms template "welcome" for locale (none), its language or en' });
      const big = createTemplateStep("sms", parseTemplateSettings({ bucketName: "templates-bucket", templateKey: "big" }), { resolver: resolver() });
      expect(await big.before!(sms({}), ctx)).to.deep.equal({ action: "skip", reason: "template templates/big/sms/en.json is 999999 bytes, over the 262144-byte limit (maxTemplateBytes); it is not used" });
      const keep = createTemplateStep("sms", parseTemplateSettings({ bucketName: "templates-bucket", templateKey: "welcome", missingTemplate: "keep" }), { resolver: resolver() });
      expect(await keep.before!(sms({}), ctx)).to.deep.equal({ action: "send", request: sms({}) });
    });

    it("replaces an email's subject, HTML and text, escaping the offer in the HTML", async () => {
      serveFixtures();
      const step = createTemplateStep("email", parseTemplateSettings({ bucketName: "templates-bucket", templateKey: "welcome" }), { resolver: resolver(), offers: offers({ "jane@example.com": { Offer: "<b>50%</b>" } }) });
      const request: EmailSendRequest = { from: "shop@example.com", to: "jane@example.com", subject: "old", html: "old", text: undefined, headers: [] };
      expect(await step.before!(request, ctx)).to.deep.equal({
        action: "send",
        request: { ...request, subject: "Hello ", html: "<p>Hello , your offer: &lt;b&gt;50%&lt;/b&gt;</p>", text: "Hello " },
      });
    });

    it("rejects settings it cannot use, at cold start", () => {
      expect(() => sendStepsFromEnv({ SEND_STEPS: JSON.stringify([{ name: "externalTemplates", settings: { bucketName: "b-1" } }]) }, "sms")).to.throw(
        'SEND_STEPS[0]: send step "externalTemplates": settings: set templateKey, templateKeyContextEntry or both',
      );
      expect(() => sendStepsFromEnv({ SEND_STEPS: JSON.stringify([{ name: "externalTemplates", settings: { bucketName: "b-1", templateKeyContextEntry: "x" } }]) }, "email")).to.throw(
        'SEND_STEPS[0]: send step "externalTemplates": templateKeyContextEntry and localeContextEntry apply to SMS only; email needs templateKey',
      );
    });
  });
});
