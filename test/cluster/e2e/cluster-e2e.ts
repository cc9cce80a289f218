/**
 * The end-to-end harness on the local cluster: the real control plane, the local mesh as its
 * node (endpoints from EndpointSlices, routes from the API server), the logistics services
 * applied as YAML the way a user would, and Tranquil's cluster controller running with the
 * RBAC the install ships, behind its Lease. Tests grade from outside the controller as the
 * local e2e tests do: the load generator's `servedBy`/`mixed` per transaction, and the old
 * instances' own last-served times against the removals seen on the API server.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, type KubeConfig } from "@kubernetes/client-node";
import pino, { type Logger } from "pino";
import { startKubeAdapters } from "../../../controller/kubernetes/kube-adapters.js";
import { startKubeController, type KubeController } from "../../../controller/kubernetes/kube-controller.js";
import { LeaseElector } from "../../../controller/kubernetes/leader/lease-election.js";
import { KubeUpgradeStore } from "../../../controller/kubernetes/upgrades/kube-upgrade-store.js";
import { KillSwitch } from "../../../controller/local/testing/killable.js";
import type { MeshHandle } from "../../../istio/local-mesh/runtime/mesh-runtime.js";
import type { TraceStore } from "../../../trace-manager/store/port.js";
import { e2eTimings, warmUp, type E2eTimings } from "../../e2e/harness.js";
import type { NodeAgent } from "../node-agent/node-agent.js";
import type { KubeTestEnv } from "../support/kube-test-env.js";
import { eventually } from "../support/cluster-test-kit.js";
import { applyYamlFile, startLocalCluster } from "../support/local-cluster.js";
import { controllerKubeConfig } from "../support/service-account.js";
import { logPods, type PodLog } from "./pod-log.js";
import { recordRemovals, type RemovalRecorder } from "./removal-recorder.js";

const DEMO_DIR = new URL("../demo/", import.meta.url).pathname;
/** The Lease every controller replica of the tests competes for. */
const LEASE = { namespace: "tranquil-system", name: "tranquil-controller" };

/** One controller replica and its kill switch. */
export interface Replica {
  readonly identity: string;
  readonly controller: KubeController;
  /** Cuts the replica off as `kill -9` would: nothing more reaches the cluster, the Lease is not released. */
  kill(): void;
}

/** Options of {@link ClusterE2e.startReplica}. */
export interface ReplicaOptions {
  /** What the replica reads the TraceManagers' data through (G4 fault injection). */
  readonly traceStore?: (real: TraceStore) => TraceStore;
}

/** Options of {@link bootClusterE2e}. */
export interface ClusterBootOptions {
  /** The node's topology (which programs the images run, and their faults); default: the logistics demo's. */
  readonly topology?: string;
  /** `redis://…`: the TraceManagers report to this Redis (for controllers in other processes); in memory by default. */
  readonly storeUrl?: string;
  /**
   * Puts the logistics services on the cluster (default: applies the demo's logistics.yaml,
   * whose pods carry the TraceManager already); the boot then waits for their Deployments.
   */
  readonly workloads?: (kc: KubeConfig, namespace: string, agent: NodeAgent) => Promise<void>;
}

/** A booted cluster with the logistics services at v1. */
export interface ClusterE2e {
  readonly env: KubeTestEnv;
  readonly mesh: MeshHandle;
  readonly agent: NodeAgent;
  readonly namespace: string;
  readonly timings: E2eTimings;
  readonly logger: Logger;
  /** The user's view of the Upgrades (admin credentials, as `kubectl`). */
  readonly upgrades: KubeUpgradeStore;
  readonly removals: RemovalRecorder;
  /** Every pod created in the namespace since the logistics services were applied. */
  readonly pods: PodLog;
  /** The controller's own credentials: its ServiceAccount bound to the shipped RBAC. */
  readonly controllerKc: KubeConfig;
  /** Starts one more controller replica. */
  startReplica(identity: string, options?: ReplicaOptions): Promise<Replica>;
  /** Applies a manifest of the demo folder as `kubectl apply -f` would. */
  apply(file: string): Promise<void>;
  /** What the node agent and the mirrors could not do. */
  readonly errors: readonly string[];
  stop(): Promise<void>;
}

