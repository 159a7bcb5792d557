/**
 * The diff of one run, as a merge of two streams sorted by `compareMemberIds`: the query's result
 * (page by page) and the segment's stored members. A member in both is unchanged; only in the
 * result, it joined; only in the store, it left. Changes go out in files of `changesPerFile`;
 * nothing is held beyond one result page, one stored page per shard and one file of changes.
 *
 * The run can pause (the Lambda's time runs out) after any result page, or every 1000 leavers
 * once the result is exhausted, and resume from the returned cursor: `after` is the last member id
 * classified, so the next call reads the stored members after it and the result from `resultToken`.
 */
import { compareMemberIds, SEGMENT_ERRORS } from "./contract";
import type { MemberChange } from "./members-store";

export interface DiffCounts {
  joined: number;
  left: number;
  unchanged: number;
}

export interface DiffCursor extends DiffCounts {
  /** GetQueryResults NextToken of the next page to read; undefined: the first page. */
  resultToken?: string;
  /** The whole result has been read; only leavers remain. */
  resultsDone: boolean;
  /** The last member id classified. */
  after?: string;
  /** Change files written so far (the next file's number). */
  files: number;
  /** Result pages read so far. */
  pages: number;
}

export const START_CURSOR: DiffCursor = Object.freeze({ resultsDone: false, files: 0, pages: 0, joined: 0, left: 0, unchanged: 0 });

export interface ResultPage {
  memberIds: string[];
  nextToken?: string;
}

export interface DiffPorts {
  /** One page of the query's result (without the header row). */
  readPage(token: string | undefined): Promise<ResultPage>;
  /** The stored member ids after `after`, sorted. */
  storedMembers(after: string | undefined): AsyncIterator<string>;
  /** Writes change file number `index`. Overwriting the same index with the same changes is harmless. */
  writeChanges(index: number, changes: MemberChange[]): Promise<void>;
}

export interface DiffOptions {
  changesPerFile: number;
  /** Asked at each pause point: true to stop and return a cursor. */
  shouldPause: () => boolean;
}

export class ResultOrderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = SEGMENT_ERRORS.resultOrder;
  }
}

const TAIL_PAUSE_EVERY = 1000;

export async function runDiff(ports: DiffPorts, from: DiffCursor, options: DiffOptions): Promise<{ done: boolean; cursor: DiffCursor }> {
  const c: DiffCursor = { ...from };
  const stored = ports.storedMembers(c.after);
  let head = await stored.next();
  let buffer: MemberChange[] = [];

  const flush = async () => {
    if (buffer.length === 0) return;
    await ports.writeChanges(c.files, buffer);
    c.files++;
    buffer = [];
  };
  const emit = async (change: MemberChange) => {
    buffer.push(change);
    if (buffer.length >= options.changesPerFile) await flush();
  };

  if (!c.resultsDone) {
    let token = c.resultToken;
    for (;;) {
      const page = await ports.readPage(token);
      c.pages++;
      for (const id of page.memberIds) {
        if (c.after !== undefined) {
          const order = compareMemberIds(id, c.after);
          if (order === 0) continue; // a duplicate row, or a row classified before a resume
          if (order < 0) throw new ResultOrderError("the query result is not in ascending member_id order");
        }
        while (!head.done && compareMemberIds(head.value, id) < 0) {
          await emit({ memberId: head.value, op: "leave" });
          c.left++;
          head = await stored.next();
        }
        if (!head.done && head.value === id) {
          c.unchanged++;
          head = await stored.next();
        } else {
          await emit({ memberId: id, op: "join" });
          c.joined++;
        }
        c.after = id;
      }
      if (page.nextToken === undefined) {
        c.resultsDone = true;
        c.resultToken = undefined;
        break;
      }
      token = page.nextToken;
      if (options.shouldPause()) {
        await flush();
        c.resultToken = token;
        return { done: false, cursor: c };
      }
    }
  }

  // The result is exhausted: every stored member still ahead has left.
  let sincePause = 0;
  while (!head.done) {
    await emit({ memberId: head.value, op: "leave" });
    c.left++;
    c.after = head.value;
    head = await stored.next();
    if (++sincePause >= TAIL_PAUSE_EVERY && !head.done && options.shouldPause()) {
      await flush();
      return { done: false, cursor: c };
    }
  }
  await flush();
  return { done: true, cursor: c };
}
