/**
 * Rollback on failed analysis: auth-service v2 is a faulty build (half of its calls fail), so
 * its first step fails the analysis and the upgrade rolls back; only v2's own answers failed,
 * and routes and DestinationRules are byte for byte as before.
 */
import { expect } from "vitest";
import { sleep, startUsers, strategy } from "../harness.js";
import { ScenarioTopology } from "./e2e-backend.js";
import {
  createUpgrade,
  destinationRuleSpecs,
  grade,
  tranquilRoutes,
  virtualServiceSpecs,
  waitForEnd,
  type Scenario,
} from "./scenario-kit.js";

/** The rollback on failed analysis. */
export const rollbackOnFailedAnalysis: Scenario = {
  title:
    "rollback: a v2 failing its analysis rolls back; only v2's own answers failed; routes back to the user's",
  needs: { topology: ScenarioTopology.BadRelease },
  run: async (b) => {
    const routesBefore = await virtualServiceSpecs(b);
    // The user's DestinationRule already names v2: a rollback must keep the user's subset.
    const rulesBefore = await destinationRuleSpecs(b);
    const users = startUsers(b.mesh);
    await sleep(1_000);
    await createUpgrade(b, "auth-v2-bad", {
      services: [{ name: "auth-service", from: "v1", to: "v2" }],
      strategy: strategy([50, 100], 0),
    });
    const final = await waitForEnd(b, "auth-v2-bad");
    const load = await grade([users]);
    const failedElsewhere = load.transactions
      .filter((t) => !t.ok && !t.servedBy.includes("auth-service@v2"))
      .map((t) => `${t.kind} ${t.status} ${t.error ?? ""} ${t.servedBy.join(",")}`);
    console.log(
      `[${b.name} e2e rollback] ${final.status.phase} (${final.status.engine.reason ?? ""}); ${load.described}; ` +
        `failed transactions not served by auth-service@v2: ${failedElsewhere.length}/${load.failed.length}`,
    );

    expect(final.status.phase).toBe("RolledBack");
    expect(final.status.engine.reason).toMatch(/analysis/);
    expect(load.mixed).toEqual([]);
    expect(failedElsewhere).toEqual([]);
    expect(await b.versionsOf("auth-service")).toEqual(["v1", "v1"]);
    expect(await tranquilRoutes(b)).toEqual([]);
    expect(await virtualServiceSpecs(b)).toEqual(routesBefore);
    expect(await destinationRuleSpecs(b)).toEqual(rulesBefore);
  },
};
