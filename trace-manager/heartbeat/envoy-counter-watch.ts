import type { EnvoyFigures } from "../store/port.js";
import { lossRise } from "../envoy-admin/figures.js";
import { DIRTY_REASONS, type DirtyReason, type DirtyState } from "../durable/dirty.js";

/** The loss counters watched, with the dirty reason a rise raises. */
const WATCHED = [
  {
    reason: DIRTY_REASONS.extAuthzError,
    rise: (r: ReturnType<typeof lossRise>) => r.extAuthzError,
    value: (f: EnvoyFigures) => f.extAuthz.error,
  },
  {
    reason: DIRTY_REASONS.extAuthzFailOpen,
    rise: (r: ReturnType<typeof lossRise>) => r.extAuthzFailureModeAllowed,
    value: (f: EnvoyFigures) => f.extAuthz.failureModeAllowed,
  },
  {
    reason: DIRTY_REASONS.alsLogsDropped,
    rise: (r: ReturnType<typeof lossRise>) => r.accessLogsDropped,
    value: (f: EnvoyFigures) => f.accessLogs.dropped,
  },
] as const;

/**
 * Watches Envoy's loss counters (ext_authz `error`, `failure_mode_allowed`, ALS `logs_dropped`)
 * across heartbeats. A rise, a drop (Envoy restarted), or a first reading above zero (losses before
 * this TraceManager started) raises the matching dirty reason; the reason stays ongoing until a
 * later reading shows the counter unchanged. A failed read keeps the pod dirty until a read succeeds.
 */
export class EnvoyCounterWatch {
  private last: EnvoyFigures | undefined;
  private readonly unstable = new Set<DirtyReason>();
  private readFailed = false;

  constructor(private readonly dirty: DirtyState) {}

  /** Feeds one successful reading. */
  observe(figures: EnvoyFigures, now: number): void {
    this.readFailed = false;
    const rise = lossRise(this.last, figures);
    for (const w of WATCHED) {
      const rose = this.last === undefined ? w.value(figures) > 0 : w.rise(rise) > 0;
      if (rose) {
        this.unstable.add(w.reason);
        this.dirty.raise(w.reason, now);
      } else {
        this.unstable.delete(w.reason);
      }
    }
    this.last = figures;
  }

  /** Records a failed reading. */
  failed(now: number): void {
    this.readFailed = true;
    this.dirty.raise(DIRTY_REASONS.envoyAdminUnreadable, now);
  }

  /** Reasons still in force until a clean reading. */
  ongoing(): DirtyReason[] {
    const out = [...this.unstable];
    if (this.readFailed) out.push(DIRTY_REASONS.envoyAdminUnreadable);
    return out;
  }
}
