/**
 * The demo's report: what the load generator saw (from outside the TraceManager), what the
 * TraceManagers counted, and each old version's removal against its own last served request
 * and its G3 bound (removal-grade.ts). Written as JSON and printed as a short table.
 */
import type { LoadSummary } from "../../../sample-services/load/index.js";
import type { G3Bound } from "./g3-bound.js";
import { describeWaits, type RemovalGrade } from "./removal-grade.js";
import { roundPercentages } from "../../cli/format.js";

/** One upgrade's outcome. */
export interface UpgradeOutcome {
  readonly name: string;
  readonly services: readonly string[];
  readonly phase: string;
  readonly expectedPhase: string;
  readonly durationSeconds: number;
  readonly reason: string | null;
}

/** The whole report. */
export interface DemoReport {
  readonly scenario: string;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly store: "memory" | "redis";
  readonly upgrades: readonly UpgradeOutcome[];
  readonly transactions: number;
  readonly failedRequests: number;
  /** Failed requests not answered by a deliberately faulty new version: the upgrade's own (must be 0). */
  readonly failedByUpgrade: number;
  readonly mixedVersionTransactions: number;
  readonly traceManagerViolations: number;
  readonly removals: readonly RemovalGrade[];
  readonly g3Bound: G3Bound;
  readonly load: LoadSummary;
  readonly ok: boolean;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** The report as lines for the terminal. */
export function renderReport(report: DemoReport, path: string): string[] {
  const mark = (ok: boolean): string => (ok ? "ok" : "FAILED");
  const lines = [
    "",
    `Tranquil demo report (${report.scenario}, ${report.store} stores, ${report.durationSeconds.toFixed(0)} s)`,
    "",
    ...report.upgrades.map(
      (u) =>
        `  upgrade ${u.name.padEnd(16)} ${u.services.join(" + ").padEnd(44)} ${u.phase.padEnd(11)} ${u.durationSeconds.toFixed(1).padStart(6)} s  ${mark(u.phase === u.expectedPhase)}${u.reason ? `  (${roundPercentages(u.reason)})` : ""}`,
    ),
    "",
    `  transactions                          ${report.transactions}`,
    report.failedRequests === report.failedByUpgrade
      ? `  failed requests                       ${report.failedRequests}  ${mark(report.failedRequests === 0)}`
      : `  failed requests                       ${report.failedRequests}, all answered by the faulty new version  ${mark(report.failedByUpgrade === 0)}`,
    `  mixed-version transactions            ${report.mixedVersionTransactions}  ${mark(report.mixedVersionTransactions === 0)}`,
    `  violations seen by the TraceManagers  ${report.traceManagerViolations}  ${mark(report.traceManagerViolations === 0)}`,
    `  latency p50 / p99                     ${report.load.latencyMs.p50.toFixed(0)} / ${report.load.latencyMs.p99.toFixed(0)} ms`,
    "",
    `  each removed version, after its last served request (DESIGN's bound from the settings: ${seconds(report.g3Bound.totalMs)}):`,
    ...report.removals.flatMap((r) => [
      `    ${`${r.service}@${r.version}`.padEnd(24)} ${r.afterLastServedMs === null ? "never served" : seconds(r.afterLastServedMs)}${r.afterLastNeededMs !== null && r.afterLastNeededMs !== r.afterLastServedMs ? ` (${seconds(r.afterLastNeededMs)} after the cutover)` : ""}  ${mark(r.withinBound)}`,
      ...(r.bound === null
        ? []
        : [
            `      waited for ${describeWaits(r.waited)}`,
            `      bound ${seconds(r.bound.totalMs)}: the controller's budget ${seconds(r.bound.budgetMs)} + waits it does not control ${seconds(r.bound.uncontrolledMs)}`,
          ]),
    ]),
    "",
    `  report: ${path}`,
    `  result: ${report.ok ? "every guarantee held" : "SOMETHING WENT WRONG: see the report"}`,
    "",
  ];
  return lines;
}
