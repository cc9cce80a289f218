import { describe, expect, it } from "vitest";
import { Harness, specFor } from "./testing/harness.js";
import type { UpgradeSpec } from "./types.js";

const weights = (h: Harness): number[] => h.log.flatMap((a) => (a.kind === "setWeight" ? [a.weight] : []));

describe("decide(): Shifting moves enrolment step by step, confirmed at every gateway", () => {
  it("does not count a step until every gateway applies its weight version", () => {
    const h = new Harness(specFor());
    h.addPod("gw-2", "gateway").weightFrozen = true;
    h.runUntil((x) => x.status.phase === "Shifting");
    for (let i = 0; i < 40; i++) h.tick();
    expect(weights(h)).toEqual([10]);
    expect(h.condition("Waiting")).toMatchObject({ reason: "WeightUnconfirmed" });
    expect(h.condition("Waiting")?.message).toMatch(/gw-2/);
    h.pod("gw-2").weightFrozen = false;
    h.runUntil((x) => weights(x).length === 2);
  });

  it("waits a whole step interval between steps", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.status.engine.stage === "analyse");
    const start = h.now;
    h.runUntil((x) => weights(x).length === 2, 100, 500);
    expect(h.now - start).toBeGreaterThanOrEqual(10_000);
  });

  it("restarts the step window when the upgrade resumes: time spent paused does not count", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.status.engine.stage === "analyse");
    const windowStart = h.status.engine.instants.stepStartedAt ?? 0;
    // 6 s into the 10 s window, pause for 26 s, then resume.
    while (h.now - windowStart < 6_000) h.tick();
    h.spec = { ...h.spec, paused: true };
    for (let i = 0; i < 26; i++) h.tick(1_000);
    expect(weights(h)).toEqual([10]);
    h.spec = { ...h.spec, paused: false };
    h.tick();
    const resumed = h.now;
    expect(weights(h)).toEqual([10]);
    expect(h.status.engine.instants.stepStartedAt).toBe(resumed);
    expect(h.condition("Waiting")).toMatchObject({
      reason: "Analysing",
      message: "weight 10%: analysing the step window (10s), restarted when the upgrade was resumed",
    });
    expect(h.log).toContainEqual(
      expect.objectContaining({ kind: "recordEvent", reason: "AnalysisWindowRestarted" }),
    );
    h.runUntil((x) => weights(x).length === 2, 100, 500);
    expect(h.now - resumed).toBeGreaterThanOrEqual(10_000);
    // The next window is a plain one again.
    h.runUntil((x) => x.condition("Waiting")?.message.startsWith("weight 50%: analysing") === true, 100);
    expect(h.condition("Waiting")?.message).toBe("weight 50%: analysing the step window");
  });

  it("does not restart a window that began after the resume", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.status.phase === "Shifting");
    h.spec = { ...h.spec, paused: true };
    for (let i = 0; i < 5; i++) h.tick(1_000);
    h.spec = { ...h.spec, paused: false };
    h.runUntil((x) => x.status.engine.stage === "analyse");
    const start = h.now;
    h.runUntil((x) => weights(x).length === 2, 100, 500);
    expect(h.now - start).toBeGreaterThanOrEqual(10_000);
    expect(h.log.some((a) => a.kind === "recordEvent" && a.reason === "AnalysisWindowRestarted")).toBe(false);
  });

  const failing: [string, Partial<UpgradeSpec>, (h: Harness) => void, RegExp][] = [
    [
      "a low success rate",
      { strategy: { steps: [10, 100], stepInterval: "10s", analysis: { successRate: { min: 99 } } } },
      (h) => (h.v("reviews", "v2").analysis = { requests: 50, successRate: 90, p99Ms: 10 }),
      /success rate 90% < 99%/,
    ],
    [
      "a slow p99",
      { strategy: { steps: [10, 100], stepInterval: "10s", analysis: { latencyP99: { maxMs: 200 } } } },
      (h) => (h.v("reviews", "v2").analysis = { requests: 50, successRate: 100, p99Ms: 450 }),
      /p99 450 ms > 200 ms/,
    ],
    [
      "a Prometheus check above max",
      {
        strategy: {
          steps: [10, 100],
          stepInterval: "10s",
          analysis: { prometheus: [{ query: "errors", max: 1 }] },
        },
      },
      (h) => (h.prometheus = { errors: 5 }),
      /"errors" = 5 > 1/,
    ],
    [
      "a Prometheus check without data",
      {
        strategy: {
          steps: [10, 100],
          stepInterval: "10s",
          analysis: { prometheus: [{ query: "errors", max: 1 }] },
        },
      },
      (h) => (h.prometheus = {}),
      /"errors" returned no value/,
    ],
  ];

  it.each(failing)("rolls back on %s once the failure limit is passed", (_name, spec, degrade, message) => {
    const s = specFor(["reviews"], spec);
    const h = new Harness({ ...s, strategy: { ...s.strategy, failureLimit: 1 } });
    h.runUntil((x) => x.status.engine.stage === "analyse");
    degrade(h);
    h.runUntil((x) => x.status.engine.analysisFailures === 1, 100);
    expect(h.status.phase).toBe("Shifting");
    expect(h.condition("Analysis")).toMatchObject({ status: "False" });
    expect(h.condition("Analysis")?.message).toMatch(message);
    h.runUntil((x) => x.status.phase === "RollingBack", 100);
    expect(h.status.engine.reason).toMatch(message);
    expect(weights(h)).toEqual([10]);
  });

  it("fails a window without requests at new when thresholds are set (as Flagger does)", () => {
    const h = new Harness(
      specFor(["reviews"], {
        strategy: { steps: [10, 100], stepInterval: "10s", analysis: { successRate: { min: 99 } } },
      }),
    );
    h.v("reviews", "v2").analysis = { requests: 0, successRate: null, p99Ms: null };
    h.runUntil((x) => x.status.phase === "RollingBack");
    expect(h.status.engine.reason).toMatch(/no requests in the window, so the thresholds cannot be checked/);
  });

  it("passes a window without requests when no threshold is set, and says so", () => {
    const h = new Harness(specFor(["reviews"], { strategy: { steps: [10, 100], stepInterval: "10s" } }));
    h.v("reviews", "v2").analysis = { requests: 0, successRate: null, p99Ms: null };
    h.runUntil((x) => x.status.phase === "Draining");
    expect(h.condition("Analysis")?.message).toMatch(/no requests in the window/);
  });

  it("jumps to 100 on promote, skipping the remaining analysis", () => {
    const h = new Harness(specFor(["reviews"], { strategy: { steps: [1, 2, 3, 100], stepInterval: "1h" } }));
    h.runUntil((x) => x.status.engine.stage === "analyse");
    h.commands = [{ kind: "promote", token: "p1" }];
    h.runUntil((x) => x.status.phase === "Draining", 20);
    expect(weights(h)).toEqual([1, 100]);
    // The same token does not act twice.
    expect(h.status.engine.handledCommands).toEqual(["p1"]);
  });

  it("starts Shifting at 100 when promoted during Preparing", () => {
    const h = new Harness(specFor());
    h.commands = [{ kind: "promote", token: "early" }];
    h.runUntil((x) => x.status.phase === "Draining");
    expect(weights(h)).toEqual([100]);
  });
});

