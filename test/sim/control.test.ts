import { describe, expect, it } from "vitest";
import { runControl } from "./control-run.js";
import { runMany } from "./many.js";
import { describeRun } from "./seed-suite.js";
import { runTranquil } from "./tranquil-run.js";

const SEEDS = 150;

describe("simulator: the control strategy (per-request weights, fixed-delay removal)", () => {
  const replay = process.env["SIM_SEED"];
  if (replay !== undefined && process.env["SIM_STRATEGY"] === "control") {
    it(`replays seed ${replay} with the control strategy`, () => {
      const r = runControl(Number(replay));
      console.log(describeRun(r));
      expect(r.finalPhase).toBe("Succeeded");
    });
    return;
  }

  it("shows the violations the invariants exist for", { timeout: 120_000 }, () => {
    const summary = runMany(1, SEEDS, (seed) => runControl(seed));
    console.log(
      `control: ${summary.clean}/${SEEDS} clean; violations by guarantee ${JSON.stringify(summary.byGuarantee)}; mixed ingress ${summary.totals.mixedIngress} of ${summary.totals.ingressTxns}`,
    );
    // Per-request weights at every hop mix versions inside transactions in nearly every run.
    expect(summary.byGuarantee["G1"] ?? 0).toBeGreaterThan(SEEDS * 0.8);
    // Fixed-delay removal cuts off or misroutes calls, and removes old before its last call.
    expect(summary.byGuarantee["G2"] ?? 0).toBeGreaterThan(SEEDS * 0.2);
    expect(summary.byGuarantee["G3"] ?? 0).toBeGreaterThan(SEEDS * 0.2);
    expect(summary.clean).toBeLessThan(SEEDS * 0.1);
  });

  it("is judged by the same invariants that decide() passes on the same seeds", () => {
    for (const seed of [1, 2, 3]) {
      const control = runControl(seed);
      const tranquil = runTranquil(seed);
      expect(control.scenario).toEqual(tranquil.scenario);
      expect(control.violations.length).toBeGreaterThan(0);
      expect(tranquil.violations, describeRun(tranquil)).toEqual([]);
    }
  });

  it("mixes versions inside a transaction only through routing: its own TraceManagers detect it", () => {
    const r = runControl(1);
    expect(r.counts.mixedIngress).toBeGreaterThan(0);
    expect(r.counts.detectedViolations).toBeGreaterThan(0);
  });
});
