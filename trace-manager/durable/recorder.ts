import type { Logger } from "pino";
import type { Timers } from "../clock.js";
import type { RecordKind, TraceManagerMetrics } from "../metrics.js";
import type {
  CallEnd,
  CallStart,
  IngressEnd,
  IngressStart,
  OutboundSample,
  TraceStore,
  Violation,
} from "../store/port.js";
import { TraceStoreError } from "../store/errors.js";
import { BatchWriter, type RecordSink } from "./batch-writer.js";
import { DIRTY_REASONS, type DirtyReason, type DirtyState } from "./dirty.js";

/** How one admission's record fared against the Check budget. */
export type AdmissionOutcome = "durable" | "late" | "dropped";

/**
 * What an end batch's write reports: the store's `clamped` (ends that found no start), and how
 * many of those ends belong to a start of this TraceManager that is still waiting in its writer.
 */
export interface EndsWritten {
  readonly clamped: number;
  /** Clamped ends whose start is queued or in flight here: overtaken, and cancelled when it lands. */
  readonly overtaken: number;
}

/** Settings the recorder uses (a subset of the TraceManager config). */
export interface RecorderSettings {
  readonly checkBudgetMs: number;
  readonly bufferLimit: number;
  readonly maxBatch: number;
}

/** What the recorder needs. */
export interface RecorderDeps {
  readonly store: TraceStore;
  readonly metrics: TraceManagerMetrics;
  readonly dirty: DirtyState;
  readonly clock: () => number;
  readonly timers: Timers;
  readonly log: Logger;
}

/**
 * The TraceManager's write path: one micro-batching writer per record kind, the Check budget, and
 * the dirty bookkeeping every failure feeds.
 */
export class Recorder {
  readonly callStarts: BatchWriter<CallStart, { readonly violations: readonly Violation[] }>;
  readonly callEnds: BatchWriter<CallEnd, EndsWritten>;
  readonly outbound: BatchWriter<OutboundSample, void>;
  readonly ingressStarts: BatchWriter<IngressStart, void>;
  readonly ingressEnds: BatchWriter<IngressEnd, EndsWritten>;
  /** Transactions with a call start / ingress start admitted here and not yet written. */
  private readonly waitingCalls = new WaitingStarts();
  private readonly waitingIngress = new WaitingStarts();
  private readonly all: readonly {
    readonly pending: number;
    readonly retrying: boolean;
    drain(ms: number): Promise<boolean>;
  }[];

  constructor(
    private readonly settings: RecorderSettings,
    private readonly deps: RecorderDeps,
  ) {
    const { store, metrics } = deps;
    this.callStarts = this.writer("call_start", (b) => store.recordCallStarts(b), {
      atOf: (r) => r.at,
      onWritten: (res) => {
        if (res.violations.length > 0) metrics.violations.inc(res.violations.length);
      },
    });
    this.callEnds = this.writer("call_end", (b) => endsWrite(b, this.waitingCalls, store.recordCallEnds(b)), {
      onWritten: (res) => this.onClamped("call_end", res),
    });
    this.outbound = this.writer("outbound", (b) => store.recordOutbound(b), { lossOnlyCounted: true });
    this.ingressStarts = this.writer("ingress_start", (b) => store.recordIngressStarts(b), {
      atOf: (r) => r.at,
    });
    this.ingressEnds = this.writer(
      "ingress_end",
      (b) => endsWrite(b, this.waitingIngress, store.recordIngressEnds(b)),
      { onWritten: (res) => this.onClamped("ingress_end", res) },
    );
    this.all = [this.callStarts, this.callEnds, this.outbound, this.ingressStarts, this.ingressEnds];
  }

  /**
   * Records an admission and waits for it to be durable, at most the Check budget. A late record
   * stays queued (and is retried) but makes the pod dirty; a dropped one too.
   */
  admit<T>(writer: RecordSink<T>, record: T): Promise<AdmissionOutcome> {
    // One promise and one timer per admission, settled by whichever comes first (this runs once
    // per Check, so it avoids the extra promises of a Promise.race).
    return new Promise<AdmissionOutcome>((resolve) => {
      const { timers, dirty, clock } = this.deps;
      const written = this.waitFor(writer, record);
      let timer: unknown = null;
      let settled = false;
      const settle = (durable: boolean): void => {
        if (settled) return;
        settled = true;
        if (timer !== null) timers.clearTimeout(timer);
        if (durable) {
          resolve("durable");
        } else {
          dirty.raise(DIRTY_REASONS.checkLate, clock());
          resolve("late");
        }
      };
      const done = (durable: boolean): void => {
        written();
        settle(durable);
      };
      if (writer.offer(record, done)) {
        timer = timers.setTimeout(() => settle(false), this.settings.checkBudgetMs);
      } else {
        written();
        resolve("dropped");
      }
    });
  }

  /** Queues a completion or sample without waiting (ALS has no budget; Envoy does not wait). */
  enqueue<T>(writer: RecordSink<T>, record: T): void {
    // A refusal is counted by the writer's onDrop.
    writer.push(record);
  }

  /** Conditions that keep the pod dirty while they last: a pending retry, or an admission older than the budget. */
  ongoing(now: number): DirtyReason[] {
    const oldest = this.oldestPendingAdmission();
    const stuck =
      this.all.some((w) => w.retrying) || (oldest !== null && now - oldest > this.settings.checkBudgetMs);
    return stuck ? [DIRTY_REASONS.backlog] : [];
  }

