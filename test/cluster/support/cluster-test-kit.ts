/**
 * What the local-cluster tests share: polling the API server until a condition holds, and the
 * local mesh that plays the cluster's node (no instance until a pod or a test starts one).
 */
import { pino } from "pino";
import { startMesh, type MeshHandle } from "../../../istio/local-mesh/runtime/mesh-runtime.js";
import { loadTopology } from "../../../istio/local-mesh/runtime/topology.js";

const TOPOLOGY = new URL("../node-agent/cluster.topology.yaml", import.meta.url).pathname;

/** Polls `read` until `done` holds on its result; after `timeoutMs` fails with the last value and `context()`. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 30_000,
  context: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!done(last)) {
    if (Date.now() > deadline) {
      throw new Error(
        `not reached within ${timeoutMs} ms: ${JSON.stringify(last).slice(0, 2_000)} ${context()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
    last = await read();
  }
  return last;
}

/** The local mesh for a cluster test: short push delays, quiet logs, no instance yet. */
export async function startNodeMesh(): Promise<MeshHandle> {
  return startMesh(await loadTopology(TOPOLOGY), {
    pushDelay: { minMs: 10, maxMs: 200 },
    workerLag: { minMs: 0, maxMs: 5 },
    // Generous: the tests share two cores; fail-open is tested elsewhere.
    checkTimeoutMs: 1_000,
    traceManager: { heartbeatMs: 200 },
    logger: pino({ level: "silent" }),
  });
}
