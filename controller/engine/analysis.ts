/**
 * The analysis between steps (§4.3): `new` against the spec's thresholds over the step
 * window, per train service, plus the Prometheus checks. Pure; returns the reasons it failed.
 */
import { OnMissingData, type UpgradeSpec } from "../upgrade-spec/schema.js";
import { planChecks } from "../upgrade-spec/prometheus-plan.js";
import type { Observations } from "./types.js";

/** The verdict of one analysis. */
export interface AnalysisVerdict {
  readonly passed: boolean;
  /**
   * No check failed, but a Prometheus check erred or returned no series and the spec says
   * `onMissingData: wait`: the window proves nothing either way.
   */
  readonly inconclusive?: boolean;
  /** Why it failed (or is inconclusive), one line per check; or what was checked. */
  readonly details: readonly string[];
}

/**
 * Judge the step window. As in Flagger, a threshold without data fails: when the spec sets a
 * success-rate or latency threshold and `new` served no request in the window, nothing shows
 * that it works. With no thresholds set, an empty window passes and says so. A Prometheus
 * query that errs or returns no sample fails too, unless the spec says `onMissingData: wait`:
 * then, when nothing else failed, the verdict is inconclusive (ADR 0095).
 */
export function analyse(spec: UpgradeSpec, obs: Observations): AnalysisVerdict {
  const failures: string[] = [];
  const notes: string[] = [];
  const a = spec.strategy?.analysis;
  const min = a?.successRate?.min;
  const maxMs = a?.latencyP99?.maxMs;
  for (const svc of spec.services) {
    const figures = obs.services[svc.name]?.versions[svc.to]?.analysis ?? null;
    if (figures === null || figures.requests === 0) {
      if (min !== undefined || maxMs !== undefined) {
        failures.push(
          `${svc.name}@${svc.to}: no requests in the window, so the thresholds cannot be checked`,
        );
      } else {
        notes.push(`${svc.name}@${svc.to}: no requests in the window`);
      }
      continue;
    }
    // Old's figures over the same window, for comparison in the message.
    const old = obs.services[svc.name]?.versions[svc.from]?.analysis ?? null;
    const oldRate = old?.successRate ?? null;
    const oldP99 = old?.p99Ms ?? null;
    if (min !== undefined && (figures.successRate === null || figures.successRate < min)) {
      failures.push(
        `${svc.name}@${svc.to}: success rate ${percent(figures.successRate)} < ${min}%${oldRate === null ? "" : ` (${svc.from}: ${percent(oldRate)})`}`,
      );
    }
    if (maxMs !== undefined && (figures.p99Ms === null || figures.p99Ms > maxMs)) {
      failures.push(
        `${svc.name}@${svc.to}: p99 ${figures.p99Ms ?? "unknown"} ms > ${maxMs} ms${oldP99 === null ? "" : ` (${svc.from}: ${oldP99} ms)`}`,
      );
    }
  }
  const missing = prometheusFindings(spec, obs, failures);
  if (failures.length === 0 && missing.length > 0) {
    if (a?.onMissingData === OnMissingData.Wait)
      return { passed: false, inconclusive: true, details: missing };
    failures.push(...missing);
  }
  return failures.length > 0 ? { passed: false, details: failures } : { passed: true, details: notes };
}

/**
 * Judges the planned Prometheus checks: a value out of bounds is pushed to `failures`; a query
 * that erred or returned no sample is returned, for the caller to fail or wait on.
 */
function prometheusFindings(spec: UpgradeSpec, obs: Observations, failures: string[]): string[] {
  const missing: string[] = [];
  for (const check of planChecks(spec, obs.namespace ?? "default")) {
    const name = `prometheus ${check.label === "" ? "" : `${check.label} `}"${check.query}"`;
    const value = obs.prometheus[check.query] ?? null;
    const error = obs.prometheusErrors?.[check.query];
    if (error !== undefined) missing.push(`${name} failed: ${error}`);
    else if (value === null) missing.push(`${name} returned no value`);
    else if (check.min !== undefined && value < check.min) failures.push(`${name} = ${value} < ${check.min}`);
    else if (check.max !== undefined && value > check.max) failures.push(`${name} = ${value} > ${check.max}`);
  }
  return missing;
}

/** A success rate as the status shows it: one decimal, e.g. 42.9%. */
function percent(rate: number | null): string {
  return rate === null ? "unknown%" : `${Math.round(rate * 10) / 10}%`;
}
