/**
 * G5 with real processes: two `tranquil-controller` processes on the local cluster (the shipped
 * RBAC, the Lease, the trace store in Redis), the leader killed with `kill -9` mid-upgrade,
 * then again in a later phase, each at a random moment inside its phase (a seeded jitter, the
 * seed logged; a fresh process takes the dead one's place each time, as a
 * Deployment would restart it). The standby takes over within the lease and finishes from
 * status; graded from outside: no failed or mixed transaction, exactly the new version's
 * replicas ever created, the old version removed after its last served request.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, describe, expect, it } from "vitest";
import { TERMINAL_PHASES, type Phase } from "../../../controller/engine/phases.js";
import { gradeRemovals } from "../../../controller/local/demo/removal-grade.js";
import { watchUpgrade } from "../../../controller/local/demo/watch-upgrade.js";
import { createPrng } from "../../sim/prng.js";
import { startTestRedis, type TestRedis } from "../../support/redis-server.js";
import { sleep, startUsers, strategy } from "../../e2e/harness.js";
import { grade } from "../../e2e/scenarios/scenario-kit.js";
import { bootClusterE2e, type ClusterE2e } from "./cluster-e2e.js";
import {
  PROCESS_LEASE,
  startControllerProcess,
  writeProcessFiles,
  type ControllerProcess,
} from "./controller-processes.js";

const TEST_TIMEOUT_MS = 300_000;
/** The kill lands up to this long after the phase is seen. */
const KILL_JITTER_MS = 1_500;
/** `TRANQUIL_KILL_SEED` replays a run; by default each run picks its own moments. */
const SEED = Number(process.env["TRANQUIL_KILL_SEED"] ?? Date.now() % 1_000_000);

/** The phases an upgrade goes forward through, in order. */
const FORWARD: readonly Phase[] = ["Validating", "Preparing", "Shifting", "Draining", "Finalizing"];

describe("tranquil-controller processes killed with -9 mid-upgrade", { concurrent: false }, () => {
  let redis: TestRedis | undefined;
  let c: ClusterE2e | undefined;
  let dir: string | undefined;
  const processes: ControllerProcess[] = [];
  afterAll(async () => {
    for (const p of processes) p.kill9();
    await c?.stop();
    await redis?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it(
    "the leader process killed in Shifting and its successor in Draining: the standby finishes from status, no extra pod",
    async () => {
      const began = Date.now();
      const random = createPrng(SEED);
      redis = await startTestRedis();
      c = await bootClusterE2e({ storeUrl: redis.url });
      dir = await mkdtemp(join(tmpdir(), "tranquil-kill-"));
      const files = await writeProcessFiles(dir, c.controllerKc);
      const start = async (name: string): Promise<ControllerProcess> => {
        const p = await startControllerProcess(name, files, {
          redisUrl: redis!.url,
          namespace: c!.namespace,
        });
        processes.push(p);
        return p;
      };
      await start("ctl-1");
      await start("ctl-2");
      const leader = async (timeoutMs: number): Promise<ControllerProcess> => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const leading = processes.filter((p) => p.leads());
          if (leading.length === 1 && leading[0] !== undefined) return leading[0];
          if (leading.length > 1)
            throw new Error(`e2e: ${leading.map((p) => p.name).join(", ")} lead at once`);
          if (Date.now() > deadline) throw new Error("e2e: no controller process leads");
          await sleep(50);
        }
      };
      await leader(30_000);
      const users = startUsers(c.mesh);
      await sleep(1_000);
      await c.env.kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
        group: "tranquil.dev",
        version: "v1alpha1",
        plural: "upgrades",
        namespace: c.namespace,
        body: {
          apiVersion: "tranquil.dev/v1alpha1",
          kind: "Upgrade",
          metadata: { name: "auth-v2" },
          spec: {
            services: [{ name: "auth-service", from: "v1", to: "v2" }],
            strategy: strategy([25, 60, 100]),
          },
        },
      });
      const key = { namespace: c.namespace, name: "auth-v2" };
      const kills: string[] = [];
      const killedIn: Phase[] = [];
      for (const [moment, replacement] of [
        ["Shifting", "ctl-3"],
        ["Draining", "ctl-4"],
      ] as const) {
        let phase: Phase;
        for (;;) {
          phase = (await c.upgrades.get(key)).status.phase;
          if (FORWARD.indexOf(phase) >= FORWARD.indexOf(moment) || TERMINAL_PHASES.includes(phase)) break;
          await sleep(100);
        }
        // A random moment inside the phase, not its first instant (the seed is logged to replay it).
        await sleep(Math.floor(random.between(0, KILL_JITTER_MS)));
        phase = (await c.upgrades.get(key)).status.phase;
        const victim = await leader(10_000);
        victim.kill9();
        const killedAt = Date.now();
        await victim.exited;
        const successor = await leader(PROCESS_LEASE.durationMs + 10_000);
        killedIn.push(phase);
        kills.push(`${victim.name} in ${phase}, ${successor.name} led after ${Date.now() - killedAt} ms`);
        await start(replacement);
      }
      const final = await watchUpgrade(c.upgrades, key, () => undefined, 150_000);
      const load = await grade([users]);
      const v2Created = c.pods.created().filter((p) => p.startsWith("auth-service-v2"));
      const grades = gradeRemovals(
        c.removals.removals().filter((r) => r.service === "auth-service"),
        c.timings.bound,
        [final],
      );
      console.log(
        `[cluster e2e G5 kill -9, seed ${SEED}] ${kills.join("; ")}; ${final.status.phase} in ${((Date.now() - began) / 1000).toFixed(1)} s; ` +
          `auth-service v2 pods created ${v2Created.length}; removal +${grades[0]?.afterLastServedMs ?? "?"} ms; ${load.described}`,
      );

      expect(final.status.phase, final.status.engine.reason ?? "").toBe("Succeeded");
      // Both kills hit the upgrade in flight, past its start.
      expect(killedIn.filter((p) => FORWARD.includes(p) && p !== "Validating")).toHaveLength(2);
      expect(load.failed).toEqual([]);
      expect(load.mixed).toEqual([]);
      expect(load.versionsSeen("auth-service")).toEqual(["v1", "v2"]);
      // The new Deployment's two replicas, created once: no pod beyond them, whatever the kills.
      expect(v2Created).toHaveLength(2);
      expect(grades).toHaveLength(1);
      expect(grades[0]?.afterLastServedMs ?? -1).toBeGreaterThanOrEqual(0);
    },
    TEST_TIMEOUT_MS,
  );
});
