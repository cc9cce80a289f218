import { parseDurationMs } from "../routing/duration.js";

/** One `x-kubernetes-validations` rule. */
export interface CelRule {
  rule: string;
  message?: string;
}

/** A rule's check: true when the value passes. */
type CelCheck = (value: unknown) => boolean;

/**
 * The CEL rules Istio's VirtualService and DestinationRule v1 schemas carry, implemented
 * natively (no CEL interpreter runs here). Any other rule makes the validator refuse to start,
 * so a newer CRD file with new rules cannot be half-enforced silently.
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
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Whether a rule is one this validator implements. */
export function isKnownCelRule(rule: string): boolean {
  return Object.hasOwn(KNOWN_RULES, rule);
}

/** The rules a value fails. */
export function failedCelRules(rules: readonly CelRule[], value: unknown): CelRule[] {
  return rules.filter((r) => {
    const check = KNOWN_RULES[r.rule];
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
