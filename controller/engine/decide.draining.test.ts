import { describe, expect, it } from "vitest";
import { Harness, specFor, TEST_SETTINGS } from "./testing/harness.js";
import { makeSettings } from "./settings.js";
import type { WriteRoutesAction } from "./types.js";

const UUID = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

const routeWrites = (h: Harness): WriteRoutesAction[] =>
  h.log.filter((a): a is WriteRoutesAction => a.kind === "writeRoutes");

/** A harness that has just reached Draining (cutover confirmed). */
function atCutover(services: string[] = ["reviews"], settings = TEST_SETTINGS): Harness {
  const h = new Harness(specFor(services), settings);
  h.runUntil((x) => x.status.phase === "Draining");
  return h;
}

/** Make a bypass transaction active at old. */
function bypass(h: Harness, id: string, service = "reviews"): void {
  h.transactions.push({ id, startedAt: h.now, lastSeenAt: h.now, activeCallsAtOld: 1 });
  h.v(service, "v1").activeCalls += 1;
  h.v(service, "v1").envoyActive = (h.v(service, "v1").envoyActive ?? 0) + 1;
}

/** End a transaction everywhere. */
function finish(h: Harness, id: string, service = "reviews"): void {
  const i = h.transactions.findIndex((t) => t.id === id);
  if (i < 0) throw new Error(`no transaction ${id}`);
  h.transactions[i] = { ...h.transactions[i]!, activeCallsAtOld: 0, lastSeenAt: h.now };
  h.v(service, "v1").activeCalls -= 1;
  h.v(service, "v1").envoyActive = (h.v(service, "v1").envoyActive ?? 1) - 1;
}

