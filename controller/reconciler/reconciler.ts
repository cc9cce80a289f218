/**
 * The reconciler: the only thing that executes decide()'s actions. Per tick and upgrade it
 * gathers observations, calls decide(), writes the new status (the status subresource, with
 * its resourceVersion), then executes the pending actions; their results reach decide() on the
 * next tick. A restarted reconciler re-executes whatever status still lists as pending, and
 * every action is idempotent, so nothing is done twice or lost (G5). One upgrade is never
 * reconciled concurrently with itself.
 */
import type { Logger } from "pino";
import { decide } from "../engine/decide.js";
import { effectiveSettings } from "../engine/effective.js";
import { Phase, TERMINAL_PHASES } from "../engine/phases.js";
import {
  ConditionType,
  DEFAULT_SETTINGS,
  type ActionResult,
  type Settings,
  type UpgradeStatus,
} from "../engine/types.js";
import type { ControllerMetrics } from "../metrics.js";
import {
  keyString,
  pendingCommands,
  UpgradeConflictError,
  type Backend,
  type UpgradeEventNote,
  type UpgradeKey,
  type UpgradeRecord,
  type UpgradeStore,
} from "../ports/index.js";
import { EventHooks } from "../webhooks/event-hooks.js";
import { executeAction } from "./execute.js";
import { failedForInvalidRecord } from "./invalid-record.js";
import { KeyedQueue } from "./keyed-queue.js";
import { phaseOf, recordProblems } from "./record-check.js";

/** Options of {@link Reconciler}. */
export interface ReconcilerOptions {
  readonly store: UpgradeStore;
  readonly backend: Backend;
  readonly logger: Logger;
  readonly settings?: Settings;
  readonly metrics?: ControllerMetrics;
  readonly clock?: () => number;
  /** Time between ticks of one upgrade (the observation interval, part of the G3 bound). */
  readonly intervalMs?: number;
  /** How long an ended upgrade's series stay in the metrics, so a scrape sees how it ended (default 15 min). */
  readonly metricsRetentionMs?: number;
  /** The longest wait between retries of a failing list of Upgrades (default 30 s); waits double from `intervalMs`. */
  readonly maxListBackoffMs?: number;
}

/** A failing list of Upgrades, as the reconciler retries it. */
export interface ListFailure {
  readonly error: Error;
  /** Failed lists in a row. */
  readonly failures: number;
  /** The wait before the next retry (ms). */
  readonly retryInMs: number;
}

/** True for a phase after which nothing is reconciled; an unknown phase is not terminal. */
function ended(record: UpgradeRecord): boolean {
  const phase = phaseOf(record);
  return phase !== null && TERMINAL_PHASES.includes(phase);
}

const WARNING_PHASES: readonly Phase[] = [Phase.RollingBack, Phase.RolledBack, Phase.Failed];

/** Drives every non-terminal Upgrade in the store. */
export class Reconciler {
  private readonly queue = new KeyedQueue();
  /** Acknowledgements of executed actions, by upgrade and action key, read by the next tick. */
  private readonly results = new Map<string, Record<string, ActionResult>>();
  /** Upgrades whose TraceManager epoch reports were switched on by this process. */
  private readonly watching = new Set<string>();
  private readonly clock: () => number;
  private readonly settings: Settings;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  private stopped = false;
  private watchError: Error | null = null;
  private listError: ListFailure | null = null;
  /** Ended upgrades whose metric series were removed. */
  private readonly forgotten = new Set<string>();
  /** Tells every event to the upgrades' event webhooks (ADR 0098). */
  private readonly eventHooks: EventHooks | undefined;

  constructor(private readonly options: ReconcilerOptions) {
    this.clock = options.clock ?? Date.now;
    this.settings = options.settings ?? DEFAULT_SETTINGS;
    this.intervalMs = options.intervalMs ?? 500;
    const webhooks = options.backend.webhooks;
    this.eventHooks =
      webhooks === undefined
        ? undefined
        : new EventHooks(webhooks, options.logger.child({ component: "event-webhooks" }));
  }

