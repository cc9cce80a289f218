/**
 * Follows one upgrade in the store until it ends, printing a line whenever its phase, stage,
 * weight or the reason it waits changes.
 */
import { TERMINAL_PHASES } from "../../engine/phases.js";
import {
  keyString,
  type UpgradeKey,
  type UpgradeRecord,
  type UpgradeStore,
} from "../../ports/upgrade-store.js";

/** Prints progress lines for `key` until it reaches a terminal phase or `timeoutMs` passes. */
export async function watchUpgrade(
  store: UpgradeStore,
  key: UpgradeKey,
  out: (line: string) => void,
  timeoutMs: number,
): Promise<UpgradeRecord> {
  const started = Date.now();
  const id = key.name;
  let last = "";
  return new Promise<UpgradeRecord>((resolve, reject) => {
    const show = (u: UpgradeRecord): boolean => {
      const s = u.status;
      const waiting = s.conditions.find((c) => c.type === "Waiting" && c.status === "True");
      const confirmations =
        s.confirmed.total > 0 ? ` confirmed ${s.confirmed.ready}/${s.confirmed.total}` : "";
      const old =
        s.activeOld > 0 ? ` old-active ${s.activeOld} (oldest ${s.oldestActiveAgeSeconds.toFixed(1)} s)` : "";
      const line = `${s.phase}/${s.engine.stage} weight ${s.weight}%${confirmations}${old}${s.pinned > 0 ? ` pins ${s.pinned}` : ""}${waiting ? ` — ${waiting.message}` : ""}`;
      if (line !== last) {
        out(`  [${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${id}: ${line}`);
        last = line;
      }
      return TERMINAL_PHASES.includes(s.phase);
    };
    const finish = (u: UpgradeRecord): void => {
      clearInterval(timer);
      unwatch();
      resolve(u);
    };
    const unwatch = store.watch({
      onEvent: (event) => {
        if (keyString(event.upgrade) === keyString(key) && show(event.upgrade)) finish(event.upgrade);
      },
    });
    const timer = setInterval(() => {
      if (Date.now() - started <= timeoutMs) return;
      clearInterval(timer);
      unwatch();
      reject(new Error(`upgrade ${id} did not end within ${Math.round(timeoutMs / 1000)} s`));
    }, 250);
    store.get(key).then(
      (u) => {
        if (show(u)) finish(u);
      },
      (err: unknown) => {
        clearInterval(timer);
        unwatch();
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
