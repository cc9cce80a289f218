/**
 * Small text helpers for the CLI's output: durations, versions, tables.
 */
import type { UpgradeView } from "../api/view.js";
import { DEFAULT_STEPS } from "../engine/effective.js";
import { TERMINAL_PHASES } from "../engine/phases.js";

/** "850ms", "4.1s", "2m05s", "1h03m". */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 10)
    return Number.isInteger(seconds) ? `${seconds}s` : `${(Math.floor(seconds * 10) / 10).toFixed(1)}s`;
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.floor(seconds % 60)).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** "auth-service v1→v2, order-service v1→v2". */
export function formatServices(view: UpgradeView): string {
  return view.spec.services.map((s) => `${s.name} ${s.from}→${s.to}`).join(", ");
}

/** The steps in force: the spec's, or the engine's defaults. */
export function stepsOf(view: UpgradeView): readonly number[] {
  return view.spec.strategy?.steps ?? DEFAULT_STEPS;
}

/** "2/3" while Shifting (1-based), "-" before. */
export function formatStep(view: UpgradeView): string {
  return view.status.step < 0 ? "-" : `${view.status.step + 1}/${stepsOf(view).length}`;
}

/** The message of the Waiting condition when it holds: why the controller waits. */
export function waitingMessage(view: UpgradeView): string | undefined {
  const waiting = view.status.conditions.find((c) => c.type === "Waiting" && c.status === "True");
  return waiting ? roundPercentages(`${waiting.reason}: ${waiting.message}`) : undefined;
}

/**
 * Percentages in a message, rounded to one decimal: "42.857142857142854%" → "42.9%",
 * "99.999%" → "100%". Whole percentages are left as they are.
 */
export function roundPercentages(text: string): string {
  return text.replace(/(\d+\.\d+)%/g, (_match, value: string) => `${Math.round(Number(value) * 10) / 10}%`);
}

/**
 * Why the upgrade is rolling back (or rolled back): the message of the history entry that
 * started the rollback, "rolling back: <reason>". Undefined when it never rolled back.
 */
export function rollbackReason(view: UpgradeView): string | undefined {
  const start = view.status.history.findLast((h) => h.phase === "RollingBack");
  return start === undefined ? undefined : roundPercentages(start.message.replace(/^rolling back: /, ""));
}

/** Left-aligned columns separated by two spaces. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ");
  return [line(header), ...rows.map(line)];
}

/**
 * When the upgrade reached the phase it is in (ms), from its history: the first entry of the
 * trailing run in that phase. Undefined when the history does not say.
 */
export function phaseEnteredAt(view: UpgradeView): number | undefined {
  let at: number | undefined;
  for (let i = view.status.history.length - 1; i >= 0; i--) {
    const entry = view.status.history[i];
    if (entry?.phase !== view.status.phase) break;
    at = entry.at;
  }
  return at;
}

/**
 * How long an upgrade ran: from its creation to the time it ended (a terminal phase), or to
 * `now` while it runs or when its history does not say when it ended.
 */
export function upgradeDurationSeconds(view: UpgradeView, now: number): number {
  const ended = TERMINAL_PHASES.includes(view.status.phase) ? phaseEnteredAt(view) : undefined;
  return ((ended ?? now) - Date.parse(view.createdAt)) / 1000;
}

/** "12:04:05" in UTC, for history lines and watch lines. */
export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}
