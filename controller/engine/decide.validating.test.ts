import { describe, expect, it } from "vitest";
import { Harness, specFor } from "./testing/harness.js";
import type { ServiceFacts, UpgradeSpec } from "./types.js";

type FactsEdit = (f: { -readonly [K in keyof ServiceFacts]: ServiceFacts[K] }) => void;

describe("decide(): Validating refuses what it cannot do, applying nothing", () => {
  const cases: [string, FactsEdit | null, Partial<UpgradeSpec> | null, RegExp][] = [
    ["an unknown service", (f) => (f.exists = false), null, /service "reviews" not found/],
    ["a headless service", (f) => (f.headless = true), null, /headless/],
    ["ports Istio treats as TCP", (f) => (f.tcpPorts = [6379]), null, /TCP \(6379\).*appProtocol/],
    ["no Deployment of the old version", (f) => (f.versions = ["v0"]), null, /no Deployment with version=v1/],
    [
      "an old selector without version",
      (f) => (f.oldSelectorHasVersion = false),
      null,
      /selector lacks the "version" label/,
    ],
    [
      "a Deployment of the new version already",
      (f) => (f.versions = ["v1", "v2"]),
      null,
      /already has a Deployment with version=v2/,
    ],
    ["a GitOps self-heal VirtualService", (f) => (f.gitOpsSelfHeal = true), null, /gitOpsAcknowledged: true/],
    ["steps not ending at 100", null, { strategy: { steps: [10, 50] } }, /the last step must be 100/],
    ["steps not increasing", null, { strategy: { steps: [50, 10, 100] } }, /strictly increasing/],
  ];

  it.each(cases)("refuses %s with a condition that says what to fix", (_name, edit, specEdit, message) => {
    const h = new Harness({ ...specFor(), ...(specEdit ?? {}) });
    if (edit !== null) {
      const facts = h.validation?.services.reviews;
      if (facts === undefined) throw new Error("no facts");
      const copy = {
        ...facts,
        versions: [...facts.versions],
        tcpPorts: [...facts.tcpPorts],
        subsets: [...facts.subsets],
      };
      edit(copy);
      h.validation = { ...h.validation!, services: { reviews: copy } };
    }
    const actions = h.tick();
    expect(h.status.phase).toBe("Failed");
    expect(h.condition("Invalid")).toMatchObject({ status: "True" });
    expect(h.condition("Invalid")?.message).toMatch(message);
    expect(h.condition("Failed")?.message).toMatch(message);
    expect(actions.every((a) => a.kind === "recordEvent")).toBe(true);
    expect(h.status.configEpoch).toBe(0);
  });

  it("refuses an upgrade overlapping an active one", () => {
    const h = new Harness(specFor(["reviews", "ratings"]));
    h.validation = { ...h.validation!, otherActiveUpgrades: [{ id: "other", services: ["ratings"] }] };
    h.tick();
    expect(h.status.phase).toBe("Failed");
    expect(h.condition("Invalid")?.message).toMatch(/upgrade "other" is already upgrading ratings/);
  });

  it("refuses an upgrade whose enrolment id another namespace's active upgrade holds", () => {
    const h = new Harness(specFor());
    h.validation = { ...h.validation!, enrolmentIdHolder: "team-b/auth-v2" };
    h.tick();
    expect(h.status.phase).toBe("Failed");
    expect(h.condition("Invalid")?.message).toMatch(/held by the active upgrade team-b\/auth-v2/);
  });

  it("refuses Prometheus checks when no provider is configured, and accepts them with one", () => {
    const spec = { ...specFor(), strategy: { analysis: { prometheus: [{ query: "up", min: 1 }] } } };
    const none = new Harness(spec);
    none.validation = { ...none.validation!, metricsProvider: null };
    none.tick();
    expect(none.status.phase).toBe("Failed");
    expect(none.condition("Invalid")?.message).toMatch(
      /no Prometheus provider is configured for it; start the controller with --prometheus-address/,
    );
    const configured = new Harness(spec);
    configured.validation = { ...configured.validation!, metricsProvider: "http://127.0.0.1:9090" };
    configured.tick();
    expect(configured.status.phase).not.toBe("Failed");
  });

  it("refuses unsupported mesh shapes the backend found", () => {
    const h = new Harness(specFor());
    h.validation = {
      ...h.validation!,
      meshProblems: [
        {
          reason: "DelegateVirtualService",
          message: "VirtualService default/reviews delegates routes; delegates are not supported yet",
        },
      ],
    };
    h.tick();
    expect(h.status.phase).toBe("Failed");
    expect(h.condition("Invalid")?.message).toMatch(/delegates are not supported yet/);
  });

  it("accepts GitOps self-heal once acknowledged", () => {
    const h = new Harness(specFor(["reviews"], { gitOpsAcknowledged: true }));
    h.validation = {
      ...h.validation!,
      services: { reviews: { ...h.validation!.services.reviews!, gitOpsSelfHeal: true } },
    };
    h.tick();
    expect(h.status.phase).toBe("Preparing");
  });

  it("waits, applying nothing, until the facts are gathered", () => {
    const h = new Harness(specFor());
    h.validation = undefined;
    const actions = h.tick();
    expect(h.status.phase).toBe("Validating");
    expect(actions).toEqual([]);
    expect(h.condition("Waiting")).toMatchObject({ status: "True", reason: "GatheringFacts" });
  });

  it("lists every problem at once", () => {
    const h = new Harness(specFor(["reviews", "ratings"]));
    h.validation = {
      ...h.validation!,
      services: {
        reviews: { ...h.validation!.services.reviews!, headless: true },
        ratings: { ...h.validation!.services.ratings!, exists: false },
      },
    };
    h.tick();
    const message = h.condition("Invalid")?.message ?? "";
    expect(message).toMatch(/headless/);
    expect(message).toMatch(/"ratings" not found/);
  });
});
