/**
 * Runs at most one task per key at a time, coalescing requests that arrive while one runs:
 * one Upgrade is never reconciled concurrently with itself, and a burst of triggers costs one
 * extra run, not one per trigger.
 */
export class KeyedQueue {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();

  /** Runs `task` for `key` now, or once more after the run in progress. */
  enqueue(key: string, task: () => Promise<void>): Promise<void> {
    const current = this.running.get(key);
    if (current) {
      this.again.add(key);
      return current;
    }
    const run = (async () => {
      try {
        do {
          this.again.delete(key);
          await task();
        } while (this.again.has(key));
      } finally {
        this.running.delete(key);
      }
    })();
    this.running.set(key, run);
    return run;
  }

  /** Resolves when every run in progress has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }
}
