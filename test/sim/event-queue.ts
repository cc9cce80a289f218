/**
 * The simulator's clock and event queue: virtual time in milliseconds, events ordered by time
 * and then by scheduling order, so that equal times replay deterministically.
 */
export interface EventQueue {
  /** Current virtual time (ms). */
  readonly now: number;
  /** Schedules `fn` at absolute virtual time `at` (clamped to now). */
  at(at: number, fn: () => void): void;
  /** Schedules `fn` after `delay` ms. */
  after(delay: number, fn: () => void): void;
  /** Runs events in order until the queue is empty or the next event is later than `until`. */
  runUntil(until: number): void;
  /** Number of events still queued. */
  readonly size: number;
}

interface Entry {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

function before(x: Entry, y: Entry): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

/** Creates an empty queue whose clock starts at `start`. */
export function createEventQueue(start = 0): EventQueue {
  const heap: Entry[] = [];
  let now = start;
  let seq = 0;

  const push = (e: Entry): void => {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (p === undefined || !before(e, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = e;
  };

  const pop = (): Entry | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let best = last;
      const le = heap[l];
      const re = heap[r];
      if (le !== undefined && before(le, best)) {
        m = l;
        best = le;
      }
      if (re !== undefined && before(re, best)) {
        m = r;
        best = re;
      }
      if (m === i) break;
      heap[i] = best;
      i = m;
    }
    heap[i] = last;
    return top;
  };

  return {
    get now() {
      return now;
    },
    get size() {
      return heap.length;
    },
    at(at, fn) {
      push({ at: Math.max(at, now), seq: seq++, fn });
    },
    after(delay, fn) {
      push({ at: now + Math.max(0, delay), seq: seq++, fn });
    },
    runUntil(until) {
      for (;;) {
        const top = heap[0];
        if (top === undefined || top.at > until) break;
        pop();
        now = top.at;
        top.fn();
      }
      now = Math.max(now, until);
    },
  };
}
