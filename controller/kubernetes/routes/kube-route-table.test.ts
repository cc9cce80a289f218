/**
 * The Kubernetes route table on a real API server with Istio's CRDs: the shared router contract
 * (the scenarios the local config store meets too), run as a service account holding exactly
 * ROUTE_TABLE_RBAC_RULES; then what only the API server has — Istio's schema refusing an object
 * (422, the field named), changes by other clients arriving through the watch with no list or
 * get by the table, the field manager, and a table confined to its watched namespaces.
 */
import { request } from "node:https";
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { virtualService } from "../../../istio/api/builders.js";
import type { DestinationRule, VirtualService } from "../../../istio/api/types.js";
import { startKubeTestEnv, type KubeTestEnv } from "../../../test/cluster/support/kube-test-env.js";
import { describeRouterContract, type OtherWriter } from "../../istio/testing/router-contract.js";
import { ROUTE_RESOURCES, type RouteKind } from "./istio-resources.js";
import { FIELD_MANAGER, KubeRouteTable, type RouteChange } from "./kube-route-table.js";
import { ROUTE_TABLE_RBAC_RULES } from "./rbac.js";
import { startLaggingWatchProxy } from "./testing/lagging-watch-proxy.js";
import { serviceAccountKubeConfig } from "./testing/service-account.js";

let env: KubeTestEnv;
beforeAll(async () => {
  env = await startKubeTestEnv();
}, 120_000);
afterAll(async () => {
  await env?.stop();
});

const where = (kind: RouteKind) => {
  const { group, version, plural } = ROUTE_RESOURCES[kind];
  return { group, version, plural };
};

/** The admin client, writing as kubectl or a GitOps tool would. */
function adminWriter(kc: KubeConfig): OtherWriter {
  const api = kc.makeApiClient(CustomObjectsApi);
  return {
    get: async (kind, namespace, name) => {
      try {
        return (await api.getNamespacedCustomObject({ ...where(kind), namespace, name })) as never;
      } catch (err) {
        if ((err as { code?: number }).code === 404) return undefined;
        throw err;
      }
    },
    create: async (obj) =>
      (await api.createNamespacedCustomObject({
        ...where(obj.kind),
        namespace: obj.metadata.namespace,
        body: obj,
      })) as typeof obj,
    replace: async (obj) =>
      (await api.replaceNamespacedCustomObject({
        ...where(obj.kind),
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
        body: obj,
      })) as typeof obj,
  };
}

/** A KubeConfig of a service account holding exactly the route table's rules. */
const routeTableAccount = (name: string, onlyIn?: readonly string[]): Promise<KubeConfig> =>
  serviceAccountKubeConfig(env.kc, {
    namespace: "tranquil-system",
    name,
    rules: ROUTE_TABLE_RBAC_RULES,
    ...(onlyIn !== undefined ? { onlyIn } : {}),
  });

describeRouterContract("the Kubernetes API server", async () => {
  const table = await KubeRouteTable.start({
    kc: await routeTableAccount("contract"),
    backoff: { initialMs: 200, maxMs: 2_000 },
  });
  return {
    table,
    other: adminWriter(env.kc),
    namespace: (name) => env.namespace(name),
    close: () => table.stop(),
  };
});

// The same scenarios with the table's watch 400 ms behind the API server: every re-plan right
// after a write or a conflict would start from a stale cache without the write-through overlay
// (the crash re-execution would conflict until it gave up; the 409 would repeat).
describeRouterContract("the Kubernetes API server, behind a watch that lags 400 ms", async () => {
  const proxy = await startLaggingWatchProxy(env.cp, 400);
  const table = await KubeRouteTable.start({ kc: proxy.through(await routeTableAccount("lagging")) });
  return {
    table,
    other: adminWriter(env.kc),
    namespace: (name) => env.namespace(`lag-${name}`),
    close: async () => {
      await table.stop();
      await proxy.stop();
    },
  };
});

