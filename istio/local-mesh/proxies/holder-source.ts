import type { ProxyConfigHolder } from "../control-plane/proxy-config.js";
import { EMPTY_SNAPSHOT } from "./control-plane-adapter.js";
import type { SnapshotSource } from "./snapshot-source.js";

/**
 * A proxy's snapshot source over the control plane's ProxyConfigHolder: admin view and routing
 * view as it keeps them, plus when the admin view last changed (for `version_info`). Before the
 * first push both are empty (no routes: every request is NR).
 */
export function snapshotSourceOf(holder: ProxyConfigHolder, now: () => number = Date.now): SnapshotSource {
  let receivedAt = 0;
  holder.onAdminUpdate(() => {
    receivedAt = now();
  });
  return {
    admin: () => ({ snapshot: holder.adminSnapshot ?? EMPTY_SNAPSHOT, receivedAt }),
    routing: () => holder.routingSnapshot ?? EMPTY_SNAPSHOT,
  };
}
