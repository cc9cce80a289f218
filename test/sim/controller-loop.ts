/**
 * The simulated controller process: every tick it asks a strategy for the next status and
 * actions, persists the status, then executes the actions one by one. It may crash before
 * persisting or between any two actions; it then loses its memory (acknowledgements), stays
 * down a while, and resumes from the last persisted status, re-executing what that status
 * lists as pending. A journal of executions detects duplicate and lost actions.
 */
import type { World } from "./world/world.js";

/** What an execution did: whether it changed the world, and the acknowledgement to report. */
export interface Execution<R> {
  readonly changed: boolean;
  readonly result: R;
}

/** A controller plugged into the simulated loop: Tranquil's decide() or a control strategy. */
export interface ControllerStrategy<S, A extends { readonly key: string }, R> {
  readonly name: string;
  /** The status before the first tick. */
  initial(world: World): S;
  /** One reconcile pass over the persisted status and what the controller can observe. */
  decide(status: S, world: World, acks: ReadonlyMap<string, R>): { status: S; actions: readonly A[] };
  /** Executes one action against the world (the Kubernetes API, the trace store). */
  execute(action: A, world: World, status: S): Execution<R>;
  /** Actions the persisted status says are issued but unacknowledged (re-executed after a restart). */
  pending(status: S): readonly A[];
  /** The status's phase name. */
  phase(status: S): string;
  /** True once the strategy has nothing left to do. */
  terminal(status: S): boolean;
}

/** The journal of one run's controller. */
export interface ControllerJournal {
  ticks: number;
  restarts: number;
  executions: number;
  /** Action keys whose execution changed the world more than once. */
  readonly duplicates: string[];
  /**
   * Action keys issued by a persisted decision (or dropped from a persisted `pending`) that
   * never ran; complete once `close()` was called at the end of the run.
   */
  readonly lost: string[];
  /** Phase changes: [virtual time, phase]. */
  readonly phases: [number, string][];
  /** When the strategy reached a terminal status, else null. */
  terminalAt: number | null;
  /** Last persisted status (for the report). */
  lastStatus: unknown;
  /** Ends the run: every action a persisted decision issued and that never ran is lost. */
  close(): void;
}

/** Starts the controller loop on the world's queue. */
export function startControllerLoop<S, A extends { readonly key: string }, R>(
  world: World,
  strategy: ControllerStrategy<S, A, R>,
): ControllerJournal {
  const { queue, prng, scenario: s } = world;
  const journal: ControllerJournal = {
    ticks: 0,
    restarts: 0,
    executions: 0,
    duplicates: [],
    lost: [],
    phases: [],
    terminalAt: null,
    lastStatus: undefined,
    close() {
      for (const key of issued) if (!executed.has(key) && !journal.lost.includes(key)) journal.lost.push(key);
    },
  };
  let persisted = strategy.initial(world);
  let acks = new Map<string, R>();
  let down = false;
  let recovering = false;
  const changedCount = new Map<string, number>();
  const executed = new Set<string>();
  const issued = new Set<string>();
  journal.phases.push([queue.now, strategy.phase(persisted)]);

  const crash = (): boolean => {
    if (s.restartProbability <= 0 || !prng.chance(s.restartProbability)) return false;
    journal.restarts += 1;
    down = true;
    acks = new Map();
    const downtime = prng.between(s.restartDowntimeMs.min, s.restartDowntimeMs.max);
    world.truth.controllerDown.push({ from: queue.now, to: queue.now + downtime });
    queue.after(downtime, () => {
      down = false;
      recovering = true;
    });
    return true;
  };

  const execute = (action: A): void => {
    const out = strategy.execute(action, world, persisted);
    journal.executions += 1;
    executed.add(action.key);
    acks.set(action.key, out.result);
    if (out.changed) {
      const n = (changedCount.get(action.key) ?? 0) + 1;
      changedCount.set(action.key, n);
      if (n === 2) journal.duplicates.push(action.key);
    }
  };

  const persist = (next: S): void => {
    const before = strategy.pending(persisted).map((a) => a.key);
    const after = new Set(strategy.pending(next).map((a) => a.key));
    for (const key of before) {
      if (!after.has(key) && !executed.has(key) && !journal.lost.includes(key)) journal.lost.push(key);
    }
    persisted = next;
    journal.lastStatus = next;
    const phase = strategy.phase(next);
    const last = journal.phases[journal.phases.length - 1];
    if (last?.[1] !== phase) journal.phases.push([queue.now, phase]);
  };

  const tick = (): void => {
    if (journal.terminalAt !== null) return;
    queue.after(s.tickMs, tick);
    if (down) return;
    journal.ticks += 1;
    if (recovering) {
      // A restarted reconciler first re-executes what the persisted status lists as pending.
      for (const action of strategy.pending(persisted)) {
        if (crash()) return;
        execute(action);
      }
      recovering = false;
    }
    const decision = strategy.decide(persisted, world, acks);
    // Crash points sit around actions: a tick that acts can die before persisting or between any two actions.
    if (decision.actions.length > 0 && crash()) return;
    persist(decision.status);
    // Acknowledgements are handed over once (ADR 0060): keep only those still pending.
    const stillPending = new Set(strategy.pending(persisted).map((a) => a.key));
    for (const key of [...acks.keys()]) if (!stillPending.has(key)) acks.delete(key);
    for (const action of decision.actions) issued.add(action.key);
    for (const action of decision.actions) {
      if (crash()) return;
      execute(action);
    }
    if (strategy.terminal(persisted)) journal.terminalAt = queue.now;
  };

  queue.after(s.tickMs, tick);
  return journal;
}
