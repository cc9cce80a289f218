import { isValidRe2 } from "../routing/regex.js";
import type { HTTPMatchRequest, IstioObject, StringMatch } from "../api/types.js";

/** Name of Istio's validating admission webhook. */
export const ISTIOD_WEBHOOK = "validation.istio.io";

/**
 * A write istiod's validating webhook denies. The API server answers 400 with
 * `admission webhook "validation.istio.io" denied the request: configuration is invalid: …`.
 */
export class AdmissionDeniedError extends Error {
  /** HTTP status (the API server raises a webhook denial without a code to 400). */
  readonly status = 400;
  /** Kubernetes StatusReason. */
  readonly reason = "BadRequest";
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      `admission webhook "${ISTIOD_WEBHOOK}" denied the request: configuration is invalid: ${problems.join(", ")}`,
    );
    this.name = "AdmissionDeniedError";
    this.problems = problems;
  }
}

function regexProblems(where: string, m: StringMatch | undefined): string[] {
  if (m === undefined || !("regex" in m) || m.regex === "*") return [];
  return isValidRe2(m.regex) ? [] : [`${where}: "${m.regex}" is not a valid regex`];
}

function matchProblems(m: HTTPMatchRequest): string[] {
  const out: string[] = [];
  out.push(
    ...regexProblems("uri", m.uri),
    ...regexProblems("method", m.method),
    ...regexProblems("authority", m.authority),
  );
  for (const [k, v] of Object.entries(m.headers ?? {})) out.push(...regexProblems(`header ${k}`, v));
  for (const [k, v] of Object.entries(m.withoutHeaders ?? {}))
    out.push(...regexProblems(`withoutHeaders ${k}`, v));
  for (const [k, v] of Object.entries(m.queryParams ?? {})) out.push(...regexProblems(`queryParams ${k}`, v));
  return out;
}

/**
 * The checks of istiod's webhook (pkg/config/validation) that matter to routing; the rest of
 * its checks are not reproduced. Returns the problems, empty when the object is admitted.
 */
export function istiodWebhookProblems(obj: IstioObject): string[] {
  // Gateways and ServiceEntries: only the CRD schema is checked (see validate.ts).
  if (obj.kind === "Gateway" || obj.kind === "ServiceEntry") return [];
  if (obj.kind === "DestinationRule") {
    const names = (obj.spec.subsets ?? []).map((s) => s.name);
    const dup = names.filter((n, i) => names.indexOf(n) !== i);
    return dup.map((n) => `duplicate subset names: ${n}`);
  }
  const spec = obj.spec;
  const out: string[] = [];
  if ((spec.hosts ?? []).length === 0) out.push("virtual service must have at least one host");
  if ((spec.http ?? []).length + (spec.tcp ?? []).length + (spec.tls ?? []).length === 0) {
    out.push("http, tcp or tls must be provided in virtual service");
  }
  for (const route of spec.http ?? []) {
    const actions = [
      route.route !== undefined && route.route.length > 0,
      route.redirect,
      route.directResponse,
      route.delegate,
    ];
    const n = actions.filter((a) => a !== undefined && a !== false).length;
    if (n === 0) out.push("HTTP route, redirect or direct response is required");
    if (n > 1) out.push("HTTP route may have only one of route, redirect, direct response or delegate");
    for (const d of route.route ?? []) {
      if ((d.weight ?? 0) < 0) out.push(`weight ${String(d.weight)} < 0`);
    }
    for (const m of route.match ?? []) out.push(...matchProblems(m));
    const rr = route.rewrite?.uriRegexRewrite?.match;
    if (rr !== undefined && !isValidRe2(rr)) out.push(`uriRegexRewrite: "${rr}" is not a valid regex`);
  }
  return out;
}
