import type { MeshSnapshot } from "../control-plane/types.js";

/**
 * A proxy's two views of its config: the admin view (Envoy's main thread, which the admin
 * endpoint shows) and the routing view (the workers, which lag it slightly).
 */
export interface SnapshotSource {
  admin(): { readonly snapshot: MeshSnapshot; readonly receivedAt: number };
  routing(): MeshSnapshot;
}
