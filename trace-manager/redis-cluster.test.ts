import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { startTestCluster, type TestCluster } from "../test/support/redis-cluster.js";
import { RedisTraceStore } from "./store/redis.js";
import { RedisKeys } from "./store/redis-keys.js";
import type { PodReport } from "./store/port.js";
import { startHarness, eventually, newTxnId, type Harness } from "./testing/harness.js";
import { checkRequest } from "./testing/envoy-messages.js";
import { expectLossHeld, lossReported, reportTrail } from "./testing/failover-grading.js";

const MAX_AGE_MS = 5_000;
const UPGRADE = "up-cluster";
const KEYS = new RedisKeys("tq");

/**
 * TraceManagers of three services, each on another master of a Redis Cluster, and a gateway,
 * sharing one store client (so registrations and batches carry several services), graded from a
 * second client as the controller reads the pods' reports (ADR 0092). Then the master of one
 * service's slot is killed mid-traffic: its replica is promoted, the TraceManagers follow it, and
 * the loss window is never certified away.
 */
describe("TraceManagers on a Redis Cluster", () => {
  let cluster: TestCluster;
  let store: RedisTraceStore;
  let reader: RedisTraceStore;
  let services: string[];
  const sidecars = new Map<string, Harness>();
  let gateway: Harness;

  beforeAll(async () => {
    cluster = await startTestCluster();
    const byMaster = new Map<number, string>();
    for (const name of [
      "reviews",
      "ratings",
      "details",
      "productpage",
      "catalog",
      "orders",
      "payments",
      "cart",
    ]) {
      const port = await cluster.masterOf(KEYS.callIndex(name));
      if (!byMaster.has(port)) byMaster.set(port, name);
    }
    services = [...byMaster.values()];
    store = new RedisTraceStore({ redis: cluster.url, readyWaitMs: 500, maxTransactionAgeMs: MAX_AGE_MS });
    reader = new RedisTraceStore({ redis: cluster.url, readyWaitMs: 500, maxTransactionAgeMs: MAX_AGE_MS });
    await reader.putUpgrade({ id: UPGRADE, hosts: services, weight: 50, watchEpochs: false, at: Date.now() });
    const timings = {
      heartbeatMs: 200,
      watermarkLagMs: 0,
      dirtyHoldMs: 200,
      maxTransactionAgeMs: MAX_AGE_MS,
    };
    for (const service of services)
      sidecars.set(
        service,
        await startHarness({ ...timings, service, version: "v1", pod: `${service}-v1-0` }, { store }),
      );
    gateway = await startHarness(
      {
        ...timings,
        role: "gateway",
        service: "ingressgateway",
        version: "gateway",
        pod: "gw-0",
        weightCacheMs: 50,
      },
      { store },
    );
  }, 90_000);
  afterAll(async () => {
    for (const h of sidecars.values()) await h.close();
    await gateway?.close();
    await store?.close();
    await reader?.close();
    await cluster?.stop();
  }, 60_000);

  const reportOf = async (pod: string): Promise<PodReport | undefined> =>
    (await reader.pods().catch(() => [])).find((p) => p.pod === pod);
  const active = async (service: string): Promise<number> =>
    (await reader.activeAt(service, "v1").catch(() => null))?.calls ?? 0;

  /** Checks on every sidecar and the gateway until stopped; counts the answered ones. */
  function traffic(): { stop(): Promise<void>; answered(): number } {
    let running = true;
    let answered = 0;
    const all = [...sidecars.values(), gateway];
    const loop = (async () => {
      while (running) {
        await Promise.all(
          all.map(async (h) => {
            const r = await h.check(checkRequest({ requestId: newTxnId() })).catch(() => undefined);
            if (r?.http_response === "ok_response") answered += 1;
          }),
        );
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
      },
      answered: () => answered,
    };
  }

  it("writes the calls of services on three masters and a gateway's ingress, and reports every pod clean", async () => {
    expect(services).toHaveLength(3);
    const t = traffic();
    try {
      await eventually(async () => {
        for (const s of services) if ((await active(s)) === 0) return false;
        const ingress = await reader.ingress(UPGRADE).catch(() => null);
        return (ingress?.enrolledInFlight ?? 0) > 0 && (ingress?.nonEnrolledInFlight ?? 0) > 0;
      }, 15_000);
      await eventually(async () => {
        for (const pod of [...services.map((s) => `${s}-v1-0`), "gw-0"])
          if ((await reportOf(pod))?.dirty !== false) return false;
        return true;
      }, 15_000);
    } finally {
      await t.stop();
    }
    expect(t.answered()).toBeGreaterThan(0);
  }, 60_000);

  it("follows the promoted replica when a service's master dies, and stays dirty for maxTransactionAge", async () => {
    const [victim = ""] = services;
    const pod = `${victim}-v1-0`;
    const trail = reportTrail(reader, pod);
    const report = () => trail.report();
    const t = traffic();
    try {
      await eventually(async () => (await report())?.dirty === false && t.answered() > 50, 15_000, 50);
      const oldPort = await cluster.killMasterOf(KEYS.callIndex(victim));
      const killedAt = Date.now();
      const newPort = await cluster.waitForFailover(KEYS.callIndex(victim), oldPort, 30_000);
      expect(newPort).not.toBe(oldPort);

      // The TraceManager follows: new reports, and new records of the victim on the promoted replica.
      const activeBefore = await active(victim);
      await eventually(async () => ((await report())?.heartbeatAt ?? 0) > killedAt, 30_000, 50);
      await eventually(async () => (await active(victim)) > activeBefore, 15_000, 100);
      const lossAt = await lossReported(trail);
      await expectLossHeld(trail, killedAt, lossAt, MAX_AGE_MS, () => t.stop());
    } finally {
      await t.stop();
    }
  }, 120_000);
});
