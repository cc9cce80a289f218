/**
 * The simulated Kubernetes API for Istio objects: VirtualServices and DestinationRules with a
 * global config version (every effective write is one mesh-wide push) and the snapshot at each
 * version, so that a lagging proxy keeps routing by the exact config it last received.
 * Writes are diffed: an unchanged object is not written and causes no push (idempotent writes).
 */
import type { DestinationRule, VirtualService } from "../../../istio/api/types.js";

/**
 * The configuration one proxy routes by: the Istio objects and the Kubernetes Services that
 * exist. It is a RoutingSnapshot of the product's evaluator (istio/routing), which caches its
 * route tables per snapshot object, so every snapshot is immutable and shared by the proxies.
 */
export interface MeshConfig {
  readonly virtualServices: readonly VirtualService[];
  readonly destinationRules: readonly DestinationRule[];
  /** Services by short name; the simulation never creates or deletes one. */
  readonly services: readonly string[];
}

/** The config store; `version` is bumped by every effective write. */
export interface ConfigStore {
  readonly version: number;
  /** The current config. */
  current(): MeshConfig;
  /** The config as it was at `version`. */
  at(version: number): MeshConfig;
  /** Creates or updates by name; false when the stored spec already equals `vs.spec`. */
  applyVirtualService(vs: VirtualService): boolean;
  /** Deletes by name; false when absent. */
  deleteVirtualService(name: string): boolean;
  applyDestinationRule(dr: DestinationRule): boolean;
  deleteDestinationRule(name: string): boolean;
  /** Called after every effective write with the new version. */
  onPush(listener: (version: number) => void): void;
}

/** JSON with sorted keys, so that equal objects compare equal whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

function clone<T>(x: T): T {
  return structuredClone(x);
}

/** Creates a store holding `initial`, at version 1. */
export function createConfigStore(initial: MeshConfig): ConfigStore {
  let vs = new Map(initial.virtualServices.map((v) => [v.metadata.name, clone(v)]));
  let dr = new Map(initial.destinationRules.map((d) => [d.metadata.name, clone(d)]));
  let version = 1;
  const snapshots = new Map<number, MeshConfig>();
  const listeners: ((v: number) => void)[] = [];
  const services = [...initial.services];
  const snap = (): MeshConfig => ({
    virtualServices: [...vs.values()],
    destinationRules: [...dr.values()],
    services,
  });
  snapshots.set(version, snap());

  const commit = (): void => {
    version += 1;
    snapshots.set(version, snap());
    for (const l of listeners) l(version);
  };

  return {
    get version() {
      return version;
    },
    current: () => snapshots.get(version) ?? snap(),
    at: (v) => {
      const s = snapshots.get(v);
      if (s === undefined) throw new Error(`config store: no snapshot at version ${v}`);
      return s;
    },
    applyVirtualService(next) {
      const prev = vs.get(next.metadata.name);
      if (prev !== undefined && canonical(prev.spec) === canonical(next.spec)) return false;
      const stored = clone(next);
      stored.metadata = { ...stored.metadata, resourceVersion: String(version + 1) };
      vs = new Map(vs).set(next.metadata.name, stored);
      commit();
      return true;
    },
    deleteVirtualService(name) {
      if (!vs.has(name)) return false;
      vs = new Map(vs);
      vs.delete(name);
      commit();
      return true;
    },
    applyDestinationRule(next) {
      const prev = dr.get(next.metadata.name);
      if (prev !== undefined && canonical(prev.spec) === canonical(next.spec)) return false;
      const stored = clone(next);
      stored.metadata = { ...stored.metadata, resourceVersion: String(version + 1) };
      dr = new Map(dr).set(next.metadata.name, stored);
      commit();
      return true;
    },
    deleteDestinationRule(name) {
      if (!dr.has(name)) return false;
      dr = new Map(dr);
      dr.delete(name);
      commit();
      return true;
    },
    onPush(listener) {
      listeners.push(listener);
    },
  };
}
