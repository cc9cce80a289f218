import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ControllerMetrics } from "../../controller/metrics.js";
import { ISTIO_LABELS, IstioMetrics } from "../../istio/local-mesh/proxies/istio-metrics.js";
import { createMetrics as createTraceManagerMetrics } from "../../trace-manager/metrics.js";
import { baseMetricName, metricNamesIn, metricNamesInVariableQuery } from "./promql-metrics.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DASHBOARD_PATH = "manifests/grafana/tranquil-dashboard.json";

interface Target {
  readonly expr?: string;
  readonly refId?: string;
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
  readonly datasource?: { readonly type?: string; readonly uid?: string };
}
interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { readonly query?: string };
}
interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
}

const dashboard = JSON.parse(readFileSync(join(repoRoot, DASHBOARD_PATH), "utf8")) as Dashboard;

/** Every panel, rows' nested panels included. */
function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** The metric families a local-mesh proxy exports on /stats/prometheus (Istio's standard metrics). */
function istioNames(): string[] {
  const proxy = new IstioMetrics();
  proxy.record({
    reporter: "destination",
    destinationService: "auth-service.default.svc.cluster.local",
    serviceKnown: true,
    grpc: true,
    status: 200,
    flags: [],
    grpcStatus: "0",
    durationMs: 3,
  });
  return [...proxy.renderPrometheus().matchAll(/^# TYPE (\S+) /gm)].map(([, name = ""]) => name);
}

/** The names the real registries hold, built by instantiating the real metric sets. */
async function registeredNames(): Promise<Map<string, string>> {
  const owners: [string, { getMetricsAsJSON(): Promise<{ name: string }[]> }][] = [
    ["controller", new ControllerMetrics().registry],
    ["trace-manager", createTraceManagerMetrics().registry],
  ];
  const names = new Map<string, string>();
  for (const [owner, registry] of owners)
    for (const metric of await registry.getMetricsAsJSON()) names.set(metric.name, owner);
  for (const name of istioNames()) names.set(name, "istio-proxy");
  return names;
}

describe("metricNamesIn", () => {
  it.each<[string, string[]]>([
    ['tranquil_upgrade_phase{upgrade=~"$upgrade"} == 1', ["tranquil_upgrade_phase"]],
    [
      "histogram_quantile(0.99, sum by (le) (rate(tranquil_tm_check_duration_seconds_bucket[$__rate_interval])))",
      ["tranquil_tm_check_duration_seconds_bucket"],
    ],
    [
      'sum by (service, version) (rate(x_total{code=~"5..|rate(y)"}[5m])) / on (service) group_left (version) z',
      ["x_total", "z"],
    ],
    ["time() - max by (service) (a > 0) offset 5m", ["a"]],
    ["sum(a) and ignoring (pod) b or bool c unless d", ["a", "b", "c", "d"]],
  ])("reads %s", (expr, names) => {
    expect(metricNamesIn(expr)).toEqual(names);
  });

  it("reads the selector, not the label, of label_values()", () => {
    expect(metricNamesInVariableQuery("label_values(tranquil_upgrade_phase, upgrade)")).toEqual([
      "tranquil_upgrade_phase",
    ]);
    expect(metricNamesInVariableQuery("label_values(upgrade)")).toEqual([]);
  });

  it("maps histogram series to their metric only when that metric exists", () => {
    const registered = new Set(["h_seconds", "c_total"]);
    expect(baseMetricName("h_seconds_bucket", registered)).toBe("h_seconds");
    expect(baseMetricName("c_total", registered)).toBe("c_total");
    expect(baseMetricName("gone_count", registered)).toBe("gone_count");
  });
});

describe("the Grafana dashboard", () => {
  const panels = allPanels(dashboard.panels);
  const queryPanels = panels.filter((p) => p.type !== "row");

  it("is importable: uid, title, schema version, unique panel ids, a Prometheus datasource variable", () => {
    expect(dashboard.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    expect(dashboard.title).not.toBe("");
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const datasource = dashboard.templating.list.find((v) => v.type === "datasource");
    expect(datasource).toMatchObject({ name: "datasource", query: "prometheus" });
    for (const p of queryPanels) {
      expect(p.datasource, p.title).toEqual({ type: "prometheus", uid: "${datasource}" });
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
  });

  it("has the panels an SRE needs during an upgrade", () => {
    const used = new Set(
      queryPanels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNamesIn(t.expr ?? ""))),
    );
    for (const name of [
      "tranquil_upgrade_phase",
      "tranquil_upgrade_service_info",
      "tranquil_upgrade_weight_percent",
      "tranquil_upgrade_confirmations_ready",
      "tranquil_upgrade_confirmations_expected_proxies",
      "tranquil_active_calls",
      "tranquil_active_transactions",
      "tranquil_upgrade_oldest_active_age_seconds",
      "tranquil_upgrade_pins",
      "tranquil_upgrade_dirty_pods",
      "tranquil_upgrade_violations",
      "tranquil_upgrade_lost_transactions",
      "tranquil_upgrade_drain_seconds",
      "tranquil_upgrade_drain_timeout_seconds",
      "tranquil_upgrade_active_old_calls",
      "tranquil_reconciles_total",
      "tranquil_tm_checks_total",
      "tranquil_tm_check_duration_seconds_bucket",
      "tranquil_tm_als_entries_total",
      "tranquil_tm_records_dropped_total",
      "tranquil_tm_dirty",
      "tranquil_tm_watermark_lag_seconds",
      "tranquil_tm_violations_total",
      "istio_requests_total",
      "istio_request_duration_milliseconds_bucket",
    ])
      expect(used, name).toContain(name);
  });

  it("queries only metrics the controller and the TraceManager register or the local mesh's proxies export", async () => {
    const registered = await registeredNames();
    const known = new Set(registered.keys());
    const uses: { where: string; metric: string }[] = [];
    for (const p of queryPanels)
      for (const t of p.targets ?? [])
        for (const series of metricNamesIn(t.expr ?? ""))
          uses.push({ where: `panel "${p.title}" ${t.refId ?? ""}`, metric: baseMetricName(series, known) });
    for (const v of dashboard.templating.list) {
      if (v.type !== "query") continue;
      const query = typeof v.query === "string" ? v.query : (v.query?.query ?? "");
      for (const series of metricNamesInVariableQuery(query))
        uses.push({ where: `variable $${v.name}`, metric: baseMetricName(series, known) });
    }
    expect(uses.length).toBeGreaterThan(30);
    const unknown = uses.filter((u) => !known.has(u.metric)).map((u) => `${u.where}: ${u.metric}`);
    expect(unknown).toEqual([]);
    // Each registry contributes, so a registry that lost its metrics would show here too.
    const owners = new Set(uses.map((u) => registered.get(u.metric)));
    expect([...owners].sort()).toEqual(["controller", "istio-proxy", "trace-manager"]);
  });

  it("has namespace and upgrade variables, and every per-upgrade query filters by both", () => {
    const variable = (name: string) => dashboard.templating.list.find((v) => v.name === name);
    const query = (v: Variable | undefined) =>
      typeof v?.query === "string" ? v.query : (v?.query?.query ?? "");
    expect(query(variable("namespace"))).toBe("label_values(tranquil_upgrade_phase, namespace)");
    expect(query(variable("upgrade"))).toBe(
      'label_values(tranquil_upgrade_phase{namespace=~"$namespace"}, upgrade)',
    );
    const perUpgrade = /\btranquil_(upgrade_[a-z_]+|active_calls|active_transactions)\{([^}]*)\}/g;
    let checked = 0;
    for (const p of queryPanels)
      for (const t of p.targets ?? [])
        for (const [selector, , matchers = ""] of (t.expr ?? "").matchAll(perUpgrade)) {
          checked++;
          expect(matchers, `${p.title} ${t.refId ?? ""}: ${selector}`).toContain('namespace=~"$namespace"');
          expect(matchers, `${p.title} ${t.refId ?? ""}: ${selector}`).toContain('upgrade=~"$upgrade"');
        }
    expect(checked).toBeGreaterThan(15);
  });

  it("reads Istio's metrics only by labels the local mesh's proxies export", () => {
    const known = new Set<string>([...ISTIO_LABELS, "le"]);
    for (const p of queryPanels)
      for (const t of p.targets ?? [])
        for (const [, matchers = ""] of (t.expr ?? "").matchAll(/\bistio_[a-z_]+\{([^}]*)\}/g))
          for (const [, label = ""] of matchers.matchAll(/([a-z_]+)\s*[=!]~?/g))
            expect(known, `${p.title}: ${label}`).toContain(label);
  });
});
