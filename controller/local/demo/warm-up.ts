/**
 * Waits until the freshly started mesh serves real transactions end to end: every proxy
 * learns the others' endpoints after its own push delay, as in a cluster that has just come
 * up, so the first requests may meet 503 UH. The demo's users arrive only once a log-in and
 * the catalog reads succeed several times in a row.
 */
import { SEED_STAFF } from "../../../sample-services/store/seed.js";

/** Resolves once `baseUrl` answers `streak` rounds of log-in and catalog reads; throws after `timeoutMs`. */
export async function waitUntilServing(baseUrl: string, timeoutMs = 30_000, streak = 3): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let good = 0;
  let lastError = "no answer yet";
  while (good < streak) {
    if (Date.now() > deadline) {
      throw new Error(`the local mesh did not start serving within ${timeoutMs / 1000} s: ${lastError}`);
    }
    try {
      const login = await fetch(`${baseUrl}/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ phone: SEED_STAFF.phone, password: SEED_STAFF.password }),
      });
      const stations = await fetch(`${baseUrl}/stations`);
      const items = await fetch(`${baseUrl}/items`);
      // Read the bodies, so each connection goes back to the pool.
      await Promise.all([login.arrayBuffer(), stations.arrayBuffer(), items.arrayBuffer()]);
      const statuses = [login.status, stations.status, items.status];
      if (statuses.every((s) => s < 300)) good += 1;
      else {
        good = 0;
        lastError = `answers ${statuses.join(", ")}`;
      }
    } catch (err) {
      good = 0;
      lastError = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
