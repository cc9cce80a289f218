import type { Logger } from "pino";
import type { Timers } from "../clock.js";
import type { Role } from "../config.js";
import type { EnvoyFigures, PodReport, TraceStore } from "../store/port.js";
import type { TraceManagerMetrics } from "../metrics.js";
import type { Recorder } from "../durable/recorder.js";
import type { DirtyState } from "../durable/dirty.js";
import type { UpgradesCache } from "../gateway/upgrades-cache.js";
import type { IgnoredRequestIds } from "../check/ignored-request-ids.js";
import { Watermark } from "../durable/watermark.js";
import type { EnvoySource } from "./envoy-source.js";
import { EnvoyCounterWatch } from "./envoy-counter-watch.js";
import type { StoreLineage } from "../durable/store-lineage.js";

/** What the heartbeat reports about. */
export interface HeartbeatDeps {
  readonly identity: {
    readonly role: Role;
    readonly service: string;
    readonly version: string;
    readonly pod: string;
  };
  readonly intervalMs: number;
  readonly watermarkLagMs: number;
  readonly store: Pick<TraceStore, "reportPod">;
  readonly recorder: Pick<Recorder, "ongoing" | "oldestPendingAdmission">;
  readonly dirty: DirtyState;
  readonly upgrades: UpgradesCache;
  /** null when there is no Envoy admin to read. */
  readonly envoy: EnvoySource | null;
  /** Checks whose `x-request-id` was refused; reported when given. */
  readonly ignoredIds?: Pick<IgnoredRequestIds, "fact">;
  /** Watches the store for records it lost (ADR 0085); checked before every report when given. */
  readonly lineage?: StoreLineage;
  readonly metrics: TraceManagerMetrics;
  readonly clock: () => number;
  readonly timers: Timers;
  readonly log: Logger;
}

/**
 * Every interval: read Envoy's figures (loss counters feed the dirty state), read config epochs
 * for upgrades under watch, decide dirty and the watermark, and report the pod to the store.
 */
export class Heartbeat {
  private readonly watermark: Watermark;
  private readonly counters: EnvoyCounterWatch;
  private timer: unknown = null;
  private running: Promise<PodReport> | null = null;
  private stopped = false;
  private lastFigures: EnvoyFigures | undefined;

  constructor(private readonly deps: HeartbeatDeps) {
    this.watermark = new Watermark(deps.clock(), deps.watermarkLagMs);
    this.counters = new EnvoyCounterWatch(deps.dirty);
  }

  /** Starts the periodic loop (the first beat happens one interval from now). */
  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Stops the loop and waits for a beat in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.deps.timers.clearTimeout(this.timer);
    this.timer = null;
    if (this.running !== null) await this.running.catch(() => undefined);
  }

  /** Runs one beat now and returns what it reported (or tried to). */
  beat(): Promise<PodReport> {
    this.running ??= this.compute().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    const t = this.deps.timers.setTimeout(() => {
      this.timer = null;
      this.beat().then(
        () => this.schedule(),
        () => this.schedule(),
      );
    }, this.deps.intervalMs);
    t.unref?.();
    this.timer = t;
  }

  private async compute(): Promise<PodReport> {
    const { deps } = this;
    const upgrades = deps.upgrades.current() ?? [];
    let epochs: Record<string, number | null> = {};
    if (deps.envoy !== null) {
      try {
        this.lastFigures = await deps.envoy.figures(deps.clock());
        this.counters.observe(this.lastFigures, deps.clock());
      } catch (err) {
        this.counters.failed(deps.clock());
        deps.log.warn({ err }, "cannot read Envoy admin figures; the pod stays dirty until a read succeeds");
      }
      const watched = upgrades.filter((u) => u.watchEpochs);
      if (watched.length > 0) {
        try {
          epochs = await deps.envoy.epochs(watched);
        } catch (err) {
          // Unreadable config counts as unconfirmed, never as confirmed.
          epochs = Object.fromEntries(watched.map((u) => [u.id, null]));
          deps.log.warn({ err }, "cannot read Envoy route configurations for config epochs");
        }
      }
    }
    let writesBefore = await this.writesAcked();
    await deps.lineage?.check(deps.clock(), writesBefore);
    const now = deps.clock();
    const reasons = deps.dirty.evaluate(now, [
      ...deps.recorder.ongoing(now),
      ...this.counters.ongoing(),
      ...(deps.lineage?.ongoing() ?? []),
    ]);
    const dirty = reasons.length > 0;
    const watermark = this.watermark.next(now, dirty, deps.recorder.oldestPendingAdmission());
    const report: PodReport = {
      pod: deps.identity.pod,
      role: deps.identity.role,
      service: deps.identity.service,
      version: deps.identity.version,
      heartbeatAt: now,
      watermark,
      dirty,
      dirtyReasons: reasons,
      weightVersions:
        deps.identity.role === "gateway"
          ? Object.fromEntries(upgrades.map((u) => [u.id, u.weightVersion]))
          : {},
      epochs,
      ...(this.lastFigures === undefined ? {} : { envoy: this.lastFigures }),
      ...(deps.ignoredIds === undefined ? {} : { ignoredRequestIds: deps.ignoredIds.fact() }),
      heldUntil: deps.dirty.heldUntil(now),
    };
    deps.metrics.dirty.set(dirty ? 1 : 0);
    deps.metrics.watermarkLagSeconds.set((now - watermark) / 1000);
    try {
      writesBefore = await this.writesAcked();
      await deps.store.reportPod(report);
      deps.lineage?.reported(report.heartbeatAt, writesBefore);
      deps.metrics.heartbeats.inc({ outcome: "reported" });
    } catch (err) {
      deps.metrics.heartbeats.inc({ outcome: "failed" });
      deps.log.warn({ err }, "cannot report the pod to the store");
    }
    return report;
  }

  /** Records acknowledged by the store so far (outbound samples aside: they certify nothing). */
  private async writesAcked(): Promise<number> {
    const { values } = await this.deps.metrics.recordsWritten.get();
    return values.reduce((n, v) => (v.labels.kind === "outbound" ? n : n + v.value), 0);
  }
}
