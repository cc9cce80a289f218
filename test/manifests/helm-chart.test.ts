/**
 * The Helm chart (manifests/helm/tranquil), rendered by the real Helm: `helm lint` passes, the
 * default and non-default values render what they say, values.schema.json and the chart's own
 * checks refuse bad values with a message naming them, and every file rendered from the chart
 * (the plain manifests, the RBAC the backend's tests run with) is up to date.
 * The API server's acceptance of every rendered object is tested in install-dry-run.test.ts.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  loadAllYaml,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Deployment,
  type V1MutatingWebhookConfiguration,
  type V1PodDisruptionBudget,
  type V1Service,
} from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { runHelm } from "../support/helm/helm.js";
import { CHART, INSTALL_NAMESPACE, REPO, renderChart, renderedManifests } from "./render-manifests.js";

const VALUES = join(import.meta.dirname, "chart-values");

/** Renders the chart with the values files given, as objects. */
async function render(...valueFiles: string[]): Promise<KubernetesObject[]> {
  const args = valueFiles.flatMap((f) => ["-f", join(VALUES, f)]);
  return (loadAllYaml(await renderChart(args)) as (KubernetesObject | null)[]).filter(
    (o): o is KubernetesObject => o !== null,
  );
}

const find = (objects: readonly KubernetesObject[], kind: string, name: string): unknown =>
  objects.find((o) => o.kind === kind && o.metadata?.name === name);
const kinds = (objects: readonly KubernetesObject[]): string[] =>
  objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort();

