/**
 * A container's readiness as a kubelet's prober keeps it: not ready until the probe passes
 * `successThreshold` times in a row (default 1), the first run `initialDelaySeconds` after the
 * start, then one run every `periodSeconds` (default 10); a ready container turns unready after
 * `failureThreshold` failures in a row (default 3). Every change is reported once, with the
 * failure's message; the first failure of a run of failures is reported too (a kubelet's
 * `Unhealthy` event), so a container that never becomes ready says why.
 */
import type { V1Probe } from "@kubernetes/client-node";
import type { ProbeResult } from "./probes.js";

/** What the prober tells its owner. */
export interface ReadinessListener {
  /** The container became ready (true) or unready (false). */
  changed(ready: boolean): void;
  /** The probe failed after passing (or for the first time): a kubelet's `Unhealthy` event. */
  failed(message: string): void;
}

/** Timers the prober uses (fake ones in unit tests). */
export interface ProberTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: ProberTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Probes one container until stopped. */
export class ReadinessProber {
  private ready = false;
  private successes = 0;
  private failures = 0;
  private timer: unknown;
  private stopped = false;

  constructor(
    private readonly probe: V1Probe,
    private readonly run: () => Promise<ProbeResult>,
    private readonly listener: ReadinessListener,
    private readonly timers: ProberTimers = realTimers,
  ) {}

  /** Schedules the first run after the initial delay. */
  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  /** Whether the container is ready now. */
  isReady(): boolean {
    return this.ready;
  }

  /** Stops probing; nothing is reported afterwards. */
  stop(): void {
    this.stopped = true;
    this.timers.clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    // A probe that throws counts as a failure, as a kubelet counts a probe error; probing goes on.
    const result = await this.run().catch((err: unknown): ProbeResult => ({
      ok: false,
      message: err instanceof Error ? err.message : String(err),
    }));
    if (this.stopped) return;
    if (result.ok) {
      this.failures = 0;
      this.successes++;
      if (!this.ready && this.successes >= (this.probe.successThreshold ?? 1)) {
        this.ready = true;
        this.listener.changed(true);
      }
    } else {
      this.successes = 0;
      this.failures++;
      if (this.failures === 1) this.listener.failed(result.message);
      if (this.ready && this.failures >= (this.probe.failureThreshold ?? 3)) {
        this.ready = false;
        this.listener.changed(false);
      }
    }
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }
}
