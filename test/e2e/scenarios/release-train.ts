/** G1 across services: a release train of auth-service and order-service v1 → v2 under load. */
import { expect } from "vitest";
import { describeWaits, gradeRemovals } from "../../../controller/local/demo/removal-grade.js";
import { sleep, startUsers, strategy } from "../harness.js";
import { createUpgrade, grade, secondsSince, waitForEnd, type Scenario } from "./scenario-kit.js";

/** The release train. */
export const releaseTrain: Scenario = {
  title: "release train auth-service + order-service v1 → v2: no mixed or failed transaction, no violation",
  needs: {},
  run: async (b) => {
    const began = Date.now();
    const users = startUsers(b.mesh);
    await sleep(1_000);
    await createUpgrade(b, "train", {
      services: [
        { name: "auth-service", from: "v1", to: "v2" },
        { name: "order-service", from: "v1", to: "v2" },
      ],
      strategy: strategy([50, 100]),
    });
    const final = await waitForEnd(b, "train");
    const load = await grade([users]);
    const violations = await b.mesh.traceStore.violations();
    const grades = gradeRemovals(b.removals(), b.timings.bound, [final]);
    console.log(
      `[${b.name} e2e G1 train] auth+order v1→v2 ${final.status.phase} in ${secondsSince(began)} s; ` +
        `${load.described}; violations ${violations.total}; removals ${grades
          .map(
            (g) =>
              `${g.service}@${g.version} +${g.afterLastServedMs ?? "?"} ms (bound ${g.boundMs} ms; waited for ${describeWaits(g.waited)})`,
          )
          .join(", ")}`,
    );

    expect(final.status.phase, final.status.engine.reason ?? "").toBe("Succeeded");
    expect(load.failed).toEqual([]);
    expect(load.mixed).toEqual([]);
    expect(violations.total).toBe(0);
    expect(load.versionsSeen("order-service")).toEqual(["v1", "v2"]);
    expect(load.versionsSeen("auth-service")).toEqual(["v1", "v2"]);
    for (const g of grades) {
      expect(g.afterLastServedMs ?? -1).toBeGreaterThanOrEqual(0);
      expect(g.bound).not.toBeNull();
      expect(g.afterLastNeededMs ?? Infinity).toBeLessThanOrEqual(g.boundMs);
    }
    expect(grades.map((g) => `${g.service}@${g.version}`).sort()).toEqual([
      "auth-service@v1",
      "order-service@v1",
    ]);
    expect(await b.versionsOf("auth-service")).toEqual(["v2", "v2"]);
    expect(await b.versionsOf("order-service")).toEqual(["v2", "v2"]);
  },
};
