/**
 * The README's cluster steps on the local cluster: Tranquil from its Helm chart (`helm template`
 * applied server-side), a namespace labelled for injection, and the logistics samples
 * (manifests/samples/, istio/samples/) applied. What the local node cannot do is bridged, and
 * only that: the API server here cannot reach a Service, so the chart's webhook configuration
 * is pointed at a port-forward to the chart's own injector pods (its certificate names
 * 127.0.0.1 through `injection.tls.ips`); the mesh runs one namespace, so the samples go to it
 * instead of `logistics`. Everything else is the chart's and the samples' own.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
  type V1Deployment,
  type V1Pod,
} from "@kubernetes/client-node";
import { CHART, INSTALL_NAMESPACE, REPO, objectsOf } from "../../manifests/render-manifests.js";
import { helm } from "../../support/helm/helm.js";
import { deploymentsReady } from "../e2e/cluster-e2e.js";
import type { NodeAgent } from "../node-agent/node-agent.js";
import { eventually } from "../support/cluster-test-kit.js";
import { applyObjects } from "../support/local-cluster.js";
import { portForwardService, type PortForward } from "../support/port-forward.js";
import { ensureNamespace } from "../support/token-kubeconfig.js";

/** The chart's values for the local node, each with its reason. */
export const LOCAL_VALUES = join(import.meta.dirname, "local-values.yaml");
const WEBHOOK_CONFIG = "tranquil-trace-manager-injector";
const INJECT_LABEL = "tranquil.dev/inject";

/** What {@link installFromChart} installed. */
export interface ChartInstall {
  /** Every object the chart rendered. */
  readonly objects: readonly KubernetesObject[];
  /** The port-forward the webhook configuration calls. */
  readonly webhookForward: PortForward;
}

/** Renders and applies the chart, and makes its webhook reachable from the API server. */
export async function installFromChart(
  kc: KubeConfig,
  agent: NodeAgent,
  redisUrl: string,
): Promise<ChartInstall> {
  const objects = objectsOf(
    await helm([
      ...["template", "tranquil", CHART, "--namespace", INSTALL_NAMESPACE, "--include-crds"],
      ...["-f", LOCAL_VALUES, "--set", `redis.url=${redisUrl}`],
    ]),
  );
  await ensureNamespace(kc, INSTALL_NAMESPACE);
  await applyObjects(kc, objects);
  await deploymentsReady(kc, INSTALL_NAMESPACE, 120_000).catch(async (err: unknown) => {
    throw new Error(
      `the chart's Deployments did not become ready: ${await podStates(kc, INSTALL_NAMESPACE)}`,
      {
        cause: err,
      },
    );
  });
  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  // The injector writes its CA into the configuration when it starts.
  const config = await eventually(
    () => admission.readMutatingWebhookConfiguration({ name: WEBHOOK_CONFIG }),
    (c) => (c.webhooks ?? []).every((w) => (w.clientConfig.caBundle ?? "") !== ""),
    30_000,
  );
  const webhookForward = await portForwardService(kc, agent, {
    namespace: INSTALL_NAMESPACE,
    name: "tranquil-injector",
    port: 8443,
  });
  for (const w of config.webhooks ?? [])
    w.clientConfig = {
      url: `https://${webhookForward.address}${w.clientConfig.service?.path ?? "/inject"}`,
      ...(w.clientConfig.caBundle !== undefined ? { caBundle: w.clientConfig.caBundle } : {}),
    };
  await admission.replaceMutatingWebhookConfiguration({ name: WEBHOOK_CONFIG, body: config });
  return { objects, webhookForward };
}

/** `kubectl label namespace <ns> tranquil.dev/inject=enabled`, then the samples applied into it. */
export async function deploySamples(kc: KubeConfig, namespace: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.patchNamespace(
    { name: namespace, body: { metadata: { labels: { [INJECT_LABEL]: "enabled" } } } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
  await untilInjecting(core, namespace);
  const files = ["manifests/samples/logistics.yaml", "istio/samples/logistics-routing.yaml"];
  const samples = (await Promise.all(files.map((f) => readFile(join(REPO, f), "utf8")))).flatMap(objectsOf);
  const inMesh = samples
    .filter((o) => o.kind !== "Namespace")
    .map((o) =>
      withIstioProxy(Object.assign({}, o, { metadata: Object.assign({}, o.metadata, { namespace }) })),
    );
  await applyObjects(kc, inMesh);
}

/**
 * Istio's sidecar injector does not run here (istiod does not, yet): a Deployment's pods get
 * the `istio-proxy` container in their template, as Istio's injection gives it to each pod (the
 * node agent runs the mesh's sidecar in its place).
 */
function withIstioProxy(o: KubernetesObject): KubernetesObject {
  if (o.kind !== "Deployment") return o;
  const d = structuredClone(o) as V1Deployment;
  d.spec?.template.spec?.containers.push({ name: "istio-proxy", image: "docker.io/istio/proxyv2:1.28.0" });
  return d;
}

/**
 * Waits until the API server calls the webhook for new pods of `namespace` (it picks a changed
 * configuration up through an informer): a pod created in a dry run comes back injected.
 */
async function untilInjecting(core: CoreV1Api, namespace: string): Promise<void> {
  const probe: V1Pod = {
    metadata: { generateName: "injection-check-", namespace, labels: { app: "auth-service", version: "v1" } },
    spec: { containers: [{ name: "app", image: "tranquil/auth-service:v1" }] },
  };
  await eventually(
    () => core.createNamespacedPod({ namespace, body: probe, dryRun: "All" }),
    (pod) => (pod.spec?.containers ?? []).some((c) => c.name === "tranquil-trace-manager"),
    30_000,
  );
}

async function podStates(kc: KubeConfig, namespace: string): Promise<string> {
  const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace });
  return pods.items
    .map(
      (p) =>
        `${p.metadata?.name}: ${p.status?.phase} ${JSON.stringify(p.status?.containerStatuses?.[0]?.state ?? {})}`,
    )
    .join("; ");
}
