/**
 * The logistics samples a release engineer applies to a cluster with Istio and Tranquil, made
 * from the same topology as the local cluster's demo (test/cluster/demo/logistics.topology.yaml):
 *
 * - istio/samples/logistics-routing.yaml: the Gateway, DestinationRules and VirtualServices,
 *   all traffic to v1, each destination setting the `x-version` response header to its version;
 * - manifests/samples/logistics.yaml: the namespace (labelled for Istio's and Tranquil's
 *   injection), per service a Service and a Deployment `<service>-v1` with only the app
 *   container (the webhooks add the sidecars), and an HPA for order-service;
 * - manifests/samples/upgrades/: example Upgrades (one service, a release train, with
 *   Prometheus analysis).
 *
 * `npx tsx test/manifests/sample-manifests.ts` writes them; test/manifests/samples.test.ts
 * fails when one is out of date.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { stringify } from "yaml";
import type { HTTPRouteDestination } from "../../istio/api/types.js";
import { loadTopology } from "../../istio/local-mesh/runtime/topology.js";
import {
  CLUSTER_LOGISTICS_TOPOLOGY,
  DEPLOYED_VERSION,
  logisticsManifests,
  type Manifest,
} from "../cluster/demo/logistics-manifests.js";
import { REPO } from "./render-manifests.js";

/** The namespace the samples run in. */
export const SAMPLES_NAMESPACE = "logistics";
/** The response header naming the version that served a request. */
export const VERSION_HEADER = "x-version";

type Meta = { name: string; namespace?: string; labels?: Record<string, string> };
type Container = { name: string; resources?: unknown };
type DeploymentLike = Manifest & { spec: { template: { spec: { containers: Container[] } } } };
type RoutingLike = Manifest & { spec: { http?: { route?: HTTPRouteDestination[] }[] } };

/** Injection adds these to the pods; a user's Deployment carries only its app. */
const INJECTED = new Set(["istio-proxy", "tranquil-trace-manager"]);

function inNamespace(m: Manifest): Manifest {
  const meta = m["metadata"] as Meta;
  return { ...m, metadata: { ...meta, namespace: SAMPLES_NAMESPACE } };
}

function appOnly(m: Manifest): Manifest {
  if (m.kind !== "Deployment") return m;
  const d = structuredClone(m) as DeploymentLike;
  d.spec.template.spec.containers = d.spec.template.spec.containers
    .filter((c) => !INJECTED.has(c.name))
    // Requests, so that the HPA's CPU utilization has a base.
    .map((c) => ({
      ...c,
      resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    }));
  return d;
}

function withVersionHeader(m: Manifest): Manifest {
  if (m.kind !== "VirtualService") return m;
  const vs = structuredClone(m) as RoutingLike;
  for (const route of vs.spec.http ?? []) {
    for (const d of route.route ?? []) {
      const version = d.destination.subset;
      if (version !== undefined) d.headers = { response: { set: { [VERSION_HEADER]: version } } };
    }
  }
  return vs;
}

const namespace: Manifest = {
  apiVersion: "v1",
  kind: "Namespace",
  metadata: {
    name: SAMPLES_NAMESPACE,
    labels: { "istio-injection": "enabled", "tranquil.dev/inject": "enabled" },
  },
};

const orderHpa: Manifest = {
  apiVersion: "autoscaling/v2",
  kind: "HorizontalPodAutoscaler",
  metadata: { name: `order-service-${DEPLOYED_VERSION}`, namespace: SAMPLES_NAMESPACE },
  spec: {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: `order-service-${DEPLOYED_VERSION}` },
    minReplicas: 2,
    maxReplicas: 6,
    metrics: [
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
      },
    ],
  },
};

const upgrade = (name: string, spec: Record<string, unknown>): Manifest => ({
  apiVersion: "tranquil.dev/v1alpha1",
  kind: "Upgrade",
  metadata: { name, namespace: SAMPLES_NAMESPACE },
  spec,
});

