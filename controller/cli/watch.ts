/**
 * `tranquil watch` and `upgrade --watch`: follows an upgrade's status stream to its end and
 * turns the terminal phase into the exit status (0 Succeeded, 1 Failed or RolledBack). A
 * stream that ends early (controller restarted) is re-opened a few times before giving up.
 */
import type { UpgradeView } from "../api/view.js";
import type { UpgradesClient } from "./upgrades-client.js";
import { CliError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";
import {
  clockTime,
  formatSeconds,
  rollbackReason,
  roundPercentages,
  upgradeDurationSeconds,
} from "./format.js";
import type { CliIo, CliOutput } from "./io.js";
import { progressBlock, progressKey, progressLine } from "./progress.js";
import { refusedInValidation } from "./await-validation.js";

/** Re-opens of the stream before the watch gives up (exit 3). */
export const WATCH_RECONNECTS = 5;
/** Pause before each re-open. */
export const WATCH_RECONNECT_DELAY_MS = 1_000;

const TERMINAL = new Set(["Succeeded", "Failed", "RolledBack"]);

/** Shows successive views of one upgrade. */
interface ProgressRenderer {
  show(view: UpgradeView): void;
}

/**
 * On a terminal: redraws one block in place (cursor up, clear to the end of the screen).
 * Lines are cut to the terminal's width, because a wrapped line would throw the count off.
 */
function blockRenderer(out: CliOutput, now: () => number): ProgressRenderer {
  let drawn = 0;
  const width = out.columns !== undefined && out.columns > 20 ? out.columns - 1 : undefined;
  return {
    show(view) {
      const lines = progressBlock(view, now()).map((l) =>
        width !== undefined && l.length > width ? `${l.slice(0, width - 1)}…` : l,
      );
      out.write(`${drawn > 0 ? `\x1b[${drawn}A\x1b[0J` : ""}${lines.join("\n")}\n`);
      drawn = lines.length;
    },
  };
}

/**
 * Elsewhere (pipes, CI logs): one time-stamped line whenever what the upgrade does changed
 * (progressKey), not whenever a counter moved.
 */
function lineRenderer(out: CliOutput, now: () => number): ProgressRenderer {
  let last = "";
  return {
    show(view) {
      const key = progressKey(view);
      if (key === last) return;
      last = key;
      out.write(`${clockTime(now())} ${view.name} ${progressLine(view)}\n`);
    },
  };
}

/** Options of {@link watchUpgrade}. */
export interface WatchOptions {
  /**
   * `upgrade --watch`: an upgrade the controller refused while validating it exits 2, as a
   * refused request does (ADR 0050), rather than 1.
   */
  readonly refusalIsBadInput?: boolean;
}

/** Follows `name` until it ends; returns the exit status its terminal phase calls for. */
export async function watchUpgrade(
  client: UpgradesClient,
  name: string,
  io: CliIo,
  options: WatchOptions = {},
): Promise<ExitCode> {
  const renderer = io.stdout.isTTY ? blockRenderer(io.stdout, io.now) : lineRenderer(io.stdout, io.now);
  let last: UpgradeView | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      for await (const view of client.events(name)) {
        last = view;
        renderer.show(view);
        attempt = 0;
      }
    } catch (err) {
      if (io.signal?.aborted) return interrupted(io, name);
      // Only an unreachable or failing controller is worth retrying; a 404 or 401 is final.
      if (!(err instanceof CliError) || err.exitCode !== ExitCode.Unavailable || attempt >= WATCH_RECONNECTS)
        throw err;
    }
    if (io.signal?.aborted) return interrupted(io, name);
    if (last && TERMINAL.has(last.status.phase)) return finished(io, last, options);
    if (attempt >= WATCH_RECONNECTS) {
      throw new CliError(
        `the status stream of ${name} kept ending before the upgrade did; check the controller, then run \`tranquil watch ${name}\` again`,
        ExitCode.Unavailable,
      );
    }
    io.stderr.write(`status stream of ${name} ended early; reconnecting\n`);
    await io.sleep(WATCH_RECONNECT_DELAY_MS);
  }
}

function finished(io: CliIo, view: UpgradeView, options: WatchOptions): ExitCode {
  const took = formatSeconds(upgradeDurationSeconds(view, io.now()));
  if (view.status.phase === "Succeeded") {
    io.stdout.write(`upgrade ${view.name} Succeeded after ${took}\n`);
    return ExitCode.Ok;
  }
  const why = roundPercentages(
    view.status.conditions.find((c) => c.type === "Failed" && c.status === "True")?.message ??
      rollbackReason(view) ??
      view.status.history.at(-1)?.message ??
      "no reason recorded",
  );
  io.stdout.write(`upgrade ${view.name} ${view.status.phase} after ${took}: ${why}\n`);
  io.stderr.write(`see \`tranquil status ${view.name}\` for its conditions and history\n`);
  return options.refusalIsBadInput === true && refusedInValidation(view)
    ? ExitCode.BadInput
    : ExitCode.UpgradeFailed;
}

function interrupted(io: CliIo, name: string): ExitCode {
  io.stderr.write(`stopped watching; the upgrade goes on. Resume with \`tranquil watch ${name}\`\n`);
  return ExitCode.Interrupted;
}
