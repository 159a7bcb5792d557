/**
 * Batches queued rows into SQS SendMessageBatch calls (10 entries, the API maximum), keeps up to
 * `concurrency` calls in flight, retries entries that come back in `Failed`, and reports progress
 * as a contiguous watermark for checkpointing. SDK-free: the queue and the checkpoint are ports.
 *
 * - Entries SQS rejects as the sender's fault (SenderFault=true: malformed, too large) cannot
 *   succeed on retry and fail the file at once.
 * - Other failed entries are re-sent with exponential backoff and full jitter, at most
 *   `maxAttempts` times in all; then the file fails (the invocation throws and the async retry
 *   resumes from the checkpoint).
 * - The watermark is the last row of the newest batch for which it and every earlier batch have
 *   succeeded. It is written by time and progress, not per batch: when `checkpointIntervalMs` has
 *   passed or `checkpointEveryBatches` batches were confirmed since the last write, and always at
 *   flush (the end of the file, a failure, the time budget). A resume therefore re-sends at most
 *   one interval of rows (those confirmed since the last write, plus the batches in flight); their
 *   MessageDeduplicationId (and the sender's outcome claim) keep that from texting anyone twice.
 * - Ordering: with concurrency 1, rows reach the queue in file order. With more, batches may land
 *   out of order relative to each other (rows within a batch keep their order); set
 *   ENQUEUE_CONCURRENCY=1 when a file's per-recipient order matters more than its speed.
 */
import { realSleep, systemClock, type Clock, type Sleep } from "../shared/sms/token-bucket";

export interface QueueEntry {
  /** Unique within one batch: "row-<n>". */
  id: string;
  body: string;
  groupId: string;
  deduplicationId: string;
  /** Absent or "SMS": the FIFO queue. "VOICE": #13's dialer queue (functions/shared/voice/router.ts). */
  channel?: "SMS" | "VOICE";
}

export interface FailedEntry {
  id: string;
  code: string;
  message?: string;
  senderFault: boolean;
}

export interface QueuePort {
  /** One SendMessageBatch call; returns the entries SQS reported as Failed. */
  sendBatch(entries: readonly QueueEntry[]): Promise<FailedEntry[]>;
}

export const SQS_BATCH_SIZE = 10;
/** Checkpoint at least this often while batches are confirmed… */
export const CHECKPOINT_INTERVAL_MS = 5_000;
/** …or after this many confirmed batches (5,000 rows), whichever comes first. */
export const CHECKPOINT_EVERY_BATCHES = 500;

export class EnqueueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EnqueueError";
  }
}

export interface EnqueuerOptions {
  queue: QueuePort;
  /** Called with the new watermark row; one call in flight at a time, coalesced. */
  saveProgress: (lastRow: number) => Promise<void>;
  concurrency: number;
  maxAttempts: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  sleep?: Sleep;
  random?: () => number;
  /** Default CHECKPOINT_INTERVAL_MS / CHECKPOINT_EVERY_BATCHES; 0 / 1 checkpoint every batch. */
  checkpointIntervalMs?: number;
  checkpointEveryBatches?: number;
  clock?: Clock;
}

interface Batch {
  seq: number;
  lastRow: number;
  entries: QueueEntry[];
}

export class Enqueuer {
  private current: QueueEntry[] = [];
  private currentLastRow = 0;
  private seq = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly done = new Map<number, number>(); // seq → lastRow, completed but not yet contiguous
  private nextToConfirm = 0;
  private watermark = 0;
  private savedWatermark = 0;
  private savedAt: number;
  private batchesSinceSave = 0;
  private readonly clock: Clock;
  private saving: Promise<void> | undefined;
  private failure: unknown;
  private entriesQueued = 0;
  private readonly sleep: Sleep;
  private readonly random: () => number;

