import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeUpgradeStoreContract } from "../ports/testing/upgrade-store-contract.js";
import { FileUpgradeStore } from "./file-upgrade-store.js";

describeUpgradeStoreContract("the local state file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tranquil-store-contract-"));
  const store = await FileUpgradeStore.open({ path: join(dir, "upgrades.json") });
  return {
    store,
    namespaces: ["team-a", "team-b"],
    remove: (key) => store.remove(key),
    close: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
