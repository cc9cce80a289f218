import type { TimerHandle, Timers } from "./types.js";

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * Timers driven by hand (a fake clock for tests): `advance(ms)` runs every timer that falls
 * due, in time order, including timers scheduled by the ones that ran.
 */
export class ManualTimers implements Timers {
  private nowMs = 0;
  private nextId = 1;
  private pending: Pending[] = [];

  /** Current fake time in ms. */
  get now(): number {
    return this.nowMs;
  }

  /** Number of timers not yet run. */
  get size(): number {
    return this.pending.length;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.pending.push({ id, at: this.nowMs + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending = this.pending.filter((p) => p.id !== handle);
  }

  /** Moves time forward, running due timers in order (ties in scheduling order). */
  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      const due = this.pending.filter((p) => p.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.pending = this.pending.filter((p) => p !== due);
      this.nowMs = due.at;
      due.fn();
    }
    this.nowMs = target;
  }
}
