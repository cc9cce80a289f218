import { describe, expect, it } from "vitest";
import { startControllerLoop, type ControllerStrategy } from "./controller-loop.js";
import { drawScenario } from "./scenario.js";
import { createWorld, type World } from "./world/world.js";

interface Act {
  readonly key: string;
}
interface Status {
  readonly n: number;
  readonly pending: readonly Act[];
}

/**
 * A counter that issues one action per step and, like decide(), issues the next one on the
 * tick that sees the previous one acknowledged. `hidePending` keeps pending work from the
 * reconciler (nothing re-executes it after a crash); `sloppy` reports a change on every
 * execution (a non-idempotent executor).
 */
function counter(
  applied: Map<string, number>,
  opts: { hidePending?: boolean; sloppy?: boolean } = {},
): ControllerStrategy<Status, Act, boolean> {
  return {
    name: "counter",
    initial: () => ({ n: 0, pending: [] }),
    decide(status, _world, acks) {
      const head = status.pending[0];
      if (head !== undefined && !acks.has(head.key)) return { status, actions: [] };
      const n = head === undefined ? status.n : status.n + 1;
      if (n >= 30) return { status: { n, pending: [] }, actions: [] };
      const action = { key: `step-${n}` };
      return { status: { n, pending: [action] }, actions: [action] };
    },
    execute(action) {
      const seen = applied.get(action.key) ?? 0;
      applied.set(action.key, seen + 1);
      return { changed: opts.sloppy === true || seen === 0, result: true };
    },
    pending: (status) => (opts.hidePending === true ? [] : status.pending),
    phase: (status) => (status.n >= 30 ? "Done" : "Counting"),
    terminal: (status) => status.n >= 30,
  };
}

function crashyWorld(seed: number): World {
  return createWorld(
    drawScenario(seed, { restartProbability: 0.3, restartDowntimeMs: { min: 100, max: 1_000 }, outages: [] }),
  );
}

describe("startControllerLoop", () => {
  it("survives crashes between any two actions: every action applied, none duplicated or lost", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const w = crashyWorld(seed);
      const applied = new Map<string, number>();
      const journal = startControllerLoop(w, counter(applied));
      w.queue.runUntil(120_000);
      journal.close();
      expect(journal.terminalAt).not.toBeNull();
      expect(journal.duplicates).toEqual([]);
      expect(journal.lost).toEqual([]);
      expect(applied.size).toBe(30);
      if (seed === 1) expect(journal.restarts).toBeGreaterThan(0);
    }
  });

  it("reports a lost action when issued work is never run", () => {
    let lost = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const w = crashyWorld(seed);
      const journal = startControllerLoop(w, counter(new Map(), { hidePending: true }));
      w.queue.runUntil(120_000);
      journal.close();
      lost += journal.lost.length;
    }
    expect(lost).toBeGreaterThan(0);
  });

  it("reports a duplicate when re-executing a key changes the world again", () => {
    let duplicates = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const w = crashyWorld(seed);
      const journal = startControllerLoop(w, counter(new Map(), { sloppy: true }));
      w.queue.runUntil(120_000);
      duplicates += journal.duplicates.length;
    }
    expect(duplicates).toBeGreaterThan(0);
  });
});
