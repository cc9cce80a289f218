import { describe, expect, it } from "vitest";
import { Harness, specFor } from "./testing/harness.js";
import type { Action } from "./types.js";

const work = (actions: readonly Action[]): string[] =>
  actions.flatMap((a) => {
    switch (a.kind) {
      case "writeRoutes":
        return [
          `routes:${a.intent.mode}${a.intent.sentinel ? "" : "-clean"}${a.intent.stamps === true ? "+stamps" : ""}`,
        ];
      case "setWeight":
        return [`weight:${a.weight}`];
      case "scaleVersion":
        return [`scale:${a.version}=${a.replicas}`];
      case "removeSubset":
        return [`subset-:${a.version}`];
      case "ensureSubset":
        return [`subset+:${a.version}`];
      case "ensureVersion":
        return [`start:${a.version}`];
      default:
        return [];
    }
  });

describe("decide(): RollingBack mirrors Shifting and Draining", () => {
  it("aborted in Shifting: weight 0, drain enrolled, close the door, scale new to 0, remove routes and the new subset", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.status.phase === "Shifting" && x.status.weight === 10);
    const before = h.log.length;
    h.commands = [{ kind: "abort", token: "a1" }];
    h.ingress.enrolledInFlight = 2;
    for (let i = 0; i < 20; i++) h.tick();
    expect(h.status.phase).toBe("RollingBack");
    expect(h.condition("Waiting")).toMatchObject({ reason: "EnrolledInFlight" });
    expect(work(h.log.slice(before))).toEqual(["weight:0"]);
    h.ingress.enrolledInFlight = 0;
    h.runUntil((x) => x.status.phase === "RolledBack");
    expect(work(h.log.slice(before))).toEqual([
      "weight:0",
      "routes:held",
      "scale:v2=0",
      "routes:removed",
      "subset-:v2",
      "routes:removed-clean",
    ]);
    expect(h.status.engine.reason).toBe("aborted by the user");
    expect(h.log.some((a) => a.kind === "scaleVersion" && a.version === "v1")).toBe(false);
  });

  it("keeps a `to` subset the user's DestinationRule already had when it rolls back", () => {
    const h = new Harness(specFor());
    const facts = h.validation!;
    const reviews = facts.services["reviews"]!;
    h.validation = {
      ...facts,
      services: { ...facts.services, reviews: { ...reviews, subsets: ["v1", "v2"] } },
    };
    h.runUntil((x) => x.status.phase === "Shifting" && x.status.weight === 10);
    h.commands = [{ kind: "abort", token: "a2" }];
    h.runUntil((x) => x.status.phase === "RolledBack");
    expect(h.status.engine.userOwnedNewSubsets).toEqual(["reviews"]);
    expect(work(h.log)).not.toContain("subset-:v2");
    expect(work(h.log)).toContain("routes:removed-clean");
  });

  it("aborted after the flip: flips back while weight 100 and the stamps still enrol everyone, removes the stamps, then weight 0", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.status.engine.routes.mode === "flipped" && x.status.engine.stage === "tranquil");
    h.v("reviews", "v1").envoyActive = 1; // hold Draining here
    h.tick();
    const before = h.log.length;
    h.commands = [{ kind: "abort", token: "late" }];
    h.runUntil((x) => x.status.phase === "RolledBack");
    const w = work(h.log.slice(before));
    // The stamps go only once the flip back is confirmed, and before weight 0 (ADR 0090).
    expect(w.slice(0, 3)).toEqual(["routes:doorOpen+stamps", "routes:doorOpen", "weight:0"]);
    expect(w).toContain("scale:v2=0");
  });

  it("does not flip back while a gateway's records lag (it may be failing open)", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.status.engine.routes.mode === "flipped" && x.status.engine.stage === "tranquil");
    h.v("reviews", "v1").envoyActive = 1;
    h.tick();
    const before = h.log.length;
    h.pod("gw-1").dirty = true;
    h.commands = [{ kind: "abort", token: "late" }];
    for (let i = 0; i < 10; i++) h.tick();
    expect(work(h.log.slice(before))).toEqual([]);
    expect(h.condition("Waiting")).toMatchObject({ reason: "DirtyPods" });
    h.pod("gw-1").dirty = false;
    h.runUntil((x) => x.status.phase === "RolledBack");
    expect(work(h.log.slice(before)).slice(0, 3)).toEqual([
      "routes:doorOpen+stamps",
      "routes:doorOpen",
      "weight:0",
    ]);
  });

  it("waits until no proxy lists new before removing its routes and subset", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.status.phase === "Shifting");
    h.commands = [{ kind: "abort", token: "a" }];
    h.runUntil((x) => x.log.some((a) => a.kind === "scaleVersion"));
    h.v("reviews", "v2").listedAt = 1;
    for (let i = 0; i < 10; i++) h.tick();
    expect(h.condition("Waiting")).toMatchObject({ reason: "NewEndpointsListed" });
    expect(h.log.some((a) => a.kind === "removeSubset")).toBe(false);
    h.v("reviews", "v2").listedAt = 0;
    h.runUntil((x) => x.status.phase === "RolledBack");
  });

  it("aborted before new started: removes only what was written", () => {
    const h = new Harness(specFor());
    h.addPod("lagging", "sidecar").frozen = true;
    h.runUntil((x) => x.status.configEpoch === 1);
    h.commands = [{ kind: "abort", token: "a" }];
    h.pod("lagging").frozen = false;
    h.runUntil((x) => x.status.phase === "RolledBack");
    const w = work(h.log);
    expect(w).not.toContain("start:v2");
    expect(w).not.toContain("scale:v2=0");
    expect(w).not.toContain("subset-:v2");
    expect(w.slice(-2)).toEqual(["routes:removed", "routes:removed-clean"]);
  });

  it("refuses abort once Finalizing has begun, and completes", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.log.some((a) => a.kind === "scaleVersion"));
    h.v("reviews", "v1").listedAt = 1;
    h.runUntil((x) => x.status.engine.stage === "oldEndpointsGone");
    h.commands = [{ kind: "abort", token: "too-late" }];
    h.tick();
    expect(h.status.phase).toBe("Finalizing");
    expect(h.condition("CommandRefused")).toMatchObject({ status: "True", reason: "AbortRefused" });
    expect(h.condition("CommandRefused")?.message).toMatch(/Finalizing has begun/);
    expect(h.condition("Waiting")).toMatchObject({ reason: "OldEndpointsListed" });
    h.v("reviews", "v1").listedAt = 0;
    h.runUntil((x) => x.status.phase === "Succeeded");
  });
});

