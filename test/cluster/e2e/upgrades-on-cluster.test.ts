/**
 * Upgrades on the local cluster under load, by the cluster controller with the shipped RBAC,
 * graded from outside it: G1 (no mixed-version transaction), G2 (no failed request), G3 (the
 * old Deployment scaled down only after its pods' last served request), a release train, and
 * G5 (the leader cut off as by `kill -9` mid-upgrade; the standby takes over from status and
 * finishes, creating no extra pod).
 */
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { TERMINAL_PHASES } from "../../../controller/engine/phases.js";
import type { UpgradeSpec } from "../../../controller/engine/types.js";
import { gradeRemovals } from "../../../controller/local/demo/demo-report.js";
import { watchUpgrade } from "../../../controller/local/demo/watch-upgrade.js";
import type { UpgradeRecord } from "../../../controller/ports/upgrade-store.js";
import { describeLoad, startUsers, strategy, type Users } from "../../e2e/harness.js";
import { bootClusterE2e, type ClusterE2e } from "./cluster-e2e.js";

const TEST_TIMEOUT_MS = 240_000;
const API = { group: "tranquil.dev", version: "v1alpha1", plural: "upgrades" };

/** Applies an Upgrade as `kubectl apply -f` would. */
async function applyUpgrade(c: ClusterE2e, name: string, spec: UpgradeSpec): Promise<void> {
  await c.env.kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    ...API,
    namespace: c.namespace,
    body: { apiVersion: "tranquil.dev/v1alpha1", kind: "Upgrade", metadata: { name }, spec },
  });
}

function waitForEnd(c: ClusterE2e, name: string, timeoutMs = 150_000): Promise<UpgradeRecord> {
  return watchUpgrade(c.upgrades, { namespace: c.namespace, name }, () => undefined, timeoutMs);
}

async function podNames(c: ClusterE2e): Promise<string[]> {
  const pods = await c.env.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: c.namespace });
  return pods.items.map((p) => p.metadata?.name ?? "");
}

/** Grades a finished load: every failed and every mixed transaction, described. */
async function grade(users: readonly Users[]) {
  const reports = await Promise.all(users.map((u) => u.finish()));
  const transactions = reports.flatMap((r) => r.transactions);
  return {
    described: reports.map(describeLoad).join("; "),
    transactions,
    failed: transactions
      .filter((t) => !t.ok)
      .map((t) => `${t.kind} ${t.status} ${t.error ?? ""} ${t.servedBy.join(",")}`),
    mixed: transactions
      .filter((t) => Object.keys(t.mixed).length > 0)
      .map((t) => `${t.kind} ${JSON.stringify(t.mixed)}`),
  };
}

describe("upgrades on the local cluster under load", { concurrent: false }, () => {
  let c: ClusterE2e | undefined;
  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  it(
    "auth-service v1 → v2 applied as an Upgrade resource: no mixed or failed transaction, v1 removed after its last served request, Events on the Upgrade",
    async () => {
      const began = Date.now();
      c = await bootClusterE2e();
      await c.startReplica("replica-a");
      const users = startUsers(c.mesh);
      const holders = startUsers(c.mesh, {
        ratePerSecond: 3,
        concurrency: 3,
        slowFraction: 1,
        slowDelayMs: { min: 2_000, max: 3_500 },
        stationsPerJourney: { min: 1, max: 1 },
      });
      await new Promise((r) => setTimeout(r, 1_000));
      await applyUpgrade(c, "auth-v2", {
        services: [{ name: "auth-service", from: "v1", to: "v2" }],
        strategy: strategy([25, 100]),
      });
      const final = await waitForEnd(c, "auth-v2");
      const load = await grade([users, holders]);
      const authVersions = new Set(
        load.transactions.flatMap((t) => t.servedBy.filter((s) => s.startsWith("auth-service@"))),
      );
      const grades = gradeRemovals(
        c.removals.removals().filter((r) => r.service === "auth-service"),
        c.timings.bound,
      );
      const events = await c.env.kc
        .makeApiClient(CoreV1Api)
        .listNamespacedEvent({ namespace: c.namespace, fieldSelector: "involvedObject.name=auth-v2" });
      console.log(
        `[cluster e2e G1/G2/G3] auth v1→v2 ${final.status.phase} in ${((Date.now() - began) / 1000).toFixed(1)} s; ${load.described}; ` +
          `G3: v1 removed ${grades[0]?.afterLastServedMs ?? "?"} ms after its last served request (bound ${c.timings.bound.totalMs} ms); ${events.items.length} Events`,
      );

      expect(final.status.phase, final.status.engine.reason ?? "").toBe("Succeeded");
      expect(load.failed).toEqual([]);
      expect(load.mixed).toEqual([]);
      expect([...authVersions].sort()).toEqual(["auth-service@v1", "auth-service@v2"]);
      expect(await c.mesh.traceStore.violations()).toMatchObject({ total: 0 });
      expect(grades).toHaveLength(1);
      expect(grades[0]?.afterLastServedMs ?? -1).toBeGreaterThanOrEqual(0);
      expect(grades[0]?.afterLastServedMs ?? Infinity).toBeLessThanOrEqual(3 * c.timings.bound.totalMs);
      expect(events.items.map((e) => e.reason)).toContain("PhaseChanged");
      const pods = await podNames(c);
      expect(pods.filter((p) => p.startsWith("auth-service-v1"))).toEqual([]);
      expect(pods.filter((p) => p.startsWith("auth-service-v2")).length).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "the leader cut off mid-upgrade as by kill -9: the standby takes over from status and finishes, creating no extra pod",
    async () => {
      c = await bootClusterE2e();
      const a = await c.startReplica("replica-a");
      const b = await c.startReplica("replica-b");
      const deadline = Date.now() + 20_000;
      while (!a.controller.isLeader() && !b.controller.isLeader() && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const [leader, standby] = a.controller.isLeader() ? [a, b] : [b, a];
      expect(leader.controller.isLeader()).toBe(true);
      const users = startUsers(c.mesh);
      await applyUpgrade(c, "auth-v2", {
        services: [{ name: "auth-service", from: "v1", to: "v2" }],
        strategy: strategy([25, 60, 100]),
      });
      // Cut the leader off once the new version runs and the shift has begun.
      for (;;) {
        const u = await c.upgrades.get({ namespace: c.namespace, name: "auth-v2" });
        if (u.status.phase === "Shifting" || TERMINAL_PHASES.includes(u.status.phase)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      leader.kill();
      const killedAt = Date.now();
      while (!standby.controller.isLeader()) await new Promise((r) => setTimeout(r, 50));
      const takeoverMs = Date.now() - killedAt;
      const final = await waitForEnd(c, "auth-v2");
      const load = await grade([users]);
      const v2Pods = (await podNames(c)).filter((p) => p.startsWith("auth-service-v2"));
      const v2Created = c.pods.created().filter((p) => p.startsWith("auth-service-v2"));
      console.log(
        `[cluster e2e G5] leader ${leader.identity} cut off in Shifting; ${standby.identity} led after ${takeoverMs} ms; ${final.status.phase}; ${load.described}`,
      );
      expect(final.status.phase, final.status.engine.reason ?? "").toBe("Succeeded");
      expect(takeoverMs).toBeLessThanOrEqual(4_000 + 500 + 1_000);
      expect(load.failed).toEqual([]);
      expect(load.mixed).toEqual([]);
      // The new Deployment was created once, with its two replicas: no pod was ever created beyond them.
      expect(v2Pods).toHaveLength(2);
      expect(v2Created.sort()).toEqual(v2Pods.sort());
    },
    TEST_TIMEOUT_MS,
  );
});
