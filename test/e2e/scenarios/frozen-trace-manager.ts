/**
 * G4: a TraceManager that stops reporting (its report frozen as the controller sees it) holds
 * the flip and the removal, and the upgrade says why; it proceeds when the pod reports again.
 */
import { expect } from "vitest";
import { gradeRemovals } from "../../../controller/local/demo/removal-grade.js";
import { sleep, startUsers, strategy } from "../harness.js";
import { createUpgrade, grade, waitForEnd, waitUntil, type Scenario } from "./scenario-kit.js";

/** How long a pod's reports stay frozen: twice the staleness limit (6 heartbeats of 500 ms). */
const FROZEN_MS = 6_000;

/** The frozen-TraceManager scenario. */
export const frozenTraceManager: Scenario = {
  title:
    "G4: a TraceManager that stops reporting holds the flip and the removal and says why; the upgrade proceeds when it reports again",
  needs: { freezable: true },
  run: async (b) => {
    const freezer = b.freezer;
    if (freezer === undefined) throw new Error("e2e: G4 needs a freezable backend");
    const users = startUsers(b.mesh);
    await sleep(1_000);
    await createUpgrade(b, "auth-v2", {
      services: [{ name: "auth-service", from: "v1", to: "v2" }],
      strategy: strategy([50, 100]),
    });
    // Freeze one old pod's reports as soon as the last step is published: its watermark stops
    // before the pin snapshot and its heartbeat goes stale after 6 heartbeats (3 s).
    await waitUntil(b, "auth-v2", (u) => u.status.weight === 100);
    const victim = b.mesh.instances().find((i) => i.service === "auth-service" && i.version === "v1")?.pod;
    if (victim === undefined) throw new Error("e2e: no auth-service v1 pod");
    freezer.freeze(victim);
    const frozenAt = Date.now();
    const key = { namespace: b.namespace, name: "auth-v2" };
    let flipped = false;
    let removed = false;
    let held = await b.upgrades().get(key);
    while (Date.now() - frozenAt < FROZEN_MS) {
      held = await b.upgrades().get(key);
      if (held.status.engine.instants.flipAt !== null) flipped = true;
      if (b.removals().length > 0) removed = true;
      await sleep(100);
    }
    const waiting = held.status.conditions.find((c) => c.type === "Waiting" && c.status === "True");
    const oldRunning = (await b.versionsOf("auth-service")).filter((v) => v === "v1").length;
    freezer.thaw();
    const final = await waitForEnd(b, "auth-v2");
    const load = await grade([users]);
    console.log(
      `[${b.name} e2e G4] ${victim} frozen ${FROZEN_MS / 1000} s: ${held.status.phase}/${held.status.engine.stage}, flipped ${flipped}, removed ${removed}, ` +
        `waiting: ${waiting?.reason ?? "-"}: ${waiting?.message ?? "-"}; after thaw ${final.status.phase}; ${load.described}`,
    );

    expect(flipped).toBe(false);
    expect(removed).toBe(false);
    expect(oldRunning).toBe(2);
    expect(held.status.phase).toBe("Draining");
    expect(waiting?.message).toContain(victim);
    expect(final.status.phase, final.status.engine.reason ?? "").toBe("Succeeded");
    expect(load.failed).toEqual([]);
    expect(load.mixed).toEqual([]);
    const g = gradeRemovals(b.removals(), b.timings.bound, [final])[0];
    expect(g?.afterLastServedMs ?? -1).toBeGreaterThanOrEqual(0);
  },
};
