import { describe, expect, it } from "vitest";
import { pendingActions } from "./decide.js";
import { Harness, specFor } from "./testing/harness.js";
import type { Phase } from "./types.js";

describe("decide(): pause, failure, GitOps reverts and restarts", () => {
  it.each<[Phase, string]>([
    ["Preparing", "holdOld"],
    ["Shifting", "analyse"],
    ["Draining", "tranquil"],
    ["Finalizing", "scaleOld"],
  ])("paused holds %s: no action, a Paused condition; resuming continues", (phase, stage) => {
    const h = new Harness(specFor());
    h.runUntil(
      (x) => x.status.phase === phase && (x.status.engine.stage === stage || phase === "Finalizing"),
    );
    h.spec = { ...h.spec, paused: true };
    h.tick();
    const frozen = {
      phase: h.status.phase,
      stage: h.status.engine.stage,
      epoch: h.status.configEpoch,
      weight: h.status.weight,
    };
    const before = h.log.filter((a) => a.kind !== "recordEvent").length;
    for (let i = 0; i < 100; i++) h.tick(1_000);
    expect({
      phase: h.status.phase,
      stage: h.status.engine.stage,
      epoch: h.status.configEpoch,
      weight: h.status.weight,
    }).toEqual(frozen);
    expect(h.log.filter((a) => a.kind !== "recordEvent")).toHaveLength(before);
    expect(h.condition("Paused")).toMatchObject({ status: "True" });
    expect(h.condition("Waiting")).toMatchObject({ status: "True", reason: "Paused" });
    h.spec = { ...h.spec, paused: false };
    h.runUntil((x) => x.status.phase === "Succeeded");
    expect(h.condition("Paused")).toMatchObject({ status: "False" });
  });

  it("fails, leaving routing as it is, when a write is refused permanently", () => {
    const h = new Harness(specFor());
    h.failKinds.set("ensureVersion", {
      ok: false,
      permanent: true,
      message: "Deployment reviews-v2: forbidden",
    });
    h.runUntil((x) => x.status.phase === "Failed");
    expect(h.condition("Failed")?.message).toMatch(
      /ensureVersion .* refused permanently: Deployment reviews-v2: forbidden/,
    );
    const issued = h.log.length;
    for (let i = 0; i < 10; i++) h.tick();
    expect(h.log.filter((a) => a.kind !== "recordEvent")).toHaveLength(
      h.log.slice(0, issued).filter((a) => a.kind !== "recordEvent").length,
    );
    expect(h.status.engine.routes.mode).toBe("held");
  });

  it("waits and says so while an action fails transiently", () => {
    const h = new Harness(specFor());
    h.failKinds.set("writeRoutes", { ok: false, permanent: false, message: "409 conflict" });
    for (let i = 0; i < 10; i++) h.tick();
    expect(h.status.phase).toBe("Preparing");
    expect(h.condition("Waiting")?.message).toMatch(/409 conflict/);
    h.failKinds.delete("writeRoutes");
    const key = pendingActions(h.status).find((a) => a.kind === "writeRoutes")!.key;
    h.results[key] = { ok: true };
    h.epochInTable = 1;
    h.runUntil((x) => x.status.phase === "Succeeded");
  });

  it("stops enrolment when Tranquil's routes vanish (a GitOps revert) and waits for the user", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.status.phase === "Shifting" && x.status.weight === 50);
    h.epochInTable = null;
    for (let i = 0; i < 20; i++) h.tick();
    expect(h.condition("GitOpsRevert")).toMatchObject({ status: "True", reason: "RoutesVanished" });
    expect(h.status.weight).toBe(0);
    expect(h.status.phase).toBe("Shifting");
    expect(h.log.filter((a) => a.kind === "recordEvent" && a.reason === "GitOpsRevert")).toHaveLength(1);
    h.commands = [{ kind: "abort", token: "user" }];
    h.epochInTable = h.status.configEpoch; // the user stopped the GitOps tool
    h.runUntil((x) => x.status.phase === "RolledBack");
  });

  it("detects a proxy reporting a lower epoch than every proxy had confirmed", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.status.phase === "Shifting");
    h.pod("reviews-v1-a").frozen = true;
    h.pod("reviews-v1-a").configEpoch = 1;
    h.tick();
    expect(h.condition("GitOpsRevert")).toMatchObject({ reason: "LowerEpoch" });
    expect(h.condition("GitOpsRevert")?.message).toMatch(/reviews-v1-a/);
  });

  it.each([1, 2, 3, 5, 8, 13])(
    "resumes after a crash every %i ticks with no lost or duplicated action",
    (every) => {
      const h = new Harness(specFor(["reviews", "ratings"]));
      const executed = new Map<string, number>();
      let tick = 0;
      while (h.status.phase !== "Succeeded" && tick < 600) {
        tick++;
        const crash = tick % every === 0;
        h.autoAck = !crash;
        const actions = h.tick();
        if (crash) {
          // The status was persisted; the actions of this tick were never executed. The
          // restarted reconciler executes whatever is pending without a result.
          h.autoAck = true;
          for (const a of pendingActions(h.status)) if (h.results[a.key] === undefined) h.execute(a);
        }
        for (const a of actions) executed.set(a.key, (executed.get(a.key) ?? 0) + 1);
      }
      expect(h.status.phase).toBe("Succeeded");
      // decide() issued every key once; each executed action was executed once.
      expect([...executed.values()].every((n) => n === 1)).toBe(true);
      const done = h.log.filter((a) => a.kind !== "recordEvent").map((a) => a.key);
      expect(new Set(done).size).toBe(done.length);
      const epochs = h.log.flatMap((a) => (a.kind === "writeRoutes" ? [a.epoch] : []));
      expect(epochs).toEqual([1, 2, 3, 4, 5, 6]);
    },
  );
});
