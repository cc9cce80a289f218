/**
 * What the dashboard says about upgrades, as plain data and text: the list's rows, the
 * verbs' buttons, the confirmation, drain and analysis sections. The browser code only puts
 * these on the page; the CLI's own helpers (format.ts, drain-eta.ts, status-view.ts) word
 * the same things the same way.
 */
import type { RecentEventsBody } from "../api/dashboard/recent-events.js";
import type { UpgradeView } from "../api/view.js";
import { drainEta } from "../cli/drain-eta.js";
import {
  formatSeconds,
  formatServices,
  formatStep,
  rollbackReason,
  roundPercentages,
  stepsOf,
  waitingMessage,
} from "../cli/format.js";
import { describeDrainWaits } from "../cli/status-view.js";
import { TERMINAL_PHASES } from "../engine/phases.js";

/** One row of the upgrades list. */
export interface ListRow {
  readonly name: string;
  readonly namespace: string;
  readonly services: string;
  /** The phase, "(paused)" added when paused. */
  readonly phase: string;
  readonly weight: string;
  readonly age: string;
  /** The fragment that opens this upgrade (`#/<namespace>/<name>`). */
  readonly href: string;
}

/** The list's rows, newest first. */
export function listRows(views: readonly UpgradeView[], now: number): ListRow[] {
  return [...views]
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
    .map((v) => ({
      name: v.name,
      namespace: v.namespace,
      services: formatServices(v),
      phase: v.spec.paused === true ? `${v.status.phase} (paused)` : v.status.phase,
      weight: `${v.status.weight}%`,
      age: formatSeconds((now - Date.parse(v.createdAt)) / 1000),
      href: hrefOf(v),
    }));
}

/** The fragment that opens one upgrade. */
export function hrefOf(key: { readonly namespace: string; readonly name: string }): string {
  return `#/${encodeURIComponent(key.namespace)}/${encodeURIComponent(key.name)}`;
}

/** The upgrade a fragment opens, or undefined for the list. */
export function parseHref(hash: string): { namespace: string; name: string } | undefined {
  const match = /^#\/([^/]+)\/([^/]+)$/.exec(hash);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  try {
    return { namespace: decodeURIComponent(match[1]), name: decodeURIComponent(match[2]) };
  } catch {
    return undefined;
  }
}

/** A verb of the API, as a button. */
export type Verb = "pause" | "resume" | "promote" | "abort";

/** One button: what it says it will do, whether it can be pressed, and the confirmation abort asks. */
export interface VerbButton {
  readonly verb: Verb;
  readonly label: string;
  /** What pressing it does, in full. */
  readonly says: string;
  readonly enabled: boolean;
  /** The question asked before it is sent (abort only). */
  readonly confirm?: string;
}

/** The four buttons for `view`; none can be pressed once it has ended. */
export function verbButtons(view: UpgradeView): VerbButton[] {
  const open = !TERMINAL_PHASES.includes(view.status.phase);
  const paused = view.spec.paused === true;
  const phase = view.status.phase;
  const late = phase === "Finalizing";
  return [
    {
      verb: "pause",
      label: "Pause",
      says: "Holds the upgrade in its current phase until resumed; traffic stays where it is.",
      enabled: open && !paused,
    },
    {
      verb: "resume",
      label: "Resume",
      says: "Lets the paused upgrade go on from where it was held (the step's analysis window restarts).",
      enabled: open && paused,
    },
    {
      verb: "promote",
      label: "Promote",
      says: "Jumps the enrolment weight to 100% on the next step, skipping the remaining steps and their analysis.",
      enabled: open,
    },
    {
      verb: "abort",
      label: "Abort",
      says: late
        ? "Asks to roll back; the controller refuses once Finalizing has begun (the old version is being removed)."
        : "Rolls the upgrade back: new transactions go to the old version again, the new version is drained and removed.",
      enabled: open,
      confirm: `Abort upgrade ${view.namespace}/${view.name} and roll it back to ${view.spec.services.map((s) => `${s.name} ${s.from}`).join(", ")}?`,
    },
  ];
}

/** The enrolment section: weight, steps (the current one marked) and the step counter. */
export function enrolment(view: UpgradeView): {
  weight: number;
  step: string;
  steps: { weight: number; state: "done" | "current" | "next" }[];
} {
  const steps = stepsOf(view);
  const at = view.status.step;
  // Past the cutover every step was taken.
  const cutOver = ["Draining", "Finalizing", "Succeeded"].includes(view.status.phase);
  return {
    weight: view.status.weight,
    step: formatStep(view),
    steps: steps.map((weight, i) => ({
      weight,
      state: cutOver || i < at ? "done" : i === at ? "current" : "next",
    })),
  };
}

/** Waiting reasons that mean some proxies or gateways have not applied a write yet. */
const UNCONFIRMED_REASONS: readonly string[] = [
  "Unconfirmed",
  "WeightUnconfirmed",
  "NoProxies",
  "NoGateways",
];

/**
 * The config confirmations: `3/4 confirmed (config epoch 5 …)`, the dirty or stale pods, and,
 * while the controller waits for confirmations, its message naming the proxies that lag.
 */
export function confirmations(view: UpgradeView): {
  summary: string;
  lagging: readonly string[];
  waiting?: string;
  unconfirmed?: string;
} {
  const s = view.status;
  const waiting = waitingMessage(view);
  const held = s.conditions.find((c) => c.type === "Waiting" && c.status === "True");
  const unconfirmed =
    held !== undefined && UNCONFIRMED_REASONS.includes(held.reason)
      ? roundPercentages(held.message)
      : undefined;
  return {
    summary: `${s.confirmed.ready}/${s.confirmed.total} confirmed (config epoch ${s.configEpoch}, weight version ${s.weightVersion})`,
    lagging: s.dirtyPods,
    ...(waiting !== undefined ? { waiting } : {}),
    ...(unconfirmed !== undefined ? { unconfirmed } : {}),
  };
}