  /** Starts ticking every upgrade, and reacts at once to new ones, spec changes and user commands. */
  start(): void {
    this.stopped = false;
    this.unwatch = this.options.store.watch({
      onEvent: (event) => {
        // An event after a failure does not clear it: events may have been missed until a resync.
        const u = event.upgrade;
        if (event.type === "DELETED") this.forget(u);
        if (event.type === "DELETED" || ended(u)) return;
        // A status write by the reconciler itself also lands here; only users' changes trigger.
        if (event.type === "ADDED" || hasPendingCommands(u)) this.triggerInBackground(u);
      },
      onResync: (upgrades) => {
        this.watchError = null;
        for (const u of upgrades) if (!ended(u)) this.triggerInBackground(u);
      },
      onError: (err) => {
        this.watchError = err;
        this.options.logger.warn({ err }, "upgrade watch failed; ticking on the interval until it resyncs");
      },
    });
    const loop = (): void => {
      if (this.stopped) return;
      this.tickAll()
        .then(
          () => {
            if (this.listError !== null) this.options.logger.info("listing upgrades works again");
            this.listError = null;
          },
          (err: unknown) => {
            const failures = (this.listError?.failures ?? 0) + 1;
            const retryInMs = Math.min(
              this.intervalMs * 2 ** Math.min(failures, 20),
              Math.max(this.intervalMs, this.options.maxListBackoffMs ?? 30_000),
            );
            const error = err instanceof Error ? err : new Error(String(err));
            this.listError = { error, failures, retryInMs };
            this.options.logger.error({ err, failures, retryInMs }, "listing upgrades failed; retrying");
            this.options.metrics?.reconciled("error");
          },
        )
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.listError?.retryInMs ?? this.intervalMs);
        });
    };
    loop();
  }

  /** The failing list of Upgrades while it has not succeeded since, else null. */
  get listFailure(): ListFailure | null {
    return this.listError;
  }

  /** The watch's last error while it has not resynced since, else null. */
  get watchFailure(): Error | null {
    return this.watchError;
  }

  /** Stops ticking and waits for the ticks in progress. */
  async stop(): Promise<void> {
    this.halt();
    await this.queue.idle();
    await this.eventHooks?.idle();
  }

  /** Stops ticking without waiting for the ticks in progress. */
  halt(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.unwatch?.();
  }

  /** As {@link trigger}, from a callback that cannot wait: a failure is logged, never thrown. */
  private triggerInBackground(key: UpgradeKey): void {
    this.trigger(key).catch((err: unknown) => {
      this.options.logger.error({ err, upgrade: `${key.namespace}/${key.name}` }, "reconcile failed");
    });
  }

  /** Reconciles one upgrade now (or right after its tick in progress). */
  trigger(key: UpgradeKey): Promise<void> {
    const k = { namespace: key.namespace, name: key.name };
    return this.queue.enqueue(keyString(k), () => this.tick(k));
  }

  private async tickAll(): Promise<void> {
    const upgrades = await this.options.store.list();
    const retention = this.options.metricsRetentionMs ?? 15 * 60_000;
    const now = this.clock();
    for (const u of upgrades) {
      if (ended(u) && now - (u.status.engine?.stageSince ?? 0) > retention) this.forget(u);
    }
    // One upgrade's failure is its own: the others are reconciled all the same.
    await Promise.allSettled(upgrades.filter((u) => !ended(u)).map((u) => this.trigger(u)));
  }

  /** One tick of one upgrade. Errors are logged and counted; the next tick retries. */
  private async tick(key: UpgradeKey): Promise<void> {
    const log = this.options.logger.child({ upgrade: keyString(key) });
    try {
      const record = await this.options.store.get(key);
      if (ended(record)) return;
      const problems = recordProblems(record, "shape");
      if (problems.length > 0) {
        await this.failInvalid(record, problems, log);
        return;
      }
      if (!this.watching.has(record.id)) {
        await this.options.backend.enrolment.watch(
          record.id,
          record.spec.services.map((s) => s.name),
        );
        this.watching.add(record.id);
      }
      const saved = await this.decideAndPersist(record);
      if (TERMINAL_PHASES.includes(saved.status.phase)) await this.ended(saved);
      else await this.execute(saved);
      this.options.metrics?.reconciled("ok");
    } catch (err) {
      if (err instanceof UpgradeConflictError) {
        // Someone wrote the Upgrade meanwhile (a user command): read it again next tick.
        log.debug({ err }, "status write conflicted; retrying on the next tick");
        this.options.metrics?.reconciled("conflict");
        return;
      }
      log.error({ err }, "reconcile failed; retrying on the next tick");
      this.options.metrics?.reconciled("error");
    }
  }

  /**
   * Ends a record the reconciler cannot drive (no status, an unknown phase, a spec without
   * services) as Failed, naming the problems; nothing is executed for it.
   */
  private async failInvalid(record: UpgradeRecord, problems: readonly string[], log: Logger): Promise<void> {
    const now = this.clock();
    const status = failedForInvalidRecord(record, problems, now);
    log.error({ problems }, "the stored Upgrade is invalid; ending it as Failed");
    this.watching.delete(record.id);
    this.results.delete(record.id);
    const saved = await this.options.store.updateStatus(record, record.resourceVersion, status);
    this.options.metrics?.observe(record, saved.status, now);
    await this.recordEvent(record, {
      type: "Warning",
      reason: "InvalidRecord",
      message: status.engine.reason ?? "the stored Upgrade is invalid",
      at: now,
    });
    this.options.metrics?.reconciled("error");
  }

  private async decideAndPersist(record: UpgradeRecord): Promise<UpgradeRecord> {
    const now = this.clock();
    const ref = { id: record.id, namespace: record.namespace, spec: record.spec };
    const gathered = await this.options.backend.observer.observe(ref, record.status, now);
    const actionResults = this.results.get(record.id) ?? {};
    const decision = decide(
      record.spec,
      record.status,
      { ...gathered, actionResults, commands: pendingCommands(record) },
      now,
      this.settings,
    );
    const saved = await this.options.store.updateStatus(record, record.resourceVersion, decision.status);
    // Persisted: the results were folded in, and what is still pending is in the status.
    this.results.delete(record.id);
    this.options.metrics?.observe(record, saved.status, now, effectiveSettings(record.spec, this.settings));
    this.options.metrics?.observeVersions(record, gathered.services);
    await this.noteChanges(saved, record.status, saved.status, now);
    return saved;
  }

  /** Removes an ended or deleted upgrade's metric series, once. */
  private forget(upgrade: UpgradeRecord): void {
    const k = keyString(upgrade);
    if (this.forgotten.has(k)) return;
    this.forgotten.add(k);
    this.options.metrics?.forget(upgrade);
  }

  /** Events for what a user watching the Upgrade wants to know: phase changes and new reasons to wait. */
  private async noteChanges(
    key: UpgradeRecord,
    before: UpgradeStatus,
    after: UpgradeStatus,
    now: number,
  ): Promise<void> {
    const notes: UpgradeEventNote[] = [];
    if (after.phase !== before.phase) {
      const type = WARNING_PHASES.includes(after.phase) ? "Warning" : "Normal";
      const why = after.engine.reason !== null && type === "Warning" ? `: ${after.engine.reason}` : "";
      notes.push({
        type,
        reason: "PhaseChanged",
        message: `${before.phase} → ${after.phase}${why}`,
        at: now,
      });
    }
    const waitingBefore = waitingReason(before);
    const waitingAfter = waitingReason(after);
    if (waitingAfter !== null && waitingAfter.reason !== waitingBefore?.reason) {
      notes.push({ type: "Normal", reason: "Waiting", message: waitingAfter.message, at: now });
    }
    for (const note of notes) await this.recordEvent(key, note);
  }

  private async recordEvent(key: UpgradeRecord, note: UpgradeEventNote): Promise<void> {
    const ref = { id: key.id, namespace: key.namespace, spec: key.spec, name: key.name };
    this.eventHooks?.tell(ref, phaseOf(key) ?? "", note);
    try {
      await this.options.backend.events.record(key, note);
    } catch (err) {
      this.options.logger.warn({ upgrade: keyString(key), err, event: note }, "could not record an event");
    }
  }

  /** Executes every pending action, in order, recording each result for the next tick. */
  private async execute(record: UpgradeRecord): Promise<void> {
    const results: Record<string, ActionResult> = {};
    const ref = { id: record.id, namespace: record.namespace, spec: record.spec, name: record.name };
    const log = this.options.logger.child({ upgrade: keyString(record) });
    const events = {
      record: (note: UpgradeEventNote): Promise<void> => this.recordEvent(record, note),
    };
    for (const action of record.status.engine.pending) {
      results[action.key] = await executeAction(action, ref, this.options.backend, log, events, this.clock);
    }
    this.results.set(record.id, results);
  }

  private async ended(record: UpgradeRecord): Promise<void> {
    await this.execute(record);
    this.watching.delete(record.id);
    this.results.delete(record.id);
    try {
      await this.options.backend.enrolment.remove(record.id);
    } catch (err) {
      this.options.logger.warn(
        { upgrade: keyString(record), err },
        "could not remove the ended upgrade's enrolment",
      );
    }
  }
}

/** True when the record carries unacknowledged commands, or is too malformed to tell (its tick then fails it). */
function hasPendingCommands(record: UpgradeRecord): boolean {
  try {
    return pendingCommands(record).length > 0;
  } catch {
    return true;
  }
}

/** The Waiting condition while it holds, else null. */
function waitingReason(status: UpgradeStatus): { reason: string; message: string } | null {
  const c = status.conditions.find((x) => x.type === ConditionType.Waiting);
  return c !== undefined && c.status === "True" ? { reason: c.reason, message: c.message } : null;
}
