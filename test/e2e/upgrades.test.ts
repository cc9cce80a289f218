/**
 * End-to-end upgrades on the local mesh under load, graded from outside the TraceManager. The
 * shared scenarios (test/e2e/scenarios: G1 single and train, G2, G3, G4, G6, rollback, abort, a
 * GitOps revert) run here as they run on the local cluster; then what only the local mesh
 * means: the control run, an unknown target version, G5 from a state file, bypass traffic.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TERMINAL_PHASES, type Phase } from "../../controller/engine/phases.js";
import { initialStatus } from "../../controller/engine/status.js";
import { FileUpgradeStore } from "../../controller/local/file-upgrade-store.js";
import type { Removal } from "../../controller/local/mesh-workloads.js";
import type { HTTPRoute, VirtualService } from "../../istio/api/types.js";
import type { MeshHandle } from "../../istio/local-mesh/runtime/mesh-runtime.js";
import { DELAY_HEADER } from "../../sample-services/api/route-helpers.js";
import { gradeRemovals } from "../../controller/local/demo/removal-grade.js";
import { describeSharedScenarios } from "./scenarios/index.js";
import { bootLocalBackend } from "./scenarios/local-backend.js";
import { authOriginals, debugRoute } from "./scenarios/single-upgrade.js";
import {
  bootE2e,
  destinationRuleSpecs,
  E2eTopology,
  recordPods,
  recordRouteWrites,
  versionsOf,
  virtualServiceSpecs,
  waitForPushes,
  waitUntil,
  createUpgrade,
  describeLoad,
  sleep,
  startUsers,
  strategy,
  tranquilRoutes,
  waitForEnd,
  type E2eEnv,
} from "./harness.js";

const TEST_TIMEOUT_MS = 120_000;

/** Puts a user-owned route first in a service's VirtualService (as a user's own kubectl apply). */
function addUserRoute(mesh: MeshHandle, service: string, route: HTTPRoute): VirtualService {
  const vs = mesh.configStore.get("VirtualService", mesh.topology.namespace, service);
  if (vs === undefined) throw new Error(`no VirtualService ${service}`);
  return mesh.configStore.update({ ...vs, spec: { ...vs.spec, http: [route, ...(vs.spec.http ?? [])] } });
}

function userRoute(mesh: MeshHandle, service: string, name: string): HTTPRoute | undefined {
  return mesh.configStore
    .get("VirtualService", mesh.topology.namespace, service)
    ?.spec.http?.find((r) => r.name === name);
}

describeSharedScenarios("the local mesh", bootLocalBackend, TEST_TIMEOUT_MS);