/** The example Upgrades: file name, comment, object. */
export const SAMPLE_UPGRADES: readonly { file: string; comment: string; upgrade: Manifest }[] = [
  {
    file: "auth-service-v2.yaml",
    comment: "One service in canary steps, judged on the TraceManagers' own figures.",
    upgrade: upgrade("auth-v2", {
      services: [{ name: "auth-service", from: "v1", to: "v2", image: "tranquil/auth-service:v2" }],
      strategy: {
        steps: [10, 50, 100],
        stepInterval: "30s",
        analysis: { successRate: { min: 99 }, latencyP99: { maxMs: 500 } },
      },
    }),
  },
  {
    file: "release-train.yaml",
    comment:
      "A release train: auth-service and order-service move together; a transaction sees both old or both new.",
    upgrade: upgrade("auth-order-v2", {
      services: [
        { name: "auth-service", from: "v1", to: "v2", image: "tranquil/auth-service:v2" },
        { name: "order-service", from: "v1", to: "v2", image: "tranquil/order-service:v2" },
      ],
      strategy: { steps: [10, 25, 50, 100], stepInterval: "1m", failureLimit: 1 },
      drain: { maxTransactionAge: "10m", timeout: "30m", onTimeout: "wait" },
    }),
  },
  {
    file: "with-prometheus.yaml",
    comment:
      "Judged by Prometheus over Istio's standard metrics (built-in checks and a raw query); give the\n# controller --prometheus-address (the chart's prometheus.address) or set prometheusAddress here.",
    upgrade: upgrade("item-v2", {
      services: [{ name: "item-service", from: "v1", to: "v2", image: "tranquil/item-service:v2" }],
      strategy: {
        steps: [20, 50, 100],
        stepInterval: "1m",
        analysis: {
          prometheus: [
            { metric: "request-success-rate", min: 99 },
            { metric: "request-duration", max: 300 },
            {
              name: "no-local-replies",
              query:
                'sum(increase(istio_requests_total{reporter="destination", destination_workload_namespace="{{ namespace }}", destination_service_name="{{ service }}", destination_version="{{ version }}", response_flags!="-"}[{{ window }}])) or vector(0)',
              max: 0,
            },
          ],
          onMissingData: "wait",
          missingDataLimit: 3,
        },
      },
    }),
  },
];

const toYaml = (header: string, manifests: readonly Manifest[]): string =>
  `${header}\n` +
  manifests
    .map(
      (m) =>
        `---\n# ${m.kind} ${(m["metadata"] as Meta).name}\n${stringify(m, { lineWidth: 0, aliasDuplicateObjects: false })}`,
    )
    .join("");

const GENERATED =
  "Generated by test/manifests/sample-manifests.ts from test/cluster/demo/logistics.topology.yaml.";

/** Every sample file: its path from the repository root and its content. */
export async function sampleFiles(): Promise<Map<string, string>> {
  const t = await loadTopology(CLUSTER_LOGISTICS_TOPOLOGY);
  const all = logisticsManifests(t, (name) => (name === "order-service" ? 2 : 1)).map(inNamespace);
  const routingKinds = new Set(["Gateway", "DestinationRule", "VirtualService"]);
  const files = new Map<string, string>();
  files.set(
    "istio/samples/logistics-routing.yaml",
    toYaml(
      `# The logistics services' Istio routing: the Gateway for Istio's ingress gateway, a\n# DestinationRule per service with its version subsets, and VirtualServices sending all traffic\n# to v1; each destination sets the ${VERSION_HEADER} response header to its version (Tranquil's routes\n# to v2 say v2). ${GENERATED}`,
      all.filter((m) => routingKinds.has(m.kind)).map(withVersionHeader),
    ),
  );
  files.set(
    "manifests/samples/logistics.yaml",
    toYaml(
      `# The logistics services: their namespace (Istio's and Tranquil's injection on), a Service and a\n# Deployment per service at v1 (the app container only; the webhooks add istio-proxy and the\n# TraceManager), and an HPA for order-service. Apply istio/samples/logistics-routing.yaml with it.\n# ${GENERATED}`,
      [namespace, ...all.filter((m) => !routingKinds.has(m.kind)).map(appOnly), orderHpa],
    ),
  );
  for (const s of SAMPLE_UPGRADES) {
    files.set(
      `manifests/samples/upgrades/${s.file}`,
      toYaml(`# ${s.comment}\n# kubectl apply -f manifests/samples/upgrades/${s.file}`, [s.upgrade]),
    );
  }
  return files;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = await sampleFiles();
  for (const [path, content] of files) await writeFile(join(REPO, path), content);
  process.stderr.write(`tranquil: wrote ${files.size} sample files\n`);
}
