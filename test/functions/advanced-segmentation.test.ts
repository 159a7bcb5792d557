/**
 * #10's handlers and logic: the diff, the result reader (exact GetQueryResults inputs), the change
 * files, the person a member id names, when a change counts as applied, the config loaders, and
 * the two handlers' results, errors, metrics and logs.
 */
import { AthenaClient, GetQueryResultsCommand } from "@aws-sdk/client-athena";
import { GetEndpointCommand, PinpointClient, UpdateEndpointsBatchCommand } from "@aws-sdk/client-pinpoint";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { applyChangeFile, personFor, settles } from "../../functions/advanced-segmentation/apply-changes";
import { createResultReader } from "../../functions/advanced-segmentation/athena-results";
import { changeFileKey } from "../../functions/advanced-segmentation/change-files";
import { ConfigError, loadApplierConfig, loadDifferConfig } from "../../functions/advanced-segmentation/config";
import { compareMemberIds, segmentRunInput, wrapSegmentQuery } from "../../functions/advanced-segmentation/contract";
import { runDiff, START_CURSOR, type DiffPorts } from "../../functions/advanced-segmentation/diff";
import type { MemberChange, MembersStore } from "../../functions/advanced-segmentation/members-store";
import { createPinpointStore } from "../../functions/shared/profiles/pinpoint";
import type { AttributeStore, PersonUpdate, UpdateResult } from "../../functions/shared/profiles/store";
import { thrownMessage } from "../harness/pulumi";
import { ATTRIBUTE, FakeBucket, HANDLER_ENV, TOKEN, fakeAthena, lambdaContext, noRetry } from "./advanced-segmentation-fakes";
import { recordingObservability } from "./recording-observability";

const SEGMENT = { name: "recent-buyers", token: TOKEN, attribute: ATTRIBUTE, memberKey: "_profileId", queryString: wrapSegmentQuery("SELECT id AS member_id FROM t") };

function diffPorts(result: string[][], stored: string[]): DiffPorts & { files: MemberChange[][] } {
  const files: MemberChange[][] = [];
  return {
    files,
    readPage: async (token) => {
      const index = token === undefined ? 0 : Number(token);
      return { memberIds: result[index] ?? [], nextToken: index + 1 < result.length ? String(index + 1) : undefined };
    },
    storedMembers: (after) => (async function* () {
      for (const id of stored) if (after === undefined || compareMemberIds(id, after) > 0) yield id;
    })(),
    writeChanges: async (index, changes) => void (files[index] = changes),
  };
}

class MemoryMembers implements MembersStore {
  constructor(readonly ids = new Set<string>()) {}
  async *members() {
    yield* [...this.ids].sort(compareMemberIds);
  }
  async pending(_segment: string, changes: readonly MemberChange[]) {
    return changes.filter((c) => (c.op === "join" ? !this.ids.has(c.memberId) : this.ids.has(c.memberId)));
  }
  async record(_segment: string, changes: readonly MemberChange[]) {
    for (const c of changes) {
      if (c.op === "join") this.ids.add(c.memberId);
      else this.ids.delete(c.memberId);
    }
  }
}

/** An attribute store that answers each person with the status the test gives its id. */
function scriptedStore(statuses: Record<string, Pick<UpdateResult, "status" | "retryable" | "reason">>): AttributeStore & { seen: PersonUpdate[] } {
  const seen: PersonUpdate[] = [];
  return {
    seen,
    target: "customerProfiles",
    limits: { maxValues: 127, maxValueLength: 253, maxEncodedLength: 255, maxNameLength: 255, forbiddenInValue: "|" },
    apply: async (updates) => {
      seen.push(...updates);
      return updates.map((u, i) => ({ person: u.person, inputs: [i], ...(statuses[u.person.value] ?? { status: "updated", retryable: false }) }));
    },
  };
}