/** Waits until every Deployment of `namespace` has all its replicas ready. */
export async function deploymentsReady(kc: KubeConfig, namespace: string, timeoutMs = 60_000): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  await eventually(
    () => apps.listNamespacedDeployment({ namespace }),
    (list) =>
      list.items.length > 0 &&
      list.items.every((d) => (d.status?.readyReplicas ?? 0) >= (d.spec?.replicas ?? 1)),
    timeoutMs,
  );
}

/** Boots the cluster, the node, the logistics services at v1 and the users' view; no controller yet. */
export async function bootClusterE2e(options: ClusterBootOptions = {}): Promise<ClusterE2e> {
  const timings = e2eTimings();
  const dir = await mkdtemp(join(tmpdir(), "tranquil-cluster-e2e-"));
  const logger = pino({ level: "info" }, pino.destination({ dest: join(dir, "e2e.log"), sync: false }));
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    logger.flush();
    if (process.env["E2E_KEEP_LOGS"] === undefined) await rm(dir, { recursive: true, force: true });
  };
  try {
    const cluster = await startLocalCluster({
      topology: options.topology ?? join(DEMO_DIR, "logistics.topology.yaml"),
      mesh: {
        logger,
        pushDelay: timings.pushDelay,
        workerLag: timings.workerLag,
        traceManager: { heartbeatMs: timings.traceManagerHeartbeatMs },
        ...(options.storeUrl !== undefined ? { storeUrl: options.storeUrl } : {}),
      },
    });
    stops.push(() => cluster.stop());
    const { env, mesh, agent } = cluster;
    const namespace = mesh.topology.namespace;
    const apply = async (file: string): Promise<void> => {
      await applyYamlFile(env.kc, join(DEMO_DIR, file));
    };
    await (options.workloads?.(env.kc, namespace, agent) ?? apply("logistics.yaml"));
    await deploymentsReady(env.kc, namespace, 120_000);
    await warmUp(mesh, 60_000);
    const controllerKc = await controllerKubeConfig(env.kc);
    const upgrades = await KubeUpgradeStore.open({ kc: env.kc });
    stops.push(() => upgrades.close());
    const removals = await recordRemovals(env.kc, namespace, mesh);
    stops.push(() => removals.stop());
    const pods = await logPods(env.kc, namespace);
    stops.push(() => pods.stop());
    const replicas: Replica[] = [];
    stops.push(async () => {
      for (const r of replicas) await r.controller.stop().catch(() => undefined);
    });
    const startReplica = async (identity: string, replicaOptions: ReplicaOptions = {}): Promise<Replica> => {
      const ks = new KillSwitch();
      const adapters = await startKubeAdapters({ kc: controllerKc, namespaces: [namespace], logger });
      const elector = new LeaseElector({
        kc: controllerKc,
        ...LEASE,
        identity,
        logger,
        leaseDurationMs: 4_000,
        renewDeadlineMs: 2_500,
        retryPeriodMs: 500,
      });
      const controller = await startKubeController({
        adapters,
        leadership: elector,
        traceStore: replicaOptions.traceStore?.(mesh.traceStore) ?? mesh.traceStore,
        logger: logger.child({ replica: identity }),
        token: "e2e-token-of-the-cluster-tests",
        settings: timings.settings,
        intervalMs: timings.reconcileIntervalMs,
        interpose: (port) => ks.wrap(port),
      });
      const replica: Replica = {
        identity,
        controller,
        kill: () => {
          ks.kill();
          controller.halt();
          elector.abandon();
        },
      };
      replicas.push(replica);
      return replica;
    };
    return {
      env,
      mesh,
      agent,
      namespace,
      timings,
      logger,
      upgrades,
      removals,
      pods,
      controllerKc,
      startReplica,
      apply,
      errors: cluster.errors,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
