import { describe, expect, it } from "vitest";
import { Phase } from "../engine/phases.js";
import { initialStatus } from "../engine/status.js";
import type { UpgradeRecord } from "../ports/upgrade-store.js";
import { activeUpgradeFacts } from "./active-upgrades.js";

function record(
  namespace: string,
  name: string,
  id: string,
  phase: Phase,
  services: string[],
): UpgradeRecord {
  return {
    namespace,
    name,
    id,
    spec: { services: services.map((s) => ({ name: s, from: "v1", to: "v2" })) },
    status: { ...initialStatus(0), phase },
    commands: [],
    resourceVersion: "1",
    createdAt: 0,
  };
}

describe("the facts about other Upgrades", () => {
  const me = { namespace: "shop", id: "auth-v2-aaaaaa" };
  it("lists the active Upgrades of the same namespace only, without this one or ended ones", () => {
    const facts = activeUpgradeFacts(me, [
      record("shop", "auth-v2", "auth-v2-aaaaaa", Phase.Validating, ["auth"]),
      record("shop", "order-v2", "order-v2-bbbbbb", Phase.Shifting, ["order", "item"]),
      record("shop", "old", "old-cccccc", Phase.Succeeded, ["auth"]),
      record("billing", "pay-v2", "pay-v2-dddddd", Phase.Shifting, ["auth"]),
    ]);
    expect(facts).toEqual({ otherActiveUpgrades: [{ id: "order-v2", services: ["order", "item"] }] });
  });

  it("names an active Upgrade of any namespace that holds the same enrolment id", () => {
    const facts = activeUpgradeFacts(me, [
      record("billing", "clash", "auth-v2-aaaaaa", Phase.Draining, ["pay"]),
      record("team", "ended", "auth-v2-aaaaaa", Phase.RolledBack, ["pay"]),
    ]);
    expect(facts.enrolmentIdHolder).toBe("billing/clash");
  });
});
