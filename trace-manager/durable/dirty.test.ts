import { describe, it, expect } from "vitest";
import { DirtyState, DIRTY_REASONS } from "./dirty.js";
import { Watermark } from "./watermark.js";

describe("DirtyState", () => {
  it("holds an event's reason for holdMs, and an ongoing condition while it lasts", () => {
    const raised: string[] = [];
    const d = new DirtyState(100, (r, first) => first && raised.push(r));
    expect(d.evaluate(0, [])).toEqual([]);
    d.raise(DIRTY_REASONS.checkLate, 10);
    d.raise(DIRTY_REASONS.checkLate, 20);
    expect(raised).toEqual(["check-late"]);
    expect(d.evaluate(119, [])).toEqual(["check-late"]);
    expect(d.evaluate(120, [DIRTY_REASONS.backlog])).toEqual(["backlog"]);
    expect(d.evaluate(121, [])).toEqual([]);
  });
});

describe("Watermark", () => {
  it("advances behind the clock and the oldest pending admission, and freezes while dirty", () => {
    const w = new Watermark(1000, 100);
    expect(w.next(2000, false, null)).toBe(1900);
    expect(w.next(3000, false, 2500)).toBe(2499);
    expect(w.next(4000, true, null)).toBe(2499);
    // Never backwards, even if an older admission is still pending.
    expect(w.next(5000, false, 2000)).toBe(2499);
    expect(w.next(6000, false, null)).toBe(5900);
  });
});