describe("decide(): Draining removes old only when it is tranquil", () => {
  it("waits for every non-enrolled ingress transaction, then the settle window, before pinning or flipping", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.status.phase === "Shifting" && x.status.weight === 50);
    h.ingress.nonEnrolledInFlight = 3;
    h.runUntil((x) => x.status.phase === "Draining");
    for (let i = 0; i < 20; i++) h.tick();
    expect(h.condition("Waiting")).toMatchObject({ reason: "OldIngressInFlight" });
    expect(h.condition("Waiting")?.message).toMatch(/3 non-enrolled/);
    expect(routeWrites(h).at(-1)?.intent.mode).toBe("doorOpen");

    h.ingress.nonEnrolledInFlight = 0;
    const quietAt = h.now;
    h.runUntil((x) => x.status.engine.stage !== "ingressDrain", 20, 250);
    expect(h.now - quietAt).toBeGreaterThanOrEqual(h.settings.settleMs);
  });

  it("waits for every gateway to be clean past the cutover", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.status.phase === "Shifting" && x.status.weight === 50);
    h.pod("gw-1").dirty = true;
    h.runUntil((x) => x.status.phase === "Draining");
    for (let i = 0; i < 20; i++) h.tick();
    expect(h.status.engine.stage).toBe("ingressDrain");
    expect(h.condition("Waiting")).toMatchObject({ reason: "GatewaysNotClean" });
    expect(h.status.dirtyPods).toEqual(["gw-1"]);
    h.pod("gw-1").dirty = false;
    h.runUntil((x) => x.status.phase === "Finalizing");
  });

  it("pins bypass transactions at old before flipping, in every train member's routes", () => {
    const h = atCutover(["reviews", "ratings"]);
    bypass(h, UUID(1), "reviews");
    bypass(h, UUID(2), "ratings");
    h.runUntil((x) => x.status.engine.stage === "flip" || x.status.engine.stage === "stragglers");
    const writes = routeWrites(h);
    const pinWrite = writes.find((w) => w.intent.pins.length > 0);
    expect(pinWrite?.intent).toEqual({
      mode: "doorOpen",
      sentinel: true,
      pins: [UUID(1), UUID(2)],
      stamps: true,
    });
    const flip = writes.find((w) => w.intent.mode === "flipped");
    if (flip !== undefined) expect(flip.epoch).toBeGreaterThan(pinWrite!.epoch);
    expect(h.status.pinned).toBe(2);
    // Old stays until both end and the pins are idle.
    h.runUntil((x) => x.status.engine.stage === "tranquil");
    for (let i = 0; i < 20; i++) h.tick();
    expect(h.status.phase).toBe("Draining");
    expect(h.condition("Waiting")).toMatchObject({ reason: "OldActive" });
    finish(h, UUID(1), "reviews");
    finish(h, UUID(2), "ratings");
    const endedAt = h.now;
    h.runUntil((x) => x.status.phase === "Finalizing");
    expect(h.now - endedAt).toBeGreaterThanOrEqual(h.settings.pinIdleMs);
  });

  it("caps pins and waits above the cap; the flip waits for the overflow to end", () => {
    const h = atCutover(["reviews"], makeSettings({ ...TEST_SETTINGS, pinsCap: 2 }));
    bypass(h, UUID(1));
    bypass(h, UUID(2));
    bypass(h, UUID(3));
    for (let i = 0; i < 30; i++) h.tick();
    expect(h.status.pinned).toBe(2);
    expect(h.status.engine.stage).toBe("pin");
    expect(h.condition("Waiting")).toMatchObject({ reason: "PinsCapped" });
    expect(routeWrites(h).some((w) => w.intent.mode === "flipped")).toBe(false);
    finish(h, UUID(3));
    h.runUntil((x) => routeWrites(x).some((w) => w.intent.mode === "flipped"));
  });

  it("flips after one pin snapshot even while bypass traffic keeps arriving at old", () => {
    const h = atCutover();
    let n = 100;
    bypass(h, UUID(n));
    // A new bypass transaction reaches old on every tick until the flip.
    for (let i = 0; i < 60 && !routeWrites(h).some((w) => w.intent.mode === "flipped"); i++) {
      bypass(h, UUID(++n));
      h.tick();
    }
    expect(routeWrites(h).some((w) => w.intent.mode === "flipped")).toBe(true);
    expect(
      routeWrites(h).filter((w) => w.intent.mode === "doorOpen" && w.intent.pins.length > 0),
    ).toHaveLength(1);
    // Those that arrived after the snapshot are pinned as stragglers after the flip.
    h.runUntil((x) => x.status.engine.stage === "tranquil" || x.status.engine.stragglers > 0);
    h.runUntil((x) => x.status.engine.stage === "tranquil");
    expect(h.status.engine.stragglers).toBeGreaterThan(0);
    expect(h.status.engine.pins.filter((p) => !p.straggler).map((p) => p.id)).toContain(UUID(100));
  });

  it("rate-limits pin writes", () => {
    const h = atCutover(["reviews"], makeSettings({ ...TEST_SETTINGS, pinWriteIntervalMs: 5_000 }));
    bypass(h, UUID(1));
    h.runUntil((x) => x.status.pinned === 1);
    const first = h.now;
    bypass(h, UUID(2));
    h.runUntil((x) => x.status.pinned === 2, 100, 250);
    expect(h.now - first).toBeGreaterThanOrEqual(5_000);
  });

  it("pins and counts a straggler that reached old between the pin snapshot and the confirmed flip", () => {
    const h = atCutover();
    h.runUntil((x) => x.status.engine.stage === "stragglers" || x.status.engine.stage === "tranquil");
    bypass(h, UUID(9));
    h.runUntil((x) => x.status.pinned === 1);
    expect(h.status.engine.stragglers).toBe(1);
    expect(routeWrites(h).at(-1)?.intent).toEqual({
      mode: "flipped",
      sentinel: true,
      pins: [UUID(9)],
      stamps: true,
    });
    finish(h, UUID(9));
    h.runUntil((x) => x.status.phase === "Finalizing");
  });

  it("blocks the flip while a pod is dirty, and says which", () => {
    const h = atCutover();
    h.runUntil((x) => x.status.engine.stage === "pin");
    h.pod("reviews-v1-a").dirty = true;
    for (let i = 0; i < 20; i++) h.tick();
    expect(routeWrites(h).some((w) => w.intent.mode === "flipped")).toBe(false);
    expect(h.condition("Waiting")).toMatchObject({ reason: "DirtyPods" });
    expect(h.condition("Waiting")?.message).toMatch(/reviews-v1-a/);
    h.pod("reviews-v1-a").dirty = false;
    h.runUntil((x) => x.status.phase === "Finalizing");
  });

  it("says when a pod that may have lost records clears by itself (G4, ADR 0085)", () => {
    const h = atCutover();
    h.runUntil((x) => x.status.engine.stage === "pin");
    const pod = h.pod("reviews-v1-a");
    pod.dirty = true;
    pod.dirtyReasons = ["restart-unproven"];
    pod.heldUntil = Date.UTC(2026, 11, 3, 10, 41, 7);
    for (let i = 0; i < 5; i++) h.tick();
    expect(routeWrites(h).some((w) => w.intent.mode === "flipped")).toBe(false);
    expect(h.condition("Waiting")?.message).toMatch(
      /reviews-v1-a: restart-unproven, records admitted before may be missing; clears by itself at 2026-12-03T10:41:07.000Z/,
    );
    pod.dirtyReasons = ["store-may-evict"];
    pod.heldUntil = null;
    h.tick();
    expect(h.condition("Waiting")?.message).toMatch(/set the store's maxmemory-policy to noeviction/);
    pod.dirty = false;
    pod.dirtyReasons = [];
    h.runUntil((x) => x.status.phase === "Finalizing");
  });

  it("does not flip while a gateway's records lag the flip decision (its TraceManager may be failing open)", () => {
    const h = atCutover();
    h.runUntil((x) => x.status.engine.stage === "flip");
    const gw = h.pod("gw-1");
    gw.dirty = true; // the harness stops its watermark, as a silent TraceManager would
    for (let i = 0; i < 10; i++) h.tick();
    expect(routeWrites(h).some((w) => w.intent.mode === "flipped")).toBe(false);
    expect(h.condition("Waiting")?.message).toMatch(/gw-1/);
    gw.dirty = false;
    const cleanAt = h.now;
    h.runUntil((x) => routeWrites(x).some((w) => w.intent.mode === "flipped"), 40, 250);
    // After trouble, the flip waits the settle window past the last troubled moment.
    expect(h.now - cleanAt).toBeGreaterThanOrEqual(h.settings.settleMs - 250);
  });

  it("does not flip while a non-enrolled ingress transaction is in flight", () => {
    const h = atCutover();
    h.runUntil((x) => x.status.engine.stage === "flip");
    h.ingress.nonEnrolledInFlight = 1; // admitted through a fail-open check
    for (let i = 0; i < 10; i++) h.tick();
    expect(routeWrites(h).some((w) => w.intent.mode === "flipped")).toBe(false);
    expect(h.condition("Waiting")).toMatchObject({ reason: "OldIngressInFlight" });
    h.ingress.nonEnrolledInFlight = 0;
    h.runUntil((x) => routeWrites(x).some((w) => w.intent.mode === "flipped"));
  });

  it.each([
    ["Envoy still reports an active request", 1],
    ["Envoy's figure is missing", null],
  ])("is not tranquil while %s, whatever the counters say", (_name, envoy) => {
    const h = atCutover();
    h.runUntil((x) => x.status.engine.stage === "tranquil");
    h.v("reviews", "v1").envoyActive = envoy;
    for (let i = 0; i < 30; i++) h.tick();
    expect(h.status.phase).toBe("Draining");
    expect(h.condition("Waiting")).toMatchObject({ reason: "OldActive" });
    h.v("reviews", "v1").envoyActive = 0;
    h.runUntil((x) => x.status.phase === "Finalizing");
  });

  it("requires quiet over the whole settle window: activity restarts it", () => {
    const h = atCutover();
    h.runUntil((x) => x.status.engine.stage === "tranquil");
    h.tick(1_000);
    h.v("reviews", "v1").envoyActive = 1;
    h.tick(500);
    h.v("reviews", "v1").envoyActive = 0;
    const quietAt = h.now;
    h.runUntil((x) => x.status.phase === "Finalizing", 50, 250);
    expect(h.now - quietAt).toBeGreaterThanOrEqual(h.settings.settleMs);
  });

  it("declares a transaction past maxTransactionAge lost only while old reports no active request", () => {
    const h = atCutover(["reviews"], makeSettings({ ...TEST_SETTINGS, maxTransactionAgeMs: 60_000 }));
    h.transactions.push({
      id: UUID(5),
      startedAt: h.now - 120_000,
      lastSeenAt: h.now - 100_000,
      activeCallsAtOld: 1,
    });
    h.v("reviews", "v1").activeCalls = 1; // the counter leaked: the completion was lost
    h.v("reviews", "v1").envoyActive = 1; // ...but Envoy says a request is active: a long stream
    for (let i = 0; i < 10; i++) h.tick();
    expect(h.status.lostTransactions).toBe(0);
    h.v("reviews", "v1").envoyActive = 0;
    h.tick();
    expect(h.status.lostTransactions).toBe(1);
    const lost = h.log.filter((a) => a.kind === "declareLost");
    expect(lost).toEqual([{ kind: "declareLost", key: "up1:lost:0", ids: [UUID(5)] }]);
    // The store drops the lost record; the counter follows.
    h.v("reviews", "v1").activeCalls = 0;
    h.transactions.length = 0;
    h.runUntil((x) => x.status.phase === "Finalizing");
    expect(h.log.filter((a) => a.kind === "declareLost")).toHaveLength(1);
    // It had been pinned while Envoy showed it active; a lost pin no longer holds old.
    expect(h.status.engine.pins.map((p) => p.id)).toEqual([UUID(5)]);
  });

  it("keeps waiting past the drain timeout with onTimeout: wait, and says so", () => {
    const h = new Harness(specFor(["reviews"], { drain: { timeout: "30s", onTimeout: "wait" } }));
    h.runUntil((x) => x.status.phase === "Draining");
    h.ingress.nonEnrolledInFlight = 1;
    for (let i = 0; i < 80; i++) h.tick();
    expect(h.status.phase).toBe("Draining");
    expect(h.condition("DrainTimeout")).toMatchObject({ status: "True" });
    expect(h.condition("Waiting")).toMatchObject({ reason: "OldIngressInFlight" });
  });

  it("forces past the drain timeout with onTimeout: force, counting what it breaks", () => {
    const h = new Harness(specFor(["reviews"], { drain: { timeout: "30s", onTimeout: "force" } }));
    h.runUntil((x) => x.status.phase === "Draining");
    h.ingress.nonEnrolledInFlight = 2;
    h.runUntil((x) => x.status.phase === "Finalizing", 200);
    expect(h.status.engine.forcedBreaks).toBeGreaterThanOrEqual(2);
    // Routing changes were still confirmed: the flip came before Finalizing.
    expect(routeWrites(h).some((w) => w.intent.mode === "flipped")).toBe(true);
    expect(h.log.some((a) => a.kind === "recordEvent" && a.reason === "DrainForced")).toBe(true);
  });
});
