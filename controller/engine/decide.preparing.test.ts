import { describe, expect, it } from "vitest";
import { pendingActions } from "./decide.js";
import { Harness, specFor } from "./testing/harness.js";

const kinds = (h: Harness): string[] => h.log.filter((a) => a.kind !== "recordEvent").map((a) => a.kind);

describe("decide(): Preparing holds old before new exists, then opens the door", () => {
  it("starts no new pod until every proxy confirmed the held routes, plus the grace period", () => {
    const h = new Harness(specFor());
    h.addPod("reviews-v1-b", "sidecar").frozen = true;
    h.runUntil((x) => x.status.engine.stage === "holdOld" && x.status.configEpoch === 1);
    for (let i = 0; i < 10; i++) h.tick();
    expect(kinds(h)).not.toContain("ensureVersion");
    expect(h.condition("Waiting")).toMatchObject({ reason: "Unconfirmed" });
    expect(h.condition("Waiting")?.message).toMatch(
      /1 of 3 proxies have not confirmed epoch 1: reviews-v1-b/,
    );
    expect(h.status.confirmed).toEqual({ ready: 2, total: 3 });

    h.pod("reviews-v1-b").frozen = false;
    h.tick(100); // the pod takes epoch 1 after this tick
    h.tick(100); // confirmed now: grace starts
    const confirmedAt = h.now;
    h.runUntil((x) => x.log.some((a) => a.kind === "ensureVersion"), 50, 100);
    expect(h.now - confirmedAt).toBeGreaterThanOrEqual(h.settings.graceMs);
  });

  it("ignores terminating pods but never skips a stale one", () => {
    const h = new Harness(specFor());
    const leaving = h.addPod("reviews-v1-old", "sidecar");
    leaving.frozen = true;
    leaving.terminating = true;
    h.runUntil((x) => x.log.some((a) => a.kind === "ensureVersion"));

    const h2 = new Harness(specFor());
    const silent = h2.addPod("reviews-v1-silent", "sidecar");
    silent.heartbeatAgeMs = 60_000;
    for (let i = 0; i < 20; i++) h2.tick();
    expect(kinds(h2)).not.toContain("ensureVersion");
    expect(h2.condition("Waiting")?.message).toMatch(/reviews-v1-silent/);
    expect(h2.status.dirtyPods).toEqual(["reviews-v1-silent"]);
  });

  it("waits for old's endpoints at every proxy before writing routes that name its subset", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.log.some((a) => a.kind === "ensureSubset"));
    h.v("reviews", "v1").healthyAt = 1;
    for (let i = 0; i < 5; i++) h.tick();
    expect(kinds(h)).toEqual(["ensureSubset"]);
    expect(h.condition("Waiting")).toMatchObject({ reason: "OldEndpointsNotVisible" });
    h.v("reviews", "v1").healthyAt = 99;
    h.tick();
    expect(kinds(h)).toEqual(["ensureSubset", "writeRoutes"]);
  });

  it("adds the new subset only once new is Ready, and opens the door only once every proxy sees healthy endpoints", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.log.some((a) => a.kind === "ensureVersion"));
    h.v("reviews", "v2").ready = 0; // not Ready yet
    h.v("reviews", "v2").desired = 2;
    for (let i = 0; i < 5; i++) h.tick();
    expect(h.condition("Waiting")).toMatchObject({ reason: "NewNotReady" });
    expect(h.log.filter((a) => a.kind === "ensureSubset")).toHaveLength(1);

    h.v("reviews", "v2").ready = 2;
    h.tick();
    expect(h.log.filter((a) => a.kind === "ensureSubset")).toHaveLength(2);
    h.v("reviews", "v2").healthyAt = 1; // one proxy of three has the endpoints
    for (let i = 0; i < 5; i++) h.tick();
    expect(h.condition("Waiting")).toMatchObject({ reason: "NewEndpointsNotVisible" });
    expect(h.status.engine.routes.mode).toBe("held");

    h.v("reviews", "v2").healthyAt = 3;
    h.runUntil((x) => x.status.phase === "Shifting");
    expect(h.status.engine.routes.mode).toBe("doorOpen");
  });

  it("creates the new Deployment from old with the spec's image and old's replica count", () => {
    const h = new Harness({ services: [{ name: "reviews", from: "v1", to: "v2", image: "reg/reviews:2" }] });
    h.v("reviews", "v1").desired = 3;
    h.runUntil((x) => x.log.some((a) => a.kind === "ensureVersion"));
    expect(h.log.find((a) => a.kind === "ensureVersion")).toMatchObject({
      service: "reviews",
      version: "v2",
      fromVersion: "v1",
      image: "reg/reviews:2",
      replicas: 3,
      key: "up1:version:reviews:v2",
    });
  });

  it("keeps an unacknowledged action pending, for a restarted reconciler to execute, without issuing it again", () => {
    const h = new Harness(specFor());
    h.autoAck = false;
    h.tick();
    h.tick();
    h.tick();
    expect(h.issued.filter((a) => a.kind === "ensureSubset")).toHaveLength(1);
    expect(h.log).toEqual([]);
    expect(pendingActions(h.status).map((a) => a.key)).toContain("up1:subset:reviews:v1");
    // The restarted reconciler executes what is pending, and the engine moves on.
    h.results["up1:subset:reviews:v1"] = { ok: true };
    h.autoAck = true;
    h.tick();
    expect(pendingActions(h.status).map((a) => a.key)).not.toContain("up1:subset:reviews:v1");
    expect(h.log.filter((a) => a.kind === "writeRoutes")).toHaveLength(1);
  });
});
