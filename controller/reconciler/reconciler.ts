/**
 * The reconciler: the only thing that executes decide()'s actions. Per tick and upgrade it
 * gathers observations, calls decide(), persists the new status (with its resourceVersion),
 * then executes the pending actions; their results reach decide() on the next tick. A
 * restarted reconciler re-executes whatever status still lists as pending, and every action is
 * idempotent, so nothing is done twice or lost (G5). One upgrade is never reconciled
 * concurrently with itself.
 */
import type { Logger } from "pino";
import { decide } from "../engine/decide.js";
import { TERMINAL_PHASES } from "../engine/phases.js";
import { DEFAULT_SETTINGS, type ActionResult, type Settings } from "../engine/types.js";
import type { ControllerMetrics } from "../metrics.js";
import { UpgradeConflictError, type Backend, type UpgradeRecord, type UpgradeStore } from "../ports/index.js";
import { executeAction } from "./execute.js";
import { KeyedQueue } from "./keyed-queue.js";

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
}

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

  constructor(private readonly options: ReconcilerOptions) {
    this.clock = options.clock ?? Date.now;
    this.settings = options.settings ?? DEFAULT_SETTINGS;
    this.intervalMs = options.intervalMs ?? 500;
  }

  /** Starts ticking every upgrade, and reacts at once to new ones and to user commands. */
  start(): void {
    this.stopped = false;
    this.unwatch = this.options.store.watch((event) => {
      if (event.type !== "DELETED" && !TERMINAL_PHASES.includes(event.upgrade.status.phase)) {
        // A write by the reconciler itself also lands here; the queue coalesces it.
        if (event.upgrade.commands.length > 0 || event.type === "ADDED") void this.trigger(event.upgrade.id);
      }
    });
    const loop = (): void => {
      if (this.stopped) return;
      void this.tickAll().finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.intervalMs);
      });
    };
    loop();
  }

  /** Stops ticking and waits for the ticks in progress. */
  async stop(): Promise<void> {
    this.halt();
    await this.queue.idle();
  }

  /** Stops ticking without waiting for the ticks in progress. */
  halt(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.unwatch?.();
  }

  /** Reconciles one upgrade now (or right after its tick in progress). */
  trigger(id: string): Promise<void> {
    return this.queue.enqueue(id, () => this.tick(id));
  }

  private async tickAll(): Promise<void> {
    const upgrades = await this.options.store.list();
    await Promise.all(
      upgrades.filter((u) => !TERMINAL_PHASES.includes(u.status.phase)).map((u) => this.trigger(u.id)),
    );
  }

  /** One tick of one upgrade. Errors are logged and counted; the next tick retries. */
  private async tick(id: string): Promise<void> {
    const log = this.options.logger.child({ upgrade: id });
    try {
      const record = await this.options.store.get(id);
      if (TERMINAL_PHASES.includes(record.status.phase)) return;
      if (!this.watching.has(id)) {
        await this.options.backend.enrolment.watch(
          id,
          record.spec.services.map((s) => s.name),
        );
        this.watching.add(id);
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

  private async decideAndPersist(record: UpgradeRecord): Promise<UpgradeRecord> {
    const now = this.clock();
    const gathered = await this.options.backend.observer.observe(record.id, record.spec, record.status, now);
    const actionResults = this.results.get(record.id) ?? {};
    const decision = decide(
      record.spec,
      record.status,
      { ...gathered, actionResults, commands: record.commands },
      now,
      this.settings,
    );
    const handled = new Set(decision.status.engine.handledCommands);
    const saved = await this.options.store.update({
      ...record,
      status: decision.status,
      commands: record.commands.filter((c) => !handled.has(c.token)),
    });
    // Persisted: the results were folded in, and what is still pending is in the status.
    this.results.delete(record.id);
    this.options.metrics?.observe(record.id, saved.status, now);
    this.options.metrics?.observeVersions(record.id, gathered.services);
    if (saved.status.phase !== record.status.phase) {
      this.options.logger.info(
        { upgrade: record.id, from: record.status.phase, to: saved.status.phase },
        "phase changed",
      );
    }
    return saved;
  }

  /** Executes every pending action, in order, recording each result for the next tick. */
  private async execute(record: UpgradeRecord): Promise<void> {
    const results: Record<string, ActionResult> = {};
    const ref = { id: record.id, spec: record.spec };
    const log = this.options.logger.child({ upgrade: record.id });
    for (const action of record.status.engine.pending) {
      results[action.key] = await executeAction(action, ref, this.options.backend, log);
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
      this.options.logger.warn({ upgrade: record.id, err }, "could not remove the ended upgrade's enrolment");
    }
  }
}
