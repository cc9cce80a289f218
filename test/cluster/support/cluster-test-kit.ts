/**
 * What the local-cluster tests share: polling the API server until a condition holds, and the
 * local mesh that plays the cluster's node (no instance until a pod or a test starts one), in
 * cluster mode: its routes and endpoints come from the API server only.
 */
import { pino } from "pino";
import {
  startMesh,
  type MeshHandle,
  type MeshOptions,
} from "../../../istio/local-mesh/runtime/mesh-runtime.js";
import { loadTopology } from "../../../istio/local-mesh/runtime/topology.js";

/** The echo services' topology the node agent's own tests run. */
export const CLUSTER_TOPOLOGY = new URL("../node-agent/cluster.topology.yaml", import.meta.url).pathname;

/**
 * How long a terminating pod keeps its listeners after the EndpointSlice controller marked it
 * not ready: the controller, the mirror and the proxies' push delays (at most 200 ms here)
 * must all have passed, on a shared 2-core machine.
 */
export const TERMINATION_DRAIN_MS = 1_500;

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

/**
 * The local mesh for a cluster test: routes and endpoints from the API server (`external`), short
 * push delays, quiet logs, no instance yet; `topology` is a topology file (default the echo
 * services'), `overrides` replace any option.
 */
export async function startNodeMesh(
  topology: string = CLUSTER_TOPOLOGY,
  overrides: MeshOptions = {},
): Promise<MeshHandle> {
  return startMesh(await loadTopology(topology), {
    endpoints: "external",
    routes: "external",
    terminationDrainMs: TERMINATION_DRAIN_MS,
    pushDelay: { minMs: 10, maxMs: 200 },
    workerLag: { minMs: 0, maxMs: 5 },
    // Generous: the tests share two cores; fail-open is tested elsewhere.
    checkTimeoutMs: 1_000,
    traceManager: { heartbeatMs: 200 },
    logger: pino({ level: "silent" }),
    ...overrides,
  });
}
