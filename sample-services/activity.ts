/**
 * Tracks when an instance last served an application request and how many it serves now.
 * Health checks and metric scrapes are never recorded here.
 */
export class Activity {
  #lastServedAt: number | null = null;
  #inFlight = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Marks the start of an application request; call the returned function once when it ends. */
  begin(): () => void {
    this.#inFlight += 1;
    this.#lastServedAt = this.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#inFlight -= 1;
      this.#lastServedAt = this.now();
    };
  }

  /** Epoch milliseconds of the last application request start or end, or null if none yet. */
  lastServedAt(): number | null {
    return this.#lastServedAt;
  }

  /** Application requests in progress. */
  inFlight(): number {
    return this.#inFlight;
  }
}