describe("AdvancedSegmentation logic", () => {
  it("orders member ids by code point, as Trino and DynamoDB do", () => {
    const cases: [string, string, number][] = [
      ["a", "b", -1],
      ["b", "a", 1],
      ["a", "a", 0],
      ["a", "ab", -1],
      ["B", "a", -1],
      ["\uffff", "😀", -1],
      ["😀", "\uffff", 1],
      ["é", "z", 1],
      ["", "a", -1],
    ];
    for (const [a, b, sign] of cases) expect(Math.sign(compareMemberIds(a, b)), `${a} vs ${b}`).to.equal(sign);
  });

  it("classifies members across result pages, writing files of the configured size", async () => {
    const ports = diffPorts([["b", "c"], ["e", "f"], ["h"]], ["a", "c", "d", "f", "g", "i"]);
    const { done, cursor } = await runDiff(ports, { ...START_CURSOR }, { changesPerFile: 3, shouldPause: () => false });
    expect(done).to.equal(true);
    expect(ports.files).to.deep.equal([
      [
        { memberId: "a", op: "leave" },
        { memberId: "b", op: "join" },
        { memberId: "d", op: "leave" },
      ],
      [
        { memberId: "e", op: "join" },
        { memberId: "g", op: "leave" },
        { memberId: "h", op: "join" },
      ],
      [{ memberId: "i", op: "leave" }],
    ]);
    expect(cursor).to.include({ joined: 3, left: 4, unchanged: 2, files: 3, pages: 3, resultsDone: true, after: "i" });
  });

  it("treats an empty result as everyone leaving, and an empty store as everyone joining", async () => {
    const empty = diffPorts([[]], ["a", "b"]);
    expect((await runDiff(empty, { ...START_CURSOR }, { changesPerFile: 10, shouldPause: () => false })).cursor).to.include({ joined: 0, left: 2 });
    const fresh = diffPorts([["a", "b"]], []);
    expect((await runDiff(fresh, { ...START_CURSOR }, { changesPerFile: 10, shouldPause: () => false })).cursor).to.include({ joined: 2, left: 0 });
  });

  it("skips a repeated row and refuses a result out of order", async () => {
    const repeated = diffPorts([["a", "a"], ["a", "b"]], []);
    expect((await runDiff(repeated, { ...START_CURSOR }, { changesPerFile: 10, shouldPause: () => false })).cursor).to.include({ joined: 2 });
    const unordered = diffPorts([["b", "a"]], []);
    const error = await runDiff(unordered, { ...START_CURSOR }, { changesPerFile: 10, shouldPause: () => false }).catch((e: Error) => e);
    expect((error as Error).name).to.equal("SegmentResultOrderError");
  });

  it("pauses in the leavers' tail every 1000 leavers and resumes after the last one", async () => {
    const stored = Array.from({ length: 2500 }, (_, i) => `m-${String(i).padStart(5, "0")}`);
    const ports = diffPorts([[]], stored);
    const first = await runDiff(ports, { ...START_CURSOR }, { changesPerFile: 400, shouldPause: () => true });
    expect(first.done).to.equal(false);
    expect(first.cursor).to.include({ left: 1000, after: "m-00999", resultsDone: true, files: 3 });
    const second = await runDiff(ports, first.cursor, { changesPerFile: 400, shouldPause: () => false });
    expect(second.done).to.equal(true);
    expect(second.cursor.left).to.equal(2500);
    expect(ports.files.flat().map((c) => c.memberId)).to.deep.equal(stored);
  });

  it("reads result pages with the API's largest page, checks and drops the header row, and skips NULLs", async () => {
    const athena = mockClient(AthenaClient);
    try {
      athena
        .on(GetQueryResultsCommand, { QueryExecutionId: "q-1", NextToken: undefined, MaxResults: 1000 })
        .resolves({
          ResultSet: { Rows: [{ Data: [{ VarCharValue: "member_id" }] }, { Data: [{ VarCharValue: "p-1" }] }, { Data: [{}] }], ResultSetMetadata: { ColumnInfo: [{ Name: "member_id", Type: "varchar" }] } },
          NextToken: "t-2",
        })
        .on(GetQueryResultsCommand, { QueryExecutionId: "q-1", NextToken: "t-2", MaxResults: 1000 })
        .resolves({ ResultSet: { Rows: [{ Data: [{ VarCharValue: "p-2" }] }] } });
      const read = createResultReader(new AthenaClient({ region: "us-east-1" }), "q-1");
      expect(await read(undefined)).to.deep.equal({ memberIds: ["p-1"], nextToken: "t-2" });
      expect(await read("t-2")).to.deep.equal({ memberIds: ["p-2"], nextToken: undefined });
      expect(athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input)).to.deep.equal([
        { QueryExecutionId: "q-1", NextToken: undefined, MaxResults: 1000 },
        { QueryExecutionId: "q-1", NextToken: "t-2", MaxResults: 1000 },
      ]);
      athena.on(GetQueryResultsCommand, { QueryExecutionId: "q-2" }).resolves({ ResultSet: { Rows: [], ResultSetMetadata: { ColumnInfo: [{ Name: "endpointid", Type: "varchar" }] } } });
      const error = await createResultReader(new AthenaClient({ region: "us-east-1" }), "q-2")(undefined).catch((e: Error) => e);
      expect((error as Error).message).to.equal('the query\'s first column is "endpointid", expected "member_id"');
    } finally {
      athena.restore();
    }
  });

  it("locates the person a member id names by the segment's member key", () => {
    expect(personFor("endpointId", "ep-1")).to.deep.equal({ kind: "endpointId", value: "ep-1" });
    expect(personFor("_email", "a@example.com")).to.deep.equal({ kind: "email", value: "a@example.com" });
    expect(personFor("_phone", "+12065550142")).to.deep.equal({ kind: "phone", value: "+12065550142" });
    expect(personFor("_profileId", "p-1")).to.deep.equal({ kind: "profileKey", keyName: "_profileId", value: "p-1" });
    expect(personFor("loyaltyId", "L-9")).to.deep.equal({ kind: "profileKey", keyName: "loyaltyId", value: "L-9" });
  });

  it("writes a change file to Pinpoint endpoints in UpdateEndpointsBatch calls of 100, merging with each endpoint's values", async () => {
    const pinpoint = mockClient(PinpointClient);
    try {
      pinpoint.on(GetEndpointCommand).callsFake((input: { EndpointId: string }) => ({
        EndpointResponse: { Id: input.EndpointId, Attributes: input.EndpointId === "ep-000" ? { [ATTRIBUTE]: ["other_segment"] } : {} },
      }));
      pinpoint.on(UpdateEndpointsBatchCommand).resolves({ MessageBody: { Message: "Accepted" } });
      const ids = Array.from({ length: 250 }, (_, i) => `ep-${String(i).padStart(3, "0")}`);
      const file = { segment: { name: "recent-buyers", token: TOKEN, attribute: ATTRIBUTE, memberKey: "endpointId" }, runId: "run-1", changes: ids.map((memberId) => ({ memberId, op: "join" as const })) };
      const members = new MemoryMembers();
      const store = createPinpointStore({ client: new PinpointClient({ region: "us-east-1" }), applicationId: "app-1", concurrency: 8, retry: noRetry });
      const outcome = await applyChangeFile(file, { store, members, now: () => new Date() });
      expect(outcome).to.include({ added: 250, failed: 0, retryable: 0 });
      const batches = pinpoint.commandCalls(UpdateEndpointsBatchCommand).map((c) => c.args[0].input);
      expect(batches.map((b) => b.EndpointBatchRequest?.Item?.length)).to.deep.equal([100, 100, 50]);
      expect(batches.every((b) => b.ApplicationId === "app-1")).to.equal(true);
      expect(batches[0].EndpointBatchRequest?.Item?.[0]).to.deep.equal({ Id: "ep-000", Attributes: { [ATTRIBUTE]: ["other_segment", TOKEN] } });
      expect(batches[2].EndpointBatchRequest?.Item?.[49]).to.deep.equal({ Id: "ep-249", Attributes: { [ATTRIBUTE]: [TOKEN] } });
      expect(pinpoint.commandCalls(GetEndpointCommand)).to.have.length(250);
      expect(members.ids.size).to.equal(250);
    } finally {
      pinpoint.restore();
    }
  });

  it("records a change only once it is settled", () => {
    const table: [MemberChange["op"], UpdateResult["status"], boolean][] = [
      ["join", "updated", true],
      ["join", "unchanged", true],
      ["join", "not-found", false],
      ["join", "ambiguous", false],
      ["join", "invalid", false],
      ["join", "failed", false],
      ["leave", "updated", true],
      ["leave", "unchanged", true],
      ["leave", "not-found", true],
      ["leave", "invalid", true],
      ["leave", "ambiguous", false],
      ["leave", "failed", false],
    ];
    for (const [op, status, expected] of table) expect(settles(op, status), `${op} ${status}`).to.equal(expected);
  });

  it("names change files by run and number, in listing order", () => {
    expect(changeFileKey("changes/recent-buyers/run-1/", 7)).to.equal("changes/recent-buyers/run-1/000007.json");
    expect(segmentRunInput({ ...SEGMENT, extra: "dropped" } as typeof SEGMENT)).to.deep.equal({ segment: SEGMENT });
  });

  it("reports every bad environment variable at once, by name", () => {
    expect(thrownMessage(() => loadDifferConfig({ RESULTS_BUCKET: "Bad_Bucket", CHANGES_PREFIX: "changes", MEMBERS_TABLE_NAME: "" }))).to.equal(
      'Invalid environment: RESULTS_BUCKET must be an S3 bucket name; CHANGES_PREFIX must be a key prefix ending in "/"; MEMBERS_TABLE_NAME is required',
    );
    const error = (() => {
      try {
        loadApplierConfig({ RESULTS_BUCKET: "segment-results", MEMBERS_TABLE_NAME: "members", ATTRIBUTE_STORE_TARGET: "pinpoint", PINPOINT_APPLICATION_ID: "", PROFILES_DOMAIN_NAME: "", ATTRIBUTE_WRITE_CONCURRENCY: "0" });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).to.be.instanceOf(ConfigError);
    expect(error?.message).to.equal(
      'Invalid environment: ATTRIBUTE_WRITE_CONCURRENCY must be an integer from 1 to 100, got "0"; PINPOINT_APPLICATION_ID must be a Pinpoint project ID, got ""',
    );
    expect(loadApplierConfig(HANDLER_ENV)).to.deep.equal({
      store: { target: "customerProfiles", domainName: "customers", concurrency: 4 },
      resultsBucket: "segment-results",
      membersTableName: "segment-members",
    });
  });
});

describe("AdvancedSegmentation handlers", () => {
  let createDifferHandler: typeof import("../../functions/advanced-segmentation/differ").createDifferHandler;
  let createApplierHandler: typeof import("../../functions/advanced-segmentation/applier").createApplierHandler;
  const savedEnv = { ...process.env };
  before(async () => {
    Object.assign(process.env, HANDLER_ENV);
    ({ createDifferHandler } = await import("../../functions/advanced-segmentation/differ.js"));
    ({ createApplierHandler } = await import("../../functions/advanced-segmentation/applier.js"));
  });
  after(() => {
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  });

  function observed() {
    const logs: { level: string; message: string; attributes: Record<string, unknown> }[] = [];
    const counts: Record<string, number> = {};
    const logger = {
      addContext: () => undefined,
      info: (message: string, attributes: Record<string, unknown>) => void logs.push({ level: "info", message, attributes }),
      warn: (message: string, attributes: Record<string, unknown>) => void logs.push({ level: "warn", message, attributes }),
      error: (message: string, attributes: Record<string, unknown>) => void logs.push({ level: "error", message, attributes }),
    };
    return { logs, counts, observability: recordingObservability(logger, (name, _d, v) => void (counts[name] = (counts[name] ?? 0) + v)) };
  }

  it("differ: writes the run's change files, returns the cursor and counts, and logs no member id", async () => {
    const bucket = new FakeBucket();
    const { logs, counts, observability } = observed();
    const differ = createDifferHandler(
      { resultsBucket: "segment-results", changesPrefix: "changes/", membersTableName: "members" },
      { athena: fakeAthena(["jane@example.com", "zoe@example.com"], 10), s3: bucket.client, members: new MemoryMembers(new Set(["bob@example.com", "zoe@example.com"])) },
      observability,
    );
    const out = await differ({ segment: { ...SEGMENT, memberKey: "_email" }, queryExecutionId: "q-1", runId: "run-1", cursor: {} }, lambdaContext());
    expect(out).to.deep.include({ done: true, changesPrefix: "changes/recent-buyers/run-1/", files: 1, counts: { joined: 1, left: 1, unchanged: 1 } });
    expect(bucket.keys()).to.deep.equal(["changes/recent-buyers/run-1/000000.json"]);
    expect(JSON.parse(bucket.objects.get("changes/recent-buyers/run-1/000000.json")!)).to.deep.equal({
      segment: { name: "recent-buyers", token: TOKEN, attribute: ATTRIBUTE, memberKey: "_email" },
      runId: "run-1",
      changes: [
        { memberId: "bob@example.com", op: "leave" },
        { memberId: "jane@example.com", op: "join" },
      ],
    });
    expect(counts).to.deep.equal({ MembersJoined: 1, MembersLeft: 1, MembersUnchanged: 1, ResultPages: 1, ChangeFilesWritten: 1 });
    expect(JSON.stringify(logs)).not.to.match(/@example\.com/);
  });

  it("differ: rejects an event that is not a segment run", async () => {
    const differ = createDifferHandler(
      { resultsBucket: "segment-results", changesPrefix: "changes/", membersTableName: "members" },
      { athena: fakeAthena([], 10), s3: new FakeBucket().client, members: new MemoryMembers() },
      observed().observability,
    );
    const error = await differ({ segment: { name: "bad name" }, runId: "r" }, lambdaContext()).catch((e: Error) => e);
    expect((error as Error).name).to.equal("ZodError");
  });

  async function applierWith(statuses: Parameters<typeof scriptedStore>[0], stored: string[] = []) {
    const bucket = new FakeBucket();
    const key = "changes/recent-buyers/run-1/000000.json";
    bucket.objects.set(
      key,
      JSON.stringify({
        segment: { name: "recent-buyers", token: TOKEN, attribute: ATTRIBUTE, memberKey: "_email" },
        runId: "run-1",
        changes: [
          { memberId: "jane@example.com", op: "join" },
          { memberId: "zoe@example.com", op: "join" },
          { memberId: "bob@example.com", op: "leave" },
        ],
      }),
    );
    const members = new MemoryMembers(new Set(stored));
    const store = scriptedStore(statuses);
    const seen = observed();
    const applier = createApplierHandler(
      { store: { target: "customerProfiles", domainName: "customers", concurrency: 2 }, resultsBucket: "segment-results", membersTableName: "members" },
      { s3: bucket.client, store, members, now: () => new Date("2026-12-01T02:00:00Z") },
      seen.observability,
    );
    const result = await applier({ key }, lambdaContext()).then(
      (value) => ({ value, error: undefined }),
      (error: Error) => ({ value: undefined, error }),
    );
    return { ...result, members, store, ...seen };
  }

  it("applier: adds and removes the token through the store and records what it took", async () => {
    const { value, error, members, store, counts } = await applierWith({}, ["bob@example.com"]);
    expect(error).to.equal(undefined);
    expect(value).to.include({ added: 2, removed: 1, alreadyApplied: 0, retryable: 0, failed: 0 });
    expect(store.seen).to.deep.equal([
      { person: { kind: "email", value: "jane@example.com" }, changes: [{ attribute: ATTRIBUTE, mode: "add", values: [TOKEN] }] },
      { person: { kind: "email", value: "zoe@example.com" }, changes: [{ attribute: ATTRIBUTE, mode: "add", values: [TOKEN] }] },
      { person: { kind: "email", value: "bob@example.com" }, changes: [{ attribute: ATTRIBUTE, mode: "remove", values: [TOKEN] }] },
    ]);
    expect([...members.ids].sort()).to.deep.equal(["jane@example.com", "zoe@example.com"]);
    expect(counts).to.include({ TokensAdded: 2, TokensRemoved: 1, WriteRetryable: 0, WriteFailed: 0 });
  });

  it("applier: raises SegmentRetryableError after recording the rest, so the state machine retries only what failed", async () => {
    const { error, members, logs } = await applierWith({ "zoe@example.com": { status: "failed", retryable: true, reason: "ThrottlingException" } }, ["bob@example.com"]);
    expect(error?.name).to.equal("SegmentRetryableError");
    expect(error?.message).to.equal("1 change(s) not applied yet (ThrottlingException)");
    expect([...members.ids]).to.deep.equal(["jane@example.com"]);
    expect(logs.map((l) => l.level)).to.deep.equal(["warn"]);
    expect(JSON.stringify(logs)).not.to.match(/@example\.com/);
  });

  it("applier: raises SegmentWriteFailed when the target refuses a write for good", async () => {
    const { error, members } = await applierWith({ "jane@example.com": { status: "failed", retryable: false, reason: "AccessDeniedException" } });
    expect(error?.name).to.equal("SegmentWriteFailed");
    expect(error?.message).to.equal("1 change(s) refused by the target (AccessDeniedException)");
    expect([...members.ids]).to.deep.equal(["zoe@example.com"]);
  });

  it("applier: counts people it cannot find or tell apart, and leaves their joins pending", async () => {
    const { value, members, counts } = await applierWith({
      "jane@example.com": { status: "not-found", retryable: false, reason: "no matching profile" },
      "zoe@example.com": { status: "ambiguous", retryable: false, reason: "several matching profiles" },
    });
    expect(value).to.include({ added: 0, notFound: 1, ambiguous: 1 });
    // bob was not stored, so his leave was already in effect.
    expect(value).to.include({ alreadyApplied: 1 });
    expect([...members.ids]).to.deep.equal([]);
    expect(counts).to.include({ MemberNotFound: 1, MemberAmbiguous: 1, AlreadyApplied: 1 });
  });
});
