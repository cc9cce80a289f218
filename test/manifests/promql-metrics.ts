/**
 * Finds the metric names a PromQL expression reads, so a dashboard can be checked against the
 * metrics the code really registers. A small lexer, not a full parser: it is enough for the
 * expressions our dashboards use (selectors, functions, aggregations, binary operators).
 */

/** PromQL words that look like identifiers but are not metric names. */
const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "inf",
  "nan",
]);

/** Suffixes Prometheus adds to a histogram's or summary's series. */
const SERIES_SUFFIXES = ["_bucket", "_sum", "_count"] as const;

/** Metric names read by `expr`, in order of first use, without duplicates. */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    // String literals (label values, label_values() arguments are handled by the caller).
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    // Label matchers, range and subquery brackets.
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    // Label lists after grouping modifiers.
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    // Grafana variables such as $__rate_interval or ${datasource}.
    .replace(/\$\{[^}]*\}|\$\w+/g, " ");
  const names: string[] = [];
  // Numbers and durations (`0.99`, `5m`, `1e3`) are matched whole so their letters are not names.
  for (const match of stripped.matchAll(/[0-9][0-9A-Za-z_.]*|[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const after = stripped.slice(match.index + word.length).trimStart();
    if (after.startsWith("(")) continue; // a function or an aggregation
    if (KEYWORDS.has(word.toLowerCase())) continue;
    if (/^\d/.test(word)) continue;
    if (!names.includes(word)) names.push(word);
  }
  return names;
}

/** The metric a series name belongs to: `x_bucket`, `x_sum` and `x_count` belong to `x`. */
export function baseMetricName(series: string, registered: ReadonlySet<string>): string {
  if (registered.has(series)) return series;
  for (const suffix of SERIES_SUFFIXES) {
    if (series.endsWith(suffix)) {
      const base = series.slice(0, -suffix.length);
      if (registered.has(base)) return base;
    }
  }
  return series;
}

/**
 * Metric names read by a Grafana Prometheus variable query: `label_values(<selector>, <label>)`
 * reads the selector's metric (the label is not a metric); `query_result(<expr>)` and
 * `metrics(...)`-free queries read their expression's.
 */
export function metricNamesInVariableQuery(query: string): string[] {
  const labelValues = /^\s*label_values\(\s*(?:(.*),)?\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/s.exec(query);
  if (labelValues !== null) return labelValues[1] === undefined ? [] : metricNamesIn(labelValues[1]);
  const queryResult = /^\s*query_result\((.*)\)\s*$/s.exec(query);
  return metricNamesIn(queryResult?.[1] ?? query);
}
