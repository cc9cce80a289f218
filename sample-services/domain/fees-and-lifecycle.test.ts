import { describe, expect, it } from "vitest";
import { testOrder } from "../store/testing/contract.js";
import { behaviourOf } from "./behaviour-version.js";
import { FEE_RULES, priceOrder } from "./fees.js";
import { applyAction } from "./order-lifecycle.js";

describe("priceOrder", () => {
  const goods = [
    { itemId: "a", quantity: 2, unitPriceCents: 100 },
    { itemId: "b", quantity: 1, unitPriceCents: 1000 },
  ];
  it("v1 charges a flat fee", () => {
    expect(priceOrder("v1", goods)).toEqual({
      goodsCents: 1200,
      feeCents: 500,
      totalCents: 1700,
      feeRule: FEE_RULES.v1,
    });
  });
  it("v2 charges a base plus a per-unit fee and records the breakdown", () => {
    expect(priceOrder("v2", goods)).toEqual({
      goodsCents: 1200,
      feeCents: 200 + 3 * 75,
      totalCents: 1200 + 425,
      feeRule: FEE_RULES.v2,
      feeBreakdown: { baseCents: 200, perUnitCents: 75, units: 3 },
    });
  });
});

describe("behaviourOf", () => {
  it.each([
    ["v1", "v1"],
    ["v2", "v2"],
    ["v2.1", "v2"],
    ["v2-rc1", "v2"],
    ["v20", "v1"],
    ["canary", "v1"],
  ])("%s runs %s rules", (version, behaviour) => {
    expect(behaviourOf(version)).toBe(behaviour);
  });
});

describe("applyAction", () => {
  const receipt = { signerPhone: "+1", signedAtMs: 1, scheme: "s", signature: "x", totalCents: 1 };
  it.each([
    ["created", "scan_in", "st-a", "at_station"],
    ["in_transit", "scan_in", "st-b", "at_station"],
    ["at_station", "scan_out", "st-a", "in_transit"],
  ] as const)("%s + %s at %s → %s", (state, action, stationId, next) => {
    const t = applyAction(testOrder("o", { state, currentStationId: "st-a", futureField: 1 }), action, {
      stationId,
      now: 9,
    });
    expect(t.ok && t.next).toMatchObject({ state: next, revision: 2, updatedAtMs: 9, futureField: 1 });
  });

  it.each([
    ["delivered", "scan_in", "st-a", /delivered order cannot change/],
    ["at_station", "scan_in", "st-b", /scanned out of station st-a/],
    ["created", "scan_out", "st-a", /only a parcel at a station/],
    ["at_station", "scan_out", "st-b", /at station st-a, not st-b/],
    ["created", "receive", "", /not been scanned/],
  ] as const)("refuses %s + %s", (state, action, stationId, why) => {
    const t = applyAction(testOrder("o", { state, currentStationId: "st-a" }), action, {
      stationId,
      now: 1,
      receipt,
    });
    expect(t.ok).toBe(false);
    expect(!t.ok && t.reason).toMatch(why);
  });

  it("receives with a receipt", () => {
    const t = applyAction(testOrder("o", { state: "in_transit" }), "receive", { now: 1, receipt });
    expect(t.ok && t.next).toMatchObject({ state: "delivered", receipt });
    expect(applyAction(testOrder("o", { state: "in_transit" }), "receive", { now: 1 }).ok).toBe(false);
  });
});
