import { describe, expect, it } from "vitest";
import { drawScenario, type ScenarioOverrides } from "../scenario.js";
import { startTraffic } from "./traffic.js";
import { createWorld, type World } from "./world.js";

const quiet: ScenarioOverrides = { outages: [], alsLoss: 0, restartProbability: 0 };

function world(seed: number, overrides: ScenarioOverrides = {}): World {
  return createWorld(drawScenario(seed, { ...quiet, ...overrides }));
}

function touchRoutes(w: World): void {
  const vs = structuredClone(w.config.current().virtualServices[0]!);
  vs.spec.http = [{ ...vs.spec.http![0]!, name: "touched" }];
  expect(w.config.applyVirtualService(vs)).toBe(true);
}

describe("proxies", () => {
  it("receive each push after their own delay; the admin view leads routing; the laggard trails", () => {
    const w = world(3, { laggardExtraMs: 2_000 });
    w.queue.runUntil(1_000);
    touchRoutes(w);
    const version = w.config.version;
    const adminAt = new Map<string, number>();
    const routingAt = new Map<string, number>();
    for (let t = 1_000; t <= 8_000; t += 5) {
      w.queue.runUntil(t);
      for (const p of w.liveProxies()) {
        if (p.proxy.adminVersion === version && !adminAt.has(p.id)) adminAt.set(p.id, t);
        if (p.proxy.routingVersion === version && !routingAt.has(p.id)) routingAt.set(p.id, t);
        expect(p.proxy.routingVersion).toBeLessThanOrEqual(p.proxy.adminVersion);
      }
    }
    const proxies = w.liveProxies();
    expect(adminAt.size).toBe(proxies.length);
    expect(routingAt.size).toBe(proxies.length);
    const delays = [...adminAt.values()].map((t) => t - 1_000);
    expect(new Set(delays).size).toBeGreaterThan(1);
    expect(Math.max(...delays)).toBeLessThanOrEqual(w.scenario.push.cap + 2_000 + 5);
    const laggard = proxies.find((p) => p.proxy.laggard);
    if (laggard !== undefined) expect(adminAt.get(laggard.id)! - 1_000).toBeGreaterThanOrEqual(2_000);
  });

  it("writing an unchanged object is no push (idempotent writes)", () => {
    const w = world(4);
    const vs = w.config.current().virtualServices[0]!;
    const before = w.config.version;
    expect(w.config.applyVirtualService(structuredClone(vs))).toBe(false);
    expect(w.config.version).toBe(before);
  });
});

describe("workloads and endpoints", () => {
  it("new pods become Ready, then proxies list them late; removed pods linger, then vanish", () => {
    const w = world(5, { startupMs: { min: 1_000, max: 1_000 } });
    const svc = w.scenario.services[0]!;
    expect(w.ensureDeployment(svc, "v2", 1)).toBe(true);
    expect(w.ensureDeployment(svc, "v2", 1)).toBe(false);
    const pod = w.pods.find((p) => p.service === svc && p.version === "v2")!;
    w.queue.runUntil(999);
    expect(pod.state).toBe("starting");
    w.queue.runUntil(1_000);
    expect(pod.state).toBe("ready");
    const listing = (): number => w.liveProxies().filter((p) => p.proxy.endpoints.has(pod)).length;
    expect(listing()).toBeLessThan(w.liveProxies().length);
    w.queue.runUntil(1_000 + w.scenario.endpointLag.cap + 1);
    expect(listing()).toBe(w.liveProxies().length);

    expect(w.scale(svc, "v1", 0)).toBe(true);
    expect(w.truth.oldRemovalStartedAt).toBe(w.queue.now);
    const old = w.pods.filter((p) => p.service === svc && p.version === "v1");
    expect(old.every((p) => p.state === "terminating")).toBe(true);
    w.queue.runUntil(w.queue.now + w.scenario.endpointLag.cap + w.scenario.exitAfterMs + 1);
    expect(old.every((p) => p.state === "gone")).toBe(true);
    for (const p of w.liveProxies()) for (const o of old) expect(p.proxy.endpoints.has(o)).toBe(false);
  });
});

describe("TraceManagers", () => {
  it("certify a watermark at each heartbeat, freeze it while dirty, and resume once reconciled", () => {
    const w = world(6, { outages: [{ podIndex: 0, at: 3_000, durationMs: 2_500, gateway: false }] });
    startTraffic(w, () => 20_000);
    const pod = w.liveProxies().find((p) => p.role === "sidecar")!;
    w.queue.runUntil(2_900);
    const before = w.store.reports.get(pod.id)!;
    expect(before.dirty).toBe(false);
    expect(before.watermark).toBe(before.at);
    w.queue.runUntil(5_400);
    expect(pod.tm.dirty).toBe(true);
    // No heartbeat while the TraceManager is down: its last report is stale, not newer.
    expect(w.store.reports.get(pod.id)!.at).toBeLessThan(3_000);
    let cleanAgainAt: number | null = null;
    for (let t = 5_500; t <= 40_000 && cleanAgainAt === null; t += 100) {
      w.queue.runUntil(t);
      const r = w.store.reports.get(pod.id)!;
      if (r.at > 5_500 && !r.dirty) cleanAgainAt = r.at;
      else if (r.at > 5_500) expect(r.watermark).toBeLessThanOrEqual(before.at + w.scenario.heartbeatMs);
    }
    expect(cleanAgainAt).not.toBeNull();
    expect(w.store.reports.get(pod.id)!.watermark).toBe(cleanAgainAt);
    expect(w.truth.dirtyIntervals.length).toBeGreaterThan(0);
  });

  it("gateways apply a published weight after their cache interval and report its version", () => {
    const w = world(7);
    w.queue.runUntil(2_000);
    expect(w.publishWeight(30, 1)).toBe(true);
    expect(w.publishWeight(30, 1)).toBe(false);
    w.queue.runUntil(2_000 + w.scenario.weightCacheMs);
    for (const g of w.gateways) expect(g.tm.weight).toBe(30);
    w.queue.runUntil(2_000 + w.scenario.weightCacheMs + w.scenario.heartbeatMs);
    for (const g of w.gateways) expect(w.store.reports.get(g.id)!.weightVersion).toBe(1);
  });
});

describe("traffic", () => {
  it("flows on old without failures while nobody changes anything", () => {
    const w = world(8);
    startTraffic(w, () => 20_000);
    w.queue.runUntil(40_000);
    const t = w.truth;
    expect(t.txns.size).toBeGreaterThan(20);
    expect(t.failures).toEqual({ NR: 0, NC: 0, UH: 0, URX: 0, DR: 0, RESET: 0 });
    expect(t.mixedIngress + t.mixedBypass).toBe(0);
    for (const txn of t.txns.values())
      for (const vs of txn.versions.values()) expect([...vs]).toEqual(["v1"]);
    // Every call ended, and the trace store recorded every end (no loss configured).
    expect(w.inFlight.size).toBe(0);
    for (const active of w.store.activeByVersion.values()) expect(active.size).toBe(0);
  });
});
