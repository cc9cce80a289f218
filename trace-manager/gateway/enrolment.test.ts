import { describe, it, expect } from "vitest";
import { decideEnrolment, enrolmentBucket } from "./enrolment.js";
import type { ActiveUpgrade, TxnId } from "../store/port.js";

const up = (id: string, weight: number, weightVersion = 1): ActiveUpgrade => ({
  id,
  hosts: ["reviews"],
  weight,
  weightVersion,
  watchEpochs: false,
  updatedAt: 0,
});
const txn = (i: number): TxnId => `${i.toString(16).padStart(8, "0")}-4e9b-9545-ac71-3889bc2dffb0` as TxnId;

describe("enrolmentBucket", () => {
  it("is deterministic and spread over 0..99", () => {
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const b = enrolmentBucket(txn(i), "up-1");
      expect(b).toBe(enrolmentBucket(txn(i), "up-1"));
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(100);
      counts[Math.floor(b / 10)]!++;
    }
    // Each decile within ±20% of 1000.
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(200);
  });
});

describe("decideEnrolment", () => {
  it.each([
    [0, 0],
    [100, 1000],
  ])("weight %i enrols %i of 1000", (weight, want) => {
    let n = 0;
    for (let i = 0; i < 1000; i++)
      if (decideEnrolment(txn(i), [up("up-1", weight)]).headerValue !== null) n++;
    expect(n).toBe(want);
  });

  it("enrols about weight% and lists the enrolled ids in the header", () => {
    let n = 0;
    for (let i = 0; i < 2000; i++) {
      const d = decideEnrolment(txn(i), [up("up-1", 30, 7), up("up-2", 100, 2)]);
      expect(d.enrolments).toEqual([
        { upgrade: "up-1", enrolled: enrolmentBucket(txn(i), "up-1") < 30, weightVersion: 7 },
        { upgrade: "up-2", enrolled: true, weightVersion: 2 },
      ]);
      if (d.enrolments[0]?.enrolled === true) {
        n++;
        expect(d.headerValue).toBe("up-1,up-2");
      } else expect(d.headerValue).toBe("up-2");
    }
    expect(n / 2000).toBeGreaterThan(0.25);
    expect(n / 2000).toBeLessThan(0.35);
  });

  it("skips upgrade ids that are not DNS labels", () => {
    const skipped: string[] = [];
    const d = decideEnrolment(txn(1), [up("Bad,Id", 100), up("ok", 100)], (id) => skipped.push(id));
    expect(skipped).toEqual(["Bad,Id"]);
    expect(d.headerValue).toBe("ok");
  });
});
