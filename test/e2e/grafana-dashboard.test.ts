/**
 * The Grafana dashboard, proven: a real Prometheus (Debian's 2.42) scrapes the local mesh's
 * proxies (Istio's standard metrics), its TraceManagers and the controller's /metrics while
 * an upgrade runs; then every variable and every panel query of
 * manifests/grafana/tranquil-dashboard.json is run against it as Grafana would run it, and
 * each panel must show the series it exists for. The same checker is shown to catch a broken
 * dashboard.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPrometheus, type TestPrometheus } from "../support/prometheus-server.js";
import {
  checkDashboard,
  maxOf,
  withData,
  type CheckOptions,
  type CheckReport,
  type DashboardJson,
  type PanelExpectation,
  type TargetResult,
} from "./grafana/dashboard-check.js";
import {
  bootE2e,
  createUpgrade,
  sleep,
  startUsers,
  strategy,
  waitForEnd,
  type E2eEnv,
  type Users,
} from "./harness.js";
import { syncMeshTargets, type TargetSync } from "./prometheus-targets.js";

const DASHBOARD_PATH = join(
  dirname(fileURLToPath(import.meta.url)),
  "../../manifests/grafana/tranquil-dashboard.json",
);
const UPGRADE = "auth-v2";
const NAMESPACE = "default";
const SCRAPE_SECONDS = 1;

/** The distinct values of `label` among the series with data. */
function labelValues(r: TargetResult | undefined, label: string): string[] {
  return [...new Set(withData(r).map((s) => s.labels[label] ?? ""))].sort();
}

/** Problems unless both versions of auth-service have series, each reaching `min`. */
function bothVersions(label: string, min: number) {
  return (results: Readonly<Record<string, TargetResult>>): string[] =>
    ["v1", "v2"].flatMap((version) => {
      const max = maxOf(results["A"], { [label]: version });
      return max >= min ? [] : [`auth-service ${version}: at most ${max}, wanted ≥ ${min}`];
    });
}

/**
 * What each panel must show after one good upgrade of auth-service from v1 to v2 under load.
 * Panels not named here must have data on every target.
 */
const EXPECTATIONS: Readonly<Record<string, PanelExpectation>> = {
  Phase: {
    check: (r) => {
      const phases = labelValues(r["A"], "phase");
      return phases.join() === "Succeeded" ? [] : [`current phase ${phases.join()}, wanted Succeeded`];
    },
  },
  "Phase over time": {
    check: (r) => {
      const phases = labelValues(r["A"], "phase");
      return ["Shifting", "Draining", "Succeeded"].every((p) => phases.includes(p))
        ? []
        : [`phases over time ${phases.join()}, wanted Shifting, Draining and Succeeded among them`];
    },
  },
  "Enrolment weight": {
    check: (r) => (maxOf(r["A"]) === 100 ? [] : [`weight at most ${maxOf(r["A"])}, wanted 100`]),
  },
  // Before the shift v1 serves all; after it v2 does.
  "Traffic share per version": { check: bothVersions("destination_version", 90) },
  "Active transactions per version": {
    check: (r) => {
      const problems: string[] = [];
      const roles = labelValues(r["A"], "role");
      if (!(roles.includes("old") && roles.includes("new")))
        problems.push(`roles ${roles.join()}, wanted old and new`);
      // Slow journeys were in flight at v1 when the upgrade began.
      if (!(maxOf(r["A"], { role: "old" }) > 0)) problems.push("no transaction ever active at old");
      return problems;
    },
  },
  "Active calls per version": {
    check: (r) => {
      const versions = labelValues(r["A"], "version");
      return versions.includes("v1") && versions.includes("v2") ? [] : [`versions ${versions.join()}`];
    },
  },
  "Drain progress": {
    check: (r) => [
      ...(maxOf(r["A"]) > 0 ? [] : ["the drain never took time"]),
      ...(maxOf(r["B"]) > 0 ? [] : ["no drain timeout"]),
    ],
  },
  Violations: {
    check: (r) => (maxOf(r["A"]) > 0 ? [`${maxOf(r["A"])} violation(s) in a good upgrade`] : []),
  },
  "Request rate per version": { check: bothVersions("destination_version", 0.1) },
  "Error rate per version": {
    check: (r) => {
      const versions = labelValues(r["A"], "destination_version");
      return versions.includes("v1") && versions.includes("v2") ? [] : [`versions ${versions.join()}`];
    },
  },
  "p99 latency per version": { check: bothVersions("destination_version", 0.5) },
  "Records dropped and store errors": {
    mayBeEmpty: {
      A: "a TraceManager drops records only when its buffer overflows",
      B: "the in-memory trace store does not fail",
    },
  },
  "Dirty TraceManagers": { mayBeEmpty: { B: "no TraceManager turns dirty in a healthy run" } },
  "Ignored inputs": { mayBeEmpty: { A: "the local mesh sends no input a TraceManager ignores" } },
};

