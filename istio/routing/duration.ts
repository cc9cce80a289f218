const UNIT_MS = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000_001,
} as const;

const PART = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/gy;

/**
 * Parses a duration as Kubernetes CEL `duration()` and Go's time.ParseDuration accept it
 * (`10s`, `1.5s`, `250ms`, `1h2m`, `0`), returning milliseconds, or undefined when invalid.
 */
export function parseDurationMs(text: string): number | undefined {
  if (text === "0") return 0;
  const negative = text.startsWith("-");
  const body = negative || text.startsWith("+") ? text.slice(1) : text;
  if (body === "") return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = PART.exec(body); m !== null; m = PART.exec(body)) {
    const [whole, num, unit] = m;
    total += Number(num) * UNIT_MS[unit as keyof typeof UNIT_MS];
    consumed += whole.length;
  }
  if (consumed !== body.length) return undefined;
  return negative ? -total : total;
}
