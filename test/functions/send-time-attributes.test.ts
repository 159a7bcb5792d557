import { readFileSync } from "node:fs";
import path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { limitOfferAttributes, PINPOINT_ATTRIBUTE_LIMITS } from "../../functions/shared/campaigns/attributes";
import { CampaignHookEventSchema, type CampaignHookEvent } from "../../functions/shared/campaigns/campaign-hook";
import { createOfferLoader, DynamoDbOfferStore, OfferLookupIncompleteError, type Offer, type OfferStore } from "../../functions/shared/campaigns/offers";
import { personalizeEndpoints } from "../../functions/shared/campaigns/personalize-endpoints";
import { createPersonalizeStep, parsePersonalizeSettings, PERSONALIZE_STEP_FACTORY } from "../../functions/shared/sending/personalize-step";
import { sendStepsFromEnv } from "../../functions/shared/sending/registry";
import type { EmailSendRequest } from "../../functions/shared/sending/channels";
import type { SmsSendRequest } from "../../functions/shared/sms/sms-send";
import { fakeContext, silentObservability, withEnv } from "./sms-test-helpers";

type HookModule = typeof import("../../functions/send-time-attributes/hook");

const FIXTURES = path.join(__dirname, "..", "fixtures", "campaigns");
const hookEvent = (): CampaignHookEvent => JSON.parse(readFileSync(path.join(FIXTURES, "campaign-hook-event.json"), "utf8")) as CampaignHookEvent;

/** An in-memory offer store that records each call's keys. */
function memoryStore(offers: Record<string, Offer>): OfferStore & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    async getOffers(keys) {
      calls.push([...keys]);
      return new Map(keys.filter((k) => offers[k] !== undefined).map((k) => [k, offers[k]]));
    },
  };
}

