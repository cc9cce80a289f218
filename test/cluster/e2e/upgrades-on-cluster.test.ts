/**
 * Upgrades on the local cluster under load, by the cluster controller with the shipped RBAC,
 * graded from outside it. The shared scenarios (test/e2e/scenarios: G1 single and train, G2,
 * G3, G4, G6, rollback, abort, a GitOps revert) run here as they run on the local mesh, each on
 * a cluster of its own; then G5, the leader cut off as by `kill -9` mid-upgrade: the standby
 * takes over from status and finishes, creating no extra pod, and the Upgrade's Events show it.
 */
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { TERMINAL_PHASES } from "../../../controller/engine/phases.js";
import type { UpgradeSpec } from "../../../controller/engine/types.js";
import { watchUpgrade } from "../../../controller/local/demo/watch-upgrade.js";
import type { UpgradeRecord } from "../../../controller/ports/upgrade-store.js";
import { startUsers, strategy } from "../../e2e/harness.js";
import { describeSharedScenarios } from "../../e2e/scenarios/index.js";
import { grade } from "../../e2e/scenarios/scenario-kit.js";
import { bootClusterBackend } from "./cluster-backend.js";
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

describeSharedScenarios("the local cluster", bootClusterBackend, TEST_TIMEOUT_MS);

describe("upgrades on the local cluster under load", { concurrent: false }, () => {
  let c: ClusterE2e | undefined;
  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

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
      // What `kubectl describe upgrade auth-v2` lists: the phase changes, whoever led.
      const events = await c.env.kc
        .makeApiClient(CoreV1Api)
        .listNamespacedEvent({ namespace: c.namespace, fieldSelector: "involvedObject.name=auth-v2" });
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
      expect(events.items.map((e) => e.reason)).toContain("PhaseChanged");
    },
    TEST_TIMEOUT_MS,
  );
});