describe("decide(): Finalizing", () => {
  it("rewrites user routes only after no proxy lists old, then removes the old subset", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.log.some((a) => a.kind === "scaleVersion"));
    h.v("reviews", "v1").listedAt = 2;
    for (let i = 0; i < 10; i++) h.tick();
    expect(h.status.engine.routes.mode).toBe("flipped");
    h.v("reviews", "v1").listedAt = 0;
    h.runUntil((x) => x.status.phase === "Succeeded");
    expect(work(h.log).slice(-4)).toEqual([
      "scale:v1=0",
      "routes:finalized",
      "subset-:v1",
      "routes:finalized-clean",
    ]);
  });

  it("does not count old as gone while a proxy's report is stale", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.log.some((a) => a.kind === "scaleVersion"));
    h.pod("reviews-v1-a").heartbeatAgeMs = 60_000;
    for (let i = 0; i < 10; i++) h.tick();
    expect(h.status.engine.stage).toBe("oldEndpointsGone");
    expect(h.condition("Waiting")?.message).toMatch(/reviews-v1-a \(stale report\)/);
    h.pod("reviews-v1-a").heartbeatAgeMs = 0;
    h.runUntil((x) => x.status.phase === "Succeeded");
  });

  it("deletes old instead of scaling it when the policy says so", () => {
    const h = new Harness(specFor(), { ...new Harness(specFor()).settings, oldVersionPolicy: "delete" });
    h.runUntil((x) => x.status.phase === "Succeeded");
    expect(h.log.filter((a) => a.kind === "deleteVersion")).toMatchObject([
      { service: "reviews", version: "v1" },
    ]);
  });

  it("records the originals the reconciler reports for the user-route edit", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.status.engine.routes.mode === "finalized");
    const write = h.log.filter((a) => a.kind === "writeRoutes").at(-1)!;
    const original = {
      namespace: "default",
      virtualService: "reviews",
      route: "main",
      destinationIndex: 0,
      host: "reviews",
      subset: "v1",
    };
    h.results[write.key] = { ok: true, recorded: [original] };
    h.tick();
    expect(h.status.engine.originals).toEqual([original]);
    // A later write that reads them back from the VirtualService's annotation reports them
    // again (a re-executed write does, too): the status keeps one of each.
    h.runUntil((x) => x.log.filter((a) => a.kind === "writeRoutes").at(-1)?.key !== write.key);
    const later = h.log.filter((a) => a.kind === "writeRoutes").at(-1)!;
    h.results[later.key] = { ok: true, recorded: [original, { ...original, destinationIndex: 1 }] };
    h.tick();
    expect(h.status.engine.originals).toEqual([original, { ...original, destinationIndex: 1 }]);
  });
});
