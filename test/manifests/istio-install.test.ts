/**
 * The Istio configuration users install (istio/install/): its parts agree with each other and
 * with the TraceManager (socket, headers, the stats it reads), and every object is accepted by a
 * real API server with Istio's CRDs (server-side dry run), which refuses a broken one.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KubernetesObjectApi, type KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { CONFIG_DEFAULTS } from "../../trace-manager/config.js";
import { FIGURE_STATS_FILTER } from "../../trace-manager/envoy-admin/client.js";
import { startKubeTestEnv, type KubeTestEnv } from "../cluster/support/kube-test-env.js";

const DIR = join(import.meta.dirname, "..", "..", "istio", "install");

type Doc = KubernetesObject & { spec: Record<string, unknown> };
const docs = (file: string): Doc[] =>
  parseAllDocuments(readFileSync(join(DIR, file), "utf8"))
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
const objects = [...docs("tranquil-mesh.yaml"), ...docs("sidecar-policy.yaml")];
const byKind = (kind: string): Doc[] => objects.filter((o) => o.kind === kind);

interface Provider {
  readonly name: string;
  readonly envoyExtAuthzGrpc?: {
    service: string;
    port: number;
    timeout: string;
    failOpen: boolean;
    clearRouteCache?: boolean;
  };
  readonly envoyHttpAls?: { service: string; port: number; additionalRequestHeadersToLog: string[] };
}
const mesh = (
  docs("mesh-config.yaml")[0] as unknown as {
    meshConfig: {
      extensionProviders: Provider[];
      defaultConfig: { proxyStatsMatcher: { inclusionRegexps: string[] } };
    };
  }
).meshConfig;
const provider = (name: string): Provider | undefined => mesh.extensionProviders.find((p) => p.name === name);

describe("istio/install: the parts agree", () => {
  const entry = byKind("ServiceEntry")[0]?.spec as {
    hosts: string[];
    ports: { number: number; protocol: string }[];
    resolution: string;
    endpoints: { address: string }[];
  };

  it("reaches the TraceManager's socket through one ServiceEntry with TLS off", () => {
    expect(entry.ports).toHaveLength(1);
    expect(entry.ports[0]?.protocol).toBe("GRPC");
    expect(entry.resolution).toBe("STATIC");
    expect(entry.endpoints).toEqual([{ address: `unix://${CONFIG_DEFAULTS.socketPath}` }]);
    const rule = byKind("DestinationRule")[0]?.spec as {
      host: string;
      trafficPolicy: { tls: { mode: string } };
    };
    expect(rule.host).toBe(entry.hosts[0]);
    expect(rule.trafficPolicy.tls.mode).toBe("DISABLE");
    for (const p of mesh.extensionProviders) {
      const target = p.envoyExtAuthzGrpc ?? p.envoyHttpAls;
      expect(target?.service, p.name).toBe(entry.hosts[0]);
      expect(target?.port, p.name).toBe(entry.ports[0]?.number);
    }
  });

  it("fails open fast, clears the route cache at the gateway only, and logs the headers the TraceManager keys on", () => {
    for (const name of ["tranquil-gateway", "tranquil-sidecar"]) {
      const authz = provider(name)?.envoyExtAuthzGrpc;
      expect(authz?.failOpen, name).toBe(true);
      expect(Number.parseFloat(authz?.timeout ?? "1") * 1000, name).toBeLessThanOrEqual(100);
    }
    expect(provider("tranquil-gateway")?.envoyExtAuthzGrpc?.clearRouteCache).toBe(true);
    expect(provider("tranquil-sidecar")?.envoyExtAuthzGrpc?.clearRouteCache).toBeUndefined();
    expect(provider("tranquil-als")?.envoyHttpAls?.additionalRequestHeadersToLog).toEqual(
      expect.arrayContaining(["x-request-id", CONFIG_DEFAULTS.enrolmentHeader]),
    );
  });

  it("names only providers the mesh config defines, one CUSTOM provider per workload", () => {
    const policies = byKind("AuthorizationPolicy").map(
      (p) => p.spec as { action: string; provider: { name: string }; selector?: unknown },
    );
    for (const p of policies) {
      expect(p.action).toBe("CUSTOM");
      expect(provider(p.provider.name)?.envoyExtAuthzGrpc, p.provider.name).toBeDefined();
    }
    // The gateway's policy selects the gateway in istio-system; the sidecars' is namespaced
    // elsewhere, so no workload gets both (Istio's deny-all trap before PR 58082).
    const gateway = byKind("AuthorizationPolicy").find((p) => p.metadata?.name === "tranquil-gateway");
    const sidecar = byKind("AuthorizationPolicy").find((p) => p.metadata?.name === "tranquil-sidecar");
    expect(gateway?.metadata?.namespace).toBe("istio-system");
    expect(gateway?.spec["selector"]).toEqual({ matchLabels: { istio: "ingressgateway" } });
    expect(sidecar?.metadata?.namespace).not.toBe("istio-system");
    const logged = byKind("Telemetry").flatMap((t) =>
      (t.spec["accessLogging"] as { providers: { name: string }[] }[]).flatMap((a) =>
        a.providers.map((p) => p.name),
      ),
    );
    expect(logged).toEqual(["tranquil-als"]);
    expect(provider("tranquil-als")?.envoyHttpAls).toBeDefined();
  });

  it("keeps every Envoy stat the TraceManager asks its proxy for", () => {
    const inclusions = mesh.defaultConfig.proxyStatsMatcher.inclusionRegexps.map(
      (r) => new RegExp(`^(?:${r})$`),
    );
    const filter = new RegExp(FIGURE_STATS_FILTER);
    const read = [
      "http.inbound_0.0.0.0_8080.ext_authz.ok",
      "http.inbound_0.0.0.0_8080.ext_authz.failure_mode_allowed",
      "cluster.outbound|8080|v1|auth-service.shop.svc.cluster.local.ext_authz.error",
      "access_logs.grpc_access_log.logs_written",
      "access_logs.grpc_access_log.logs_dropped",
      "http.inbound_0.0.0.0_8080.downstream_rq_active",
      "cluster.outbound|8080|v1|auth-service.shop.svc.cluster.local.upstream_rq_active",
      "cluster.outbound|8080|v2|auth-service.shop.svc.cluster.local.upstream_rq_pending_active",
    ];
    for (const name of read) {
      expect(filter.test(name), `the TraceManager reads ${name}`).toBe(true);
      expect(
        inclusions.some((r) => r.test(name)),
        `Istio keeps ${name}`,
      ).toBe(true);
    }
  });
});

describe("istio/install on a real API server with Istio's CRDs", () => {
  let env: KubeTestEnv | undefined;
  beforeAll(async () => {
    env = await startKubeTestEnv();
    await env.namespace("istio-system");
    await env.namespace("logistics");
  }, 120_000);
  afterAll(async () => {
    await env?.stop();
  });

  const dryRun = (obj: Doc): Promise<unknown> => {
    if (env === undefined) throw new Error("no API server");
    return KubernetesObjectApi.makeApiClient(env.kc).create(obj, undefined, "All");
  };

  it("accepts every object (server-side dry run) and refuses a broken one", async () => {
    for (const obj of objects)
      await expect(dryRun(obj), `${obj.kind} ${obj.metadata?.name}`).resolves.toBeDefined();
    // The check can fail: a resolution Istio does not know, and a TLS mode it does not know.
    const entry = byKind("ServiceEntry")[0]!;
    await expect(dryRun({ ...entry, spec: { ...entry.spec, resolution: "STATIK" } })).rejects.toThrow(
      /resolution/,
    );
    const rule = byKind("DestinationRule")[0]!;
    await expect(
      dryRun({ ...rule, spec: { ...rule.spec, trafficPolicy: { tls: { mode: "OFF" } } } }),
    ).rejects.toThrow(/mode/);
  });
});