describe("the Helm chart", { timeout: 120_000 }, () => {
  it("passes helm lint with default and non-default values", async () => {
    for (const values of [
      [],
      ["-f", join(VALUES, "production.yaml")],
      ["-f", join(VALUES, "minimal.yaml")],
    ]) {
      const r = await runHelm(["lint", "--strict", CHART, ...values]);
      expect(r.stdout + r.stderr, values.join(" ")).toContain("0 chart(s) failed");
      expect(r.code).toBe(0);
    }
  });

  it("renders by default: the controller (2 replicas, leader election, non-root, read-only, probes, PDB), Redis, the webhook, the dashboard", async () => {
    const objects = await render();
    expect(kinds(objects)).toEqual(
      [
        "ClusterRole/tranquil-controller",
        "ClusterRole/tranquil-injector",
        "ClusterRoleBinding/tranquil-controller",
        "ClusterRoleBinding/tranquil-injector",
        "ConfigMap/tranquil-grafana-dashboard",
        "Deployment/tranquil-controller",
        "Deployment/tranquil-injector",
        "MutatingWebhookConfiguration/tranquil-trace-manager-injector",
        "PodDisruptionBudget/tranquil-controller",
        "PodDisruptionBudget/tranquil-injector",
        "Role/tranquil-controller-leader-election",
        "Role/tranquil-injector",
        "RoleBinding/tranquil-controller-leader-election",
        "RoleBinding/tranquil-injector",
        "Secret/tranquil-api-token",
        "Service/tranquil-controller",
        "Service/tranquil-injector",
        "Service/tranquil-redis",
        "ServiceAccount/tranquil-controller",
        "ServiceAccount/tranquil-injector",
        "StatefulSet/tranquil-redis",
      ].sort(),
    );
    for (const o of objects) {
      if (
        o.kind === "ClusterRole" ||
        o.kind === "ClusterRoleBinding" ||
        o.kind === "MutatingWebhookConfiguration"
      )
        continue;
      expect(o.metadata?.namespace, `${o.kind}/${o.metadata?.name}`).toBe(INSTALL_NAMESPACE);
    }
    const controller = find(objects, "Deployment", "tranquil-controller") as V1Deployment;
    expect(controller.spec?.replicas).toBe(2);
    const pod = controller.spec!.template.spec!;
    expect(pod.serviceAccountName).toBe("tranquil-controller");
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    const c = pod.containers[0]!;
    expect(c.image).toBe("tranquil/controller:0.1.0");
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(c.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(c.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(c.resources?.requests).toEqual({ cpu: "100m", memory: "128Mi" });
    expect(c.args).toEqual(
      expect.arrayContaining([
        "--namespaces=all",
        `--controller-namespace=${INSTALL_NAMESPACE}`,
        "--lease-name=tranquil-controller",
        "--api-token-file=/var/run/tranquil/api-token/token",
      ]),
    );
    const hosts = c.args?.find((a) => a.startsWith("--api-allowed-hosts="));
    expect(hosts).toContain(`tranquil-controller.${INSTALL_NAMESPACE}.svc`);
    expect(c.env).toContainEqual({
      name: "TRANQUIL_REDIS_URL",
      value: `redis://tranquil-redis.${INSTALL_NAMESPACE}.svc:6379`,
    });
    expect(c.args?.some((a) => a.startsWith("--prometheus-address"))).toBe(false);
    expect(
      (find(objects, "PodDisruptionBudget", "tranquil-controller") as V1PodDisruptionBudget | undefined)?.spec
        ?.minAvailable,
    ).toBe(1);
    const service = find(objects, "Service", "tranquil-controller") as V1Service;
    expect(service.metadata?.annotations?.["prometheus.io/scrape"]).toBe("true");
    expect(service.spec?.ports?.[0]).toMatchObject({ port: 7070, targetPort: "http-api" });
    const dashboard = find(objects, "ConfigMap", "tranquil-grafana-dashboard") as V1ConfigMap;
    expect(dashboard.metadata?.labels?.["grafana_dashboard"]).toBe("1");
    const json = JSON.parse(dashboard.data?.["tranquil-dashboard.json"] ?? "") as unknown;
    expect(json).toEqual(
      JSON.parse(await readFile(join(REPO, "manifests/grafana/tranquil-dashboard.json"), "utf8")),
    );
    const webhook = find(
      objects,
      "MutatingWebhookConfiguration",
      "tranquil-trace-manager-injector",
    ) as V1MutatingWebhookConfiguration;
    expect(webhook.webhooks?.map((w) => w.failurePolicy)).toEqual(["Ignore", "Ignore"]);
    const injector = find(objects, "Deployment", "tranquil-injector") as V1Deployment;
    expect(injector.spec?.template.spec?.containers[0]?.env).toContainEqual({
      name: "TRANQUIL_INJECT_TRACE_STORE",
      value: `redis://tranquil-redis.${INSTALL_NAMESPACE}.svc:6379`,
    });
  });

  it("renders non-default values: external Sentinel Redis, cert-manager, a ServiceMonitor, Prometheus, listed namespaces", async () => {
    const objects = await render("production.yaml");
    expect(find(objects, "StatefulSet", "tranquil-redis")).toBeUndefined();
    expect(find(objects, "Secret", "tranquil-api-token")).toBeUndefined();
    expect(find(objects, "Role", "tranquil-injector")).toBeUndefined();
    expect(find(objects, "Certificate", "tranquil-injector")).toBeDefined();
    expect(find(objects, "Issuer", "tranquil-selfsigned")).toBeDefined();
    const monitor = find(objects, "ServiceMonitor", "tranquil-controller") as KubernetesObject & {
      spec: { endpoints: { port: string }[] };
    };
    expect(monitor.metadata?.labels?.["release"]).toBe("prometheus");
    expect(monitor.spec.endpoints[0]?.port).toBe("http-api");
    const controller = find(objects, "Deployment", "tranquil-controller") as V1Deployment;
    expect(controller.spec?.replicas).toBe(3);
    const c = controller.spec!.template.spec!.containers[0]!;
    expect(c.image).toBe("tranquil/controller:0.2.0");
    expect(c.args).toEqual(
      expect.arrayContaining([
        "--namespaces=shop,billing",
        "--log-level=debug",
        "--prometheus-address=http://prometheus.monitoring.svc:9090",
        "--notify-webhook=https://hooks.example.com/tranquil",
        "--notify-slack-file=/etc/tranquil/notify/urls",
        "--notify-events=phase,rollback,abort",
      ]),
    );
    expect(c.volumeMounts).toContainEqual({
      name: "notify",
      mountPath: "/etc/tranquil/notify",
      readOnly: true,
    });
    expect(c.args?.find((a) => a.startsWith("--api-allowed-hosts="))).toContain("tranquil.example.com");
    expect(c.env).toContainEqual({
      name: "TRANQUIL_REDIS_URL",
      value: "redis-sentinel://sentinel-0.redis:26379,sentinel-1.redis:26379/tranquil",
    });
    expect(controller.spec?.template.spec?.volumes?.[0]?.secret?.secretName).toBe("my-tranquil-token");
    const webhook = find(
      objects,
      "MutatingWebhookConfiguration",
      "tranquil-trace-manager-injector",
    ) as V1MutatingWebhookConfiguration;
    expect(webhook.metadata?.annotations?.["cert-manager.io/inject-ca-from"]).toBe(
      `${INSTALL_NAMESPACE}/tranquil-injector`,
    );
    const injector = (find(objects, "Deployment", "tranquil-injector") as V1Deployment).spec!.template.spec!;
    expect(injector.containers[0]?.env).toEqual(
      expect.arrayContaining([
        { name: "TRANQUIL_INJECT_TLS_CERT_FILE", value: "/etc/tranquil/tls/tls.crt" },
        { name: "TRANQUIL_INJECT_IMAGE", value: "registry.example.com/tranquil/trace-manager:0.2.0" },
      ]),
    );
    expect(injector.volumes?.map((v) => v.secret?.secretName)).toContain("tranquil-injector-cert-manager");
    expect(
      (find(objects, "ConfigMap", "tranquil-grafana-dashboard") as V1ConfigMap | undefined)?.metadata
        ?.namespace,
    ).toBe("monitoring");
  });

  it("renders the minimal values: no webhook, no dashboard, no annotations, the Redis URL from a Secret", async () => {
    const objects = await render("minimal.yaml");
    expect(
      kinds(objects).filter((k) => k.includes("injector") || k.includes("redis") || k.includes("grafana")),
    ).toEqual([]);
    const controller = find(objects, "Deployment", "tranquil-controller") as V1Deployment;
    expect(controller.spec?.template.metadata?.annotations ?? {}).toEqual({});
    expect(controller.spec?.template.spec?.containers[0]?.env).toEqual([
      { name: "TRANQUIL_REDIS_URL", valueFrom: { secretKeyRef: { name: "tranquil-redis-url", key: "url" } } },
    ]);
  });

  it("refuses bad values, naming them: the schema and the chart's own checks", async () => {
    const refused = async (set: string[], message: RegExp): Promise<void> => {
      const r = await runHelm(["template", "t", CHART, ...set.flatMap((s) => ["--set", s])]);
      expect(r.code, set.join(" ")).not.toBe(0);
      expect(r.stderr, set.join(" ")).toMatch(message);
    };
    await refused(["controller.replicas=0"], /\/controller\/replicas.*minimum/);
    await refused(["controller.logLevel=loud"], /\/controller\/logLevel/);
    await refused(["redis.url=http://redis:6379", "redis.enabled=false"], /\/redis\/url/);
    await refused(["injection.tls.mode=vault"], /\/injection\/tls\/mode/);
    await refused(["controler.replicas=2"], /additional properties 'controler' not allowed/);
    await refused(["redis.url=redis://r:6379"], /set redis.enabled=false too/);
    await refused(["redis.enabled=false"], /needs redis.url or redis.existingSecret/);
  });

  it("keeps every file rendered from the chart up to date (npm run render:manifests)", async () => {
    for (const [path, content] of await renderedManifests()) {
      const committed = await readFile(join(REPO, path), "utf8");
      expect(committed === content, `${path} is out of date: run npm run render:manifests`).toBe(true);
    }
  });
});
