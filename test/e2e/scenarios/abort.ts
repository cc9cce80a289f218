/**
 * Abort at both moments: during Shifting (held at 50% by a long analysis window), and after
 * the flip (Draining); both return to v1 cleanly. An overlapping Upgrade of the same service is
 * refused meanwhile: at once by the API, or by the controller with a status condition.
 */
import { expect } from "vitest";
import { TERMINAL_PHASES } from "../../../controller/engine/phases.js";
import { sleep, startUsers, strategy } from "../harness.js";
import {
  createUpgrade,
  grade,
  said,
  virtualServiceSpecs,
  waitForEnd,
  waitUntil,
  startHeldAtHalf,
  type Scenario,
} from "./scenario-kit.js";

/** The abort scenario. */
export const abortBothMoments: Scenario = {
  title:
    "abort during Shifting and abort after the flip both return to v1 cleanly; an overlapping upgrade is refused meanwhile",
  needs: {},
  run: async (b) => {
    const routesBefore = await virtualServiceSpecs(b);
    const users = startUsers(b.mesh);
    await sleep(1_000);
    // A long analysis window holds the upgrade at 50% until the abort.
    await startHeldAtHalf(b, "auth-v2");
    await sleep(1_000);
    const overlapping = await b.submit("auth-v3", {
      services: [{ name: "auth-service", from: "v1", to: "v3" }],
    });
    const overlapEnd = overlapping.refused ? undefined : await waitForEnd(b, "auth-v3", 30_000);
    const overlapSaid = overlapping.refused
      ? overlapping.message
      : overlapEnd === undefined
        ? ""
        : said(overlapEnd);
    const abort = await b.command("auth-v2", "abort");
    const first = await waitForEnd(b, "auth-v2");
    const routesAfterFirst = await virtualServiceSpecs(b);
    const versionsAfterFirst = await b.versionsOf("auth-service");

    // Again, straight to 100%, aborted once the non-enrolled clones point to v2 (Draining,
    // after the flip, before Finalizing).
    await createUpgrade(b, "auth-v2-again", {
      services: [{ name: "auth-service", from: "v1", to: "v2" }],
      strategy: strategy([100]),
    });
    const flipped = await waitUntil(
      b,
      "auth-v2-again",
      (u) =>
        u.status.engine.instants.flipAt !== null ||
        u.status.phase === "Finalizing" ||
        TERMINAL_PHASES.includes(u.status.phase),
    );
    const abortAfterFlip = await b.command("auth-v2-again", "abort");
    const second = await waitForEnd(b, "auth-v2-again");
    const load = await grade([users]);
    console.log(
      `[${b.name} e2e abort] overlapping: ${overlapping.refused ? overlapping.status : overlapEnd?.status.phase} ${overlapSaid}; ` +
        `abort in Shifting ${abort.status} → ${first.status.phase}; abort in ${flipped.status.phase}/${flipped.status.engine.stage} ` +
        `after the flip ${abortAfterFlip.status} → ${second.status.phase}; ${load.described}`,
    );

    // Refused either way, naming the upgrade that holds the service; nothing of it applied.
    expect(overlapping.refused || overlapEnd?.status.phase === "Failed").toBe(true);
    expect(overlapSaid).toMatch(/auth-v2.*auth-service/);
    expect(abort.status).toBe(200);
    expect(first.status.phase).toBe("RolledBack");
    expect(versionsAfterFirst).toEqual(["v1", "v1"]);
    expect(routesAfterFirst).toEqual(routesBefore);
    expect(flipped.status.phase).toBe("Draining");
    expect(abortAfterFlip.status).toBe(200);
    expect(second.status.phase).toBe("RolledBack");
    expect(second.status.engine.instants.flipAt).not.toBeNull();
    expect(load.failed).toEqual([]);
    expect(load.mixed).toEqual([]);
    expect(load.versionsSeen("auth-service")).toEqual(["v1", "v2"]);
    expect(b.removals().filter((r) => r.version === "v1")).toEqual([]);
    expect(await b.versionsOf("auth-service")).toEqual(["v1", "v1"]);
    expect(await virtualServiceSpecs(b)).toEqual(routesBefore);
  },
};
