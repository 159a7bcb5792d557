import {
  CustomerProfilesClient,
  ResourceNotFoundException,
  SearchProfilesCommand,
  ThrottlingException,
  UpdateProfileCommand,
} from "@aws-sdk/client-customer-profiles";
import { GetEndpointCommand, NotFoundException, PinpointClient, TooManyRequestsException, UpdateEndpointsBatchCommand } from "@aws-sdk/client-pinpoint";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { mapWithConcurrency, retryThrottled, type ThrottleRetry } from "../../functions/shared/profiles/concurrency";
import { attributeStoreConfigFromEnv, attributeStoreEnvironment } from "../../functions/shared/profiles/config";
import { createCustomerProfilesStore } from "../../functions/shared/profiles/customer-profiles";
import { CUSTOMER_PROFILES_LIMITS, PINPOINT_LIMITS } from "../../functions/shared/profiles/limits";
import { applyDelta, foldChanges, mergeForPerson, planPerPerson } from "../../functions/shared/profiles/merge";
import { createPinpointStore, PINPOINT_BATCH_SIZE } from "../../functions/shared/profiles/pinpoint";
import type { AttributeChange, PersonUpdate } from "../../functions/shared/profiles/store";
import { decodeValueSet, encodedLength, encodeValueSet, membershipToken } from "../../functions/shared/profiles/value-set";

const mockCustomerProfiles = () => mockClient(CustomerProfilesClient);
const mockPinpoint = () => mockClient(PinpointClient);

const set = (attribute: string, ...values: string[]): AttributeChange => ({ attribute, mode: "set", values });
const add = (attribute: string, ...values: string[]): AttributeChange => ({ attribute, mode: "add", values });
const remove = (attribute: string, ...values: string[]): AttributeChange => ({ attribute, mode: "remove", values });

/** No waiting between retries, and a record of the delays asked for. */
function instantRetry(retries = 3): ThrottleRetry & { delays: number[] } {
  const delays: number[] = [];
  return { retries, baseDelayMs: 100, random: () => 0.5, sleep: async (ms) => void delays.push(ms), delays };
}

