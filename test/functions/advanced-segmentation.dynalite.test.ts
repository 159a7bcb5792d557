/**
 * The members store and the diff it feeds, against dynalite (tables created from the shared
 * SEGMENT_MEMBERS_TABLE schema, partition and sort key): joining, leaving and staying; a re-run
 * with no change writes nothing; a failed write resumes without writing anything twice.
 */
import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { expect } from "chai";
import { applyChangeFile } from "../../functions/advanced-segmentation/apply-changes";
import type { ChangeFile } from "../../functions/advanced-segmentation/change-files";
import { compareMemberIds, MEMBER_SHARDS } from "../../functions/advanced-segmentation/contract";
import { runDiff, START_CURSOR, type DiffCursor } from "../../functions/advanced-segmentation/diff";
import { createMembersStore, partitionFor, type MemberChange, type MembersStore } from "../../functions/advanced-segmentation/members-store";
import { createCustomerProfilesStore } from "../../functions/shared/profiles/customer-profiles";
import { startDynalite, type DynaliteEngine } from "../engines/dynalite";
import { ATTRIBUTE, FakeProfiles, TOKEN, createMembersTable, noRetry } from "./advanced-segmentation-fakes";

const SEGMENT = "recent-buyers";
const META = { token: TOKEN, runId: "run-0", at: "2026-12-01T02:00:00.000Z" };

/** Counts the writes a document client sends (BatchWriteItem requests). */
function countingWrites(engine: DynaliteEngine): { documents: DynaliteEngine["documents"]; writes: () => number } {
  let writes = 0;
  const send = engine.documents.send.bind(engine.documents) as (command: unknown) => Promise<unknown>;
  const documents = Object.create(engine.documents) as DynaliteEngine["documents"];
  (documents as unknown as { send: (command: unknown) => Promise<unknown> }).send = (command: unknown) => {
    if (command instanceof BatchWriteCommand) writes += Object.values(command.input.RequestItems ?? {}).flat().length;
    return send(command);
  };
  return { documents, writes: () => writes };
}

async function all(store: MembersStore, segment = SEGMENT, after?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const id of store.members(segment, after)) out.push(id);
  return out;
}

/** One whole run, as the state machine does it: diff into files, then apply every file. */
async function run(store: MembersStore, profiles: FakeProfiles, result: string[], runId: string) {
  const files: MemberChange[][] = [];
  const { cursor } = await runDiff(
    {
      readPage: async () => ({ memberIds: result }),
      storedMembers: (after) => store.members(SEGMENT, after),
      writeChanges: async (index, changes) => void (files[index] = changes),
    },
    { ...START_CURSOR },
    { changesPerFile: 2, shouldPause: () => false },
  );
  const attributeStore = createCustomerProfilesStore({ client: profiles.client, domainName: "customers", concurrency: 2, retry: noRetry });
  const outcomes = [];
  for (const changes of files) {
    const file: ChangeFile = { segment: { name: SEGMENT, token: TOKEN, attribute: ATTRIBUTE, memberKey: "_profileId" }, runId, changes };
    outcomes.push(await applyChangeFile(file, { store: attributeStore, members: store, now: () => new Date(META.at) }));
  }
  return { cursor, files, outcomes };
}