/** The drain section: the ETA while Draining, what the drain waited for, and the old version's activity. */
export function drain(view: UpgradeView): { eta?: string; waited?: string; active: string } {
  const s = view.status;
  const eta = drainEta(view);
  return {
    ...(eta !== undefined ? { eta } : {}),
    ...(s.drainWaits !== undefined ? { waited: describeDrainWaits(s.drainWaits) } : {}),
    active: `${s.activeOld} active at old (oldest ${formatSeconds(s.oldestActiveAgeSeconds)}), ${s.pinned} pinned`,
  };
}

/** One row of the per-version table: a member's old or new version. */
export interface VersionRow {
  readonly version: string;
  readonly active: string;
  /** The current step window's requests and failures, when the step is analysed. */
  readonly window: string;
}

/**
 * Per train member and version: what is active there (transactions, calls, the oldest's age)
 * and the step window's requests and failures, from `status.versions`. Empty for a status that
 * does not carry them (written by an earlier controller).
 */
export function versionRows(view: UpgradeView): VersionRow[] {
  return (view.status.versions ?? []).map((v) => ({
    version: `${v.service}@${v.version} (${v.role})`,
    active: `${v.activeTransactions} transactions, ${v.activeCalls} calls active${v.activeTransactions > 0 ? `, oldest ${formatSeconds(v.oldestActiveAgeSeconds)}` : ""}`,
    window:
      v.windowRequests === undefined
        ? "not analysed now"
        : `${v.windowRequests} requests in the step window${v.windowFailed === undefined ? "" : `, ${v.windowFailed} failed`}`,
  }));
}

/** One analysis verdict, as its condition worded it. */
export interface AnalysisResult {
  /** The step's weight it judged (from "step 50% passed"), when the message says. */
  readonly weight: number | null;
  readonly passed: boolean;
  readonly message: string;
  readonly at: number;
}

/**
 * The analysis verdicts of `view`: the status's own list (`status.analyses`, every step since
 * the upgrade began) when it carries one; otherwise `results` with the latest Analysis
 * condition added when it is new (a status written before the list existed keeps only the
 * latest verdict, so the page collects them as they arrive; one already collected, same
 * message, is not added twice).
 */
export function collectAnalysis(
  results: readonly AnalysisResult[],
  view: UpgradeView,
): readonly AnalysisResult[] {
  const kept = view.status.analyses;
  if (kept !== undefined)
    return kept.map((a) => ({
      weight: a.weight,
      passed: a.passed,
      message: roundPercentages(a.message),
      at: a.at,
    }));
  const c = view.status.conditions.find((x) => x.type === "Analysis");
  if (c === undefined) return results;
  const message = roundPercentages(c.message);
  if (results.some((r) => r.message === message)) return results;
  const match = /^step (\d+)%/.exec(c.message);
  return [
    ...results,
    {
      weight: match?.[1] === undefined ? null : Number(match[1]),
      passed: c.status === "True",
      message,
      at: c.lastTransitionTime,
    },
  ];
}

/** Conditions other than Analysis, worded as `tranquil status` words them. */
export function conditionLines(view: UpgradeView): string[] {
  return view.status.conditions
    .filter((c) => c.type !== "Analysis")
    .map((c) => `${c.type}=${c.status} ${c.reason}: ${roundPercentages(c.message)}`);
}

/** The history, newest first, as `time phase/stage message` rows. */
export function historyRows(view: UpgradeView): { at: number; what: string; message: string }[] {
  return [...view.status.history]
    .reverse()
    .map((h) => ({ at: h.at, what: `${h.phase}/${h.stage}`, message: roundPercentages(h.message) }));
}

/** One recorded Event as a row: a Warning is marked in words, not only in colour. */
export interface EventRow {
  readonly at: number;
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  /** The reason, `⚠ ` before a Warning's. */
  readonly what: string;
  readonly message: string;
}

/** The recorded Events, newest first; undefined when the controller keeps none of its own. */
export function eventRows(body: RecentEventsBody): EventRow[] | undefined {
  if (!body.kept) return undefined;
  return [...body.events].reverse().map((e) => ({
    at: e.at,
    type: e.type,
    reason: e.reason,
    what: e.type === "Warning" ? `⚠ ${e.reason}` : e.reason,
    message: roundPercentages(e.message),
  }));
}

/**
 * What the page says after a verb: accepted with the new phase and weight, or the API's own
 * words with its status (a 0 status: it was not sent, e.g. no token yet, or no controller).
 */
export function verbOutcome(
  label: string,
  result: { readonly view: UpgradeView } | { readonly status: number; readonly message: string },
): { text: string; ok: boolean } {
  if ("view" in result)
    return {
      text: `${label} accepted: now ${result.view.status.phase}, weight ${result.view.status.weight}%`,
      ok: true,
    };
  if (result.status === 0) return { text: `${label} not sent: ${result.message}`, ok: false };
  return { text: `${label}: the controller answered ${result.status}: ${result.message}`, ok: false };
}

/**
 * Why the upgrade is rolling back, rolled back or failed, in the engine's words; undefined
 * while it goes well.
 */
export function endReason(view: UpgradeView): string | undefined {
  const phase = view.status.phase;
  if (phase === "RollingBack" || phase === "RolledBack") return rollbackReason(view);
  if (phase !== "Failed") return undefined;
  const failed = view.status.conditions.find((c) => c.type === "Failed" && c.status === "True");
  return failed === undefined ? undefined : roundPercentages(`${failed.reason}: ${failed.message}`);
}
