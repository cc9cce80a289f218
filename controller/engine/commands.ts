/**
 * User commands (§4.3): promote jumps to 100; abort rolls back and is refused once Finalizing
 * has begun. Each command token acts once.
 */
import { Phase, Stage } from "./phases.js";
import { startRollback } from "./phase-rolling-back.js";
import type { Tick } from "./tick.js";
import { ConditionType, type Command } from "./types.js";

const HANDLED_LIMIT = 20;

function promote(t: Tick): void {
  const phase = t.s.phase;
  if (phase === Phase.Shifting) {
    t.s.step = t.cfg.steps.length - 1;
    t.go(Stage.SetWeight);
    t.event("Normal", "Promoted", "promoted: enrolment jumps to 100%");
  } else if (phase === Phase.Validating || phase === Phase.Preparing) {
    t.s.engine.promoted = true;
    t.event("Normal", "Promoted", "promoted: Shifting will start at 100%");
  } else {
    const message = `promote refused: the upgrade is ${phase}, past Shifting`;
    t.setCondition(ConditionType.CommandRefused, "True", "PromoteRefused", message);
    t.event("Warning", "PromoteRefused", message);
  }
}

function abort(t: Tick): void {
  const phase = t.s.phase;
  if (
    phase === Phase.Validating ||
    phase === Phase.Preparing ||
    phase === Phase.Shifting ||
    phase === Phase.Draining
  ) {
    startRollback(t, "aborted by the user");
    return;
  }
  // Already rolling back, rolled back or failed: nothing left to abort.
  if (phase !== Phase.Finalizing && phase !== Phase.Succeeded) return;
  const message = `abort refused: ${phase === Phase.Succeeded ? "the upgrade has succeeded" : "Finalizing has begun and old is being removed"}; it can only complete`;
  t.setCondition(ConditionType.CommandRefused, "True", "AbortRefused", message);
  t.event("Warning", "AbortRefused", message);
}

/** Apply every command not handled before. */
export function handleCommands(t: Tick, commands: readonly Command[]): void {
  const handled = t.s.engine.handledCommands;
  for (const command of commands) {
    if (handled.includes(command.token)) continue;
    handled.push(command.token);
    while (handled.length > HANDLED_LIMIT) handled.shift();
    if (command.kind === "promote") promote(t);
    else abort(t);
  }
}