  /** The earliest admission (call or ingress start) not yet durable, or null. */
  oldestPendingAdmission(): number | null {
    const a = this.callStarts.oldestPendingAt();
    const b = this.ingressStarts.oldestPendingAt();
    if (a === null) return b;
    if (b === null) return a;
    return Math.min(a, b);
  }

  /** Records waiting in all writers. */
  get pending(): number {
    return this.all.reduce((n, w) => n + w.pending, 0);
  }

  /** Tries to write everything queued, for at most `timeoutMs`. Returns whether all of it is durable. */
  async drain(timeoutMs: number): Promise<boolean> {
    const results = await Promise.all(this.all.map((w) => w.drain(timeoutMs)));
    return results.every(Boolean);
  }

  /** Gives up on whatever is still queued (counted as dropped). */
  close(): void {
    for (const [kind, w] of [
      ["call_start", this.callStarts],
      ["call_end", this.callEnds],
      ["outbound", this.outbound],
      ["ingress_start", this.ingressStarts],
      ["ingress_end", this.ingressEnds],
    ] as const) {
      const left = w.pending;
      if (left > 0) this.deps.metrics.recordsDropped.inc({ kind }, left);
      w.close();
    }
  }

  /**
   * Notes a start admitted to `writer` as waiting until the writer is done with it (written,
   * refused or dropped); returns the function that ends the wait. Other writers are not tracked.
   */
  private waitFor<T>(writer: RecordSink<T>, record: T): () => void {
    const sink: unknown = writer;
    const waiting =
      sink === this.callStarts ? this.waitingCalls : sink === this.ingressStarts ? this.waitingIngress : null;
    if (waiting === null) return NOOP;
    return waiting.add((record as CallStart | IngressStart).txn);
  }

  /**
   * Ends that found no start in the store. One whose start still waits here only overtook it
   * (writers retry on their own): the store keeps it and its start cancels it (ADR 0086), so it is
   * no fault. The others have no start coming from this TraceManager: counted, and the pod dirty.
   */
  private onClamped(kind: RecordKind, res: EndsWritten): void {
    const orphans = res.clamped - res.overtaken;
    if (orphans <= 0) return;
    this.deps.metrics.clamped.inc({ kind }, orphans);
    this.deps.dirty.raise(DIRTY_REASONS.counterClamped, this.deps.clock());
  }

  private writer<T, R>(
    kind: RecordKind,
    write: (batch: readonly T[]) => Promise<R>,
    extra: { atOf?: (r: T) => number; onWritten?: (res: R) => void; lossOnlyCounted?: boolean },
  ): BatchWriter<T, R> {
    const { metrics, dirty, clock, timers, log } = this.deps;
    const writer: BatchWriter<T, R> = new BatchWriter<T, R>({
      name: kind,
      write,
      maxBatch: this.settings.maxBatch,
      bufferLimit: this.settings.bufferLimit,
      maxInFlight: 2,
      retryBaseMs: 25,
      retryMaxMs: 1000,
      timers,
      ...(extra.atOf === undefined ? {} : { atOf: extra.atOf }),
      onWritten: (res, batch) => {
        metrics.recordsWritten.inc({ kind }, batch.length);
        metrics.buffered.set({ kind }, writer.pending);
        extra.onWritten?.(res);
      },
      onError: (err, size) => {
        metrics.storeErrors.inc({ kind });
        metrics.buffered.set({ kind }, writer.pending);
        // Outbound samples only feed the analysis; their loss is counted, not a certification fault.
        if (extra.lossOnlyCounted !== true) dirty.raise(DIRTY_REASONS.storeError, clock());
        log.warn({ kind, batch: size, err }, "store write failed; will retry");
      },
      isPermanent: (err) =>
        err instanceof TraceStoreError && (err.kind === "invalid-name" || err.kind === "invalid-argument"),
      onRefused: (err, batch) => {
        metrics.recordsDropped.inc({ kind }, batch.length);
        if (extra.lossOnlyCounted !== true) dirty.raise(DIRTY_REASONS.recordsDropped, clock());
        log.error({ kind, batch: batch.length, err }, "store refused a batch; dropped");
      },
      onDrop: () => {
        metrics.recordsDropped.inc({ kind });
        if (extra.lossOnlyCounted !== true) dirty.raise(DIRTY_REASONS.recordsDropped, clock());
      },
    });
    return writer;
  }
}

const NOOP = (): void => undefined;

/** A multiset of transaction ids: the starts admitted and not yet written. */
class WaitingStarts {
  private readonly counts = new Map<string, number>();

  /** Adds one start of `txn`; returns the function that removes it (once). */
  add(txn: string): () => void {
    this.counts.set(txn, (this.counts.get(txn) ?? 0) + 1);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      const left = (this.counts.get(txn) ?? 1) - 1;
      if (left > 0) this.counts.set(txn, left);
      else this.counts.delete(txn);
    };
  }

  /** True while a start of `txn` waits. */
  has(txn: string): boolean {
    return this.counts.has(txn);
  }
}

/**
 * Writes an end batch and counts, once the store answered, the clamped ends whose start still
 * waits in this TraceManager (at most `clamped`: those overtook their start).
 */
async function endsWrite(
  batch: readonly (CallEnd | IngressEnd)[],
  waiting: WaitingStarts,
  write: Promise<{ readonly clamped: number }>,
): Promise<EndsWritten> {
  const { clamped } = await write;
  if (clamped === 0) return { clamped, overtaken: 0 };
  let overtaken = 0;
  for (const e of batch) if (waiting.has(e.txn)) overtaken++;
  return { clamped, overtaken: Math.min(clamped, overtaken) };
}
