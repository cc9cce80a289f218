/**
 * A second process for the lock tests: opens a FileUpgradeStore on the state file given as
 * its argument, creates one upgrade named by the second argument, prints `holding <pid>`, and
 * keeps the store open until killed. When the store refuses to open, it prints the error on
 * stderr and exits 1.
 */
import { initialStatus } from "../../engine/status.js";
import { FileUpgradeStore } from "../file-upgrade-store.js";

const [path, name] = process.argv.slice(2);
if (path === undefined || name === undefined) {
  process.stderr.write("usage: hold-state-file.ts <state file> <upgrade name>\n");
  process.exit(2);
}
try {
  const store = await FileUpgradeStore.open({ path });
  await store.create({
    namespace: "default",
    name,
    spec: { services: [{ name: "auth-service", from: "v1", to: "v2" }] },
    status: initialStatus(Date.now()),
    createdAt: Date.now(),
  });
  process.stdout.write(`holding ${process.pid}\n`);
  setInterval(() => undefined, 60_000);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
