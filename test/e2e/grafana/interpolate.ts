/**
 * Grafana's variable substitution in a Prometheus panel query, as Grafana does it before it
 * sends the query: template variables (`$name`, `${name}`, `[[name]]`) with the Prometheus
 * datasource's formatting of multi-value and "All" selections, and the built-in interval and
 * range variables. Implemented from Grafana's `TemplateSrv.replace`, the Prometheus
 * datasource's `interpolateQueryExpr` and `rangeUtil` (docs/grafana.md names what is covered).
 */

/** Grafana's variable syntax: `$name`, `[[name:fmt]]`, `${name.field:fmt}` (TemplateSrv). */
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** What a query variable offers and what is selected. */
export interface VariableSelection {
  /** Whether several values may be selected (`multi`). */
  readonly multi: boolean;
  /** Whether "All" is offered (`includeAll`). */
  readonly includeAll: boolean;
  /** The value "All" stands for, when the dashboard names one (`allValue`). */
  readonly allValue?: string;
  /** Every value the variable's query listed (what "All" means without `allValue`). */
  readonly options: readonly string[];
  /** The selection: values, or `"$__all"` for "All". */
  readonly current: readonly string[] | "$__all";
}

/** The time range and intervals a panel query is run with. */
export interface QueryTiming {
  readonly fromMs: number;
  readonly toMs: number;
  /** `$__interval` in ms (see {@link grafanaInterval}). */
  readonly intervalMs: number;
  /** The datasource's scrape interval in seconds ("Scrape interval", Grafana's default 15). */
  readonly scrapeIntervalSeconds: number;
}

/** Grafana's `rangeUtil.secondsToHms`: the largest whole unit, e.g. `1m`, `4s`, `500ms`. */
export function secondsToHms(seconds: number): string {
  const units: [number, string][] = [
    [31_536_000, "y"],
    [86_400, "d"],
    [3_600, "h"],
    [60, "m"],
    [1, "s"],
  ];
  let rest = seconds;
  for (const [size, unit] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) return `${n}${unit}`;
    rest %= size;
  }
  const ms = Math.floor(seconds * 1000);
  return ms > 0 ? `${ms}ms` : "less than a millisecond";
}

/** Grafana's `rangeUtil.roundInterval`: a raw interval rounded to a readable one (ms). */
export function roundInterval(ms: number): number {
  const steps: [number, number][] = [
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1_500, 1_000],
    [3_500, 2_000],
    [7_500, 5_000],
    [12_500, 10_000],
    [17_500, 15_000],
    [25_000, 20_000],
    [45_000, 30_000],
    [90_000, 60_000],
    [210_000, 120_000],
    [450_000, 300_000],
    [750_000, 600_000],
    [1_050_000, 900_000],
    [1_500_000, 1_200_000],
    [2_700_000, 1_800_000],
    [5_400_000, 3_600_000],
    [9_000_000, 7_200_000],
    [16_200_000, 10_800_000],
    [32_400_000, 21_600_000],
    [86_400_000, 43_200_000],
    [604_800_000, 86_400_000],
    [1_814_400_000, 604_800_000],
    [3_628_800_000, 2_592_000_000],
  ];
  for (const [below, rounded] of steps) if (ms < below) return rounded;
  return 31_536_000_000;
}

/**
 * `$__interval` as Grafana computes it for a panel: the range over the panel's data points
 * (its width in pixels, or `maxDataPoints`), rounded, and never below the datasource's
 * scrape interval (`rangeUtil.calculateInterval` with the datasource's `timeInterval`).
 */
export function grafanaInterval(rangeMs: number, dataPoints: number, scrapeIntervalSeconds: number): number {
  return Math.max(roundInterval(rangeMs / dataPoints), scrapeIntervalSeconds * 1000);
}

/** The Prometheus datasource's `prometheusRegularEscape` (a single value, no regex). */
function regularEscape(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/'/g, "\\\\'");
}

/** The Prometheus datasource's `prometheusSpecialRegexEscape` (a value inside `=~`). */
function regexEscape(value: string): string {
  return value.replace(/\\/g, "\\\\\\\\").replace(/[$^*{}[\]'+?.()|]/g, "\\\\$&");
}

/** The Prometheus datasource's `interpolateQueryExpr`: how a selection becomes query text. */
function formatSelection(variable: VariableSelection, values: readonly string[]): string {
  if (!variable.multi && !variable.includeAll) return values.map(regularEscape).join(",");
  const escaped = values.map(regexEscape);
  return escaped.length === 1 ? (escaped[0] ?? "") : `(${escaped.join("|")})`;
}

/** The built-in variables of a Prometheus panel query at `timing`. */
export function builtInVariables(timing: QueryTiming): Record<string, string> {
  const rangeMs = timing.toMs - timing.fromMs;
  const rangeS = Math.round(rangeMs / 1000);
  const intervalS = timing.intervalMs / 1000;
  return {
    __interval: secondsToHms(intervalS),
    __interval_ms: String(timing.intervalMs),
    // The Prometheus datasource: max($__interval + scrape interval, 4 × scrape interval).
    __rate_interval: secondsToHms(
      Math.max(intervalS + timing.scrapeIntervalSeconds, 4 * timing.scrapeIntervalSeconds),
    ),
    __range: `${rangeS}s`,
    __range_s: String(rangeS),
    __range_ms: String(rangeMs),
  };
}

/**
 * Substitutes every variable Grafana would in `query`. A name that is neither a variable nor
 * a built-in stays as written, as in Grafana (`$1` in `label_replace` is one). Formats
 * (`${name:csv}`) and fields (`${name.text}`) are refused: the dashboard uses none, and a
 * checker that guessed them would prove nothing.
 */
export function interpolate(
  query: string,
  variables: Readonly<Record<string, VariableSelection>>,
  builtIns: Readonly<Record<string, string>> = {},
): string {
  return query.replace(
    VARIABLE,
    (
      match,
      plain?: string,
      bracket?: string,
      bracketFmt?: string,
      braced?: string,
      field?: string,
      fmt?: string,
    ) => {
      const name = plain ?? bracket ?? braced ?? "";
      const variable = variables[name];
      const builtIn = builtIns[name];
      if (variable === undefined && builtIn === undefined) return match;
      if (bracketFmt !== undefined || field !== undefined || fmt !== undefined)
        throw new Error(`${match}: variable formats and fields are not supported by this checker`);
      if (variable === undefined) return builtIn ?? match;
      if (variable.current === "$__all") {
        // A custom "All" value is used as written (and interpolated itself), unformatted.
        if (variable.allValue !== undefined) return interpolate(variable.allValue, variables, builtIns);
        return formatSelection(variable, variable.options);
      }
      return formatSelection(variable, variable.current);
    },
  );
}
