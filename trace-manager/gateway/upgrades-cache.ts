import type { ActiveUpgrade, TraceStore } from "../store/port.js";

/**
 * Active upgrades read from the store and cached for `ttlMs` (DESIGN §4.9: 500 ms). A stale value
 * is served while a refresh runs, so a Check never waits for the store once the cache is warm; the
 * weight versions reported are those of the list actually applied.
 */
export class UpgradesCache {
  private value: readonly ActiveUpgrade[] | null = null;
  private fetchedAt = -Infinity;
  private refreshing: Promise<void> | null = null;
  private lastError: unknown = null;

  constructor(
    private readonly store: Pick<TraceStore, "listUpgrades">,
    private readonly ttlMs: number,
    private readonly clock: () => number,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** The list in use, refreshing in the background when stale; null until the first read succeeds. */
  current(): readonly ActiveUpgrade[] | null {
    if (this.clock() - this.fetchedAt >= this.ttlMs) void this.refresh();
    return this.value;
  }

  /** Like `current`, but when the cache is cold waits for the first read, at most `waitMs`. */
  async get(waitMs: number): Promise<readonly ActiveUpgrade[] | null> {
    const v = this.current();
    if (v !== null) return v;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    });
    await Promise.race([this.refresh(), timeout]);
    clearTimeout(timer);
    return this.value;
  }

  /** True when the last read failed. */
  get failing(): boolean {
    return this.lastError !== null;
  }

  /** Reads the store now (one read at a time). */
  refresh(): Promise<void> {
    this.refreshing ??= this.store
      .listUpgrades()
      .then(
        (list) => {
          this.value = list;
          this.fetchedAt = this.clock();
          this.lastError = null;
        },
        (err: unknown) => {
          this.lastError = err;
          // Do not hammer a failing store: wait a TTL before the next try.
          this.fetchedAt = this.clock();
          this.onError(err);
        },
      )
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }
}
