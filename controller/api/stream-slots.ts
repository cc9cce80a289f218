/**
 * A cap on the status streams open at once (ADR 0088): each stream holds a socket, a store
 * watch and a timer, and thousands of them starve the health checks.
 */

/** Counts open streams and admits at most `max`. */
export class StreamSlots {
  private used = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new Error(`the stream cap must be a whole number ≥ 1, not ${max}`);
  }

  /** How many streams are open. */
  get open(): number {
    return this.used;
  }

  /** Takes a slot: returns its release (safe to call twice), or undefined when all are taken. */
  acquire(): (() => void) | undefined {
    if (this.used >= this.max) return undefined;
    this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used--;
    };
  }
}
