/**
 * G6: bad specs are refused with a clear message (at once by the API or the CRD schema, or by
 * the controller with a status condition), and a refused Upgrade applies nothing: routes,
 * subsets and workloads stay as they were.
 */
import { expect } from "vitest";
import { strategy } from "../harness.js";
import type { E2eBackend } from "./e2e-backend.js";
import {
  destinationRuleSpecs,
  said,
  virtualServiceSpecs,
  waitForEnd,
  type Scenario,
} from "./scenario-kit.js";

/** What became of a bad spec: refused at once, or Failed by the controller. */
interface Outcome {
  readonly name: string;
  /** `refused <status>` or the phase it ended in. */
  readonly verdict: string;
  /** The refusal's message or the conditions of the ended upgrade. */
  readonly message: string;
}

async function outcomeOf(b: E2eBackend, name: string, spec: unknown): Promise<Outcome> {
  const answer = await b.submit(name, spec);
  if (answer.refused) return { name, verdict: `refused ${answer.status}`, message: answer.message };
  const end = await waitForEnd(b, name, 30_000);
  return { name, verdict: end.status.phase, message: said(end) };
}

/** A refusal is an answer in 4xx, or the upgrade ended Failed (never anything else). */
function refused(o: Outcome): boolean {
  return /^refused 4\d\d$/.test(o.verdict) || o.verdict === "Failed";
}

/** The bad-specs scenario. */
export const badSpecs: Scenario = {
  title:
    "G6: bad specs are refused with clear messages; an unknown service or old version fails with nothing applied",
  needs: {},
  run: async (b) => {
    const routesBefore = await virtualServiceSpecs(b);
    const rulesBefore = await destinationRuleSpecs(b);
    const auth = { name: "auth-service", from: "v1", to: "v2" };
    const outcomes = [
      await outcomeOf(b, "bad-steps", { services: [auth], strategy: { steps: [50, 30] } }),
      await outcomeOf(b, "Auth_V2", { services: [auth] }),
      await outcomeOf(b, "empty", { services: [] }),
      await outcomeOf(b, "bad-version", { services: [{ name: "auth-service", from: "V1!", to: "v2" }] }),
      await outcomeOf(b, "unknown-service", {
        services: [{ name: "payment-service", from: "v1", to: "v2" }],
        strategy: strategy(),
      }),
      await outcomeOf(b, "unknown-from", {
        services: [{ name: "auth-service", from: "v7", to: "v2" }],
        strategy: strategy(),
      }),
    ];
    console.log(
      `[${b.name} e2e G6] ${outcomes.map((o) => `${o.name}: ${o.verdict} ${o.message}`).join(" | ")}`,
    );
    const [badSteps, badName, noServices, badVersion, unknownService, unknownFrom] = outcomes;

    expect(outcomes.filter((o) => !refused(o)).map((o) => `${o.name}: ${o.verdict}`)).toEqual([]);
    expect(badSteps?.message).toMatch(/steps/);
    expect(badSteps?.message).toMatch(/increasing|100/);
    expect(badName?.message).toMatch(/DNS label|RFC 1123/);
    expect(noServices?.message).toMatch(/services/);
    expect(badVersion?.message).toMatch(/from/);
    expect(unknownService?.verdict).toBe("Failed");
    expect(unknownService?.message).toContain("payment-service");
    expect(unknownFrom?.verdict).toBe("Failed");
    expect(unknownFrom?.message).toMatch(/v7.*from|from.*v7/);
    // Nothing applied: routes, subsets and workloads as before.
    expect(await virtualServiceSpecs(b)).toEqual(routesBefore);
    expect(await destinationRuleSpecs(b)).toEqual(rulesBefore);
    expect(await b.versionsOf("auth-service")).toEqual(["v1", "v1"]);
  },
};
