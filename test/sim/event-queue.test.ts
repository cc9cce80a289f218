import { describe, expect, it } from "vitest";
import { createEventQueue } from "./event-queue.js";

describe("createEventQueue", () => {
  it("runs events in time order, equal times in scheduling order, and advances the clock", () => {
    const q = createEventQueue();
    const seen: string[] = [];
    q.at(30, () => seen.push(`c@${q.now}`));
    q.at(10, () => seen.push(`a@${q.now}`));
    q.at(10, () => seen.push(`b@${q.now}`));
    q.after(20, () => {
      seen.push(`d@${q.now}`);
      q.after(5, () => seen.push(`e@${q.now}`));
    });
    q.runUntil(100);
    expect(seen).toEqual(["a@10", "b@10", "d@20", "e@25", "c@30"]);
    expect(q.now).toBe(100);
  });

  it("stops at the horizon and never schedules into the past", () => {
    const q = createEventQueue(50);
    const seen: number[] = [];
    q.at(10, () => seen.push(q.now));
    q.at(200, () => seen.push(q.now));
    q.runUntil(100);
    expect(seen).toEqual([50]);
    expect(q.size).toBe(1);
  });

  it("keeps order over many random insertions", () => {
    const q = createEventQueue();
    const times: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t = (i * 7919) % 1000;
      q.at(t, () => times.push(q.now));
    }
    q.runUntil(1_000);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});
