/**
 * Follows one upgrade in the store until it ends, printing a line whenever what it does
 * changes: its phase, stage, weight, confirmations, pins, whether old calls are in flight, or
 * the reason it waits. Counters that move on every status (the oldest old call's age) make no
 * new line. On a terminal, a live line under them shows the elapsed time and those counters,
 * redrawn in place. The line where a rollback starts says why.
 */
import { TERMINAL_PHASES } from "../../engine/phases.js";
import {
  keyString,
  type UpgradeKey,
  type UpgradeRecord,
  type UpgradeStore,
} from "../../ports/upgrade-store.js";
import { roundPercentages } from "../../cli/format.js";

/** One line of a terminal, redrawn in place. */
export interface LiveLine {
  /** Replaces the line's text. */
  update(text: string): void;
  /** Empties the line, so that a permanent line can be printed where it stood. */
  clear(): void;
}

/** A live line on `stream` (a TTY): carriage return, erase the line, write; cut to its width. */
export function terminalLiveLine(stream: {
  write(text: string): unknown;
  readonly columns?: number;
}): LiveLine {
  return {
    update(text) {
      const width = stream.columns !== undefined && stream.columns > 20 ? stream.columns - 1 : undefined;
      const shown = width !== undefined && text.length > width ? `${text.slice(0, width - 1)}…` : text;
      stream.write(`\r\x1b[2K${shown}`);
    },
    clear() {
      stream.write("\r\x1b[2K");
    },
  };
}

/** Options of {@link watchUpgrade}. */
export interface WatchUpgradeOptions {
  /** On a terminal: the live line (see {@link terminalLiveLine}); none elsewhere. */
  readonly live?: LiveLine;
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
}

/** Prints progress lines for `key` until it reaches a terminal phase or `timeoutMs` passes. */
export async function watchUpgrade(
  store: UpgradeStore,
  key: UpgradeKey,
  out: (line: string) => void,
  timeoutMs: number,
  options: WatchUpgradeOptions = {},
): Promise<UpgradeRecord> {
  const now = options.now ?? Date.now;
  const live = options.live;
  const started = now();
  const id = key.name;
  const elapsed = (): string => `[${((now() - started) / 1000).toFixed(1).padStart(5)} s]`;
  let lastKey = "";
  let latest: UpgradeRecord | undefined;
  return new Promise<UpgradeRecord>((resolve, reject) => {
    const show = (u: UpgradeRecord): boolean => {
      latest = u;
      const changed = changeKey(u);
      if (changed !== lastKey) {
        live?.clear();
        out(`  ${elapsed()} ${id}: ${progressText(u)}`);
        lastKey = changed;
      }
      const ended = TERMINAL_PHASES.includes(u.status.phase);
      if (ended) live?.clear();
      else live?.update(`  ${elapsed()} ${id}: ${liveText(u)}`);
      return ended;
    };
    const finish = (u: UpgradeRecord): void => {
      clearInterval(timer);
      unwatch();
      resolve(u);
    };
    const unwatch = store.watch({
      onEvent: (event) => {
        if (keyString(event.upgrade) === keyString(key) && show(event.upgrade)) finish(event.upgrade);
      },
    });
    const timer = setInterval(() => {
      // The elapsed time goes on between statuses.
      if (latest !== undefined) live?.update(`  ${elapsed()} ${id}: ${liveText(latest)}`);
      if (now() - started <= timeoutMs) return;
      clearInterval(timer);
      unwatch();
      live?.clear();
      reject(new Error(`upgrade ${id} did not end within ${Math.round(timeoutMs / 1000)} s`));
    }, 250);
    store.get(key).then(
      (u) => {
        if (show(u)) finish(u);
      },
      (err: unknown) => {
        clearInterval(timer);
        unwatch();
        live?.clear();
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

function waitingCondition(u: UpgradeRecord) {
  return u.status.conditions.find((c) => c.type === "Waiting" && c.status === "True");
}

/** Why a rollback started, while rolling back. */
function rollbackWhy(u: UpgradeRecord): string | undefined {
  const { phase, engine } = u.status;
  return (phase === "RollingBack" || phase === "RolledBack" || phase === "Failed") && engine.reason !== null
    ? roundPercentages(engine.reason)
    : undefined;
}

/** What must differ for a new line. */
function changeKey(u: UpgradeRecord): string {
  const s = u.status;
  return JSON.stringify([
    s.phase,
    s.engine.stage,
    u.spec.paused === true,
    s.weight,
    s.confirmed,
    s.activeOld > 0,
    s.pinned,
    waitingCondition(u)?.reason,
    rollbackWhy(u),
  ]);
}

/** A permanent line: what the upgrade does, why it waits, and why it rolls back. */
function progressText(u: UpgradeRecord): string {
  const s = u.status;
  const waiting = waitingCondition(u);
  const why = rollbackWhy(u);
  return `${s.phase}/${s.engine.stage}${u.spec.paused === true ? " PAUSED" : ""} weight ${s.weight}%${confirmations(u)}${oldActive(u)}${s.pinned > 0 ? ` pins ${s.pinned}` : ""}${why !== undefined ? ` — why: ${why}` : ""}${waiting ? ` — ${roundPercentages(waiting.message)}` : ""}`;
}

/** The live line: the moving counters as well. */
function liveText(u: UpgradeRecord): string {
  const waiting = waitingCondition(u);
  return `${u.status.phase}/${u.status.engine.stage} weight ${u.status.weight}%${confirmations(u)}${oldActive(u)}${waiting ? ` — ${roundPercentages(waiting.message)}` : ""}`;
}

function confirmations(u: UpgradeRecord): string {
  const c = u.status.confirmed;
  return c.total > 0 ? ` confirmed ${c.ready}/${c.total}` : "";
}

function oldActive(u: UpgradeRecord): string {
  const s = u.status;
  return s.activeOld > 0
    ? ` old-active ${s.activeOld} (oldest ${s.oldestActiveAgeSeconds.toFixed(1)} s)`
    : "";
}