describe("profiles: merge logic (pure)", () => {
  const cases: { name: string; current: string[]; changes: AttributeChange[]; expected: string[] }[] = [
    { name: "set replaces whatever is there", current: ["a", "b"], changes: [set("x", "true")], expected: ["true"] },
    { name: "set with no values clears", current: ["a"], changes: [set("x")], expected: [] },
    { name: "add appends a new value after the current ones", current: ["webinar5"], changes: [add("x", "webinar6")], expected: ["webinar5", "webinar6"] },
    { name: "add of a value already there changes nothing", current: ["webinar5"], changes: [add("x", "webinar5")], expected: ["webinar5"] },
    { name: "remove drops the value and keeps the others in order", current: ["a", "b", "c"], changes: [remove("x", "b")], expected: ["a", "c"] },
    { name: "remove of an absent value changes nothing", current: ["a"], changes: [remove("x", "z")], expected: ["a"] },
    { name: "add then remove of the same value: the later change wins", current: [], changes: [add("x", "v"), remove("x", "v")], expected: [] },
    { name: "remove then add of the same value: the later change wins", current: ["v"], changes: [remove("x", "v"), add("x", "v")], expected: ["v"] },
    { name: "set after adds discards the adds", current: ["a"], changes: [add("x", "b"), set("x", "c")], expected: ["c"] },
    { name: "adds after a set build on the set, not on the current values", current: ["a"], changes: [set("x", "c"), add("x", "d")], expected: ["c", "d"] },
    { name: "remove after a set removes from the set", current: [], changes: [set("x", "c", "d"), remove("x", "c")], expected: ["d"] },
    { name: "repeated values in one change count once", current: [], changes: [add("x", "v", "v", "w")], expected: ["v", "w"] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const delta = foldChanges(c.changes).get("x")!;
      expect(applyDelta(c.current, delta)).to.deep.equal(c.expected);
      // Idempotent: applying the same changes again to the result changes nothing.
      expect(applyDelta(applyDelta(c.current, delta), delta)).to.deep.equal(c.expected);
    });
  }

  it("keeps one delta per attribute, in order of first appearance", () => {
    const deltas = foldChanges([add("b", "1"), set("a", "2"), remove("b", "3")]);
    expect([...deltas.keys()]).to.deep.equal(["b", "a"]);
    expect(deltas.get("b")).to.deep.equal({ replace: undefined, add: ["1"], remove: ["3"] });
    expect(deltas.get("a")).to.deep.equal({ replace: ["2"], add: [], remove: [] });
  });

  it("aggregates the updates of one person across a batch, keeping their input indexes", () => {
    const updates: PersonUpdate[] = [
      { person: { kind: "email", value: "a@example.com" }, changes: [add("w", "webinar5")] },
      { person: { kind: "email", value: "b@example.com" }, changes: [set("email_opened", "true")] },
      { person: { kind: "email", value: "a@example.com" }, changes: [add("w", "webinar6"), remove("w", "webinar5")] },
      { person: { kind: "profileKey", keyName: "_profileId", value: "a@example.com" }, changes: [add("w", "x")] },
    ];
    const plans = planPerPerson(updates, PINPOINT_LIMITS);
    expect(plans.map((p) => [p.person, p.inputs])).to.deep.equal([
      [{ kind: "email", value: "a@example.com" }, [0, 2]],
      [{ kind: "email", value: "b@example.com" }, [1]],
      [{ kind: "profileKey", keyName: "_profileId", value: "a@example.com" }, [3]],
    ]);
    expect(plans[0].deltas.get("w")).to.deep.equal({ replace: undefined, add: ["webinar6"], remove: ["webinar5"] });
  });

  const limitCases: { name: string; limits: typeof PINPOINT_LIMITS; change: AttributeChange; problem: string }[] = [
    { name: "a Pinpoint value over 100 characters", limits: PINPOINT_LIMITS, change: add("x", "v".repeat(101)), problem: "x: value longer than 100 characters" },
    { name: "a Pinpoint attribute name over 50 characters", limits: PINPOINT_LIMITS, change: add("n".repeat(51), "v"), problem: `${"n".repeat(51)}: attribute name longer than 50 characters` },
    { name: "an empty value", limits: PINPOINT_LIMITS, change: add("x", ""), problem: "x: empty value" },
    { name: "a Customer Profiles value holding the set delimiter", limits: CUSTOMER_PROFILES_LIMITS, change: add("x", "a|b"), problem: 'x: value contains "|"' },
    { name: "a Customer Profiles value over 253 characters", limits: CUSTOMER_PROFILES_LIMITS, change: add("x", "v".repeat(254)), problem: "x: value longer than 253 characters" },
  ];
  for (const c of limitCases) {
    it(`rejects ${c.name} before any call`, () => {
      const [plan] = planPerPerson([{ person: { kind: "endpointId", value: "e1" }, changes: [c.change] }], c.limits);
      expect(plan.problem).to.equal(c.problem);
    });
  }

  it("rejects a merged Pinpoint set of 51 values, and accepts 50", () => {
    const current = Array.from({ length: 49 }, (_, i) => `v${i}`);
    const fifty = mergeForPerson(foldChanges([add("x", "new1")]), () => current, PINPOINT_LIMITS);
    expect(fifty.problem).to.equal(undefined);
    expect(fifty.changed.get("x")).to.have.length(50);
    const fiftyOne = mergeForPerson(foldChanges([add("x", "new1", "new2")]), () => current, PINPOINT_LIMITS);
    expect(fiftyOne).to.deep.equal({ changed: new Map(), problem: "x: 51 values, more than 50" });
  });

  it("rejects a merged Customer Profiles set whose encoding exceeds 255 characters, and accepts exactly 255", () => {
    // 25 values of 9 characters encode to 25 * 10 + 1 = 251; one more of 3 characters makes 255.
    const current = Array.from({ length: 25 }, (_, i) => `value${String(i).padStart(4, "0")}`);
    const exact = mergeForPerson(foldChanges([add("x", "abc")]), () => current, CUSTOMER_PROFILES_LIMITS);
    expect(exact.problem).to.equal(undefined);
    expect(encodeValueSet(exact.changed.get("x")!)).to.have.length(255);
    const over = mergeForPerson(foldChanges([add("x", "abcd")]), () => current, CUSTOMER_PROFILES_LIMITS);
    expect(over.problem).to.equal("x: encoded set of 256 characters, more than 255");
  });

  it("writes only the attributes whose members change", () => {
    const current: Record<string, string[]> = { a: ["1", "2"], b: ["x"] };
    const result = mergeForPerson(foldChanges([set("a", "2", "1"), add("b", "y")]), (n) => current[n] ?? [], PINPOINT_LIMITS);
    expect([...result.changed]).to.deep.equal([["b", ["x", "y"]]]);
  });
});

