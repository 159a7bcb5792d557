/**
 * Benchmark for Advanced Segmentation (#10) (run with `npm run bench:segments`). Not a test: it
 * prints numbers.
 *
 * 1. API calls per 10,000 people, per target, against the batch-size floor. The real applier logic
 *    (applyChangeFile: members-table check, the shared attribute store's real adapters, members-table
 *    record) applies ten change files of 1,000 joins, then a run with the same members (nothing to
 *    apply), on counting fake clients:
 *    - Customer Profiles has no batch profile update: the floor is one UpdateProfile per person;
 *      each person also costs a SearchProfiles to locate the profile and read its attribute.
 *    - Pinpoint: the floor is one UpdateEndpointsBatch per 100 endpoints; each endpoint also costs
 *      a GetEndpoint (existence, so no phantom endpoint is created, and the current values to merge).
 *    - The seed made GetEndpoint + UpdateEndpoint per endpoint, every night, for every member.
 *    The members table's calls (BatchGetItem per 100, BatchWriteItem per 25) are counted apart.
 * 2. Diff throughput on 1,000,000 members: the real runDiff over a sorted result of 1,000,000 ids
 *    (pages of 1,000, as GetQueryResults returns them) against 1,000,000 stored ids, 5 % of each side
 *    not in the other, both generated on the fly (never held in memory). Reports members/second,
 *    the changes found, and the heap high-water mark (it must not grow with the member count).
 *
 * Options (environment): BENCH_DIFF_MEMBERS (default 1000000).
 * The process exits non-zero when a count differs from what the design promises.
 */
import { SearchProfilesCommand, UpdateProfileCommand, type CustomerProfilesClient } from "@aws-sdk/client-customer-profiles";
import { GetEndpointCommand, UpdateEndpointsBatchCommand, type PinpointClient } from "@aws-sdk/client-pinpoint";
import { applyChangeFile } from "../functions/advanced-segmentation/apply-changes";
import type { ChangeFile } from "../functions/advanced-segmentation/change-files";
import { CHANGES_PER_FILE, compareMemberIds, ENDPOINT_ID, RESULT_PAGE_SIZE } from "../functions/advanced-segmentation/contract";
import { runDiff, START_CURSOR, type DiffCursor } from "../functions/advanced-segmentation/diff";
import type { MemberChange, MembersStore } from "../functions/advanced-segmentation/members-store";
import { createCustomerProfilesStore } from "../functions/shared/profiles/customer-profiles";
import { createPinpointStore, PINPOINT_BATCH_SIZE } from "../functions/shared/profiles/pinpoint";
import type { AttributeStore } from "../functions/shared/profiles/store";

const PEOPLE = 10_000;
const noRetry = { retries: 0, baseDelayMs: 0, sleep: async () => undefined, random: () => 0 };
let failed = false;
const check = (ok: boolean, what: string) => {
  if (!ok) {
    failed = true;
    console.error(`  MISSED: ${what}`);
  }
};

/** A members table in memory that counts the DynamoDB calls the real store would make (same batch sizes). */
class CountingMembers implements MembersStore {
  readonly ids = new Set<string>();
  batchGets = 0;
  batchWrites = 0;
  async *members(): AsyncGenerator<string> {
    yield* [...this.ids].sort(compareMemberIds);
  }
  async pending(_segment: string, changes: readonly MemberChange[]): Promise<MemberChange[]> {
    this.batchGets += Math.ceil(changes.length / 100);
    return changes.filter((c) => (c.op === "join" ? !this.ids.has(c.memberId) : this.ids.has(c.memberId)));
  }
  async record(_segment: string, changes: readonly MemberChange[]): Promise<void> {
    this.batchWrites += Math.ceil(changes.length / 25);
    for (const c of changes) {
      if (c.op === "join") this.ids.add(c.memberId);
      else this.ids.delete(c.memberId);
    }
  }
}

