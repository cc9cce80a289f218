import { describe, expect, it } from "vitest";
import { destinationRule } from "../../../istio/api/builders.js";
import type { DestinationRule } from "../../../istio/api/types.js";
import { planSubset, type SubsetChange } from "./plan-destination-rules.js";

const userDr = (): DestinationRule =>
  destinationRule(
    "reviews",
    {
      host: "reviews.default.svc.cluster.local",
      trafficPolicy: { connectionPool: { http: { http2MaxRequests: 100 } } },
      subsets: [
        { name: "v1", labels: { version: "v1" } },
        {
          name: "canary",
          labels: { track: "canary" },
          trafficPolicy: { loadBalancer: { simple: "ROUND_ROBIN" } },
        },
      ],
    },
    "default",
    { resourceVersion: "12" },
  );

const change = (over: Partial<SubsetChange>): SubsetChange => ({
  upgradeId: "up1",
  namespace: "default",
  service: "reviews",
  version: "v2",
  present: true,
  destinationRules: [userDr()],
  ...over,
});

describe("planSubset", () => {
  it("adds a subset at the end, keeping every other subset and field", () => {
    const plan = planSubset(change({}));
    expect(plan.kind).toBe("upsert");
    if (plan.kind !== "upsert") return;
    const before = userDr();
    expect(plan.object.spec.subsets).toEqual([
      ...before.spec.subsets!,
      { name: "v2", labels: { version: "v2" } },
    ]);
    expect(plan.object.spec.trafficPolicy).toEqual(before.spec.trafficPolicy);
    expect(plan.object.metadata).toEqual(before.metadata);
  });

  it("is idempotent", () => {
    const plan = planSubset(change({}));
    if (plan.kind !== "upsert") throw new Error("expected an upsert");
    expect(planSubset(change({ destinationRules: [plan.object] }))).toEqual({ kind: "unchanged" });
    expect(planSubset(change({ version: "v1" }))).toEqual({ kind: "unchanged" });
    expect(planSubset(change({ version: "v9", present: false }))).toEqual({ kind: "unchanged" });
  });

  it("removes only the named subset from a user's rule, never deleting the rule", () => {
    const plan = planSubset(change({ version: "v1", present: false }));
    if (plan.kind !== "upsert") throw new Error("expected an upsert");
    expect(plan.object.spec.subsets?.map((s) => s.name)).toEqual(["canary"]);
    const last = planSubset(change({ version: "canary", present: false, destinationRules: [plan.object] }));
    expect(last.kind).toBe("upsert");
  });

  it("creates a Tranquil-owned rule when the host has none, and deletes it once empty", () => {
    const created = planSubset(change({ destinationRules: [], version: "v1" }));
    if (created.kind !== "upsert") throw new Error("expected an upsert");
    expect(created.object.metadata.name).toBe("tranquil-up1-reviews");
    expect(created.object.metadata.labels).toEqual({
      "app.kubernetes.io/managed-by": "tranquil",
      "tranquil.dev/upgrade": "up1",
    });
    expect(created.object.spec).toEqual({
      host: "reviews",
      subsets: [{ name: "v1", labels: { version: "v1" } }],
    });
    const gone = planSubset(change({ destinationRules: [created.object], version: "v1", present: false }));
    expect(gone).toEqual({ kind: "delete", ref: { namespace: "default", name: "tranquil-up1-reviews" } });
  });

  it("ignores rules for other hosts and rules with a workload selector", () => {
    const other = destinationRule("ratings", { host: "ratings", subsets: [] });
    const scoped = destinationRule("reviews-scoped", {
      host: "reviews",
      workloadSelector: { matchLabels: { app: "x" } },
    });
    const plan = planSubset(change({ destinationRules: [other, scoped] }));
    if (plan.kind !== "upsert") throw new Error("expected an upsert");
    expect(plan.object.metadata.name).toBe("tranquil-up1-reviews");
  });
});
