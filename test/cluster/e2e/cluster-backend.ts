/**
 * The scenarios' backend on the local cluster: {@link bootClusterE2e}'s control plane, node
 * and logistics services, with one Kubernetes controller replica (the shipped RBAC, behind its
 * Lease). Users act as `kubectl` does with admin credentials: an Upgrade is a custom object
 * created on the API server, a command is the `commands.tranquil.dev/<kind>` annotation, routes
 * are read from and replaced on the API server under a field manager of the writer's own.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import type { DestinationRule, VirtualService } from "../../../istio/api/types.js";
import { commandAnnotation } from "../../../controller/kubernetes/upgrades/upgrade-codec.js";
import { freezableTraceStore } from "../../e2e/harness.js";
import {
  ScenarioTopology,
  type BackendNeeds,
  type CommandAnswer,
  type E2eBackend,
  type Submission,
} from "../../e2e/scenarios/e2e-backend.js";
import { bootClusterE2e } from "./cluster-e2e.js";

const HERE = new URL(".", import.meta.url).pathname;
const UPGRADES = { group: "tranquil.dev", version: "v1alpha1", plural: "upgrades" } as const;
const ISTIO = { group: "networking.istio.io", version: "v1" } as const;

/** The refusal of an API call as a status and the API server's own message. */
function refusal(err: unknown): { status: number; message: string } {
  if (!(err instanceof ApiException)) throw err;
  const body = typeof err.body === "string" ? err.body : JSON.stringify(err.body);
  let message = body;
  try {
    message = (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    // Not a v1 Status: keep the body as it came.
  }
  return { status: err.code, message };
}

/** Boots the local cluster and one controller replica for a scenario. */
export async function bootClusterBackend(needs: BackendNeeds = {}): Promise<E2eBackend> {
  const freezer = needs.freezable === true ? freezableTraceStore() : undefined;
  const c = await bootClusterE2e(
    needs.topology === ScenarioTopology.BadRelease
      ? { topology: join(HERE, "bad-release.topology.yaml") }
      : {},
  );
  try {
    await c.startReplica("replica-a", freezer !== undefined ? { traceStore: freezer.wrap } : {});
  } catch (err) {
    await c.stop();
    throw err;
  }
  const { namespace } = c;
  const objects = c.env.kc.makeApiClient(CustomObjectsApi);
  const core = c.env.kc.makeApiClient(CoreV1Api);
  const listIstio = async <T>(plural: string): Promise<T[]> => {
    const list = (await objects.listNamespacedCustomObject({ ...ISTIO, namespace, plural })) as {
      items: T[];
    };
    return list.items;
  };
  return {
    name: "cluster",
    mesh: c.mesh,
    namespace,
    timings: c.timings,
    upgrades: () => c.upgrades,
    submit: async (name, spec): Promise<Submission> => {
      const body = { apiVersion: "tranquil.dev/v1alpha1", kind: "Upgrade", metadata: { name }, spec };
      try {
        await objects.createNamespacedCustomObject({ ...UPGRADES, namespace, body });
        return { refused: false };
      } catch (err) {
        return { refused: true, ...refusal(err) };
      }
    },
    command: async (name, kind): Promise<CommandAnswer> => {
      // `kubectl annotate --overwrite upgrade <name> commands.tranquil.dev/<kind>=<token>`.
      const body = { metadata: { annotations: { [commandAnnotation(kind)]: randomUUID() } } };
      try {
        await objects.patchNamespacedCustomObject(
          { ...UPGRADES, namespace, name, body },
          setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
        );
        return { status: 200, message: "" };
      } catch (err) {
        return refusal(err);
      }
    },
    virtualServices: () => listIstio<VirtualService>("virtualservices"),
    destinationRules: () => listIstio<DestinationRule>("destinationrules"),
    editVirtualService: async (name, edit, writer) => {
      for (let attempt = 0; ; attempt++) {
        const vs = (await objects.getNamespacedCustomObject({
          ...ISTIO,
          namespace,
          plural: "virtualservices",
          name,
        })) as VirtualService;
        vs.spec = edit(structuredClone(vs.spec));
        try {
          const written = (await objects.replaceNamespacedCustomObject({
            ...ISTIO,
            namespace,
            plural: "virtualservices",
            name,
            body: vs,
            fieldManager: writer,
          })) as VirtualService;
          return written.spec;
        } catch (err) {
          if (!(err instanceof ApiException) || err.code !== 409 || attempt >= 5) throw err;
        }
      }
    },
    versionsOf: async (service) => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${service}` });
      return pods.items.map((p) => p.metadata?.labels?.["version"] ?? "?").sort();
    },
    removals: () => c.removals.removals(),
    freezer: freezer?.control,
    stop: () => c.stop(),
  };
}
