/**
 * An UpgradeStore that forwards every call to another one, except those a test replaces: a
 * watch the test can fail, a read that lets a write land while it is in flight.
 */
import type { UpgradeStore } from "../../ports/upgrade-store.js";

/** `inner` with the calls in `overrides` replaced. */
export function delegatingStore(inner: UpgradeStore, overrides: Partial<UpgradeStore>): UpgradeStore {
  return {
    get: (key) => inner.get(key),
    list: (namespace) => inner.list(namespace),
    create: (upgrade) => inner.create(upgrade),
    updateSpec: (key, rv, spec) => inner.updateSpec(key, rv, spec),
    updateStatus: (key, rv, status) => inner.updateStatus(key, rv, status),
    setCommand: (key, rv, command) => inner.setCommand(key, rv, command),
    watch: (watcher) => inner.watch(watcher),
    close: () => inner.close(),
    ...overrides,
  };
}