describe("profiles: value-set encoding for Customer Profiles", () => {
  const cases: [string[], string][] = [
    [[], ""],
    [["true"], "|true|"],
    [["webinar5", "webinar6"], "|webinar5|webinar6|"],
  ];
  for (const [values, encoded] of cases) {
    it(`encodes ${JSON.stringify(values)} as "${encoded}" and back`, () => {
      expect(encodeValueSet(values)).to.equal(encoded);
      expect(encodedLength(values)).to.equal(encoded.length);
      expect(decodeValueSet(encoded)).to.deep.equal(values);
    });
  }

  it("decodes a bare value written by something else as one value, and an absent attribute as none", () => {
    expect(decodeValueSet("true")).to.deep.equal(["true"]);
    expect(decodeValueSet(undefined)).to.deep.equal([]);
    expect(decodeValueSet("|a||a|b|")).to.deep.equal(["a", "b"]);
  });

  it("tests membership exactly: |webinar5| is not found in a set holding webinar50", () => {
    expect(encodeValueSet(["webinar50"]).includes(membershipToken("webinar5"))).to.equal(false);
    expect(encodeValueSet(["webinar50", "webinar5"]).includes(membershipToken("webinar5"))).to.equal(true);
  });
});

describe("profiles: Customer Profiles adapter (exact SDK inputs)", () => {
  let cp: ReturnType<typeof mockCustomerProfiles>;
  before(() => (cp = mockCustomerProfiles()));
  afterEach(() => cp.reset());
  after(() => cp.restore());
  const store = (retry = instantRetry()) =>
    createCustomerProfilesStore({ client: new CustomerProfilesClient({ region: "us-east-1" }), domainName: "engagement", concurrency: 4, retry });

  it("locates by _email with SearchProfiles, then writes the merged encoded set with UpdateProfile", async () => {
    cp.on(SearchProfilesCommand).resolves({ Items: [{ ProfileId: "p-1", Attributes: { webinar_registration: "|webinar4|", other: "keep" } }] });
    cp.on(UpdateProfileCommand).resolves({ ProfileId: "p-1" });
    const results = await store().apply([
      { person: { kind: "email", value: "jane@example.com" }, changes: [add("webinar_registration", "webinar5"), set("email_opened", "true")] },
    ]);
    expect(cp.commandCalls(SearchProfilesCommand).map((c) => c.args[0].input)).to.deep.equal([
      { DomainName: "engagement", KeyName: "_email", Values: ["jane@example.com"], MaxResults: 2 },
    ]);
    expect(cp.commandCalls(UpdateProfileCommand).map((c) => c.args[0].input)).to.deep.equal([
      { DomainName: "engagement", ProfileId: "p-1", Attributes: { webinar_registration: "|webinar4|webinar5|", email_opened: "|true|" } },
    ]);
    expect(results).to.deep.equal([{ person: { kind: "email", value: "jane@example.com" }, inputs: [0], status: "updated", retryable: false }]);
  });

  it("searches _phone for a phone number and the given key for a profile key", async () => {
    cp.on(SearchProfilesCommand).resolves({ Items: [{ ProfileId: "p-2", Attributes: {} }] });
    cp.on(UpdateProfileCommand).resolves({ ProfileId: "p-2" });
    await store().apply([
      { person: { kind: "phone", value: "+14155550123" }, changes: [add("a", "1")] },
      { person: { kind: "profileKey", keyName: "_profileId", value: "p-2" }, changes: [add("a", "1")] },
    ]);
    expect(cp.commandCalls(SearchProfilesCommand).map((c) => [c.args[0].input.KeyName, c.args[0].input.Values])).to.deep.equal([
      ["_phone", ["+14155550123"]],
      ["_profileId", ["p-2"]],
    ]);
  });

  it("removing the last value writes an empty string, which UpdateProfile treats as removal", async () => {
    cp.on(SearchProfilesCommand).resolves({ Items: [{ ProfileId: "p-1", Attributes: { seg: "|gold|" } }] });
    cp.on(UpdateProfileCommand).resolves({ ProfileId: "p-1" });
    await store().apply([{ person: { kind: "email", value: "a@example.com" }, changes: [remove("seg", "gold")] }]);
    expect(cp.commandCalls(UpdateProfileCommand)[0].args[0].input.Attributes).to.deep.equal({ seg: "" });
  });

  it("writes nothing when the merged set is already stored", async () => {
    cp.on(SearchProfilesCommand).resolves({ Items: [{ ProfileId: "p-1", Attributes: { email_opened: "|true|" } }] });
    const [result] = await store().apply([{ person: { kind: "email", value: "a@example.com" }, changes: [set("email_opened", "true")] }]);
    expect(result.status).to.equal("unchanged");
    expect(cp.commandCalls(UpdateProfileCommand)).to.have.length(0);
  });

  it("never creates a profile: no match is not-found, two matches are ambiguous, and neither writes", async () => {
    cp.on(SearchProfilesCommand, { Values: ["none@example.com"] }).resolves({ Items: [] });
    cp.on(SearchProfilesCommand, { Values: ["shared@example.com"] }).resolves({ Items: [{ ProfileId: "p-1" }, { ProfileId: "p-2" }] });
    const results = await store().apply([
      { person: { kind: "email", value: "none@example.com" }, changes: [add("a", "1")] },
      { person: { kind: "email", value: "shared@example.com" }, changes: [add("a", "1")] },
    ]);
    expect(results.map((r) => [r.status, r.retryable])).to.deep.equal([
      ["not-found", false],
      ["ambiguous", false],
    ]);
    expect(cp.commandCalls(UpdateProfileCommand)).to.have.length(0);
  });

  it("cannot locate a person by Pinpoint endpoint ID, and says so without a call", async () => {
    const [result] = await store().apply([{ person: { kind: "endpointId", value: "e-1" }, changes: [add("a", "1")] }]);
    expect(result).to.deep.include({ status: "invalid", reason: "customerProfiles cannot locate a person by endpointId" });
    expect(cp.calls()).to.have.length(0);
  });

  it("retries a throttled update with backoff, then succeeds", async () => {
    cp.on(SearchProfilesCommand).resolves({ Items: [{ ProfileId: "p-1", Attributes: {} }] });
    const throttled = new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } });
    cp.on(UpdateProfileCommand).rejectsOnce(throttled).rejectsOnce(throttled).resolves({ ProfileId: "p-1" });
    const retry = instantRetry();
    const [result] = await store(retry).apply([{ person: { kind: "email", value: "a@example.com" }, changes: [add("a", "1")] }]);
    expect(result.status).to.equal("updated");
    expect(cp.commandCalls(UpdateProfileCommand)).to.have.length(3);
    expect(retry.delays).to.deep.equal([50, 100]);
  });

  it("reports a throttle that outlasts the retries as a retryable failure", async () => {
    cp.on(SearchProfilesCommand).rejects(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }));
    const [result] = await store(instantRetry(2)).apply([{ person: { kind: "email", value: "a@example.com" }, changes: [add("a", "1")] }]);
    expect(result).to.deep.include({ status: "failed", retryable: true, reason: "ThrottlingException" });
    expect(cp.commandCalls(SearchProfilesCommand)).to.have.length(3);
  });

  it("treats a profile that vanished between search and update as not found", async () => {
    cp.on(SearchProfilesCommand).resolves({ Items: [{ ProfileId: "p-1", Attributes: {} }] });
    cp.on(UpdateProfileCommand).rejects(new ResourceNotFoundException({ message: "gone", $metadata: {} }));
    const [result] = await store().apply([{ person: { kind: "email", value: "a@example.com" }, changes: [add("a", "1")] }]);
    expect(result).to.deep.include({ status: "not-found", retryable: false });
  });

  it("keeps at most `concurrency` people in flight", async () => {
    let inFlight = 0;
    let peak = 0;
    cp.on(SearchProfilesCommand).callsFake(async (input: { Values: string[] }) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      return { Items: [{ ProfileId: input.Values[0], Attributes: {} }] };
    });
    cp.on(UpdateProfileCommand).resolves({});
    const updates = Array.from({ length: 20 }, (_, i) => ({ person: { kind: "email" as const, value: `p${i}@example.com` }, changes: [add("a", "1")] }));
    const results = await store().apply(updates);
    expect(results.every((r) => r.status === "updated")).to.equal(true);
    expect(peak).to.equal(4);
  });
});

