/**
 * Transactions held open on purpose, for tests that need one in flight across a moment they
 * choose (an upgrade's cutover and flip) rather than one the load happens to produce. A
 * `POST /orders` with the hold header waits mid-transaction (after its first auth-service call,
 * where the delay header waits) until the test releases it by name, at most the app's maximum
 * delay. The registry is in-process: only code in the process that runs the app can release.
 */

/** Request header naming a hold: `POST /orders` waits mid-transaction until it is released. */
export const HOLD_HEADER = "x-sample-hold";

/** What a hold name may be: short, and safe in logs. */
const HOLD_NAME = /^[A-Za-z0-9-]{1,64}$/;

interface Held {
  readonly servedBy: () => readonly string[];
  readonly release: () => void;
}

/** The transactions held now, by name, and the releases given before they arrived. */
export class TransactionHolds {
  readonly #held = new Map<string, Held>();
  readonly #released = new Set<string>();

  /** True when `name` may name a hold. */
  static valid(name: string): boolean {
    return HOLD_NAME.test(name);
  }

  /**
   * Waits until `name` is released, `maxMs` passes, or `signal` aborts. `servedBy` tells the
   * test which versions the transaction touched before the hold.
   */
  async hold(
    name: string,
    servedBy: () => readonly string[],
    maxMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    if (this.#released.delete(name)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.#held.delete(name);
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      signal?.addEventListener("abort", done, { once: true });
      this.#held.set(name, { servedBy, release: done });
    });
  }

  /** The servedBy so far of the transaction held as `name`, or undefined while none is held. */
  held(name: string): readonly string[] | undefined {
    return this.#held.get(name)?.servedBy();
  }

  /** Lets the transaction held as `name` go on (or the next one to arrive under that name). */
  release(name: string): void {
    const h = this.#held.get(name);
    if (h === undefined) this.#released.add(name);
    else h.release();
  }
}

/** The process's holds (every logistics-api instance of the process shares them). */
export const transactionHolds = new TransactionHolds();
