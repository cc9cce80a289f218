/**
 * Runs a Grafana dashboard's queries against a real Prometheus as Grafana would: each query
 * variable's `label_values(…)` first (in the order the dashboard lists them, so a variable
 * may use the ones before it), then every panel target with the variables and the built-in
 * intervals substituted, as a range query over the given time span (an instant query at its
 * end for `instant` targets). It reports what a user would see as a broken panel: a query
 * Prometheus refuses, a metric no scraped target exports, a target without data, and whatever
 * a panel's own expectation finds wrong.
 */
import { baseMetricName, metricNamesIn } from "../../manifests/promql-metrics.js";
import {
  builtInVariables,
  grafanaInterval,
  interpolate,
  type QueryTiming,
  type VariableSelection,
} from "./interpolate.js";

/** The parts of a dashboard's JSON the check reads. */
export interface DashboardJson {
  readonly templating: { readonly list: readonly VariableJson[] };
  readonly panels: readonly PanelJson[];
}
interface VariableJson {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { readonly query?: string };
  readonly multi?: boolean;
  readonly includeAll?: boolean;
  readonly allValue?: string | null;
}
interface TargetJson {
  readonly expr?: string;
  readonly refId?: string;
  readonly instant?: boolean;
  readonly hide?: boolean;
}
interface PanelJson {
  readonly title: string;
  readonly type: string;
  readonly targets?: readonly TargetJson[];
  readonly panels?: readonly PanelJson[];
}

/** One series of a result: its labels and its values (NaN and ±Inf as Prometheus gave them). */
export interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly values: readonly number[];
}

/** What one target returned. */
export interface TargetResult {
  readonly panel: string;
  readonly refId: string;
  /** The query as Grafana would send it. */
  readonly query: string;
  readonly series: readonly Series[];
  readonly error?: string;
}

/** What a panel must show beyond "every target returns data". */
export interface PanelExpectation {
  /** Targets (by refId) that may return nothing in a healthy upgrade, and why. */
  readonly mayBeEmpty?: Readonly<Record<string, string>>;
  /** Further problems in the panel's results, keyed by refId. */
  readonly check?: (results: Readonly<Record<string, TargetResult>>) => string[];
}

/** How to run the check. */
export interface CheckOptions {
  readonly prometheusUrl: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** The selection per query variable: values, or "$__all". */
  readonly selection: Readonly<Record<string, readonly string[] | "$__all">>;
  /** The datasource's scrape interval (what `$__rate_interval` is computed from). */
  readonly scrapeIntervalSeconds: number;
  /** A panel's data points (Grafana: its width in pixels); default 600. */
  readonly dataPoints?: number;
  /** Expectations by panel title; a title no panel has is itself a problem. */
  readonly expectations?: Readonly<Record<string, PanelExpectation>>;
}

/** What the check found. */
export interface CheckReport {
  /** Each query variable's options, as its query listed them. */
  readonly variables: Readonly<Record<string, readonly string[]>>;
  readonly targets: readonly TargetResult[];
  /** Everything wrong, one line each; empty when every panel shows what it should. */
  readonly problems: readonly string[];
  /** The built-in variables the targets were run with. */
  readonly builtIns: Readonly<Record<string, string>>;
}