/** The API server's request counters for one Istio resource, by verb (its /metrics, as admin). */
async function requestCounts(plural: string): Promise<Record<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(
      `${env.cp.server}/metrics`,
      { ca: env.cp.caPem, headers: { authorization: `Bearer ${env.cp.token}` } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve(body));
      },
    );
    req.on("error", reject);
    req.end();
  });
  const counts: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    if (!line.includes(`resource="${plural}"`) || !line.includes('group="networking.istio.io"')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? "?";
    counts[verb] = (counts[verb] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return counts;
}

async function until<T>(what: string, read: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const end = Date.now() + 10_000;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not seen in time`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the Kubernetes route table beyond the contract", { timeout: 60_000 }, () => {
  let table: KubeRouteTable;
  let admin: OtherWriter;
  const changes: RouteChange[] = [];
  beforeAll(async () => {
    table = await KubeRouteTable.start({
      kc: await routeTableAccount("extra"),
      onChange: (c) => changes.push(c),
    });
    admin = adminWriter(env.kc);
  }, 60_000);
  afterAll(async () => {
    await table?.stop();
  });

  it("refuses a VirtualService that breaks Istio's schema with 422 and an unknown field with 400, naming the field", async () => {
    const ns = await env.namespace("schema");
    const zeroTimeout = virtualService(
      "reviews",
      { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews" } }], timeout: "0s" }] },
      ns,
    );
    const invalid = await table.putVirtualService(zeroTimeout).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 422 });
    expect((invalid as Error).message).toMatch(/spec\.http\[0\]\.timeout: .*greater than 1ms/);
    // A field the installed Istio does not know is refused too (strict field validation: 400,
    // permanent for the reconciler), not silently dropped.
    const typo = virtualService("reviews", { hosts: ["reviews"] }, ns);
    (typo.spec as Record<string, unknown>)["htpp"] = [];
    const unknown = await table.putVirtualService(typo).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 400 });
    expect((unknown as Error).message).toMatch(/unknown field "spec\.htpp"/);
    expect(await admin.get("VirtualService", ns, "reviews")).toBeUndefined();
  });

  it("sees another client's changes through its watch, without listing or getting again", async () => {
    const ns = await env.namespace("watched");
    const before = await requestCounts("virtualservices");
    const created = await admin.create(
      virtualService(
        "ratings",
        { hosts: ["ratings"], http: [{ route: [{ destination: { host: "ratings" } }] }] },
        ns,
      ),
    );
    const pushed = (type: RouteChange["type"], rv: string | undefined) =>
      until(`${type} ${rv}`, () =>
        changes.find((c) => c.namespace === ns && c.type === type && c.resourceVersion === rv),
      );
    await pushed("ADDED", created.metadata.resourceVersion);
    const listed = (await table.listVirtualServices()).find((v) => v.metadata.namespace === ns);
    expect(listed).toEqual(created);
    const edited = structuredClone(created);
    edited.spec.http = [{ name: "edited", route: [{ destination: { host: "ratings", subset: "v1" } }] }];
    const replaced = await admin.replace(edited);
    await pushed("MODIFIED", replaced.metadata.resourceVersion);
    expect((await table.listVirtualServices()).find((v) => v.metadata.namespace === ns)).toEqual(replaced);
    await env.kc.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({
      ...where("VirtualService"),
      namespace: ns,
      name: "ratings",
    });
    await until("DELETED", () => changes.find((c) => c.namespace === ns && c.type === "DELETED"));
    expect((await table.listVirtualServices()).filter((v) => v.metadata.namespace === ns)).toEqual([]);
    const after = await requestCounts("virtualservices");
    // Only the admin's writes and gets reached the server; the table listed and got nothing.
    expect(after["LIST"] ?? 0).toBe(before["LIST"] ?? 0);
    expect(after["GET"] ?? 0).toBe(before["GET"] ?? 0);
  });

  it("writes as the field manager tranquil and lets its informer take over from its own writes", async () => {
    const ns = await env.namespace("manager");
    const dr: DestinationRule = {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "reviews", namespace: ns },
      spec: { host: "reviews", subsets: [{ name: "v1", labels: { version: "v1" } }] },
    };
    const created = await table.putDestinationRule(dr);
    const stored = (await admin.get("DestinationRule", ns, "reviews")) as DestinationRule & {
      metadata: { managedFields?: { manager: string; operation: string }[] };
    };
    expect(stored.metadata.managedFields?.map((f) => [f.manager, f.operation])).toEqual([
      [FIELD_MANAGER, "Update"],
    ]);
    expect(stored.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    await until("the informer's copy", () => (table.pendingWrites === 0 ? true : undefined));
    const listed = (await table.listDestinationRules()).find((d) => d.metadata.namespace === ns);
    expect(listed?.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it("confines itself to its watched namespaces, with RBAC granted in those namespaces only", async () => {
    const [mine, theirs] = [await env.namespace("team-a"), await env.namespace("team-b")];
    const vs = (ns: string): VirtualService =>
      virtualService(
        "reviews",
        { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews" } }] }] },
        ns,
      );
    await admin.create(vs(mine));
    await admin.create(vs(theirs));
    const confined = await KubeRouteTable.start({
      kc: await routeTableAccount("team-a", [mine]),
      namespaces: [mine],
    });
    try {
      expect((await confined.listVirtualServices()).map((v) => v.metadata.namespace)).toEqual([mine]);
      const refused = await confined.putVirtualService(vs(theirs)).catch((e: unknown) => e);
      expect(refused).toMatchObject({ status: 403 });
      expect((refused as Error).message).toMatch(/watches only team-a/);
    } finally {
      await confined.stop();
    }
    // Watching every namespace needs the cluster-wide grant: the API server's refusal is named.
    const failed = await KubeRouteTable.start({ kc: await routeTableAccount("team-a-wide", [mine]) }).catch(
      (e: unknown) => e,
    );
    expect(failed).toMatchObject({ status: 403 });
    expect((failed as Error).message).toMatch(
      /RBAC forbids the service account tranquil-system\/team-a-wide to list virtualservices\.networking\.istio\.io/,
    );
  });
});