describe("upgrades on the local mesh under load (local only)", { concurrent: false }, () => {
  let env: E2eEnv | undefined;
  afterEach(async () => {
    await env?.stop();
    env = undefined;
  });

  it(
    "control run: plain per-request weights on the same mesh mix versions, and both graders catch it",
    async () => {
      env = await bootE2e({ withoutController: true });
      const { mesh } = env;
      const ns = mesh.topology.namespace;
      await mesh.startInstance("auth-service", "v2");
      await mesh.startInstance("auth-service", "v2");
      const vs = mesh.configStore.get("VirtualService", ns, "auth-service");
      if (vs === undefined) throw new Error("no VirtualService auth-service");
      const dest = (subset: string) => ({ host: "auth-service", subset, port: { number: 50051 } });
      mesh.configStore.update({
        ...vs,
        spec: {
          ...vs.spec,
          http: [
            {
              name: "weighted",
              route: [
                { destination: dest("v1"), weight: 50 },
                { destination: dest("v2"), weight: 50 },
              ],
            },
          ],
        },
      });
      await waitForPushes(mesh, 15_000);
      const users = startUsers(mesh);
      await sleep(5_000);
      const report = await users.finish();
      const violations = await mesh.traceStore.violations();
      console.log(
        `[e2e control] per-request 50/50 weights: ${describeLoad(report)}; TraceManager violations ${violations.total}`,
      );

      expect(report.summary.mixed).toBeGreaterThan(0);
      expect(report.summary.mixedExamples[0]?.mixed["auth-service"]?.slice().sort()).toEqual(["v1", "v2"]);
      expect(violations.total).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "G6 (local): an unknown target version fails with nothing applied (on a cluster any image tag can be a version)",
    async () => {
      env = await bootE2e();
      const { mesh } = env;
      const routesBefore = virtualServiceSpecs(mesh);
      const rulesBefore = destinationRuleSpecs(mesh);
      await createUpgrade(env.ctl(), "unknown-to", {
        services: [{ name: "auth-service", from: "v1", to: "v9" }],
        strategy: strategy(),
      });
      const unknownTo = await waitForEnd(env.ctl(), "unknown-to", 30_000);
      console.log(
        `[e2e G6 local] unknown to: ${unknownTo.status.conditions.map((c) => c.message).join("; ")}`,
      );
      expect(unknownTo.status.phase).toBe("Failed");
      expect(
        unknownTo.status.conditions.some((c) => c.message.includes("v9") && /"to"/.test(c.message)),
      ).toBe(true);
      expect(virtualServiceSpecs(mesh)).toEqual(routesBefore);
      expect(destinationRuleSpecs(mesh)).toEqual(rulesBefore);
      expect(versionsOf(mesh, "auth-service")).toEqual(["v1", "v1"]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "G5: the controller stopped at every phase boundary and restarted from its state file completes with no duplicate or lost action",
    async () => {
      const began = Date.now();
      const stateDir = await mkdtemp(join(tmpdir(), "tranquil-e2e-state-"));
      try {
        const statePath = join(stateDir, "upgrades.json");
        env = await bootE2e({ statePath });
        const { mesh } = env;
        const writes = recordRouteWrites(mesh);
        const v2Pods = recordPods(mesh, "auth-service", "v2");
        const users = startUsers(mesh);
        await sleep(1_000);
        // Created while no controller runs, so the first boundary (Validating → Preparing) is
        // crossed by a controller that found the upgrade in its state file.
        await env.stopController();
        const offline = await FileUpgradeStore.open({ path: statePath });
        await offline.create({
          namespace: "default",
          name: "auth-v2",
          spec: { services: [{ name: "auth-service", from: "v1", to: "v2" }], strategy: strategy([50, 100]) },
          status: initialStatus(Date.now()),
          createdAt: Date.now(),
        });
        await offline.close();
        await env.startController();
        const removals: Removal[] = [];
        const phases: string[] = [];
        let phase: string = (await env.ctl().store.get({ namespace: "default", name: "auth-v2" })).status
          .phase;
        let restarts = 0;
        const deadline = Date.now() + 100_000;
        while (!TERMINAL_PHASES.includes(phase as Phase)) {
          const seen = phase;
          const u = await waitUntil(
            env.ctl,
            "auth-v2",
            (x) => x.status.phase !== seen,
            deadline - Date.now(),
          );
          phase = u.status.phase;
          phases.push(phase);
          if (TERMINAL_PHASES.includes(phase as Phase)) break;
          // A new controller process: a new reconciler, workloads and API on the same state file.
          removals.push(...env.ctl().workloads.removals());
          await env.stopController();
          await env.startController();
          restarts += 1;
        }
        removals.push(...env.ctl().workloads.removals());
        const final = await env.ctl().store.get({ namespace: "default", name: "auth-v2" });
        const report = await users.finish();
        writes.stop();
        v2Pods.stop();
        const history = final.status.history
          .map((h) => h.phase)
          .filter((p, i, all) => i === 0 || all[i - 1] !== p);
        const grades = gradeRemovals(removals, env.timings.bound, [final]);
        console.log(
          `[e2e G5] ${final.status.phase} after ${restarts} controller restarts in ${((Date.now() - began) / 1000).toFixed(1)} s; ` +
            `phases ${history.join(" → ")}; route epochs written ${writes.epochs().length}; auth-service@v2 pods started ${v2Pods.pods().length}; ` +
            `removals ${grades.map((g) => `${g.service}@${g.version} +${g.afterLastServedMs ?? "?"} ms`).join(", ")}; ${describeLoad(report)}`,
        );

        expect(final.status.phase, final.status.engine.reason ?? "").toBe("Succeeded");
        expect(restarts).toBeGreaterThanOrEqual(4);
        expect(history).toEqual([
          "Validating",
          "Preparing",
          "Shifting",
          "Draining",
          "Finalizing",
          "Succeeded",
        ]);
        expect(report.summary.failureExamples).toEqual([]);
        expect(report.summary.failed).toBe(0);
        expect(report.summary.mixed).toBe(0);
        expect(writes.conflicts()).toEqual([]);
        expect(writes.epochs().length).toBeGreaterThan(0);
        // As many v2 instances as the old version had: none started twice, none lost.
        expect(v2Pods.pods()).toHaveLength(2);
        expect(versionsOf(mesh, "auth-service")).toEqual(["v2", "v2"]);
        expect(grades.map((g) => `${g.service}@${g.version}`)).toEqual(["auth-service@v1"]);
        expect(grades[0]?.afterLastServedMs ?? -1).toBeGreaterThanOrEqual(0);
        expect(tranquilRoutes(mesh)).toEqual([]);
      } finally {
        await rm(stateDir, { recursive: true, force: true });
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "G5: the controller killed at random moments, mid-action, and restarted completes with no duplicate or lost action",
    async () => {
      const stateDir = await mkdtemp(join(tmpdir(), "tranquil-e2e-kill-"));
      try {
        const statePath = join(stateDir, "upgrades.json");
        env = await bootE2e({ statePath });
        const { mesh } = env;
        const writes = recordRouteWrites(mesh);
        const v2Pods = recordPods(mesh, "auth-service", "v2");
        // A user route naming v1: Finalizing's one edit must be recorded whatever the kills.
        addUserRoute(mesh, "auth-service", debugRoute("auth-service", 50051));
        const users = startUsers(mesh);
        await sleep(1_000);
        await createUpgrade(env.ctl(), "auth-v2", {
          services: [{ name: "auth-service", from: "v1", to: "v2" }],
          strategy: strategy([50, 100]),
        });
        const removals: Removal[] = [];
        let kills = 0;
        // Kill every 0.3–1.5 s (a different moment of each tick every time), restart at once.
        let seed = 7;
        const nextDelay = (): number => {
          seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
          return 300 + (seed % 1_200);
        };
        const deadline = Date.now() + 110_000;
        for (;;) {
          await sleep(nextDelay());
          const phase = (await env.ctl().store.get({ namespace: "default", name: "auth-v2" })).status.phase;
          if (TERMINAL_PHASES.includes(phase) || Date.now() > deadline) break;
          removals.push(...env.ctl().workloads.removals());
          env.killController();
          kills += 1;
          await env.startController();
        }
        const final = await waitForEnd(env.ctl(), "auth-v2", Math.max(1_000, deadline - Date.now()));
        removals.push(...env.ctl().workloads.removals());
        const report = await users.finish();
        writes.stop();
        v2Pods.stop();
        console.log(
          `[e2e G5 kill] ${final.status.phase} after ${kills} kills; route epochs written ${writes.epochs().length}; ` +
            `auth-service@v2 pods started ${v2Pods.pods().length}; ${describeLoad(report)}`,
        );

        expect(final.status.phase, final.status.engine.reason ?? "").toBe("Succeeded");
        expect(kills).toBeGreaterThanOrEqual(5);
        expect(report.summary.failed).toBe(0);
        expect(report.summary.mixed).toBe(0);
        // No route epoch written twice with different contents; exactly the desired v2 pods started.
        expect(writes.conflicts()).toEqual([]);
        expect(v2Pods.pods()).toHaveLength(2);
        expect(versionsOf(mesh, "auth-service")).toEqual(["v2", "v2"]);
        expect(final.status.engine.originals).toEqual(authOriginals(mesh.topology.namespace));
        expect(userRoute(mesh, "auth-service", "user-debug")?.route?.[0]?.destination.subset).toBe("v2");
        for (const g of gradeRemovals(removals, env.timings.bound, [final])) {
          expect(g.afterLastServedMs ?? 0).toBeGreaterThanOrEqual(0);
        }
      } finally {
        await rm(stateDir, { recursive: true, force: true });
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "bypass traffic: a call sent straight to an old logistics-api pod is pinned and stays on the old versions across the flip",
    async () => {
      env = await bootE2e({ topology: E2eTopology.EntryUpgrade });
      const { mesh } = env;
      const ingress = mesh.ingressUrl;
      const user = { phone: "+15557654321", name: "Bypass user", password: "pw-bypass-user" };
      await postJson(`${ingress}/users`, user);
      const token = (await postJson(`${ingress}/sessions`, { phone: user.phone, password: user.password }))
        .body["token"];
      const itemId = firstId(await getJson(`${ingress}/items`), "items");
      const stationId = firstId(await getJson(`${ingress}/stations`), "stations");
      if (typeof token !== "string") throw new Error("no session token for the bypass user");

      const users = startUsers(mesh);
      await sleep(1_000);
      await createUpgrade(env.ctl(), "entry-train", {
        services: [
          { name: "logistics-api", from: "v1", to: "v2" },
          { name: "auth-service", from: "v1", to: "v2" },
        ],
        strategy: strategy([50, 100]),
      });
      await waitUntil(env.ctl, "entry-train", (u) => u.status.weight === 100);
      const old = mesh.instances().find((i) => i.service === "logistics-api" && i.version === "v1");
      if (old === undefined) throw new Error("no logistics-api v1 pod");
      // Straight to the old pod's sidecar: no ingress, no enrolment; held 10 s between its
      // auth-service calls, across the pin snapshot and the flip.
      const requestId = randomUUID();
      let pinned = false;
      let settled = false;
      const bypass = postJson(
        `http://${old.address}/orders`,
        {
          receiver: { phone: "+15557654322", name: "Receiver" },
          goods: [{ itemId, quantity: 1 }],
          fromStationId: stationId,
          toStationId: stationId,
        },
        { authorization: `Bearer ${token}`, "x-request-id": requestId, [DELAY_HEADER]: "10000" },
      ).finally(() => {
        settled = true;
      });
      while (!settled) {
        const u = await env.ctl().store.get({ namespace: "default", name: "entry-train" });
        if (u.status.engine.pins.some((p) => p.id === requestId)) pinned = true;
        await sleep(100);
      }
      const answer = await bypass;
      const bypassEnd = Date.now();
      const final = await waitForEnd(env.ctl(), "entry-train", 90_000);
      const report = await users.finish();
      const servedBy = Array.isArray(answer.body["servedBy"]) ? (answer.body["servedBy"] as string[]) : [];
      const flipAt = final.status.engine.instants.flipAt;
      const grades = gradeRemovals(env.ctl().workloads.removals(), env.timings.bound, [final]);
      console.log(
        `[e2e bypass] ${answer.status} served by ${servedBy.join(",")}; pinned ${pinned}; flip ${flipAt === null ? "never" : `${bypassEnd - flipAt} ms before the bypass ended`}; ` +
          `stragglers ${final.status.engine.stragglers}; ${final.status.phase}; ${describeLoad(report)}; removals ${grades
            .map((g) => `${g.service}@${g.version} +${g.afterLastServedMs ?? "?"} ms`)
            .join(", ")}`,
      );

      expect(answer.status).toBe(201);
      expect(pinned).toBe(true);
      expect(flipAt).not.toBeNull();
      expect(flipAt ?? Infinity).toBeLessThan(bypassEnd);
      expect(servedBy).toEqual(expect.arrayContaining(["logistics-api@v1", "auth-service@v1"]));
      expect(servedBy.filter((s) => s.endsWith("@v2"))).toEqual([]);
      expect(final.status.phase, final.status.engine.reason ?? "").toBe("Succeeded");
      expect(report.summary.failed).toBe(0);
      expect(report.summary.mixed).toBe(0);
      expect(await mesh.traceStore.violations()).toMatchObject({ total: 0 });
      for (const g of grades) expect(g.afterLastServedMs ?? -1).toBeGreaterThanOrEqual(0);
    },
    TEST_TIMEOUT_MS,
  );
});

interface JsonAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function getJson(url: string): Promise<JsonAnswer> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function firstId(answer: JsonAnswer, key: string): string {
  const list = answer.body[key];
  const id: unknown = Array.isArray(list) ? (list[0] as { id?: unknown } | undefined)?.id : undefined;
  if (typeof id !== "string") throw new Error(`no ${key} in ${JSON.stringify(answer.body)}`);
  return id;
}
