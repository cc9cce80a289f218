import { describe, expect, it } from "vitest";
import { decide } from "./decide.js";
import { Harness, specFor } from "./testing/harness.js";
import { initialStatus } from "./status.js";
import type { Action } from "./types.js";

/** A compact description of an action for order assertions. */
function brief(a: Action): string {
  switch (a.kind) {
    case "writeRoutes":
      return `routes:${a.intent.mode}${a.intent.sentinel ? "" : "-clean"}${a.intent.stamps === true ? "+stamps" : ""}${a.intent.pins.length > 0 ? `+${a.intent.pins.length}pins` : ""}@e${a.epoch}`;
    case "setWeight":
      return `weight:${a.weight}`;
    case "ensureSubset":
      return `subset+:${a.service}@${a.version}`;
    case "removeSubset":
      return `subset-:${a.service}@${a.version}`;
    case "ensureVersion":
      return `start:${a.service}@${a.version}`;
    case "scaleVersion":
      return `scale:${a.service}@${a.version}=${a.replicas}`;
    case "deleteVersion":
      return `delete:${a.service}@${a.version}`;
    case "declareLost":
      return `lost:${a.ids.length}`;
    case "recordEvent":
      return `event:${a.reason}`;
    case "callWebhook":
      return `webhook:${a.hookType}:${a.webhook}`;
  }
}

const work = (actions: readonly Action[]): string[] =>
  actions.filter((a) => a.kind !== "recordEvent").map(brief);

describe("decide(): the whole lifecycle", () => {
  it("takes one service from Validating to Succeeded in the order of DESIGN §4", () => {
    const h = new Harness(specFor());
    const phases: string[] = [];
    const all: Action[] = [];
    for (let i = 0; i < 400 && h.status.phase !== "Succeeded"; i++) {
      all.push(...h.tick());
      if (phases.at(-1) !== h.status.phase) phases.push(h.status.phase);
    }
    expect(phases).toEqual(["Preparing", "Shifting", "Draining", "Finalizing", "Succeeded"]);
    expect(work(all)).toEqual([
      "subset+:reviews@v1",
      "routes:held@e1",
      "start:reviews@v2",
      "subset+:reviews@v2",
      "routes:doorOpen@e2",
      "weight:10",
      "weight:50",
      // The gateway stamps before weight 100 (ADR 0090), kept through the flip.
      "routes:doorOpen+stamps@e3",
      "weight:100",
      "routes:flipped+stamps@e4",
      "scale:reviews@v1=0",
      "routes:finalized@e5",
      "subset-:reviews@v1",
      "routes:finalized-clean@e6",
    ]);
    expect(h.status.weight).toBe(100);
    h.tick(); // the last event is acknowledged on the next tick
    expect(h.status.engine.pending).toEqual([]);
    expect(h.condition("Waiting")).toMatchObject({ status: "False", reason: "Done" });
  });

  it("moves a release train together: every member is held, started, flipped and removed", () => {
    const h = new Harness(specFor(["reviews", "ratings"]));
    const all = h.runUntil((x) => x.status.phase === "Succeeded");
    const w = work(all);
    for (const svc of ["reviews", "ratings"]) {
      for (const step of [
        `subset+:${svc}@v1`,
        `start:${svc}@v2`,
        `subset+:${svc}@v2`,
        `scale:${svc}@v1=0`,
        `subset-:${svc}@v1`,
      ]) {
        expect(w).toContain(step);
      }
    }
    // One routes write covers every member: the epochs do not multiply with the train.
    expect(w.filter((x) => x.startsWith("routes:"))).toHaveLength(6);
    expect(w.indexOf("start:ratings@v2")).toBeGreaterThan(w.indexOf("routes:held@e1"));
    expect(w.indexOf("start:reviews@v2")).toBeGreaterThan(w.indexOf("routes:held@e1"));
  });

  it("is pure: the same inputs give the same status and actions", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.status.phase === "Shifting");
    const obs = h.observations();
    const a = decide(h.spec, h.status, obs, h.now + 1000);
    const b = decide(h.spec, h.status, obs, h.now + 1000);
    expect(b).toEqual(a);
  });

  it("never issues an action key twice over a whole upgrade", () => {
    const h = new Harness(specFor(["reviews", "ratings"]));
    const all = h.runUntil((x) => x.status.phase === "Succeeded");
    const keys = all.map((a) => a.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("starts from a fresh status in Validating with nothing applied", () => {
    const s = initialStatus(0);
    expect(s.phase).toBe("Validating");
    expect(s.engine.routes.mode).toBe("none");
    expect(s.step).toBe(-1);
  });
});
