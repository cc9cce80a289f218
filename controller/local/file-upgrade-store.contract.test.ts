/**
 * The UpgradeStore contract on the local backend, in memory and over a state file. The local
 * store has no delete (neither has the port): every Upgrade stays in the state file, so the
 * DELETED scenario is not part of its contract.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeUpgradeStoreContract } from "../ports/testing/upgrade-store-contract.js";
import { FileUpgradeStore } from "./file-upgrade-store.js";

const NAMESPACES = ["team-a", "team-b"] as const;

describeUpgradeStoreContract(
  "FileUpgradeStore in memory",
  async () => ({ store: await FileUpgradeStore.open(), namespaces: NAMESPACES }),
  (h) => h.store.close(),
  { deletes: false },
);

const dirs = new Map<object, string>();
describeUpgradeStoreContract(
  "FileUpgradeStore over a state file",
  async () => {
    const dir = await mkdtemp(join(tmpdir(), "tranquil-upgrade-contract-"));
    const store = await FileUpgradeStore.open({ path: join(dir, "upgrades.json") });
    dirs.set(store, dir);
    return { store, namespaces: NAMESPACES };
  },
  async (h) => {
    await h.store.close();
    const dir = dirs.get(h.store);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dirs.delete(h.store);
  },
  { deletes: false },
);