describe("send-time attributes (#11)", () => {
  // One stub of the document client for the whole file (a second mockClient of it would replace the first).
  const documents = mockClient(DynamoDBDocumentClient);
  afterEach(() => documents.reset());
  after(() => documents.restore());

  describe("attribute limits", () => {
    it("attaches scalars and lists as string lists, and leaves out (never cuts) what does not fit", () => {
      const result = limitOfferAttributes(
        { Offer: "10% off", Price: 9.5, Flags: ["a", "b"], Long: "x".repeat(101), [`N${"x".repeat(50)}`]: "v", Many: Array.from({ length: 51 }, (_, i) => String(i)), Nested: { a: 1 }, Nul: null },
        PINPOINT_ATTRIBUTE_LIMITS,
      );
      expect(result.attributes).to.deep.equal({ Flags: ["a", "b"], Offer: ["10% off"], Price: ["9.5"] });
      expect(result.dropped).to.deep.equal([
        { name: "Long", reason: "value-too-long" },
        { name: "Many", reason: "too-many-values" },
        { name: "Nested", reason: "unsupported-type" },
        { name: "Nul", reason: "unsupported-type" },
        { name: `N${"x".repeat(50)}`, reason: "name-too-long" },
      ]);
    });

    it("counts the endpoint's own attributes against the 40-attribute limit, an overwritten one only once", () => {
      const existing = Array.from({ length: 39 }, (_, i) => `a${i}`);
      const result = limitOfferAttributes({ a0: "replaced", b: "fits", c: "too many" }, PINPOINT_ATTRIBUTE_LIMITS, existing);
      expect(result.attributes).to.deep.equal({ a0: ["replaced"], b: ["fits"] });
      expect(result.dropped).to.deep.equal([{ name: "c", reason: "too-many-attributes" }]);
    });
  });

  describe("offer store (BatchGetItem)", () => {
    const store = (options = {}) => new DynamoDbOfferStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" })), "offers", { sleep: async () => undefined, random: () => 0.5, ...options });

    it("reads 50 keys in one BatchGetItem and retries only the unprocessed keys", async () => {
      const keys = Array.from({ length: 50 }, (_, i) => `endpoint-${i}`);
      documents
        .on(BatchGetCommand)
        .resolvesOnce({
          Responses: { offers: keys.slice(0, 45).map((k) => ({ recipientId: k, Offer: `offer-${k}` })) },
          UnprocessedKeys: { offers: { Keys: keys.slice(45).map((k) => ({ recipientId: k })) } },
        })
        .resolvesOnce({ Responses: { offers: keys.slice(45, 48).map((k) => ({ recipientId: k, Offer: `offer-${k}` })) }, UnprocessedKeys: {} });
      const offers = await store().getOffers([...keys, "endpoint-0"]);
      const calls = documents.commandCalls(BatchGetCommand).map((c) => c.args[0].input);
      expect(calls).to.deep.equal([
        { RequestItems: { offers: { Keys: keys.map((k) => ({ recipientId: k })) } } },
        { RequestItems: { offers: { Keys: keys.slice(45).map((k) => ({ recipientId: k })) } } },
      ]);
      expect(offers.size).to.equal(48);
      expect(offers.get("endpoint-47")).to.deep.equal({ Offer: "offer-endpoint-47" });
    });

    it("splits more than 100 keys into batches of 100", async () => {
      documents.on(BatchGetCommand).resolves({ Responses: { offers: [] } });
      await store().getOffers(Array.from({ length: 150 }, (_, i) => `k${i}`));
      expect(documents.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems!.offers.Keys!.length)).to.deep.equal([100, 50]);
    });

    it("backs off between retries and gives up with OfferLookupIncompleteError after the attempts or at the deadline", async () => {
      documents.on(BatchGetCommand).resolves({ Responses: { offers: [] }, UnprocessedKeys: { offers: { Keys: [{ recipientId: "k" }] } } });
      const sleeps: number[] = [];
      const error = await store({ maxAttempts: 3, sleep: async (ms: number) => void sleeps.push(ms) }).getOffers(["k"]).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(OfferLookupIncompleteError);
      expect(sleeps).to.deep.equal([25, 50]);
      documents.resetHistory();
      const late = await store({ now: () => 1000, deadline: () => 1010 }).getOffers(["k"]).catch((e: unknown) => e);
      expect((late as Error).message).to.equal("1 offer key(s) were still unprocessed by BatchGetItem after the retries");
      expect(documents.commandCalls(BatchGetCommand)).to.have.length(1);
    });

    it("coalesces lookups made in the same tick into one call", async () => {
      const memory = memoryStore({ a: { Offer: "A" } });
      const loader = createOfferLoader(memory);
      const results = await Promise.all([loader.load("a"), loader.load("b"), loader.load("a")]);
      expect(results).to.deep.equal([{ Offer: "A" }, undefined, { Offer: "A" }]);
      expect(memory.calls).to.deep.equal([["a", "b", "a"]]);
    });
  });

  describe("personalizeEndpoints", () => {
    it("parses the documented event, creates Attributes where absent and attaches each offer", async () => {
      const event = CampaignHookEventSchema.parse(hookEvent());
      const store = memoryStore({ "endpoint-email-1": { Offer: "20% off boots" }, "endpoint-sms-2": { Offer: "free shipping", Code: "SHIP" } });
      const result = await personalizeEndpoints(event.Endpoints, store, { recipientKey: "endpointId", missingOffer: "keep", limits: PINPOINT_ATTRIBUTE_LIMITS });
      expect(store.calls).to.deep.equal([["endpoint-email-1", "endpoint-sms-2", "endpoint-email-3"]]);
      expect(result.endpoints["endpoint-sms-2"]).to.deep.equal({ ...hookEvent().Endpoints["endpoint-sms-2"], Attributes: { Code: ["SHIP"], Offer: ["free shipping"] } });
      expect(result.endpoints["endpoint-email-1"].Attributes).to.deep.equal({ FirstName: ["Jane"], Interests: ["hiking", "books"], Offer: ["20% off boots"] });
      expect(result.endpoints["endpoint-email-3"]).to.deep.equal(hookEvent().Endpoints["endpoint-email-3"]);
      expect(result).to.include({ personalized: 2, withoutOffer: 1, dropped: 0 });
    });

    it("keeps an endpoint that has neither Attributes nor an offer, with an empty Attributes map, instead of crashing", async () => {
      const result = await personalizeEndpoints(hookEvent().Endpoints, memoryStore({}), { recipientKey: "endpointId", missingOffer: "keep", limits: PINPOINT_ATTRIBUTE_LIMITS });
      expect(result.endpoints["endpoint-sms-2"]).to.deep.equal({ ...hookEvent().Endpoints["endpoint-sms-2"], Attributes: {} });
      expect(Object.keys(result.endpoints)).to.deep.equal(["endpoint-email-1", "endpoint-sms-2", "endpoint-email-3"]);
      expect(result).to.include({ personalized: 0, withoutOffer: 3, dropped: 0 });
    });

    it("drops recipients without an offer when the policy says drop, keyed by User.UserId", async () => {
      const store = memoryStore({ "user-1001": { Offer: "gold offer" } });
      const result = await personalizeEndpoints(hookEvent().Endpoints, store, { recipientKey: "userId", missingOffer: "drop", limits: PINPOINT_ATTRIBUTE_LIMITS });
      expect(store.calls).to.deep.equal([["user-1001", "user-1003"]]);
      expect(Object.keys(result.endpoints)).to.deep.equal(["endpoint-email-1"]);
      expect(result).to.include({ personalized: 1, dropped: 2 });
    });
  });

  describe("CampaignHook handler", () => {
    let mod: HookModule;
    before(async () => {
      mod = await withEnv({ OFFER_TABLE_NAME: "offers", POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" }, () => import("../../functions/send-time-attributes/hook.js"));
    });

    function handler(missingOffer: "keep" | "drop" = "keep") {
      const observability = silentObservability();
      const docs = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
      const deadlines: number[] = [];
      const fn = mod.createHookHandler(
        { offerTableName: "offers", recipientKey: "endpointId", missingOffer, lookupBudgetMs: 8000 },
        { offers: (deadline) => (deadlines.push(deadline), new DynamoDbOfferStore(docs, "offers", { deadline: () => deadline, sleep: async () => undefined })) },
        observability,
      );
      return { fn, metricNames: observability.metricNames, deadlines };
    }

    it("answers the documented event with the endpoints map, the offer in Attributes, endpoints without Attributes included", async () => {
      documents.on(BatchGetCommand).resolves({ Responses: { offers: [{ recipientId: "endpoint-sms-2", Offer: "free shipping" }] } });
      const { fn, metricNames } = handler();
      const response = await fn(hookEvent(), fakeContext(12_000));
      const expected = hookEvent().Endpoints;
      expected["endpoint-sms-2"] = { ...expected["endpoint-sms-2"], Attributes: { Offer: ["free shipping"] } };
      expect(response).to.deep.equal(expected);
      expect(metricNames).to.include.members(["EndpointsPersonalized", "EndpointsWithoutOffer", "EndpointsDropped", "AttributesDropped"]);
    });

    it("makes one BatchGetItem for a 50-endpoint event plus one retry of its unprocessed keys, within the time budget", async () => {
      const event = hookEvent();
      const template = event.Endpoints["endpoint-sms-2"];
      event.Endpoints = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`ep-${i}`, template]));
      documents
        .on(BatchGetCommand)
        .resolvesOnce({ Responses: { offers: [] }, UnprocessedKeys: { offers: { Keys: [{ recipientId: "ep-7" }, { recipientId: "ep-9" }] } } })
        .resolvesOnce({ Responses: { offers: [{ recipientId: "ep-9", Offer: "nine" }] } });
      const { fn, deadlines } = handler("drop");
      const before = Date.now();
      const response = await fn(event, fakeContext(5_000));
      const calls = documents.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems!.offers.Keys!.length);
      expect(calls).to.deep.equal([50, 2]);
      expect(response).to.deep.equal({ "ep-9": { ...template, Attributes: { Offer: ["nine"] } } });
      // The budget is the smaller of LOOKUP_BUDGET_MS and the remaining time less the response margin.
      expect(deadlines[0] - before).to.be.within(3_900, 4_100);
    });

    it("fails the invocation (Pinpoint retries it) when offers stay unread, and rejects a malformed event", async () => {
      documents.on(BatchGetCommand).resolves({ UnprocessedKeys: { offers: { Keys: [{ recipientId: "endpoint-sms-2" }] } } });
      const { fn, metricNames } = handler();
      const error = await fn(hookEvent(), fakeContext(12_000)).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(OfferLookupIncompleteError);
      expect(metricNames).to.include("LookupFailed");
      const malformed = await fn({ ApplicationId: "a", CampaignId: "c", Endpoints: [] }, fakeContext()).catch((e: unknown) => e);
      expect((malformed as Error).message).to.equal("Malformed CampaignHook event");
    });
  });

  describe("personalization send step", () => {
    const sms = (body: string, context?: Record<string, string>): SmsSendRequest => ({ destination: "+14255550142", originationIdentity: "pool-1", body, messageType: "PROMOTIONAL", ...(context ? { context } : {}) });
    const ctx = { idempotencyKey: "row-1" };
    const settings = (extra: Record<string, unknown> = {}) => parsePersonalizeSettings({ tableName: "offers", ...extra });

    it("renders the SMS body with the recipient's offer, keyed by phone number, without HTML escaping", async () => {
      const store = memoryStore({ "+14255550142": { Offer: "Fish & Chips <2 for 1>" } });
      const step = createPersonalizeStep("sms", settings(), store);
      expect(await step.before!(sms("Today: {{Attributes.Offer}}"), ctx)).to.deep.equal({ action: "send", request: sms("Today: Fish & Chips <2 for 1>") });
      expect(store.calls).to.deep.equal([["+14255550142"]]);
    });

    it("keys by a send-context entry and keeps or drops a recipient without an offer", async () => {
      const store = memoryStore({});
      const keep = createPersonalizeStep("sms", settings({ recipientKeyContextEntry: "id_1" }), store);
      expect(await keep.before!(sms("Hi{{#if Attributes.Offer}}: {{Attributes.Offer}}{{/if}}", { id_1: "cust-9" }), ctx)).to.deep.equal({ action: "send", request: sms("Hi", { id_1: "cust-9" }) });
      expect(store.calls).to.deep.equal([["cust-9"]]);
      const drop = createPersonalizeStep("sms", settings({ missingOffer: "drop" }), store);
      expect(await drop.before!(sms("Hi"), ctx)).to.deep.equal({ action: "skip", reason: "no offer for the recipient (missingOffer: drop)" });
    });

    it("escapes recipient data in the email's HTML part only", async () => {
      const store = memoryStore({ "jane@example.com": { Offer: "<b>50%</b> & more" } });
      const step = createPersonalizeStep("email", settings(), store);
      const request: EmailSendRequest = { from: "shop@example.com", to: "Jane@Example.com", subject: "Offer: {{Attributes.Offer}}", html: "<p>{{Attributes.Offer}}</p>", text: "{{Attributes.Offer}}", headers: [] };
      const decision = await step.before!(request, ctx);
      expect(decision).to.deep.equal({
        action: "send",
        request: { ...request, subject: "Offer: <b>50%</b> & more", html: "<p>&lt;b&gt;50%&lt;/b&gt; &amp; more</p>", text: "<b>50%</b> & more" },
      });
    });

    it("withholds a message whose text is not a valid template, naming the problem", async () => {
      const step = createPersonalizeStep("sms", settings(), memoryStore({ "+14255550142": { Offer: "x" } }));
      const decision = await step.before!(sms("Hi {{#if}}"), ctx);
      expect(decision.action).to.equal("skip");
      expect((decision as { reason: string }).reason).to.match(/^the message body is not a valid template: /);
    });

    it("is registered for SMS and email and rejects bad settings at cold start", () => {
      expect(Object.keys(PERSONALIZE_STEP_FACTORY.create).sort()).to.deep.equal(["email", "sms"]);
      expect(() => sendStepsFromEnv({ SEND_STEPS: JSON.stringify([{ name: "sendTimeAttributes", settings: { missingOffer: "maybe" } }]) }, "sms")).to.throw(
        'SEND_STEPS[0]: send step "sendTimeAttributes": tableName: Invalid input: expected string, received undefined; missingOffer: Invalid option: expected one of "keep"|"drop"',
      );
      expect(() => sendStepsFromEnv({ SEND_STEPS: JSON.stringify([{ name: "sendTimeAttributes", settings: { tableName: "offers", recipientKeyContextEntry: "id_1" } }]) }, "email")).to.throw(
        'SEND_STEPS[0]: send step "sendTimeAttributes": recipientKeyContextEntry applies to SMS only',
      );
    });
  });
});
