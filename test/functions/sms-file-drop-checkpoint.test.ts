import { Readable } from "node:stream";
import { expect } from "chai";
import type { Checkpoint, CheckpointStore } from "../../functions/sms-file-drop/adapters";
import { loadSplitterConfig } from "../../functions/sms-file-drop/config";
import { CHECKPOINT_EVERY_BATCHES, CHECKPOINT_INTERVAL_MS, Enqueuer, type QueueEntry } from "../../functions/sms-file-drop/enqueue";
import { splitFile } from "../../functions/sms-file-drop/split-file";
import { silentObservability } from "./sms-test-helpers";

const entry = (row: number): QueueEntry => ({ id: `row-${row}`, body: `{"row":${row}}`, groupId: "g", deduplicationId: `dedup-${row}` });

/** Feeds `rows` rows through an Enqueuer whose queue accepts everything; the clock moves `msPerBatch` per batch. */
async function enqueueRows(rows: number, options: { msPerBatch: number; intervalMs?: number; everyBatches?: number }): Promise<number[]> {
  let now = 0;
  const saved: number[] = [];
  const enqueuer = new Enqueuer({
    queue: {
      sendBatch: async () => {
        now += options.msPerBatch;
        return [];
      },
    },
    saveProgress: async (lastRow) => {
      saved.push(lastRow);
    },
    concurrency: 1,
    maxAttempts: 1,
    clock: () => now,
    checkpointIntervalMs: options.intervalMs,
    checkpointEveryBatches: options.everyBatches,
  });
  for (let row = 1; row <= rows; row++) await enqueuer.add(row, entry(row));
  await enqueuer.flush();
  return saved;
}

