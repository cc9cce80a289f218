import { describe, expect, it } from "vitest";
import { planChecks } from "../upgrade-spec/prometheus-plan.js";
import { analyse } from "./analysis.js";
import { Harness, specFor } from "./testing/harness.js";

describe("analyse", () => {
  it("judges every train member and quotes old's figures for comparison", () => {
    const h = new Harness(
      specFor(["reviews", "ratings"], {
        strategy: { analysis: { successRate: { min: 95 }, latencyP99: { maxMs: 100 } } },
      }),
    );
    h.v("reviews", "v1").analysis = { requests: 500, successRate: 99.5, p99Ms: 40 };
    h.v("reviews", "v2").analysis = { requests: 50, successRate: 80, p99Ms: 40 };
    h.v("ratings", "v2").analysis = { requests: 50, successRate: 100, p99Ms: 250 };
    const verdict = analyse(h.spec, h.observations());
    expect(verdict.passed).toBe(false);
    expect(verdict.details).toEqual([
      "reviews@v2: success rate 80% < 95% (v1: 99.5%)",
      "ratings@v2: p99 250 ms > 100 ms (v1: 50 ms)",
    ]);
  });

  it("states success rates to one decimal", () => {
    const h = new Harness(specFor(["reviews"], { strategy: { analysis: { successRate: { min: 99 } } } }));
    h.v("reviews", "v1").analysis = { requests: 7, successRate: (6 / 7) * 100, p99Ms: 40 };
    h.v("reviews", "v2").analysis = { requests: 7, successRate: (3 / 7) * 100, p99Ms: 40 };
    expect(analyse(h.spec, h.observations()).details).toEqual([
      "reviews@v2: success rate 42.9% < 99% (v1: 85.7%)",
    ]);
  });

  it.each([
    ["within both bounds", 5, true],
    ["at the min bound", 1, true],
    ["below min", 0.5, false],
    ["above max", 11, false],
  ])("checks a Prometheus value %s", (_name, value, passed) => {
    const h = new Harness(
      specFor(["reviews"], { strategy: { analysis: { prometheus: [{ query: "q", min: 1, max: 10 }] } } }),
    );
    h.prometheus = { q: value };
    expect(analyse(h.spec, h.observations()).passed).toBe(passed);
  });

  it("passes with no analysis configured", () => {
    const h = new Harness(specFor());
    h.v("reviews", "v2").analysis = null;
    expect(analyse(h.spec, h.observations())).toEqual({
      passed: true,
      details: ["reviews@v2: no requests in the window"],
    });
  });
});

describe("analyse: Prometheus checks without data", () => {
  const withChecks = (analysis: Record<string, unknown>) =>
    specFor(["reviews"], {
      strategy: {
        analysis: {
          prometheus: [
            { query: "up", min: 1 },
            { query: "errs", max: 0 },
          ],
          ...analysis,
        },
      },
    });

  it("fails by default when a query errs or returns no series, naming the query", () => {
    const h = new Harness(withChecks({}));
    h.prometheus = { up: null };
    h.prometheusErrors = { errs: "connect ECONNREFUSED 127.0.0.1:9" };
    expect(analyse(h.spec, h.observations())).toEqual({
      passed: false,
      details: [
        'prometheus "up" returned no value',
        'prometheus "errs" failed: connect ECONNREFUSED 127.0.0.1:9',
      ],
    });
  });

  it("is inconclusive with onMissingData wait, unless another check failed", () => {
    const h = new Harness(withChecks({ onMissingData: "wait" }));
    h.prometheus = { up: null, errs: 0 };
    expect(analyse(h.spec, h.observations())).toEqual({
      passed: false,
      inconclusive: true,
      details: ['prometheus "up" returned no value'],
    });
    h.prometheus = { up: null, errs: 3 };
    expect(analyse(h.spec, h.observations())).toEqual({
      passed: false,
      details: ['prometheus "errs" = 3 > 0'],
    });
  });

  it("judges built-in checks per train service, rendered for the upgrade's namespace", () => {
    const h = new Harness(
      specFor(["reviews"], {
        strategy: { analysis: { prometheus: [{ metric: "request-success-rate", min: 99 }] } },
      }),
    );
    const [check] = planChecks(h.spec, "shop");
    h.namespace = "shop";
    h.prometheus = { [check?.query ?? ""]: 97.5 };
    expect(analyse(h.spec, h.observations()).details).toEqual([
      `prometheus request-success-rate of reviews@v2 "${check?.query ?? ""}" = 97.5 < 99`,
    ]);
  });
});