function profilesClient(calls: Record<string, number>): CustomerProfilesClient {
  const attributes = new Map<string, Record<string, string>>();
  return {
    send: async (command: unknown) => {
      if (command instanceof SearchProfilesCommand) {
        calls.SearchProfiles = (calls.SearchProfiles ?? 0) + 1;
        const id = command.input.Values![0];
        return { Items: [{ ProfileId: id, Attributes: { ...(attributes.get(id) ?? {}) } }] };
      }
      if (command instanceof UpdateProfileCommand) {
        calls.UpdateProfile = (calls.UpdateProfile ?? 0) + 1;
        attributes.set(command.input.ProfileId!, { ...(command.input.Attributes ?? {}) });
        return {};
      }
      throw new Error("unexpected command");
    },
  } as unknown as CustomerProfilesClient;
}

function pinpointClient(calls: Record<string, number>): PinpointClient {
  const attributes = new Map<string, Record<string, string[]>>();
  return {
    send: async (command: unknown) => {
      if (command instanceof GetEndpointCommand) {
        calls.GetEndpoint = (calls.GetEndpoint ?? 0) + 1;
        return { EndpointResponse: { Id: command.input.EndpointId, Attributes: attributes.get(command.input.EndpointId!) ?? {} } };
      }
      if (command instanceof UpdateEndpointsBatchCommand) {
        calls.UpdateEndpointsBatch = (calls.UpdateEndpointsBatch ?? 0) + 1;
        for (const item of command.input.EndpointBatchRequest?.Item ?? []) attributes.set(item.Id!, item.Attributes ?? {});
        return {};
      }
      throw new Error("unexpected command");
    },
  } as unknown as PinpointClient;
}

async function applyRun(store: AttributeStore, members: CountingMembers, memberKey: string, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += CHANGES_PER_FILE) {
    const file: ChangeFile = {
      segment: { name: "bench", token: "bench_token", attribute: "AdvancedSegmentTarget", memberKey },
      runId: "bench",
      changes: ids.slice(i, i + CHANGES_PER_FILE).map((memberId) => ({ memberId, op: "join" })),
    };
    await applyChangeFile(file, { store, members, now: () => new Date() });
  }
}

async function apiCalls(): Promise<void> {
  console.log(`\n1. API calls per ${PEOPLE.toLocaleString("en")} people joining a segment (ten change files of ${CHANGES_PER_FILE})`);
  const ids = Array.from({ length: PEOPLE }, (_, i) => `id-${String(i).padStart(6, "0")}`);
  const rows: string[][] = [["target", "target calls", "floor", "calls ÷ floor", "members-table calls", "re-run target calls"]];
  for (const target of ["customer-profiles", "pinpoint"] as const) {
    const calls: Record<string, number> = {};
    const store =
      target === "pinpoint"
        ? createPinpointStore({ client: pinpointClient(calls), applicationId: "bench", concurrency: 10, retry: noRetry })
        : createCustomerProfilesStore({ client: profilesClient(calls), domainName: "bench", concurrency: 10, retry: noRetry });
    const members = new CountingMembers();
    const memberKey = target === "pinpoint" ? ENDPOINT_ID : "_profileId";
    await applyRun(store, members, memberKey, ids);
    const total = Object.values(calls).reduce((a, b) => a + b, 0);
    const floor = target === "pinpoint" ? Math.ceil(PEOPLE / PINPOINT_BATCH_SIZE) : PEOPLE;
    const tableCalls = members.batchGets + members.batchWrites;
    // A second run with the same members: the diff finds nothing, so nothing is applied at all.
    const before = { ...calls };
    const { cursor } = await runDiff(
      {
        readPage: async () => ({ memberIds: ids }),
        storedMembers: () => members.members(),
        writeChanges: async () => {
          throw new Error("a re-run with no change must write no change file");
        },
      },
      { ...START_CURSOR },
      { changesPerFile: CHANGES_PER_FILE, shouldPause: () => false },
    );
    const rerun = Object.values(calls).reduce((a, b) => a + b, 0) - Object.values(before).reduce((a, b) => a + b, 0);
    rows.push([target, `${total} (${Object.entries(calls).map(([k, v]) => `${k} ${v}`).join(", ")})`, String(floor), (total / floor).toFixed(2), `${tableCalls} (BatchGetItem ${members.batchGets}, BatchWriteItem ${members.batchWrites})`, String(rerun)]);
    check(cursor.unchanged === PEOPLE && rerun === 0, `${target}: a re-run with no change makes no call`);
    if (target === "pinpoint") check(calls.UpdateEndpointsBatch === floor && calls.GetEndpoint === PEOPLE, "pinpoint: 100 endpoints per UpdateEndpointsBatch, one GetEndpoint each");
    else check(calls.UpdateProfile === PEOPLE && calls.SearchProfiles === PEOPLE, "customer-profiles: one SearchProfiles and one UpdateProfile per person");
  }
  rows.push(["seed (pinpoint)", `${2 * PEOPLE} (GetEndpoint ${PEOPLE}, UpdateEndpoint ${PEOPLE}) every night, changed or not`, String(Math.ceil(PEOPLE / PINPOINT_BATCH_SIZE)), (2 * PEOPLE / Math.ceil(PEOPLE / PINPOINT_BATCH_SIZE)).toFixed(2), "—", String(2 * PEOPLE)]);
  printTable(rows);
}

