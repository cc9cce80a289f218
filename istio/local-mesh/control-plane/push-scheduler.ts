import { DEFAULT_PUSH_DELAY, drawDelay, realTimers } from "./delay.js";
import type {
  ConfigStore,
  DelayDistribution,
  DeliverFn,
  MeshSnapshot,
  ProxyPushOptions,
  PushScheduler,
  TimerHandle,
  Timers,
} from "./types.js";

/** Options of the push scheduler. */
export interface PushSchedulerOptions {
  /** Per-proxy delay distribution (default uniform 50–500 ms; add `tail` for seconds-long tails). */
  delay?: DelayDistribution;
  /** Named proxies that lag far behind, with their own distribution. */
  laggards?: Readonly<Record<string, DelayDistribution>>;
  /** Uniform [0, 1) source (default Math.random). */
  random?: () => number;
  timers?: Timers;
  /** When given, every write to the store is pushed (coalesced per microtask). */
  store?: ConfigStore;
  /** Receives an exception thrown by a proxy's deliver function. */
  onDeliverError?: (proxyId: string, error: unknown) => void;
}

interface ProxyState {
  deliver: DeliverFn;
  delay: DelayDistribution;
  delivered?: number;
  timers: Set<TimerHandle>;
}

/**
 * The local control plane's xDS push: each change reaches every proxy after that proxy's own
 * random delay, so proxies run different config versions for a while, as with istiod.
 * Endpoint changes travel in the same snapshots and lag the same way. A proxy never goes
 * backwards: a snapshot older than the one it already has is dropped on arrival.
 */
export class DelayedPushScheduler implements PushScheduler {
  private readonly proxies = new Map<string, ProxyState>();
  private readonly random: () => number;
  private readonly timers: Timers;
  private latest: MeshSnapshot | undefined;
  private pushQueued = false;
  private closed = false;
  private readonly unwatch: (() => void)[] = [];

  constructor(private readonly options: PushSchedulerOptions = {}) {
    this.random = options.random ?? Math.random;
    this.timers = options.timers ?? realTimers;
    const store = options.store;
    if (store !== undefined) {
      this.latest = store.snapshot();
      const onChange = (): void => {
        this.schedulePushFromStore(store);
      };
      for (const kind of [
        "VirtualService",
        "DestinationRule",
        "Gateway",
        "ServiceEntry",
        "Endpoint",
      ] as const) {
        this.unwatch.push(store.watch(kind, onChange));
      }
    }
  }

  register(proxyId: string, deliver: DeliverFn, options: ProxyPushOptions = {}): () => void {
    if (this.proxies.has(proxyId)) throw new Error(`push scheduler: proxy ${proxyId} is already registered`);
    const delay =
      options.delay ?? this.options.laggards?.[proxyId] ?? this.options.delay ?? DEFAULT_PUSH_DELAY;
    const state: ProxyState = { deliver, delay, timers: new Set() };
    this.proxies.set(proxyId, state);
    // A connecting proxy gets the current config at once (its first full push).
    if (this.latest !== undefined) this.deliverTo(proxyId, state, this.latest);
    return () => {
      for (const t of state.timers) this.timers.clearTimeout(t);
      this.proxies.delete(proxyId);
    };
  }

  push(snapshot: MeshSnapshot): void {
    if (this.closed) return;
    if (this.latest === undefined || snapshot.epoch > this.latest.epoch) this.latest = snapshot;
    for (const [proxyId, state] of this.proxies) {
      const ms = drawDelay(state.delay, this.random);
      const handle = this.timers.setTimeout(() => {
        state.timers.delete(handle);
        this.deliverTo(proxyId, state, snapshot);
      }, ms);
      state.timers.add(handle);
    }
  }

  deliveredEpoch(proxyId: string): number | undefined {
    return this.proxies.get(proxyId)?.delivered;
  }

  close(): void {
    this.closed = true;
    for (const u of this.unwatch) u();
    for (const state of this.proxies.values()) {
      for (const t of state.timers) this.timers.clearTimeout(t);
      state.timers.clear();
    }
  }

  // Several writes in one synchronous burst become one push of the resulting snapshot, as
  // istiod debounces changes before pushing.
  private schedulePushFromStore(store: ConfigStore): void {
    if (this.pushQueued) return;
    this.pushQueued = true;
    queueMicrotask(() => {
      this.pushQueued = false;
      this.push(store.snapshot());
    });
  }

  private deliverTo(proxyId: string, state: ProxyState, snapshot: MeshSnapshot): void {
    if (state.delivered !== undefined && snapshot.epoch <= state.delivered) return;
    state.delivered = snapshot.epoch;
    try {
      state.deliver(snapshot);
    } catch (error) {
      this.options.onDeliverError?.(proxyId, error);
    }
  }
}

/** Creates the push scheduler. */
export function createPushScheduler(options: PushSchedulerOptions = {}): PushScheduler {
  return new DelayedPushScheduler(options);
}
