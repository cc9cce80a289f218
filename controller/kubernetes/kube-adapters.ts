/**
 * Every Kubernetes adapter of the controller's ports, started together: the Upgrade store,
 * the route table, Deployments, the Pod and Gateway inventory, Events and the validation
 * facts. Each lists and watches what it needs; a first list that fails (the API server
 * unreachable, a CRD missing, RBAC forbidding it) fails the start with its message, and what
 * was started already is stopped.
 */
import { hostname } from "node:os";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { KubeEventRecorder } from "./events/kube-event-recorder.js";
import { kubeValidationFacts } from "./facts/kube-validation-facts.js";
import type { Backoff } from "./informer.js";
import { PodInventory } from "./inventory/pod-inventory.js";
import type { KubeAdapters } from "./kube-controller.js";
import { KubeRouteTable } from "./routes/kube-route-table.js";
import { SecretTokens } from "./secrets/secret-tokens.js";
import { KubeUpgradeStore } from "./upgrades/kube-upgrade-store.js";
import { DeploymentWorkloads } from "./workloads/deployment-workloads.js";

/** Options of {@link startKubeAdapters}. */
export interface KubeAdaptersOptions {
  readonly kc: KubeConfig;
  /** The namespaces whose Upgrades, routes and workloads the controller manages; all when omitted. */
  readonly namespaces?: readonly string[];
  readonly logger: Logger;
  /** This replica's name in Events (default: the pod's name from POD_NAME, else the host name). */
  readonly reportingInstance?: string;
  readonly backoff?: Backoff;
}

/** Starts every adapter; resolves once each has listed what it watches. */
export async function startKubeAdapters(options: KubeAdaptersOptions): Promise<KubeAdapters> {
  const { kc, logger } = options;
  const scope = {
    kc,
    ...(options.namespaces !== undefined ? { namespaces: options.namespaces } : {}),
    ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
  };
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    const store = await KubeUpgradeStore.open(scope);
    stops.push(() => store.close());
    const routeTable = await KubeRouteTable.start({
      ...scope,
      onError: (err) => logger.warn({ err }, "route watch failed; restarting it"),
    });
    stops.push(() => routeTable.stop());
    const workloads = await DeploymentWorkloads.start(scope);
    stops.push(() => workloads.stop());
    const inventory = await PodInventory.start({
      kc,
      ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
    });
    stops.push(() => inventory.stop());
    const events = new KubeEventRecorder({
      kc,
      reportingInstance: options.reportingInstance ?? process.env["POD_NAME"] ?? hostname(),
      logger: logger.child({ component: "events" }),
    });
    return {
      store,
      routeTable,
      workloads,
      inventory,
      events,
      recentEvents: (key) => events.recent(key),
      validationFacts: (upgrade) => kubeValidationFacts({ kc, listUpgrades: () => store.list() }, upgrade),
      webhookTokens: new SecretTokens(kc),
      stop: async () => {
        // The store is closed by the controller after the reconciler stopped.
        const rest = stops.slice(1);
        stops.length = 0;
        for (const stop of rest.reverse()) await stop().catch(() => undefined);
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