describe("profiles: Pinpoint adapter (exact SDK inputs)", () => {
  let pp: ReturnType<typeof mockPinpoint>;
  before(() => (pp = mockPinpoint()));
  afterEach(() => pp.reset());
  after(() => pp.restore());
  const store = (retry = instantRetry()) => createPinpointStore({ client: new PinpointClient({ region: "us-east-1" }), applicationId: "app1", concurrency: 8, retry });

  it("reads each endpoint, then writes the merged values with UpdateEndpointsBatch", async () => {
    pp.on(GetEndpointCommand).resolves({ EndpointResponse: { Id: "e-1", Attributes: { webinar_registration: ["webinar4"] } } });
    pp.on(UpdateEndpointsBatchCommand).resolves({ MessageBody: { Message: "Accepted" } });
    const results = await store().apply([{ person: { kind: "endpointId", value: "e-1" }, changes: [add("webinar_registration", "webinar5")] }]);
    expect(pp.commandCalls(GetEndpointCommand).map((c) => c.args[0].input)).to.deep.equal([{ ApplicationId: "app1", EndpointId: "e-1" }]);
    expect(pp.commandCalls(UpdateEndpointsBatchCommand).map((c) => c.args[0].input)).to.deep.equal([
      { ApplicationId: "app1", EndpointBatchRequest: { Item: [{ Id: "e-1", Attributes: { webinar_registration: ["webinar4", "webinar5"] } }] } },
    ]);
    expect(results[0].status).to.equal("updated");
  });

  it("chunks 250 changed endpoints into batches of 100, 100 and 50", async () => {
    pp.on(GetEndpointCommand).resolves({ EndpointResponse: { Attributes: {} } });
    pp.on(UpdateEndpointsBatchCommand).resolves({});
    const updates = Array.from({ length: 250 }, (_, i) => ({ person: { kind: "endpointId" as const, value: `e-${i}` }, changes: [set("email_opened", "true")] }));
    const results = await store().apply(updates);
    const batches = pp.commandCalls(UpdateEndpointsBatchCommand).map((c) => c.args[0].input.EndpointBatchRequest!.Item!);
    expect(PINPOINT_BATCH_SIZE).to.equal(100);
    expect(batches.map((b) => b.length)).to.deep.equal([100, 100, 50]);
    expect(batches.flat().map((i) => i.Id)).to.deep.equal(updates.map((u) => u.person.value));
    expect(batches[0][0]).to.deep.equal({ Id: "e-0", Attributes: { email_opened: ["true"] } });
    expect(results.filter((r) => r.status === "updated")).to.have.length(250);
  });

  it("never writes an endpoint that does not exist (no phantom endpoints)", async () => {
    pp.on(GetEndpointCommand, { EndpointId: "ghost" }).rejects(new NotFoundException({ message: "not found", $metadata: { httpStatusCode: 404 } }));
    pp.on(GetEndpointCommand, { EndpointId: "e-1" }).resolves({ EndpointResponse: { Attributes: {} } });
    pp.on(UpdateEndpointsBatchCommand).resolves({});
    const results = await store().apply([
      { person: { kind: "endpointId", value: "ghost" }, changes: [add("a", "1")] },
      { person: { kind: "endpointId", value: "e-1" }, changes: [add("a", "1")] },
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(["not-found", "updated"]);
    expect(pp.commandCalls(UpdateEndpointsBatchCommand)[0].args[0].input.EndpointBatchRequest!.Item!.map((i) => i.Id)).to.deep.equal(["e-1"]);
  });

  it("fails every endpoint of a batch that stays throttled, as retryable, and retried the call", async () => {
    pp.on(GetEndpointCommand).resolves({ EndpointResponse: { Attributes: {} } });
    pp.on(UpdateEndpointsBatchCommand).rejects(new TooManyRequestsException({ message: "slow down", $metadata: { httpStatusCode: 429 } }));
    const results = await store(instantRetry(1)).apply([
      { person: { kind: "endpointId", value: "e-1" }, changes: [add("a", "1")] },
      { person: { kind: "endpointId", value: "e-2" }, changes: [add("a", "1")] },
    ]);
    expect(results.map((r) => [r.status, r.retryable, r.reason])).to.deep.equal([
      ["failed", true, "TooManyRequestsException"],
      ["failed", true, "TooManyRequestsException"],
    ]);
    expect(pp.commandCalls(UpdateEndpointsBatchCommand)).to.have.length(2);
  });

  it("cannot locate a person by email, and rejects a value over Pinpoint's limits, without a call", async () => {
    const results = await store().apply([
      { person: { kind: "email", value: "a@example.com" }, changes: [add("a", "1")] },
      { person: { kind: "endpointId", value: "e-1" }, changes: [add("a", "x".repeat(101))] },
    ]);
    expect(results.map((r) => [r.status, r.reason])).to.deep.equal([
      ["invalid", "pinpoint cannot locate a person by email"],
      ["invalid", "a: value longer than 100 characters"],
    ]);
    expect(pp.calls()).to.have.length(0);
  });
});

describe("profiles: helpers and config", () => {
  it("retries only throttling, with full-jitter exponential backoff", async () => {
    const retry = instantRetry(3);
    let calls = 0;
    const throttle = Object.assign(new Error("x"), { name: "ThrottlingException" });
    const value = await retryThrottled(async () => {
      if (++calls < 4) throw throttle;
      return "ok";
    }, retry);
    expect(value).to.equal("ok");
    expect(retry.delays).to.deep.equal([50, 100, 200]);
    const denied = Object.assign(new Error("no"), { name: "AccessDeniedException" });
    const other = instantRetry(3);
    await retryThrottled(() => Promise.reject(denied), other).then(
      () => expect.fail("expected a rejection"),
      (e: unknown) => expect(e).to.equal(denied),
    );
    expect(other.delays).to.deep.equal([]);
  });

  it("maps in input order with bounded concurrency", async () => {
    const out = await mapWithConcurrency([3, 1, 2], 2, async (n) => {
      await new Promise((r) => setTimeout(r, n));
      return n * 10;
    });
    expect(out).to.deep.equal([30, 10, 20]);
  });

  it("round-trips the store config through the environment, and names every bad variable", () => {
    const env = attributeStoreEnvironment({ target: "customerProfiles", domainName: "engagement", concurrency: 8 });
    expect(env).to.deep.equal({ ATTRIBUTE_STORE_TARGET: "customerProfiles", PROFILES_DOMAIN_NAME: "engagement", PINPOINT_APPLICATION_ID: "", ATTRIBUTE_WRITE_CONCURRENCY: "8" });
    expect(attributeStoreConfigFromEnv(env)).to.deep.equal({ problems: [], config: { target: "customerProfiles", domainName: "engagement", concurrency: 8 } });
    expect(attributeStoreConfigFromEnv({ ATTRIBUTE_STORE_TARGET: "pinpoint", PINPOINT_APPLICATION_ID: "", ATTRIBUTE_WRITE_CONCURRENCY: "0" }).problems).to.deep.equal([
      'ATTRIBUTE_WRITE_CONCURRENCY must be an integer from 1 to 100, got "0"',
      'PINPOINT_APPLICATION_ID must be a Pinpoint project ID, got ""',
    ]);
  });
});