describe("the Grafana dashboard on a real Prometheus during an upgrade", { concurrent: false }, () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_PATH, "utf8")) as DashboardJson;
  let prom: TestPrometheus;
  let env: E2eEnv | undefined;
  let sync: TargetSync | undefined;
  let span: { fromMs: number; toMs: number };

  const options = (overrides: Partial<CheckOptions> = {}): CheckOptions => ({
    prometheusUrl: prom.url,
    ...span,
    selection: { namespace: [NAMESPACE], upgrade: [UPGRADE] },
    scrapeIntervalSeconds: SCRAPE_SECONDS,
    expectations: EXPECTATIONS,
    ...overrides,
  });

  beforeAll(async () => {
    prom = await startTestPrometheus({ scrapeInterval: `${SCRAPE_SECONDS}s` });
    let users: Users | undefined;
    try {
      const e = await bootE2e();
      env = e;
      sync = syncMeshTargets(prom, e.mesh, () => e.ctl().apiUrl);
      await sync.refresh();
      await prom.waitForTargets("proxies", e.mesh.instances().length + 1);
      await prom.waitForTargets("controller", 1);
      users = startUsers(e.mesh);
      // A few scrapes of v1 alone, so the panels show the traffic before the shift.
      await sleep(3_000);
      const fromMs = Date.now();
      await createUpgrade(e.ctl(), UPGRADE, {
        services: [{ name: "auth-service", from: "v1", to: "v2" }],
        strategy: strategy([50, 100]),
      });
      const progress: string[] = [];
      const final = await waitForEnd(e.ctl(), UPGRADE, 100_000, (line) => progress.push(line)).catch(
        (err: unknown) => {
          console.log(`[grafana dashboard] the upgrade did not end:\n  ${progress.join("\n  ")}`);
          throw err;
        },
      );
      await users.finish();
      users = undefined;
      expect(final.status.phase).toBe("Succeeded");
      // The last scrapes of the ended upgrade.
      await sleep(3 * SCRAPE_SECONDS * 1000);
      span = { fromMs, toMs: Date.now() };
    } catch (err) {
      // On success the mesh keeps running for the checks (Prometheus's metadata comes from live targets).
      await users?.finish().catch(() => undefined);
      sync?.stop();
      await env?.stop();
      env = undefined;
      throw err;
    }
  }, 180_000);
  afterAll(async () => {
    sync?.stop();
    await env?.stop();
    await prom?.stop();
  });

  let report: CheckReport;
  it("runs every panel's queries, with the upgrade's namespace and name selected, and each shows its series", async () => {
    report = await checkDashboard(dashboard, options());
    const summary = report.targets.map(
      (t) =>
        `${t.panel} ${t.refId}: ${withData(t).length} series${t.error !== undefined ? ` (${t.error})` : ""}`,
    );
    console.log(
      `[grafana dashboard] ${report.targets.length} targets over ${Math.round((span.toMs - span.fromMs) / 1000)} s, ` +
        `$__interval ${report.builtIns["__interval"]}, $__rate_interval ${report.builtIns["__rate_interval"]}\n  ${summary.join("\n  ")}`,
    );
    const of = (title: string) => report.targets.find((t) => t.panel === title && t.refId === "A");
    const share = (v: string) =>
      maxOf(of("Traffic share per version"), { destination_version: v }).toFixed(0);
    console.log(
      `[grafana dashboard] phases ${labelValues(of("Phase over time"), "phase").join(" ")}; ` +
        `traffic share max v1 ${share("v1")} %, v2 ${share("v2")} %; ` +
        `active transactions at old max ${maxOf(of("Active transactions per version"), { role: "old" })}; ` +
        `drain ${maxOf(of("Drain progress")).toFixed(1)} s`,
    );
    expect(report.problems).toEqual([]);
    expect(report.targets.length).toBeGreaterThan(30);
  });

  it("lists the test's namespace and upgrade in the namespace and upgrade variables", () => {
    expect(report.variables["namespace"]).toContain(NAMESPACE);
    expect(report.variables["upgrade"]).toEqual([UPGRADE]);
  });

  it("shows the same with All selected", async () => {
    const all = await checkDashboard(
      dashboard,
      options({ selection: { namespace: "$__all", upgrade: "$__all" } }),
    );
    expect(all.problems).toEqual([]);
  });

  it("catches a broken panel: a wrong metric name, a query Prometheus refuses, an empty target", async () => {
    const broken = structuredClone(dashboard) as unknown as {
      panels: { title: string; targets?: { expr: string; refId: string }[] }[];
    };
    const edit = (title: string, refId: string, change: (expr: string) => string): void => {
      const target = broken.panels.find((p) => p.title === title)?.targets?.find((t) => t.refId === refId);
      if (target === undefined) throw new Error(`no target ${title} ${refId}`);
      target.expr = change(target.expr);
    };
    edit("Enrolment weight", "A", (e) =>
      e.replace("tranquil_upgrade_weight_percent", "tranquil_upgrade_weight_ratio"),
    );
    edit("Pinned transactions", "A", (e) => `sum by (upgrade (${e})`);
    edit("Ignored inputs", "A", (e) =>
      e.replace("tranquil_tm_ignored_inputs_total", "tranquil_tm_ignored_total"),
    );
    edit("Violations", "A", (e) => e.replace('upgrade=~"$upgrade"', 'upgrade=~"$upgrade",phase="Shifting"'));
    const result = await checkDashboard(broken as unknown as DashboardJson, options());
    const byPanel = (title: string) => result.problems.filter((p) => p.startsWith(`panel "${title}"`));
    expect(byPanel("Enrolment weight")).toEqual([
      'panel "Enrolment weight" A: no target exports tranquil_upgrade_weight_ratio',
      expect.stringMatching(/^panel "Enrolment weight" A: no data over the upgrade/),
    ]);
    expect(byPanel("Pinned transactions")).toEqual([
      expect.stringMatching(/^panel "Pinned transactions" A: Prometheus refused .*: .*parse error/),
    ]);
    // A target that may be empty still needs a metric some target exports.
    expect(byPanel("Ignored inputs")).toEqual([
      'panel "Ignored inputs" A: no target exports tranquil_tm_ignored_total',
    ]);
    expect(byPanel("Violations")).toEqual([
      expect.stringMatching(/^panel "Violations" A: no data over the upgrade/),
    ]);
    expect(result.problems).toHaveLength(5);
  });

  it("catches a variable that does not list the upgrade", async () => {
    const result = await checkDashboard(
      dashboard,
      options({ selection: { namespace: ["shop"], upgrade: [UPGRADE] } }),
    );
    expect(result.problems).toContain(
      'variable $namespace: "label_values(tranquil_upgrade_phase, namespace)" does not list shop',
    );
    expect(result.problems).toContain(
      'variable $upgrade: "label_values(tranquil_upgrade_phase{namespace=~"shop"}, upgrade)" lists nothing',
    );
  });
});
