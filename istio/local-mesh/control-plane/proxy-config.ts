import { DEFAULT_WORKER_LAG, realTimers } from "./delay.js";
import type { DelayRange, MeshSnapshot, TimerHandle, Timers } from "./types.js";

/** Options of a proxy's config holder. */
export interface ProxyConfigHolderOptions {
  /** Main thread → workers lag (default uniform 20–100 ms). */
  workerLag?: DelayRange;
  random?: () => number;
  timers?: Timers;
}

type Listener = (snapshot: MeshSnapshot) => void;

/**
 * What one proxy keeps of its config, as Envoy does: the main thread takes a pushed snapshot
 * at once (`adminSnapshot`, what /config_dump and /clusters show) and the workers switch to it
 * after a short lag (`routingSnapshot`, what requests are routed by). The first snapshot is
 * applied to both at once: a proxy does not serve before its first config.
 */
export class ProxyConfigHolder {
  private admin: MeshSnapshot | undefined;
  private routing: MeshSnapshot | undefined;
  private readonly pending = new Set<TimerHandle>();
  private readonly adminListeners = new Set<Listener>();
  private readonly routingListeners = new Set<Listener>();
  private readonly random: () => number;
  private readonly timers: Timers;
  private readonly lag: DelayRange;

  constructor(options: ProxyConfigHolderOptions = {}) {
    this.random = options.random ?? Math.random;
    this.timers = options.timers ?? realTimers;
    this.lag = options.workerLag ?? DEFAULT_WORKER_LAG;
  }

  /** The snapshot the admin endpoints show (newest delivered). */
  get adminSnapshot(): MeshSnapshot | undefined {
    return this.admin;
  }

  /** The snapshot requests are routed by. */
  get routingSnapshot(): MeshSnapshot | undefined {
    return this.routing;
  }

  /** Pass to PushScheduler.register: takes a delivered snapshot. */
  readonly deliver = (snapshot: MeshSnapshot): void => {
    if (this.admin !== undefined && snapshot.epoch <= this.admin.epoch) return;
    this.admin = snapshot;
    emit(this.adminListeners, snapshot);
    if (this.routing === undefined) {
      this.applyRouting(snapshot);
      return;
    }
    const ms = this.lag.minMs + (this.lag.maxMs - this.lag.minMs) * this.random();
    const handle = this.timers.setTimeout(() => {
      this.pending.delete(handle);
      this.applyRouting(snapshot);
    }, ms);
    this.pending.add(handle);
  };

  /** Called after the admin view changes; returns unsubscribe. */
  onAdminUpdate(listener: Listener): () => void {
    this.adminListeners.add(listener);
    return () => this.adminListeners.delete(listener);
  }

  /** Called after routing switches to a new snapshot; returns unsubscribe. */
  onRoutingUpdate(listener: Listener): () => void {
    this.routingListeners.add(listener);
    return () => this.routingListeners.delete(listener);
  }

  /** Resolves once routing uses a snapshot at `epoch` or later. */
  whenRoutingEpoch(epoch: number): Promise<MeshSnapshot> {
    const current = this.routing;
    if (current !== undefined && current.epoch >= epoch) return Promise.resolve(current);
    return new Promise((resolve) => {
      const off = this.onRoutingUpdate((s) => {
        if (s.epoch >= epoch) {
          off();
          resolve(s);
        }
      });
    });
  }

  /** Cancels pending worker updates. */
  close(): void {
    for (const h of this.pending) this.timers.clearTimeout(h);
    this.pending.clear();
  }

  private applyRouting(snapshot: MeshSnapshot): void {
    // Worker updates may land out of order when lags differ; never go backwards.
    if (this.routing !== undefined && snapshot.epoch <= this.routing.epoch) return;
    this.routing = snapshot;
    emit(this.routingListeners, snapshot);
  }
}

function emit(listeners: Set<Listener>, snapshot: MeshSnapshot): void {
  for (const l of [...listeners]) l(snapshot);
}