describe("AdvancedSegmentation members store (dynalite)", () => {
  let engine: DynaliteEngine;
  before(async () => (engine = await startDynalite()));
  after(async () => engine.stop());

  it("reads a segment's members back in code-point order across its shards, after a given member", async () => {
    const store = createMembersStore({ documents: engine.documents, tableName: await createMembersTable(engine) });
    const ids = ["zoe", "Zed", "ärger", "abc", "ab", "a-1", "a_1", "😀", "\uffff", "m".repeat(300), ...Array.from({ length: 60 }, (_, i) => `p-${i}`)];
    await store.record(SEGMENT, ids.map((memberId) => ({ memberId, op: "join" })), META);
    await store.record("other", [{ memberId: "abc", op: "join" }], META);
    const sorted = [...ids].sort(compareMemberIds);
    expect(await all(store)).to.deep.equal(sorted);
    expect(await all(store, SEGMENT, "p-5")).to.deep.equal(sorted.filter((id) => compareMemberIds(id, "p-5") > 0));
    expect(await all(store, "other")).to.deep.equal(["abc"]);
    // The members are spread: more than a few of the shards hold some.
    expect(new Set(ids.map((id) => partitionFor(SEGMENT, id))).size).to.be.greaterThan(MEMBER_SHARDS / 2);
  });

  it("records joins and leaves idempotently, and reports only the changes not yet in effect", async () => {
    const store = createMembersStore({ documents: engine.documents, tableName: await createMembersTable(engine) });
    await store.record(SEGMENT, [{ memberId: "a", op: "join" }, { memberId: "b", op: "join" }], META);
    await store.record(SEGMENT, [{ memberId: "a", op: "join" }], META);
    const changes: MemberChange[] = [
      { memberId: "a", op: "join" },
      { memberId: "c", op: "join" },
      { memberId: "b", op: "leave" },
      { memberId: "d", op: "leave" },
    ];
    expect(await store.pending(SEGMENT, changes)).to.deep.equal([
      { memberId: "c", op: "join" },
      { memberId: "b", op: "leave" },
    ]);
    await store.record(SEGMENT, [{ memberId: "b", op: "leave" }], META);
    await store.record(SEGMENT, [{ memberId: "b", op: "leave" }], META);
    expect(await all(store)).to.deep.equal(["a"]);
  });

  it("handles more than one batch: 260 members written in batches of 25 and checked in batches of 100", async () => {
    const store = createMembersStore({ documents: engine.documents, tableName: await createMembersTable(engine) });
    const ids = Array.from({ length: 260 }, (_, i) => `m-${String(i).padStart(4, "0")}`);
    await store.record(SEGMENT, ids.map((memberId) => ({ memberId, op: "join" })), META);
    expect(await all(store)).to.deep.equal(ids);
    const changes = ids.map((memberId): MemberChange => ({ memberId, op: "join" }));
    expect(await store.pending(SEGMENT, [...changes, { memberId: "new", op: "join" }])).to.deep.equal([{ memberId: "new", op: "join" }]);
  });

  it("adds the token to joiners, removes it from leavers, and leaves the members who stay alone", async () => {
    const counting = countingWrites(engine);
    const store = createMembersStore({ documents: counting.documents, tableName: await createMembersTable(engine) });
    const profiles = new FakeProfiles(["p-a", "p-b", "p-c", "p-d"], ["p-a", "p-b"]);
    await store.record(SEGMENT, [{ memberId: "p-a", op: "join" }, { memberId: "p-b", op: "join" }], META);
    const before = counting.writes();
    const { cursor, files } = await run(store, profiles, ["p-b", "p-c", "p-d"], "run-1");
    expect(files).to.deep.equal([
      [
        { memberId: "p-a", op: "leave" },
        { memberId: "p-c", op: "join" },
      ],
      [{ memberId: "p-d", op: "join" }],
    ]);
    expect(cursor).to.include({ joined: 2, left: 1, unchanged: 1, files: 2 });
    expect(await all(store)).to.deep.equal(["p-b", "p-c", "p-d"]);
    expect(counting.writes() - before).to.equal(3);
    expect(profiles.attribute("p-a", ATTRIBUTE)).to.equal(undefined);
    for (const id of ["p-b", "p-c", "p-d"]) expect(profiles.attribute(id, ATTRIBUTE)).to.equal(`|${TOKEN}|`);
    expect(profiles.updates.map((u) => u.profileId)).to.deep.equal(["p-a", "p-c", "p-d"]);
  });

  it("writes nothing on a re-run with no change: no change file, no profile call, no table write", async () => {
    const counting = countingWrites(engine);
    const store = createMembersStore({ documents: counting.documents, tableName: await createMembersTable(engine) });
    const profiles = new FakeProfiles(["p-a", "p-b"], ["p-a", "p-b"]);
    await store.record(SEGMENT, [{ memberId: "p-a", op: "join" }, { memberId: "p-b", op: "join" }], META);
    const before = counting.writes();
    const { files, cursor } = await run(store, profiles, ["p-a", "p-b"], "run-2");
    expect(files).to.deep.equal([]);
    expect(cursor).to.include({ joined: 0, left: 0, unchanged: 2 });
    expect(counting.writes()).to.equal(before);
    expect(profiles.searches).to.deep.equal([]);
    expect(profiles.updates).to.deep.equal([]);
  });

  it("resumes a failed write without writing anything twice: the retry writes only what failed", async () => {
    const store = createMembersStore({ documents: engine.documents, tableName: await createMembersTable(engine) });
    const profiles = new FakeProfiles(["p-a", "p-b", "p-c"], ["p-c"]);
    await store.record(SEGMENT, [{ memberId: "p-c", op: "join" }], META);
    profiles.throttleOnce.add("p-b");
    const file: ChangeFile = {
      segment: { name: SEGMENT, token: TOKEN, attribute: ATTRIBUTE, memberKey: "_profileId" },
      runId: "run-3",
      changes: [
        { memberId: "p-a", op: "join" },
        { memberId: "p-b", op: "join" },
        { memberId: "p-c", op: "leave" },
      ],
    };
    const ports = { store: createCustomerProfilesStore({ client: profiles.client, domainName: "customers", concurrency: 1, retry: noRetry }), members: store, now: () => new Date(META.at) };
    const first = await applyChangeFile(file, ports);
    expect(first).to.include({ added: 1, removed: 1, retryable: 1, failed: 0, alreadyApplied: 0 });
    expect(first.reasons).to.deep.equal(["ThrottlingException"]);
    expect(await all(store)).to.deep.equal(["p-a"]);
    const second = await applyChangeFile(file, ports);
    expect(second).to.include({ added: 1, removed: 0, retryable: 0, alreadyApplied: 2 });
    expect(await all(store)).to.deep.equal(["p-a", "p-b"]);
    expect(profiles.updates.map((u) => u.profileId)).to.deep.equal(["p-a", "p-c", "p-b"]);
    // A third attempt (a redelivered child execution) finds nothing to do.
    const third = await applyChangeFile(file, ports);
    expect(third).to.include({ added: 0, removed: 0, alreadyApplied: 3 });
    expect(profiles.updates).to.have.length(3);
  });

  it("keeps a joiner without a profile pending, and records a leaver whose profile is gone", async () => {
    const store = createMembersStore({ documents: engine.documents, tableName: await createMembersTable(engine) });
    const profiles = new FakeProfiles(["p-a"]);
    await store.record(SEGMENT, [{ memberId: "p-gone", op: "join" }], META);
    const file: ChangeFile = {
      segment: { name: SEGMENT, token: TOKEN, attribute: ATTRIBUTE, memberKey: "_profileId" },
      runId: "run-4",
      changes: [
        { memberId: "p-new", op: "join" },
        { memberId: "p-gone", op: "leave" },
      ],
    };
    const outcome = await applyChangeFile(file, { store: createCustomerProfilesStore({ client: profiles.client, domainName: "customers", concurrency: 1, retry: noRetry }), members: store, now: () => new Date() });
    expect(outcome).to.include({ notFound: 2, added: 0, removed: 0 });
    expect(await all(store)).to.deep.equal([]);
    expect(await store.pending(SEGMENT, file.changes)).to.deep.equal([{ memberId: "p-new", op: "join" }]);
  });

  it("resumes a paused diff from its cursor with the same changes as one uninterrupted pass", async () => {
    const store = createMembersStore({ documents: engine.documents, tableName: await createMembersTable(engine) });
    const stored = Array.from({ length: 3000 }, (_, i) => `m-${String(i * 2).padStart(5, "0")}`);
    await store.record(SEGMENT, stored.map((memberId) => ({ memberId, op: "join" })), META);
    const result = Array.from({ length: 2500 }, (_, i) => `m-${String(i * 3).padStart(5, "0")}`);
    const pages = (token: string | undefined) => {
      const start = token === undefined ? 0 : Number(token);
      return { memberIds: result.slice(start, start + 400), nextToken: start + 400 < result.length ? String(start + 400) : undefined };
    };
    const collect = async (pauseEvery: number) => {
      const changes: MemberChange[] = [];
      let cursor: DiffCursor = { ...START_CURSOR };
      let calls = 0;
      for (;;) {
        let asked = 0;
        calls++;
        const out = await runDiff(
          { readPage: async (t) => pages(t), storedMembers: (after) => store.members(SEGMENT, after), writeChanges: async (_i, c) => void changes.push(...c) },
          cursor,
          { changesPerFile: 1000, shouldPause: () => ++asked >= pauseEvery },
        );
        cursor = out.cursor;
        if (out.done) return { changes, cursor, calls };
      }
    };
    const whole = await collect(Number.POSITIVE_INFINITY);
    const paused = await collect(1);
    expect(paused.calls).to.be.greaterThan(3);
    expect(paused.changes).to.deep.equal(whole.changes);
    expect(paused.cursor).to.include({ joined: whole.cursor.joined, left: whole.cursor.left, unchanged: whole.cursor.unchanged });
    const inBoth = result.filter((id) => stored.includes(id)).length;
    expect(whole.cursor).to.include({ joined: result.length - inBoth, left: stored.length - inBoth, unchanged: inBoth });
  });
});