  constructor(private readonly options: EnqueuerOptions) {
    if (!(options.concurrency >= 1)) throw new RangeError("concurrency must be >= 1");
    if (!(options.maxAttempts >= 1)) throw new RangeError("maxAttempts must be >= 1");
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? systemClock;
    this.savedAt = this.clock();
  }

  /** Rows SQS has accepted so far. */
  get queued(): number {
    return this.entriesQueued;
  }

  /** Adds one row; resolves once the row is buffered (waits while the in-flight window is full). */
  async add(row: number, entry: QueueEntry): Promise<void> {
    this.throwIfFailed();
    this.current.push(entry);
    this.currentLastRow = row;
    if (this.current.length >= SQS_BATCH_SIZE) await this.dispatch();
  }

  /** Sends what is buffered, waits for every call and the final checkpoint; throws the first failure. */
  async flush(): Promise<void> {
    if (this.failure === undefined && this.current.length > 0) await this.dispatch();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.persistProgress(true);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private async dispatch(): Promise<void> {
    const batch: Batch = { seq: this.seq++, lastRow: this.currentLastRow, entries: this.current };
    this.current = [];
    while (this.inFlight.size >= this.options.concurrency) await Promise.race([...this.inFlight]);
    this.throwIfFailed();
    const task: Promise<void> = this.send(batch)
      .then(() => this.confirm(batch))
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  private async send(batch: Batch): Promise<void> {
    let pending = batch.entries;
    for (let attempt = 1; ; attempt++) {
      const failed = await this.options.queue.sendBatch(pending);
      this.entriesQueued += pending.length - failed.length;
      if (failed.length === 0) return;
      const fatal = failed.filter((f) => f.senderFault);
      if (fatal.length > 0) {
        throw new EnqueueError(`SQS rejected ${fatal.length} entries as invalid: ${describe(fatal)}`);
      }
      const failedIds = new Set(failed.map((f) => f.id));
      pending = pending.filter((e) => failedIds.has(e.id));
      if (attempt >= this.options.maxAttempts) {
        throw new EnqueueError(`${pending.length} entries still failing after ${attempt} attempts: ${describe(failed)}`);
      }
      const base = this.options.backoffBaseMs ?? 100;
      const cap = this.options.backoffCapMs ?? 5000;
      await this.sleep(Math.round(this.random() * Math.min(cap, base * 2 ** (attempt - 1))));
    }
  }

  private confirm(batch: Batch): void {
    this.done.set(batch.seq, batch.lastRow);
    while (this.done.has(this.nextToConfirm)) {
      this.watermark = this.done.get(this.nextToConfirm)!;
      this.done.delete(this.nextToConfirm);
      this.nextToConfirm += 1;
    }
    this.batchesSinceSave += 1;
    // Not awaited: the next batch need not wait for the checkpoint write. flush() awaits it.
    this.persistProgress(false).catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  /**
   * Writes the watermark if it moved and a checkpoint is due (or `force`); at most one write in
   * flight, later moves coalesced.
   */
  private persistProgress(force: boolean): Promise<void> {
    if (this.saving !== undefined) return force ? this.saving.then(() => this.persistProgress(true)) : this.saving;
    if (this.watermark <= this.savedWatermark) return Promise.resolve();
    const due =
      force ||
      this.batchesSinceSave >= (this.options.checkpointEveryBatches ?? CHECKPOINT_EVERY_BATCHES) ||
      this.clock() - this.savedAt >= (this.options.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS);
    if (!due) return Promise.resolve();
    const target = this.watermark;
    this.batchesSinceSave = 0;
    this.savedAt = this.clock();
    this.saving = this.options
      .saveProgress(target)
      .then(() => {
        this.savedWatermark = target;
      })
      .finally(() => {
        this.saving = undefined;
      });
    return this.saving;
  }
}

function describe(failed: readonly FailedEntry[]): string {
  const codes = new Map<string, number>();
  for (const f of failed) codes.set(f.code, (codes.get(f.code) ?? 0) + 1);
  return [...codes].map(([code, n]) => `${code} x${n}`).join(", ");
}