/** Member ids i (0 ≤ i < n) whose inclusion a predicate decides, generated in sorted order. */
function* sortedIds(n: number, keep: (i: number) => boolean): Generator<string> {
  for (let i = 0; i < n; i++) if (keep(i)) yield `m-${String(i).padStart(8, "0")}`;
}

async function diffThroughput(): Promise<void> {
  const n = Number(process.env.BENCH_DIFF_MEMBERS ?? 1_000_000);
  console.log(`\n2. Diff throughput: ${n.toLocaleString("en")} current vs ${n.toLocaleString("en")} stored members (5 % joined, 5 % left)`);
  // Ids 0..1.05n: the result lacks every 20th of the first n (they left), the store lacks the last 0.05n (they joined).
  const total = Math.round(n * 1.05);
  const inResult = (i: number) => i >= n || i % 20 !== 0;
  const inStore = (i: number) => i < n;
  let resultCount = 0;
  for (let i = 0; i < total; i++) if (inResult(i)) resultCount++;
  let heapPeak = process.memoryUsage().heapUsed;
  const heapStart = heapPeak;
  let generator = sortedIds(total, inResult);
  let pagesServed = 0;
  const readPage = async (token: string | undefined): Promise<{ memberIds: string[]; nextToken?: string }> => {
    if (token === undefined) generator = sortedIds(total, inResult);
    const memberIds: string[] = [];
    for (let k = 0; k < RESULT_PAGE_SIZE; k++) {
      const next = generator.next();
      if (next.done) break;
      memberIds.push(next.value);
    }
    pagesServed++;
    if (pagesServed % 100 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    return { memberIds, nextToken: pagesServed * RESULT_PAGE_SIZE < resultCount ? String(pagesServed) : undefined };
  };
  let changes = 0;
  const started = process.hrtime.bigint();
  let cursor: DiffCursor = { ...START_CURSOR };
  const out = await runDiff(
    {
      readPage,
      storedMembers: () => (async function* () {
        yield* sortedIds(total, inStore);
      })(),
      writeChanges: async (_i, c) => void (changes += c.length),
    },
    cursor,
    { changesPerFile: CHANGES_PER_FILE, shouldPause: () => false },
  );
  cursor = out.cursor;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  const expectedLeft = Math.ceil(n / 20);
  const expectedJoined = total - n;
  printTable([
    ["members compared", "seconds", "members/s", "joined", "left", "unchanged", "change files", "heap growth (MB)"],
    [
      (resultCount + n).toLocaleString("en"),
      seconds.toFixed(2),
      Math.round((resultCount + n) / seconds).toLocaleString("en"),
      String(cursor.joined),
      String(cursor.left),
      String(cursor.unchanged),
      String(cursor.files),
      ((heapPeak - heapStart) / 1e6).toFixed(1),
    ],
  ]);
  check(cursor.joined === expectedJoined && cursor.left === expectedLeft && changes === expectedJoined + expectedLeft, "the diff finds exactly the generated joiners and leavers");
}

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const [i, row] of rows.entries()) {
    console.log(`  ${row.map((cell, c) => cell.padEnd(widths[c])).join("  ")}`);
    if (i === 0) console.log(`  ${widths.map((w) => "-".repeat(w)).join("  ")}`);
  }
}

async function main(): Promise<void> {
  console.log("Advanced Segmentation benchmark (#10)");
  await apiCalls();
  await diffThroughput();
  if (failed) process.exitCode = 1;
}

void main();
