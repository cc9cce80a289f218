import { describe, expect, it } from "vitest";
import { ManualTimers } from "./manual-timers.js";
import { ProxyConfigHolder } from "./proxy-config.js";
import { DelayedPushScheduler } from "./push-scheduler.js";
import type { MeshSnapshot } from "./types.js";

const snap = (epoch: number): MeshSnapshot => ({
  epoch,
  virtualServices: [],
  destinationRules: [],
  gateways: [],
  serviceEntries: [],
  endpoints: [],
});

describe("ProxyConfigHolder (Envoy main thread vs workers)", () => {
  it("the first snapshot applies to admin and routing at once", () => {
    const h = new ProxyConfigHolder({ timers: new ManualTimers() });
    h.deliver(snap(1));
    expect([h.adminSnapshot?.epoch, h.routingSnapshot?.epoch]).toEqual([1, 1]);
  });

  it("the admin view shows a new snapshot before routing uses it (worker lag)", () => {
    const timers = new ManualTimers();
    const h = new ProxyConfigHolder({ timers, random: () => 0.5, workerLag: { minMs: 20, maxMs: 100 } });
    h.deliver(snap(1));
    h.deliver(snap(2));
    expect([h.adminSnapshot?.epoch, h.routingSnapshot?.epoch]).toEqual([2, 1]);
    timers.advance(59);
    expect(h.routingSnapshot?.epoch).toBe(1);
    timers.advance(1);
    expect(h.routingSnapshot?.epoch).toBe(2);
  });

  it("routing never goes backwards when worker lags reorder updates", () => {
    const timers = new ManualTimers();
    const lags = [1, 0]; // epoch 2 lags 100 ms, epoch 3 lags 20 ms
    const h = new ProxyConfigHolder({ timers, random: () => lags.shift() ?? 0 });
    const seen: number[] = [];
    h.deliver(snap(1));
    h.onRoutingUpdate((s) => seen.push(s.epoch));
    h.deliver(snap(2));
    h.deliver(snap(3));
    timers.advance(200);
    expect(seen).toEqual([3]);
    expect(h.routingSnapshot?.epoch).toBe(3);
  });

  it("ignores stale deliveries and resolves whenRoutingEpoch", async () => {
    const timers = new ManualTimers();
    const h = new ProxyConfigHolder({ timers, random: () => 0 });
    h.deliver(snap(5));
    h.deliver(snap(4));
    expect(h.adminSnapshot?.epoch).toBe(5);
    const waiting = h.whenRoutingEpoch(6);
    h.deliver(snap(6));
    timers.advance(20);
    await expect(waiting).resolves.toMatchObject({ epoch: 6 });
  });

  it("with the push scheduler: two proxies see a change at different times, admin before routing", () => {
    const timers = new ManualTimers();
    const draws = [0, 1, 0, 0]; // push: a 50 ms, b 500 ms; worker lags: 20 ms each
    const random = (): number => draws.shift() ?? 0;
    const s = new DelayedPushScheduler({ timers, random });
    const a = new ProxyConfigHolder({ timers, random });
    const b = new ProxyConfigHolder({ timers, random });
    s.push(snap(1));
    s.register("a", a.deliver);
    s.register("b", b.deliver);
    s.push(snap(2));
    const state = (): string =>
      [a, b].map((h) => `${String(h.adminSnapshot?.epoch)}/${String(h.routingSnapshot?.epoch)}`).join(" ");
    expect(state()).toBe("1/1 1/1");
    timers.advance(50);
    expect(state()).toBe("2/1 1/1");
    timers.advance(20);
    expect(state()).toBe("2/2 1/1");
    timers.advance(430);
    expect(state()).toBe("2/2 2/1");
    timers.advance(20);
    expect(state()).toBe("2/2 2/2");
  });
});
