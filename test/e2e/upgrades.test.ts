/**
 * End-to-end upgrades on the local mesh under load, graded from outside the TraceManager:
 * G1 (no mixed-version transaction), G2 (no failed request), G3 (removal after the last served
 * request, within the bound), G6 (a foreign route survives), and a release train.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TERMINAL_PHASES, type Phase } from "../../controller/engine/phases.js";
import { initialStatus } from "../../controller/engine/status.js";
import type { RouteOriginal } from "../../controller/engine/types.js";
import { FileUpgradeStore } from "../../controller/local/file-upgrade-store.js";
import type { Removal } from "../../controller/local/mesh-workloads.js";
import type { HTTPRoute, VirtualService } from "../../istio/api/types.js";
import type { MeshHandle } from "../../istio/local-mesh/runtime/mesh-runtime.js";
import { DELAY_HEADER } from "../../sample-services/api/route-helpers.js";
import type { TransactionRecord } from "../../sample-services/load/index.js";
import { gradeRemovals } from "../../controller/local/demo/demo-report.js";
import {
  api,
  bootE2e,
  destinationRuleSpecs,
  E2eTopology,
  freezableTraceStore,
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
/** How long G4 keeps a pod's reports frozen: twice the staleness limit (6 heartbeats of 500 ms). */
const FROZEN_MS = 6_000;

/** A user route that only a debugging client would hit (header `x-debug: 1`). */
function debugRoute(host: string, port: number): HTTPRoute {
  return {
    name: "user-debug",
    match: [{ headers: { "x-debug": { exact: "1" } } }],
    route: [{ destination: { host, subset: "v1", port: { number: port } } }],
    timeout: "7s",
  };
}

/**
 * What Finalizing records on auth-service once {@link debugRoute} stands first: that route's
 * subset and the topology's own default route's, both v1 → v2.
 */
function authOriginals(namespace: string): RouteOriginal[] {
  const edit = (route: string): RouteOriginal => ({
    namespace,
    virtualService: "auth-service",
    route,
    destinationIndex: 0,
    host: "auth-service",
    subset: "v1",
  });
  return [edit("user-debug"), edit("default")];
}

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

/** Slow transactions in flight at `at` (started before, ended after). */
function spanning(transactions: readonly TransactionRecord[], at: number): TransactionRecord[] {
  return transactions.filter((t) => t.slow && t.startedAt < at && t.startedAt + t.latencyMs > at);
}

