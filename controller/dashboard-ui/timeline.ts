/**
 * The phase timeline of the dashboard: the upgrade's history folded into one segment per
 * stretch of time spent in a phase, with how long each lasted.
 */
import type { UpgradeView } from "../api/view.js";
import { TERMINAL_PHASES, type Phase } from "../engine/phases.js";

/** One stretch of time in one phase. */
export interface PhaseSegment {
  readonly phase: Phase;
  /** When the phase was entered (ms). */
  readonly startedAt: number;
  /** When the next phase was entered; null while the upgrade is still in this phase. */
  readonly endedAt: number | null;
  /** Time spent in it so far (ms): up to `now` while current, 0 for a terminal phase. */
  readonly ms: number;
  /** True for the phase the upgrade is in now. */
  readonly current: boolean;
}

/**
 * The phases in the order they happened, consecutive history entries of one phase merged. The
 * history is bounded (the oldest entries are dropped), so the first segment may start later
 * than the upgrade did; `createdAt` then stands for its start when the first entry is
 * Validating. A terminal phase is a point in time (0 ms).
 */
export function phaseTimeline(view: UpgradeView, now: number): PhaseSegment[] {
  const starts: { phase: Phase; at: number }[] = [];
  for (const entry of view.status.history) {
    if (starts.at(-1)?.phase !== entry.phase) starts.push({ phase: entry.phase, at: entry.at });
  }
  if (starts.at(-1)?.phase !== view.status.phase) starts.push({ phase: view.status.phase, at: now });
  const first = starts[0];
  const created = Date.parse(view.createdAt);
  if (first?.phase === "Validating" && Number.isFinite(created) && created < first.at) first.at = created;
  return starts.map((s, i) => {
    const next = starts[i + 1];
    const current = next === undefined;
    const terminal = TERMINAL_PHASES.includes(s.phase);
    const endedAt = next?.at ?? (terminal ? s.at : null);
    return {
      phase: s.phase,
      startedAt: s.at,
      endedAt,
      ms: terminal ? 0 : Math.max(0, (endedAt ?? now) - s.at),
      current,
    };
  });
}

/** A phase's marker besides its colour, so that the timeline reads without colour. */
export function phaseSymbol(phase: Phase): string {
  switch (phase) {
    case "Succeeded":
      return "✓";
    case "RolledBack":
      return "↺";
    case "Failed":
      return "✗";
    case "RollingBack":
      return "↶";
    default:
      return "•";
  }
}

/** The tone a phase is shown in: `ok`, `bad`, `warn` or `busy` (a CSS class, never the only cue). */
export function phaseTone(phase: Phase): "ok" | "bad" | "warn" | "busy" {
  if (phase === "Succeeded") return "ok";
  if (phase === "Failed") return "bad";
  if (phase === "RollingBack" || phase === "RolledBack") return "warn";
  return "busy";
}
