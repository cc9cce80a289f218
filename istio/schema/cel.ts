import { parseDurationMs } from "../routing/duration.js";

/** One `x-kubernetes-validations` rule. */
export interface CelRule {
  rule: string;
  message?: string;
}

/** A rule's check: true when the value passes. */
export type CelCheck = (value: unknown) => boolean;

const has = (v: unknown, field: string): boolean => isRecord(v) && Object.hasOwn(v, field);
const field = (v: unknown, name: string): unknown => (isRecord(v) ? v[name] : undefined);
const UNIX = "unix://";
const PORT_NAME = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

/**
 * The CEL rules Istio's VirtualService, DestinationRule, Gateway and ServiceEntry v1 schemas
 * carry, implemented natively (no CEL interpreter runs here). Any other rule makes the
 * validator refuse to start, so a newer CRD file with new rules cannot be half-enforced
 * silently. "At most one of these fields" rules are recognised by their shape
 * ({@link atMostOneOf}).
 */
const KNOWN_RULES: Readonly<Record<string, CelCheck>> = {
  // Durations (timeouts, retries, outlier detection…). An unparsable string is a CEL runtime
  // error on the API server, which refuses the object as well.
  "duration(self) >= duration('1ms')": (v) => {
    if (typeof v !== "string") return false;
    const ms = parseDurationMs(v);
    return ms !== undefined && ms >= 1;
  },
  // workloadSelector.matchLabels keys and values.
  'self.all(key, !key.contains("*"))': (v) => isRecord(v) && Object.keys(v).every((k) => !k.includes("*")),
  "self.all(key, key.size() != 0)": (v) => isRecord(v) && Object.keys(v).every((k) => k.length !== 0),
  '!self.contains("*")': (v) => typeof v === "string" && !v.includes("*"),
  // ServiceEntry endpoint addresses: a Unix socket path must be absolute (or abstract), not a dir.
  'self.startsWith("unix://") ? (self.substring(7, 8) == "/" || self.substring(7, 8) == "@") : true': (v) =>
    typeof v === "string" && (!v.startsWith(UNIX) || ["/", "@"].includes(v.slice(7, 8))),
  'self.startsWith("unix://") ? !self.endsWith("/") : true': (v) =>
    typeof v === "string" && (!v.startsWith(UNIX) || !v.endsWith("/")),
  // Port numbers (ServiceEntry ports and endpoint ports).
  "0 < self && self <= 65535": (v) => typeof v === "number" && v > 0 && v <= 65535,
  'self.all(key, size(key) < 63 && key.matches("^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$"))': (v) =>
    isRecord(v) && Object.keys(v).every((k) => k.length < 63 && PORT_NAME.test(k)),
  "has(self.address) || has(self.network)": (v) => has(v, "address") || has(v, "network"),
  '(has(self.address) ? self.address : "").startsWith("unix://") ? !has(self.ports) : true': (v) => {
    const address = field(v, "address");
    return !(typeof address === "string" && address.startsWith(UNIX)) || !has(v, "ports");
  },
  'self != "*"': (v) => v !== "*",
  // ServiceEntry ports: no number twice.
  "self.all(l1, self.exists_one(l2, l1.number == l2.number))": (v) => {
    if (!Array.isArray(v)) return false;
    const numbers = v.map((p) => field(p, "number"));
    return numbers.every((n) => numbers.filter((m) => m === n).length === 1);
  },
  '!((has(self.addresses) ? self.addresses : []).exists(k, k.contains("/")) && !((has(self.resolution) ? self.resolution : "NONE") in ["STATIC", "NONE"]))':
    (v) => {
      const addresses = field(v, "addresses");
      const cidr =
        Array.isArray(addresses) && addresses.some((a) => typeof a === "string" && a.includes("/"));
      return !cidr || ["STATIC", "NONE"].includes(resolution(v, "NONE"));
    },
  '((has(self.resolution) ? self.resolution : "NONE") == "NONE") ? !has(self.endpoints) : true': (v) =>
    resolution(v, "NONE") !== "NONE" || !has(v, "endpoints"),
  '((has(self.resolution) ? self.resolution : "") == "DNS_ROUND_ROBIN") ? ((has(self.endpoints) ? self.endpoints : []).size() <= 1) : true':
    (v) => {
      const endpoints = field(v, "endpoints");
      return resolution(v, "") !== "DNS_ROUND_ROBIN" || !Array.isArray(endpoints) || endpoints.length <= 1;
    },
};

function resolution(v: unknown, fallback: string): string {
  const r = field(v, "resolution");
  return typeof r === "string" ? r : fallback;
}

const AT_MOST_ONE = /^\(has\(self\.(\w+)\) \? 1 : 0\) \+ \(has\(self\.(\w+)\) \? 1 : 0\) <= 1$/;

/** The check of a rule `(has(self.a) ? 1 : 0) + (has(self.b) ? 1 : 0) <= 1`, if it has that shape. */
export function atMostOneOf(rule: string): CelCheck | undefined {
  const m = AT_MOST_ONE.exec(rule);
  const a = m?.[1];
  const b = m?.[2];
  if (a === undefined || b === undefined) return undefined;
  return (v) => (has(v, a) ? 1 : 0) + (has(v, b) ? 1 : 0) <= 1;
}

function checkOf(rule: string): CelCheck | undefined {
  return Object.hasOwn(KNOWN_RULES, rule) ? KNOWN_RULES[rule] : atMostOneOf(rule);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Whether a rule is one this validator implements. */
export function isKnownCelRule(rule: string): boolean {
  return checkOf(rule) !== undefined;
}

/** The rules a value fails. */
export function failedCelRules(rules: readonly CelRule[], value: unknown): CelRule[] {
  return rules.filter((r) => {
    const check = checkOf(r.rule);
    if (check === undefined) throw new Error(`unsupported CEL rule ${JSON.stringify(r.rule)}`);
    return !check(value);
  });
}

/** Every CEL rule string in a schema tree. */
export function collectCelRules(schema: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) {
    for (const s of schema) collectCelRules(s, into);
  } else if (isRecord(schema)) {
    const rules = schema["x-kubernetes-validations"];
    if (Array.isArray(rules)) {
      for (const r of rules) if (isRecord(r) && typeof r.rule === "string") into.add(r.rule);
    }
    for (const v of Object.values(schema)) collectCelRules(v, into);
  }
  return into;
}