describe("upgrades on the local mesh under load", { concurrent: false }, () => {
  let env: E2eEnv | undefined;
  afterEach(async () => {
    await env?.stop();
    env = undefined;
  });

  it(
    "auth-service v1 → v2 in steps: no mixed or failed transaction, removal after the last served request, foreign routes intact",
    async () => {
      const began = Date.now();
      env = await bootE2e();
      const { mesh } = env;
      const ns = mesh.topology.namespace;
      // Foreign routes: one on a service the upgrade does not touch (must survive byte for
      // byte), one on auth-service itself (only its destination subset may change, in Finalizing).
      addUserRoute(mesh, "station-service", debugRoute("station-service", 50054));
      const authDebugBefore = addUserRoute(mesh, "auth-service", debugRoute("auth-service", 50051));
      const stationBefore = JSON.stringify(
        mesh.configStore.get("VirtualService", ns, "station-service")?.spec,
      );
      const gatewayVs = `${mesh.topology.gateway.name}-routes`;
      const gatewayBefore = JSON.stringify(mesh.configStore.get("VirtualService", ns, gatewayVs)?.spec);

      const users = startUsers(mesh);
      // Users who always hold their order creation open 2.5–4 s between auth-service calls, so
      // some transaction always spans the cutover and the flip.
      const holders = startUsers(mesh, {
        ratePerSecond: 4,
        concurrency: 4,
        slowFraction: 1,
        slowDelayMs: { min: 2_500, max: 4_000 },
        stationsPerJourney: { min: 1, max: 1 },
      });
      await sleep(1_000);
      await createUpgrade(env.ctl(), "auth-v2", {
        services: [{ name: "auth-service", from: "v1", to: "v2" }],
        strategy: strategy([25, 60, 100]),
      });
      const final = await waitForEnd(env.ctl(), "auth-v2", 100_000);
      const [a, b] = await Promise.all([users.finish(), holders.finish()]);
      const transactions = [...a.transactions, ...b.transactions];
      const failed = transactions.filter((t) => !t.ok);
      const mixed = transactions.filter((t) => Object.keys(t.mixed).length > 0);
      const authVersions = new Set(
        transactions.flatMap((t) => t.servedBy.filter((s) => s.startsWith("auth-service@"))),
      );
      const cutoverAt = final.status.engine.instants.cutoverAt;
      const atCutover = cutoverAt === null ? [] : spanning(transactions, cutoverAt);
      const grades = gradeRemovals(
        env
          .ctl()
          .workloads.removals()
          .filter((r) => r.service === "auth-service"),
        env.timings.bound,
      );
      const g3 = grades[0];
      console.log(
        `[e2e G1/G2/G3] auth v1→v2 ${final.status.phase} in ${((Date.now() - began) / 1000).toFixed(1)} s; ` +
          `${describeLoad(a)}; holders ${describeLoad(b)}; ${atCutover.length} of ${transactions.filter((t) => t.slow).length} slow transactions spanned the cutover (${cutoverAt}, flip ${final.status.engine.instants.flipAt}); ` +
          `G3: auth-service@v1 removed ${g3?.afterLastServedMs ?? "?"} ms after its last served request (bound ${env.timings.bound.totalMs} ms)`,
      );

      expect(final.status.phase, final.status.engine.reason ?? "").toBe("Succeeded");
      expect(failed.map((t) => `${t.kind} ${t.status} ${t.error ?? ""} ${t.servedBy.join(",")}`)).toEqual([]);
      expect(mixed.map((t) => `${t.kind} ${JSON.stringify(t.mixed)}`)).toEqual([]);
      // Both versions really served users: the test exercised the shift.
      expect([...authVersions].sort()).toEqual(["auth-service@v1", "auth-service@v2"]);
      expect(atCutover.length).toBeGreaterThan(0);
      expect(atCutover.every((t) => t.ok)).toBe(true);
      expect(await mesh.traceStore.violations()).toMatchObject({ total: 0 });

      // G3: removed no earlier than the old instances' own last served request; the upper side
      // gets a generous margin (3× the bound) because the machine is shared and noisy.
      expect(grades).toHaveLength(1);
      expect(g3?.afterLastServedMs).not.toBeNull();
      expect(g3?.afterLastServedMs ?? -1).toBeGreaterThanOrEqual(0);
      expect(g3?.afterLastServedMs ?? Infinity).toBeLessThanOrEqual(3 * env.timings.bound.totalMs);
      expect(
        mesh
          .instances()
          .filter((i) => i.service === "auth-service")
          .map((i) => i.version),
      ).toEqual(["v2", "v2"]);

      // Foreign routes: untouched; the auth-service one only had its subset rewritten v1 → v2.
      expect(JSON.stringify(mesh.configStore.get("VirtualService", ns, "station-service")?.spec)).toBe(
        stationBefore,
      );
      expect(JSON.stringify(mesh.configStore.get("VirtualService", ns, gatewayVs)?.spec)).toBe(gatewayBefore);
      const authDebugOriginal = authDebugBefore.spec.http?.[0];
      expect(authDebugOriginal?.name).toBe("user-debug");
      expect(userRoute(mesh, "auth-service", "user-debug")).toEqual({
        ...authDebugOriginal,
        route: [{ destination: { host: "auth-service", subset: "v2", port: { number: 50051 } } }],
      });
      expect(tranquilRoutes(mesh)).toEqual([]);
      // The edits are recorded in the status; their copy on the VirtualService is gone.
      expect(final.status.engine.originals).toEqual(authOriginals(ns));
      expect(
        mesh.configStore.get("VirtualService", ns, "auth-service")?.metadata.annotations?.[
          `originals.tranquil.dev/${final.id}`
        ],
      ).toBeUndefined();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "release train auth-service + order-service v1 → v2: no mixed or failed transaction, no violation",
    async () => {
      const began = Date.now();
      env = await bootE2e();
      const { mesh } = env;
      const users = startUsers(mesh);
      await sleep(1_000);
      await createUpgrade(env.ctl(), "train", {
        services: [
          { name: "auth-service", from: "v1", to: "v2" },
          { name: "order-service", from: "v1", to: "v2" },
        ],
        strategy: strategy([50, 100]),
      });
      const final = await waitForEnd(env.ctl(), "train", 100_000);
      const report = await users.finish();
      const violations = await mesh.traceStore.violations();
      const grades = gradeRemovals(env.ctl().workloads.removals(), env.timings.bound);
      console.log(
        `[e2e G1 train] auth+order v1→v2 ${final.status.phase} in ${((Date.now() - began) / 1000).toFixed(1)} s; ` +
          `${describeLoad(report)}; violations ${violations.total}; removals ${grades
            .map((g) => `${g.service}@${g.version} +${g.afterLastServedMs ?? "?"} ms`)
            .join(", ")} (bound ${env.timings.bound.totalMs} ms)`,
      );

      expect(final.status.phase, final.status.engine.reason ?? "").toBe("Succeeded");
      const s = report.summary;
      expect(s.failureExamples).toEqual([]);
      expect(s.failed).toBe(0);
      expect(s.mixedExamples).toEqual([]);
      expect(s.mixed).toBe(0);
      expect(violations.total).toBe(0);
      expect(Object.keys(s.versionsSeen["order-service"] ?? {}).sort()).toEqual(["v1", "v2"]);
      expect(Object.keys(s.versionsSeen["auth-service"] ?? {}).sort()).toEqual(["v1", "v2"]);
      for (const g of grades) expect(g.afterLastServedMs ?? 0).toBeGreaterThanOrEqual(0);
      expect(grades.map((g) => `${g.service}@${g.version}`).sort()).toEqual([
        "auth-service@v1",
        "order-service@v1",
      ]);
    },
    TEST_TIMEOUT_MS,
  );

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
    "G6: bad specs are refused with clear messages; an unknown service or old version fails with nothing applied",
    async () => {
      env = await bootE2e();
      const { mesh } = env;
      const ctl = env.ctl();
      const routesBefore = virtualServiceSpecs(mesh);
      const rulesBefore = destinationRuleSpecs(mesh);
      const auth = { name: "auth-service", from: "v1", to: "v2" };

      const badSteps = await api(ctl, "/v1/upgrades", {
        name: "bad-steps",
        spec: { services: [auth], strategy: { steps: [50, 30] } },
      });
      const badName = await api(ctl, "/v1/upgrades", { name: "Auth_V2", spec: { services: [auth] } });
      const noServices = await api(ctl, "/v1/upgrades", { name: "empty", spec: { services: [] } });
      const badVersion = await api(ctl, "/v1/upgrades", {
        name: "bad-version",
        spec: { services: [{ name: "auth-service", from: "V1!", to: "v2" }] },
      });
      console.log(
        `[e2e G6] refusals: ${[badSteps, badName, noServices, badVersion].map((a) => `${a.status} ${a.body.error ?? ""}`).join(" | ")}`,
      );
      expect(badSteps.status).toBe(400);
      expect(badSteps.body.problems).toEqual(expect.arrayContaining([expect.anything()]));
      expect(JSON.stringify(badSteps.body)).toMatch(/steps/);
      expect(JSON.stringify(badSteps.body)).toMatch(/increasing|100/);
      expect(badName.status).toBe(400);
      expect(badName.body.error).toMatch(/DNS label/);
      expect(noServices.status).toBe(400);
      expect(JSON.stringify(noServices.body)).toMatch(/services/);
      expect(badVersion.status).toBe(400);
      expect(JSON.stringify(badVersion.body)).toMatch(/from/);

      await createUpgrade(ctl, "unknown-service", {
        services: [{ name: "payment-service", from: "v1", to: "v2" }],
        strategy: strategy(),
      });
      const unknownService = await waitForEnd(ctl, "unknown-service", 30_000);
      await createUpgrade(ctl, "unknown-from", {
        services: [{ name: "auth-service", from: "v7", to: "v2" }],
        strategy: strategy(),
      });
      const unknownFrom = await waitForEnd(ctl, "unknown-from", 30_000);
      await createUpgrade(ctl, "unknown-to", {
        services: [{ name: "auth-service", from: "v1", to: "v9" }],
        strategy: strategy(),
      });
      const unknownTo = await waitForEnd(ctl, "unknown-to", 30_000);
      const said = (u: typeof unknownFrom): string =>
        u.status.conditions.map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`).join("; ");
      console.log(`[e2e G6] unknown service: ${said(unknownService)} || unknown from: ${said(unknownFrom)}`);
      expect(unknownService.status.phase).toBe("Failed");
      expect(unknownService.status.conditions.some((c) => c.message.includes("payment-service"))).toBe(true);
      expect(unknownFrom.status.phase).toBe("Failed");
      expect(
        unknownFrom.status.conditions.some((c) => c.message.includes("v7") && /from/.test(c.message)),
      ).toBe(true);
      expect(unknownTo.status.phase).toBe("Failed");
      expect(
        unknownTo.status.conditions.some((c) => c.message.includes("v9") && /"to"/.test(c.message)),
      ).toBe(true);
      // Nothing applied: routes, subsets and workloads as before.
      expect(virtualServiceSpecs(mesh)).toEqual(routesBefore);
      expect(destinationRuleSpecs(mesh)).toEqual(rulesBefore);
      expect(versionsOf(mesh, "auth-service")).toEqual(["v1", "v1"]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "rollback: a v2 failing its analysis rolls back; only v2's own answers failed; routes back to the user's",
    async () => {
      env = await bootE2e({ topology: E2eTopology.BadRelease });
      const { mesh } = env;
      const routesBefore = virtualServiceSpecs(mesh);
      // The user's DestinationRule already names v2: a rollback must keep the user's subset.
      const rulesBefore = destinationRuleSpecs(mesh);
      const users = startUsers(mesh);
      await sleep(1_000);
      await createUpgrade(env.ctl(), "auth-v2-bad", {
        services: [{ name: "auth-service", from: "v1", to: "v2" }],
        strategy: strategy([50, 100], 0),
      });
      const final = await waitForEnd(env.ctl(), "auth-v2-bad", 100_000);
      const report = await users.finish();
      const failed = report.transactions.filter((t) => !t.ok);
      console.log(
        `[e2e rollback] ${final.status.phase} (${final.status.engine.reason ?? ""}); ${describeLoad(report)}; ` +
          `failed transactions served by auth-service@v2: ${failed.filter((t) => t.servedBy.includes("auth-service@v2")).length}/${failed.length}`,
      );

      expect(final.status.phase).toBe("RolledBack");
      expect(final.status.engine.reason).toMatch(/analysis/);
      expect(report.summary.mixed).toBe(0);
      expect(
        failed
          .filter((t) => !t.servedBy.includes("auth-service@v2"))
          .map((t) => `${t.kind} ${t.status} ${t.error ?? ""}`),
      ).toEqual([]);
      expect(versionsOf(mesh, "auth-service")).toEqual(["v1", "v1"]);
      expect(tranquilRoutes(mesh)).toEqual([]);
      expect(virtualServiceSpecs(mesh)).toEqual(routesBefore);
      expect(destinationRuleSpecs(mesh)).toEqual(rulesBefore);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "abort during Shifting and abort after the flip both return to v1 cleanly; an overlapping upgrade is refused meanwhile",
    async () => {
      env = await bootE2e();
      const { mesh } = env;
      const routesBefore = virtualServiceSpecs(mesh);
      const users = startUsers(mesh);
      await sleep(1_000);
      // A long analysis window holds the upgrade at 50% until the abort.
      await createUpgrade(env.ctl(), "auth-v2", {
        services: [{ name: "auth-service", from: "v1", to: "v2" }],
        strategy: { ...strategy([50, 100]), stepInterval: "60s" },
      });
      await waitUntil(
        env.ctl,
        "auth-v2",
        (u) => u.status.phase === "Shifting" && u.status.engine.stage === "analyse",
      );
      await sleep(1_000);
      const overlapping = await api(env.ctl(), "/v1/upgrades", {
        name: "auth-v3",
        spec: { services: [{ name: "auth-service", from: "v1", to: "v3" }] },
      });
      const abort = await api(env.ctl(), "/v1/upgrades/auth-v2/abort");
      const first = await waitForEnd(env.ctl(), "auth-v2", 60_000);
      const routesAfterFirst = virtualServiceSpecs(mesh);
      const versionsAfterFirst = versionsOf(mesh, "auth-service");

      // Again, straight to 100%, aborted once the non-enrolled clones point to v2 (Draining,
      // after the flip, before Finalizing).
      await createUpgrade(env.ctl(), "auth-v2-again", {
        services: [{ name: "auth-service", from: "v1", to: "v2" }],
        strategy: strategy([100]),
      });
      const flipped = await waitUntil(
        env.ctl,
        "auth-v2-again",
        (u) =>
          u.status.engine.instants.flipAt !== null ||
          u.status.phase === "Finalizing" ||
          TERMINAL_PHASES.includes(u.status.phase),
        90_000,
      );
      const abortAfterFlip = await api(env.ctl(), "/v1/upgrades/auth-v2-again/abort");
      const second = await waitForEnd(env.ctl(), "auth-v2-again", 60_000);
      const report = await users.finish();
      console.log(
        `[e2e abort] overlapping: ${overlapping.status} ${overlapping.body.error ?? ""}; abort in Shifting ${abort.status} → ${first.status.phase}; ` +
          `abort in ${flipped.status.phase}/${flipped.status.engine.stage} after the flip ${abortAfterFlip.status} → ${second.status.phase}; ${describeLoad(report)}`,
      );

      expect(overlapping.status).toBe(409);
      expect(overlapping.body.error).toMatch(/auth-v2.*auth-service/);
      expect(abort.status).toBe(200);
      expect(first.status.phase).toBe("RolledBack");
      expect(versionsAfterFirst).toEqual(["v1", "v1"]);
      expect(routesAfterFirst).toEqual(routesBefore);
      expect(flipped.status.phase).toBe("Draining");
      expect(abortAfterFlip.status).toBe(200);
      expect(second.status.phase).toBe("RolledBack");
      expect(second.status.engine.instants.flipAt).not.toBeNull();
      expect(report.summary.failureExamples).toEqual([]);
      expect(report.summary.failed).toBe(0);
      expect(report.summary.mixed).toBe(0);
      expect(Object.keys(report.summary.versionsSeen["auth-service"] ?? {}).sort()).toEqual(["v1", "v2"]);
      expect(
        env
          .ctl()
          .workloads.removals()
          .filter((r) => r.version === "v1"),
      ).toEqual([]);
      expect(versionsOf(mesh, "auth-service")).toEqual(["v1", "v1"]);
      expect(virtualServiceSpecs(mesh)).toEqual(routesBefore);
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
        const grades = gradeRemovals(removals, env.timings.bound);
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
        for (const g of gradeRemovals(removals, env.timings.bound)) {
          expect(g.afterLastServedMs ?? 0).toBeGreaterThanOrEqual(0);
        }
      } finally {
        await rm(stateDir, { recursive: true, force: true });
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "G4: a TraceManager that stops reporting holds the flip and the removal and says why; the upgrade proceeds when it reports again",
    async () => {
      const freezer = freezableTraceStore();
      env = await bootE2e({ controllerTraceStore: freezer.wrap });
      const { mesh } = env;
      const users = startUsers(mesh);
      await sleep(1_000);
      await createUpgrade(env.ctl(), "auth-v2", {
        services: [{ name: "auth-service", from: "v1", to: "v2" }],
        strategy: strategy([50, 100]),
      });
      // Freeze one old pod's reports as soon as the last step is published: its watermark stops
      // before the pin snapshot and its heartbeat goes stale after 6 heartbeats (3 s).
      await waitUntil(env.ctl, "auth-v2", (u) => u.status.weight === 100);
      const victim = mesh.instances().find((i) => i.service === "auth-service" && i.version === "v1")?.pod;
      if (victim === undefined) throw new Error("no auth-service v1 pod");
      freezer.control.freeze(victim);
      const frozenAt = Date.now();
      let flipped = false;
      let removed = false;
      let held = await env.ctl().store.get({ namespace: "default", name: "auth-v2" });
      while (Date.now() - frozenAt < FROZEN_MS) {
        held = await env.ctl().store.get({ namespace: "default", name: "auth-v2" });
        if (held.status.engine.instants.flipAt !== null) flipped = true;
        if (env.ctl().workloads.removals().length > 0) removed = true;
        await sleep(100);
      }
      const waiting = held.status.conditions.find((c) => c.type === "Waiting" && c.status === "True");
      const oldRunning = versionsOf(mesh, "auth-service").filter((v) => v === "v1").length;
      freezer.control.thaw();
      const final = await waitForEnd(env.ctl(), "auth-v2", 60_000);
      const report = await users.finish();
      console.log(
        `[e2e G4] ${victim} frozen ${FROZEN_MS / 1000} s: ${held.status.phase}/${held.status.engine.stage}, flipped ${flipped}, removed ${removed}, ` +
          `waiting: ${waiting?.reason ?? "-"}: ${waiting?.message ?? "-"}; after thaw ${final.status.phase}; ${describeLoad(report)}`,
      );

      expect(flipped).toBe(false);
      expect(removed).toBe(false);
      expect(oldRunning).toBe(2);
      expect(held.status.phase).toBe("Draining");
      expect(waiting?.message).toContain(victim);
      expect(final.status.phase, final.status.engine.reason ?? "").toBe("Succeeded");
      expect(report.summary.failed).toBe(0);
      expect(report.summary.mixed).toBe(0);
      const g = gradeRemovals(env.ctl().workloads.removals(), env.timings.bound)[0];
      expect(g?.afterLastServedMs ?? -1).toBeGreaterThanOrEqual(0);
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
      const grades = gradeRemovals(env.ctl().workloads.removals(), env.timings.bound);
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