/** Every panel, rows' nested panels included. */
export function allPanels(panels: readonly PanelJson[]): PanelJson[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** Series with at least one finite value. */
export function withData(r: TargetResult | undefined): Series[] {
  return (r?.series ?? []).filter((s) => s.values.some(Number.isFinite));
}

/** The largest finite value of the series whose labels include `match`, or -Infinity. */
export function maxOf(r: TargetResult | undefined, match: Readonly<Record<string, string>> = {}): number {
  let max = -Infinity;
  for (const s of withData(r)) {
    if (!Object.entries(match).every(([k, v]) => s.labels[k] === v)) continue;
    for (const v of s.values) if (Number.isFinite(v)) max = Math.max(max, v);
  }
  return max;
}

/** A small client for the Prometheus HTTP API. */
class PrometheusApi {
  constructor(private readonly url: string) {}

  async get(path: string, params: Record<string, string>): Promise<unknown> {
    const res = await fetch(`${this.url}${path}?${new URLSearchParams(params).toString()}`, {
      signal: AbortSignal.timeout(10_000),
    });
    const doc = (await res.json()) as { status: string; data?: unknown; error?: string };
    if (doc.status !== "success") throw new Error(doc.error ?? `HTTP ${res.status}`);
    return doc.data;
  }
}

type Sample = [number, string];
interface ApiSeries {
  readonly metric: Record<string, string>;
  readonly values?: Sample[];
  readonly value?: Sample;
}

const LABEL_VALUES = /^\s*label_values\(\s*(?:(.+?)\s*,\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s;

function variableQuery(v: VariableJson): string {
  return typeof v.query === "string" ? v.query : (v.query?.query ?? "");
}

/** Runs the dashboard's variable and panel queries; see the module comment. */
export async function checkDashboard(dashboard: DashboardJson, options: CheckOptions): Promise<CheckReport> {
  const api = new PrometheusApi(options.prometheusUrl);
  const problems: string[] = [];
  const startS = options.fromMs / 1000;
  const endS = options.toMs / 1000;
  const variables: Record<string, VariableSelection> = {};
  const listed: Record<string, string[]> = {};

  for (const v of dashboard.templating.list) {
    if (v.type !== "query") continue;
    const query = interpolate(variableQuery(v), variables);
    const m = LABEL_VALUES.exec(query);
    if (m === null) {
      problems.push(`variable $${v.name}: "${query}" is not label_values(…)`);
      continue;
    }
    const [, selector, label = ""] = m;
    let values: string[] = [];
    try {
      values = (await api.get(`/api/v1/label/${label}/values`, {
        start: String(startS),
        end: String(endS),
        ...(selector !== undefined ? { "match[]": selector } : {}),
      })) as string[];
    } catch (err) {
      problems.push(`variable $${v.name}: "${query}" failed: ${(err as Error).message}`);
    }
    values = [...values].sort();
    listed[v.name] = values;
    if (values.length === 0) problems.push(`variable $${v.name}: "${query}" lists nothing`);
    const current = options.selection[v.name] ?? "$__all";
    if (current !== "$__all")
      for (const c of current)
        if (!values.includes(c)) problems.push(`variable $${v.name}: "${query}" does not list ${c}`);
    variables[v.name] = {
      multi: v.multi === true,
      includeAll: v.includeAll === true,
      ...(typeof v.allValue === "string" && v.allValue !== "" ? { allValue: v.allValue } : {}),
      options: values,
      current,
    };
  }

  const rangeMs = options.toMs - options.fromMs;
  const timing: QueryTiming = {
    fromMs: options.fromMs,
    toMs: options.toMs,
    intervalMs: grafanaInterval(rangeMs, options.dataPoints ?? 600, options.scrapeIntervalSeconds),
    scrapeIntervalSeconds: options.scrapeIntervalSeconds,
  };
  const builtIns = builtInVariables(timing);
  const stepS = timing.intervalMs / 1000;
  // Grafana aligns the range to the step (alignRange).
  const alignedStart = Math.floor(startS / stepS) * stepS;
  const alignedEnd = Math.floor(endS / stepS) * stepS;
  const known = await knownMetricNames(api, startS, endS);

  const panels = allPanels(dashboard.panels).filter((p) => p.type !== "row");
  const expectations = options.expectations ?? {};
  for (const title of Object.keys(expectations))
    if (!panels.some((p) => p.title === title))
      problems.push(`an expectation names panel "${title}", which is gone`);

  const targets: TargetResult[] = [];
  for (const panel of panels) {
    const expectation = expectations[panel.title] ?? {};
    const results: Record<string, TargetResult> = {};
    const before = problems.length;
    const shown = (panel.targets ?? []).filter((t) => t.hide !== true);
    if (shown.length === 0) problems.push(`panel "${panel.title}" has no query`);
    for (const t of shown) {
      const refId = t.refId ?? "A";
      const where = `panel "${panel.title}" ${refId}`;
      const query = interpolate(t.expr ?? "", variables, builtIns);
      const result = await runTarget(api, panel.title, refId, query, t.instant === true, {
        start: alignedStart,
        end: alignedEnd,
        step: stepS,
      });
      results[refId] = result;
      targets.push(result);
      if (result.error !== undefined) {
        problems.push(`${where}: Prometheus refused ${query}: ${result.error}`);
        continue;
      }
      for (const name of metricNamesIn(query))
        if (!known.has(baseMetricName(name, known))) problems.push(`${where}: no target exports ${name}`);
      const emptyWhy = expectation.mayBeEmpty?.[refId];
      if (emptyWhy === undefined && withData(result).length === 0)
        problems.push(`${where}: no data over the upgrade (${query})`);
    }
    // A panel's own expectation refines one that shows data.
    if (expectation.check !== undefined && problems.length === before)
      for (const p of expectation.check(results)) problems.push(`panel "${panel.title}": ${p}`);
  }
  return { variables: listed, targets, problems, builtIns };
}

/**
 * The metric names Prometheus knows over the range: those with samples, and those its targets
 * describe in their metadata (a counter with labels exports no sample until first counted).
 */
async function knownMetricNames(api: PrometheusApi, startS: number, endS: number): Promise<Set<string>> {
  const names = (await api.get("/api/v1/label/__name__/values", {
    start: String(startS),
    end: String(endS),
  })) as string[];
  const metadata = (await api.get("/api/v1/metadata", {})) as Record<string, unknown>;
  return new Set([...names, ...Object.keys(metadata)]);
}

async function runTarget(
  api: PrometheusApi,
  panel: string,
  refId: string,
  query: string,
  instant: boolean,
  range: { start: number; end: number; step: number },
): Promise<TargetResult> {
  try {
    const data = (
      instant
        ? await api.get("/api/v1/query", { query, time: String(range.end) })
        : await api.get("/api/v1/query_range", {
            query,
            start: String(range.start),
            end: String(range.end),
            step: String(range.step),
          })
    ) as { resultType: string; result: ApiSeries[] };
    const series = data.result.map((s) => ({
      labels: s.metric,
      values: (s.values ?? (s.value !== undefined ? [s.value] : [])).map(([, v]) => Number(v)),
    }));
    return { panel, refId, query, series };
  } catch (err) {
    return { panel, refId, query, series: [], error: (err as Error).message };
  }
}
