/**
 * Parser for Envoy's admin `/stats` endpoint, in both of its formats.
 *
 * - Text (`GET /stats`): one `name: value` line per counter and gauge. Histograms print on the same
 *   kind of line but with a quantile summary (`P0(nan,1) P25(...)`) or `No recorded values` instead
 *   of a number; those lines are skipped. Text readouts (strings) are skipped too.
 * - JSON (`GET /stats?format=json`): `{"stats":[{"name":…,"value":…}, …, {"histograms":{…}}]}`.
 *   The histogram element has no `name`/numeric `value` and is skipped.
 *
 * Only numeric counters and gauges are returned. Values above 2^53 lose precision, which is
 * irrelevant for the figures read here (they are compared for a rise, not summed to the unit).
 */

/** Envoy's counters and gauges by full stat name. */
export type StatsMap = ReadonlyMap<string, number>;

/** The body did not look like either `/stats` format. */
export class StatsParseError extends Error {
  override readonly name = "StatsParseError";
}

/** Parses a `/stats` body, text or `?format=json`, into name → value (counters and gauges only). */
export function parseStats(body: string): Map<string, number> {
  const trimmed = body.trimStart();
  return trimmed.startsWith("{") ? parseJsonStats(trimmed) : parseTextStats(body);
}

// A stat value in the text format is an unsigned integer (counters, gauges) or, for a few
// gauges printed by extensions, a plain decimal. Anything else (histogram summaries) is skipped.
const NUMERIC = /^-?\d+(?:\.\d+)?$/;

function parseTextStats(body: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of body.split("\n")) {
    const line = raw.trimEnd();
    if (line === "") continue;
    // Stat names never contain ": " (Envoy sanitises ':' in names to '_'), so the last ": " splits.
    const at = line.lastIndexOf(": ");
    if (at <= 0) continue;
    const value = line.slice(at + 2).trim();
    if (!NUMERIC.test(value)) continue;
    out.set(line.slice(0, at), Number(value));
  }
  return out;
}

function parseJsonStats(body: string): Map<string, number> {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (cause) {
    throw new StatsParseError("Envoy /stats?format=json body is not valid JSON", { cause });
  }
  const stats = isRecord(doc) ? doc.stats : undefined;
  const out = new Map<string, number>();
  if (stats === undefined) return out; // Envoy omits empty repeated fields.
  if (!Array.isArray(stats)) {
    throw new StatsParseError("Envoy /stats?format=json body has no `stats` array");
  }
  for (const entry of stats) {
    if (!isRecord(entry)) continue;
    const { name, value } = entry;
    if (typeof name !== "string") continue; // the histograms element
    if (typeof value === "number" && Number.isFinite(value)) out.set(name, value);
    // uint64 may be rendered as a string by some proto-JSON printers.
    else if (typeof value === "string" && NUMERIC.test(value)) out.set(name, Number(value));
  }
  return out;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
