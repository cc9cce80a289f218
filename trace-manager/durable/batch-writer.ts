import type { Timers } from "../clock.js";

/** What a `BatchWriter` needs. */
export interface BatchWriterOptions<T, R> {
  /** Name used in errors and logs. */
  readonly name: string;
  /** Writes one batch durably; rejects when nothing can be assumed written. */
  readonly write: (batch: readonly T[]) => Promise<R>;
  /** Called with each successful batch's result. */
  readonly onWritten?: (result: R, batch: readonly T[]) => void;
  /** Called on each failed write, before the retry. */
  readonly onError?: (err: unknown, batchSize: number) => void;
  /** True for an error retrying cannot fix (the store refused the input); the batch is dropped. */
  readonly isPermanent?: (err: unknown) => boolean;
  /** Called with each batch dropped for a permanent error. */
  readonly onRefused?: (err: unknown, batch: readonly T[]) => void;
  /** Called for each record refused because the buffer is full. */
  readonly onDrop?: (item: T) => void;
  /** Admission time of a record, for the watermark (omit for records that are not admissions). */
  readonly atOf?: (item: T) => number;
  readonly maxBatch: number;
  /** Records queued (not in flight) at most; beyond that `submit` refuses. */
  readonly bufferLimit: number;
  /** Batches written concurrently (pipelined into the store). */
  readonly maxInFlight: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly timers: Timers;
}

interface Pending<T> {
  readonly item: T;
  readonly done: (durable: boolean) => void;
}

/** The part of a writer that callers submit to (independent of the store's result type). */
export interface RecordSink<T> {
  submit(item: T): Promise<boolean> | null;
  offer(item: T, done: (durable: boolean) => void): boolean;
  push(item: T): boolean;
}

const NOOP = (): void => undefined;

/**
 * Micro-batches records into the store: every record submitted while a write is in flight joins the
 * next batch, so concurrent Checks share one round trip. Failed batches go back to the head of the
 * queue and are retried with exponential backoff; the queue is bounded and overflow is refused.
 */
export class BatchWriter<T, R> implements RecordSink<T> {
  private readonly queue: Pending<T>[] = [];
  private readonly inFlight = new Set<readonly Pending<T>[]>();
  private scheduled = false;
  private backoffMs = 0;
  private retryTimer: unknown = null;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: BatchWriterOptions<T, R>) {}

  /**
   * Queues a record. Returns a promise that resolves true once it is durable (false if the writer
   * closes first), or null when the buffer is full and the record was dropped.
   */
  submit(item: T): Promise<boolean> | null {
    if (this.closed || this.queue.length >= this.opts.bufferLimit) {
      this.opts.onDrop?.(item);
      return null;
    }
    return new Promise<boolean>((done) => {
      this.queue.push({ item, done });
      this.schedule();
    });
  }

  /**
   * Queues a record and calls `done` once it is durable (true) or given up (false), without
   * allocating a promise (the Check path). Returns false, without calling `done`, when the buffer
   * is full and the record was dropped.
   */
  offer(item: T, done: (durable: boolean) => void): boolean {
    if (this.closed || this.queue.length >= this.opts.bufferLimit) {
      this.opts.onDrop?.(item);
      return false;
    }
    this.queue.push({ item, done });
    this.schedule();
    return true;
  }

  /**
   * Queues a record nobody waits for (ALS completions), without allocating a promise.
   * Returns false when the buffer is full and the record was dropped.
   */
  push(item: T): boolean {
    if (this.closed || this.queue.length >= this.opts.bufferLimit) {
      this.opts.onDrop?.(item);
      return false;
    }
    this.queue.push({ item, done: NOOP });
    this.schedule();
    return true;
  }

  /** Records queued or in flight. */
  get pending(): number {
    let n = this.queue.length;
    for (const b of this.inFlight) n += b.length;
    return n;
  }

  /** True while the last write failed and a retry is pending. */
  get retrying(): boolean {
    return this.retryTimer !== null;
  }

  /** The earliest admission time among records not yet durable, or null. */
  oldestPendingAt(): number | null {
    const atOf = this.opts.atOf;
    if (atOf === undefined) return null;
    let oldest: number | null = null;
    const consider = (p: Pending<T> | undefined): void => {
      if (p === undefined) return;
      const at = atOf(p.item);
      if (oldest === null || at < oldest) oldest = at;
    };
    for (const b of this.inFlight) consider(b[0]);
    consider(this.queue[0]);
    return oldest;
  }

  /** Resolves when nothing is queued or in flight, or after `timeoutMs`; returns whether it drained. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.pending === 0) return true;
    // Skip the backoff: a flush on shutdown should try now.
    if (this.retryTimer !== null) {
      this.opts.timers.clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.schedule();
    }
    return new Promise<boolean>((resolve) => {
      const timer = this.opts.timers.setTimeout(() => resolve(this.pending === 0), timeoutMs);
      this.idleWaiters.push(() => {
        this.opts.timers.clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Stops retrying and settles every waiting record as not durable. */
  close(): void {
    this.closed = true;
    if (this.retryTimer !== null) this.opts.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    for (const p of this.queue.splice(0)) p.done(false);
  }

  private schedule(): void {
    if (this.scheduled || this.retryTimer !== null) return;
    this.scheduled = true;
    // A microtask lets every record submitted in the same turn join one batch.
    queueMicrotask(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (
      !this.closed &&
      this.retryTimer === null &&
      this.queue.length > 0 &&
      this.inFlight.size < this.opts.maxInFlight
    ) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.inFlight.add(batch);
      void this.writeBatch(batch);
    }
  }

  private async writeBatch(batch: Pending<T>[]): Promise<void> {
    const items = batch.map((p) => p.item);
    try {
      const result = await this.opts.write(items);
      this.inFlight.delete(batch);
      this.backoffMs = 0;
      this.opts.onWritten?.(result, items);
      for (const p of batch) p.done(true);
    } catch (err) {
      this.inFlight.delete(batch);
      if (this.opts.isPermanent?.(err) === true) {
        this.opts.onRefused?.(err, items);
        for (const p of batch) p.done(false);
      } else if (this.closed) {
        this.opts.onError?.(err, batch.length);
        for (const p of batch) p.done(false);
      } else {
        this.opts.onError?.(err, batch.length);
        // Back to the head, in order, so the oldest admissions are retried first.
        this.queue.unshift(...batch);
        this.backoffMs = Math.min(
          this.opts.retryMaxMs,
          this.backoffMs === 0 ? this.opts.retryBaseMs : this.backoffMs * 2,
        );
        if (this.retryTimer === null) {
          this.retryTimer = this.opts.timers.setTimeout(() => {
            this.retryTimer = null;
            this.pump();
          }, this.backoffMs);
        }
      }
    }
    if (this.pending === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    } else {
      this.pump();
    }
  }
}
