/**
 * The UpgradeStore contract on the local backend, in memory and over a state file (its
 * `remove` stands in for `kubectl delete upgrade`, so the DELETED scenario runs here too).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeUpgradeStoreContract } from "../ports/testing/upgrade-store-contract.js";
import { FileUpgradeStore } from "./file-upgrade-store.js";

const NAMESPACES = ["team-a", "team-b"] as const;

describeUpgradeStoreContract(
  "FileUpgradeStore in memory",
  async () => {
    const store = await FileUpgradeStore.open();
    return { store, namespaces: NAMESPACES, remove: (key) => store.remove(key) };
  },
  (h) => h.store.close(),
);

const dirs = new Map<object, string>();
describeUpgradeStoreContract(
  "FileUpgradeStore over a state file",
  async () => {
    const dir = await mkdtemp(join(tmpdir(), "tranquil-upgrade-contract-"));
    const store = await FileUpgradeStore.open({ path: join(dir, "upgrades.json") });
    dirs.set(store, dir);
    return { store, namespaces: NAMESPACES, remove: (key) => store.remove(key) };
  },
  async (h) => {
    await h.store.close();
    const dir = dirs.get(h.store);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dirs.delete(h.store);
  },
);