describe("SMS file drop splitter: checkpoints by time and progress", () => {
  it("defaults to every 5 s or every 500 batches, whichever comes first", () => {
    expect([CHECKPOINT_INTERVAL_MS, CHECKPOINT_EVERY_BATCHES]).to.deep.equal([5_000, 500]);
    const config = loadSplitterConfig({
      QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/q.fifo",
      CHECKPOINT_TABLE_NAME: "c",
      EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:t",
      ORIGINATION_IDENTITIES: '[{"identity":"pool-a","mps":1}]',
    });
    expect(config).to.include({ checkpointIntervalMs: 5_000, checkpointEveryBatches: 500 });
  });

  it("writes by progress: one checkpoint per N confirmed batches, plus the final one at flush", async () => {
    // Fast queue (no time passes): only the batch count triggers.
    expect(await enqueueRows(255, { msPerBatch: 0, everyBatches: 10 })).to.deep.equal([100, 200, 255]);
  });

  it("writes by time: one checkpoint once the interval has passed since the last one", async () => {
    // 1 s per batch, every 3 s: after batches 3, 6, 9 (rows 30, 60, 90), then the last rows at flush.
    expect(await enqueueRows(95, { msPerBatch: 1_000, intervalMs: 3_000, everyBatches: 1_000 })).to.deep.equal([30, 60, 90, 95]);
  });

  it("100,000 rows at the defaults write 20 checkpoints (not 10,000), when nothing slows the queue", async () => {
    const saved = await enqueueRows(100_000, { msPerBatch: 0 });
    expect(saved).to.have.length(20);
    expect(saved.at(-1)).to.equal(100_000);
  });

  it("a resumed file re-enqueues at most one checkpoint interval of rows, with the same de-duplication ids", async () => {
    const csv = ["sms_number,message,external_campaign_id,short_code,message_type,id_1,id_2"];
    for (let i = 1; i <= 300; i++) csv.push(`+1206555${String(1000 + i)},Message ${i},c,pool-a,TRANSACTIONAL,,`);
    const text = csv.join("\n") + "\n";
    const queued: QueueEntry[] = [];
    let checkpoint: Checkpoint | undefined;
    let tableDown = false;
    const checkpoints: CheckpointStore = {
      get: async () => checkpoint,
      saveProgress: async (fileId, _file, lastRow) => {
        if (tableDown) throw Object.assign(new Error("table unavailable"), { name: "InternalServerError" });
        checkpoint = { fileId, status: "IN_PROGRESS", lastRow: Math.max(checkpoint?.lastRow ?? 0, lastRow) };
      },
      complete: async (fileId, _file, lastRow) => {
        checkpoint = { fileId, status: "COMPLETE", lastRow };
      },
    };
    let failAtBatch = 18; // the 18th SendMessageBatch (rows 171–180) fails the first attempt
    let batches = 0;
    const config = {
      ...loadSplitterConfig({
        QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/q.fifo",
        CHECKPOINT_TABLE_NAME: "c",
        EVENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:t",
        ORIGINATION_IDENTITIES: '[{"identity":"pool-a","mps":1}]',
        ENQUEUE_CONCURRENCY: "1",
      }),
      enqueueMaxAttempts: 1,
      checkpointEveryBatches: 5,
    };
    const deps = {
      objects: { open: async () => ({ status: "open" as const, body: Readable.from([text]) }), putErrorReport: async () => undefined },
      queue: {
        sendBatch: async (entries: readonly QueueEntry[]) => {
          if (++batches === failAtBatch) {
            failAtBatch = -1;
            tableDown = true; // the final checkpoint of this attempt is lost too: the worst case
            throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
          }
          queued.push(...entries);
          return [];
        },
      },
      checkpoints,
      events: { publish: async () => undefined },
      ...silentObservability(),
      remainingMs: () => 600_000,
      clock: () => 0,
    };
    const ref = { bucket: "b", key: "files/f.csv", etag: "e", size: text.length };
    const error = await splitFile(ref, config, deps).catch((e: unknown) => e);
    expect((error as Error).message).to.equal("socket hang up");
    // Checkpoints every 5 batches: 150 was written at batch 15; the one for 170 was lost.
    expect(checkpoint).to.include({ lastRow: 150 });
    tableDown = false;
    await splitFile(ref, config, deps);
    const rows = queued.map((e) => Number(e.id.slice(4)));
    const resent = rows.filter((r, i) => rows.indexOf(r) !== i);
    // Rows 151–170 went to the queue twice: fewer than one checkpoint interval (5 batches = 50 rows).
    expect(resent).to.deep.equal(Array.from({ length: 20 }, (_, i) => 151 + i));
    expect(new Set(rows).size).to.equal(300);
    // A re-sent row carries the same MessageDeduplicationId (SQS drops it) and rowId (the outcome claim).
    const ids = new Map<number, string>();
    for (const e of queued) {
      const row = Number(e.id.slice(4));
      if (ids.has(row)) expect(e.deduplicationId).to.equal(ids.get(row));
      ids.set(row, e.deduplicationId);
    }
  });

  it("a resume after a crash between checkpoints re-sends only the rows since the last one", async () => {
    // The process dies (no flush): the last written checkpoint is all the retry knows.
    let now = 0;
    const saved: number[] = [];
    const enqueuer = new Enqueuer({
      queue: {
        sendBatch: async () => {
          now += 100;
          return [];
        },
      },
      saveProgress: async (lastRow) => {
        saved.push(lastRow);
      },
      concurrency: 1,
      maxAttempts: 1,
      clock: () => now,
      checkpointIntervalMs: 1_000,
      checkpointEveryBatches: 1_000,
    });
    for (let row = 1; row <= 255; row++) await enqueuer.add(row, entry(row));
    // 25 batches at 100 ms: checkpoints at 1 s and 2 s (rows 100, 200); rows 201–250 were queued after.
    expect(saved).to.deep.equal([100, 200]);
    const reSentOnResume = 250 - saved.at(-1)!;
    expect(reSentOnResume).to.be.at.most(1_000 / 100 * 10);
  });
});