describe("decide(): Shifting with Prometheus checks that return no data", () => {
  const spec = (analysis: Record<string, unknown>) =>
    specFor(["reviews"], {
      strategy: {
        steps: [10, 100],
        stepInterval: "10s",
        analysis: { prometheus: [{ query: "up", min: 1 }], ...analysis },
      },
    });

  it("waits through inconclusive windows (onMissingData wait), then passes once data comes", () => {
    const h = new Harness(spec({ onMissingData: "wait", missingDataLimit: 3 }));
    h.runUntil((x) => x.status.engine.stage === "analyse");
    h.prometheusErrors = { up: "connect ECONNREFUSED 127.0.0.1:9" };
    h.runUntil((x) => x.status.engine.analysisInconclusive === 2, 100);
    expect(h.status.phase).toBe("Shifting");
    expect(h.status.engine.analysisFailures).toBe(0);
    expect(h.condition("Analysis")).toMatchObject({ status: "Unknown", reason: "Inconclusive" });
    expect(
      h.issued.filter((a) => a.kind === "recordEvent" && JSON.stringify(a).includes("AnalysisInconclusive")),
    ).toHaveLength(2);
    expect(h.condition("Analysis")?.message).toMatch(
      /inconclusive \(2\/3\): prometheus "up" failed: connect ECONNREFUSED/,
    );
    h.prometheusErrors = {};
    h.prometheus = { up: 1 };
    h.runUntil((x) => x.status.phase === "Draining", 100);
    expect(h.status.engine.analysisInconclusive).toBe(0);
  });

  it("fails the analysis after missingDataLimit inconclusive windows, naming the query", () => {
    const h = new Harness(spec({ onMissingData: "wait", missingDataLimit: 2 }));
    h.runUntil((x) => x.status.engine.stage === "analyse");
    h.prometheus = { up: null };
    h.runUntil((x) => x.status.phase === "RollingBack", 100);
    expect(h.status.engine.reason).toBe(
      'analysis failed: no data after 2 inconclusive window(s); prometheus "up" returned no value',
    );
  });

  it("fails the first window without data by default", () => {
    const h = new Harness(spec({}));
    h.runUntil((x) => x.status.engine.stage === "analyse");
    h.prometheus = { up: null };
    h.runUntil((x) => x.status.phase === "RollingBack", 100);
    expect(h.status.engine.reason).toBe('analysis failed: prometheus "up" returned no value');
    expect(
      h.issued.filter((a) => a.kind === "recordEvent" && JSON.stringify(a).includes("AnalysisInconclusive")),
    ).toEqual([]);
  });
});
