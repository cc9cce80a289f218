/**
 * Leader election on the real API server, with the controller's own ServiceAccount (the RBAC
 * the install ships): one leader at a time (sampled every 5 ms), a graceful handover within a
 * retry period, a killed leader (SIGKILL of its process) replaced within leaseDuration +
 * retryPeriod and never before a full lease after its last renewal, and a leader cut off from
 * the API (partitioned, or refused) that stops at its renew deadline, before the standby may
 * take over. Each test has its own Lease.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { CoordinationV1Api, KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startKubeTestEnv, type KubeTestEnv } from "../../../test/cluster/support/kube-test-env.js";
import { controllerKubeConfig } from "../../../test/cluster/support/service-account.js";
import { LeaseElector } from "./lease-election.js";
import {
  captureLogger,
  lastRenewalStart,
  sampleLeaders,
  spawnElector,
  startCuttableProxy,
  type ElectorProcess,
  type LogLine,
} from "./testing/election-probe.js";

const L = 5_000;
const D = 3_000;
const R = 1_000;
const TIMINGS = { leaseDurationMs: L, renewDeadlineMs: D, retryPeriodMs: R };
/** Allowance for API round trips and timers on a shared two-core machine. */
const LATENCY_MS = 750;
const NS = "tranquil-system";

interface Candidate {
  readonly elector: LeaseElector;
  readonly lines: LogLine[];
  readonly startTimes: number[];
  readonly stopTimes: number[];
  readonly signals: AbortSignal[];
  /** Resolves with the wall time this candidate first started leading. */
  readonly started: Promise<number>;
  /** Resolves with the wall time it first stopped leading. */
  readonly stopped: Promise<number>;
}

describe("leader election on a coordination.k8s.io Lease", { timeout: 60_000 }, () => {
  let env: KubeTestEnv;
  let saKc: KubeConfig;
  let token: string;
  let leases: CoordinationV1Api;
  const running: LeaseElector[] = [];
  const children: ElectorProcess[] = [];

  beforeAll(async () => {
    env = await startKubeTestEnv({ crds: false });
    saKc = await controllerKubeConfig(env.kc);
    token = saKc.getCurrentUser()?.token ?? "";
    leases = env.kc.makeApiClient(CoordinationV1Api);
  }, 120_000);
  afterEach(async () => {
    await Promise.all(running.splice(0).map((e) => e.release()));
    await Promise.all(children.splice(0).map((c) => c.kill()));
  });
  afterAll(async () => {
    await env?.stop();
  });

  /** A KubeConfig as the ServiceAccount, to `server` (the API server or a proxy in front of it). */
  const kcFor = (server: string): KubeConfig => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server, caData: Buffer.from(env.cp.caPem).toString("base64") }],
      users: [{ name: "u", token }],
      contexts: [{ name: "ctx", cluster: "c", user: "u" }],
      currentContext: "ctx",
    });
    return kc;
  };

  const candidate = (identity: string, lease: string, kc: KubeConfig = saKc): Candidate => {
    const { logger, lines } = captureLogger();
    const elector = new LeaseElector({ kc, namespace: NS, name: lease, identity, logger, ...TIMINGS });
    running.push(elector);
    const startTimes: number[] = [];
    const stopTimes: number[] = [];
    const signals: AbortSignal[] = [];
    let onStart: (t: number) => void = () => undefined;
    let onStop: (t: number) => void = () => undefined;
    const started = new Promise<number>((resolve) => (onStart = resolve));
    const stopped = new Promise<number>((resolve) => (onStop = resolve));
    elector.run({
      onStarted: (signal) => {
        const now = Date.now();
        startTimes.push(now);
        signals.push(signal);
        onStart(now);
      },
      onStopped: () => {
        const now = Date.now();
        stopTimes.push(now);
        onStop(now);
      },
    });
    return { elector, lines, startTimes, stopTimes, signals, started, stopped };
  };

  const read = (name: string): Promise<V1Lease> => leases.readNamespacedLease({ name, namespace: NS });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("lets one of two electors lead while the other stands by, and keeps the Lease renewed", async () => {
    const a = candidate("replica-a", "one-leader");
    const b = candidate("replica-b", "one-leader");
    const sampler = sampleLeaders({ a: () => a.elector.isLeader(), b: () => b.elector.isLeader() });
    const first = await Promise.race([a.started, b.started]);
    await sleep(3 * R + 200);
    sampler.stop();
    const [leader, standby] = a.elector.isLeader() ? [a, b] : [b, a];
    expect(leader.elector.isLeader()).toBe(true);
    expect(standby.elector.isLeader()).toBe(false);
    expect([leader.startTimes.length, leader.stopTimes.length, standby.startTimes.length]).toEqual([1, 0, 0]);
    expect(leader.lines.filter((l) => l.msg === "renewed the leader Lease").length).toBeGreaterThanOrEqual(2);
    const lease = await read("one-leader");
    expect(lease.spec?.holderIdentity).toBe(leader.elector.identity);
    expect(lease.spec?.leaseDurationSeconds).toBe(L / 1_000);
    expect(lease.spec?.leaseTransitions).toBe(0);
    // client-node hands MicroTime fields back as the server's RFC 3339 strings.
    const renewed = Date.parse(String(lease.spec?.renewTime));
    const acquired = Date.parse(String(lease.spec?.acquireTime));
    expect(String(lease.spec?.renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Date.now() - renewed).toBeLessThan(R + LATENCY_MS);
    expect(acquired).toBeLessThan(renewed);
    expect(acquired).toBeGreaterThanOrEqual(first - LATENCY_MS);
    expect(sampler.overlaps).toEqual([]);
    expect(sampler.samples()).toBeGreaterThan(200);
  });

  it("hands the Lease over within about one retry period on a graceful release, counting a transition", async () => {
    const a = candidate("replica-a", "released");
    await a.started;
    const b = candidate("replica-b", "released");
    const sampler = sampleLeaders({ a: () => a.elector.isLeader(), b: () => b.elector.isLeader() });
    await sleep(R + 200);
    expect(b.elector.isLeader()).toBe(false);
    const before = (await read("released")).spec?.leaseTransitions ?? -1;
    await a.elector.release();
    const releasedAt = Date.now();
    expect((await read("released")).spec?.holderIdentity ?? "").toBe("");
    const takenAt = await b.started;
    sampler.stop();
    expect(takenAt - releasedAt).toBeLessThanOrEqual(R + LATENCY_MS);
    expect(a.stopTimes[0]).toBeLessThanOrEqual(releasedAt);
    expect(a.signals[0]?.aborted).toBe(true);
    const after = await read("released");
    expect(after.spec?.holderIdentity).toBe("replica-b");
    expect(after.spec?.leaseTransitions).toBe(before + 1);
    expect(sampler.overlaps).toEqual([]);
  });

  it("replaces a leader killed with SIGKILL within leaseDuration + retryPeriod, never before a full lease", async () => {
    const child = spawnElector({
      server: env.cp.server,
      caPem: env.cp.caPem,
      token,
      namespace: NS,
      name: "killed",
      identity: "killed-replica",
      ...TIMINGS,
    });
    children.push(child);
    await child.waitFor((l) => l["event"] === "started");
    const b = candidate("standby", "killed");
    await sleep(2 * R + 200);
    expect(b.elector.isLeader()).toBe(false);
    const before = await read("killed");
    expect(before.spec?.holderIdentity).toBe("killed-replica");
    await child.kill();
    const killedAt = Date.now();
    const lastRenewal = lastRenewalStart(child.lines) ?? Number.NaN;
    const takenAt = await b.started;
    const takeoverMs = takenAt - killedAt;
    expect(takeoverMs).toBeLessThanOrEqual(L + R + LATENCY_MS);
    // The standby waited a full lease after the last renewal the dead leader could have sent…
    expect(takenAt).toBeGreaterThanOrEqual(lastRenewal + L);
    // …so the dead leader's own rule (stop at its renew deadline) ended its term well before.
    expect(Math.min(killedAt, lastRenewal + D)).toBeLessThan(takenAt);
    const after = await read("killed");
    expect(after.spec?.holderIdentity).toBe("standby");
    expect(after.spec?.leaseTransitions).toBe((before.spec?.leaseTransitions ?? 0) + 1);
  });

  it.each([
    ["partitioned (its requests hang)", "partition"],
    ["refused (the API server's port closed)", "refuse"],
  ] as const)(
    "stops a leader cut off from the API, %s, at its renew deadline, before the standby takes over",
    async (_how, cut) => {
      const lease = `cut-${cut}`;
      const api = new URL(env.cp.server);
      const proxy = await startCuttableProxy(api.hostname, Number(api.port));
      const a = candidate("cut-off", lease, kcFor(proxy.url));
      await a.started;
      const b = candidate("standby", lease);
      const sampler = sampleLeaders({ a: () => a.elector.isLeader(), b: () => b.elector.isLeader() });
      await sleep(R + 500);
      // How late this process's timers ran meanwhile: on a loaded machine the watchdog fires
      // that much late too (isLeader() itself reads the clock, so it is never late).
      const lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      if (cut === "partition") proxy.partition();
      else await proxy.refuse();
      const stoppedAt = await a.stopped;
      lag.disable();
      const lastRenewal = lastRenewalStart(a.lines) ?? Number.NaN;
      expect(a.elector.isLeader()).toBe(false);
      expect(a.signals[0]?.aborted).toBe(true);
      expect(stoppedAt - lastRenewal).toBeGreaterThanOrEqual(D - 20);
      expect(stoppedAt - lastRenewal).toBeLessThanOrEqual(D + 250 + lag.max / 1e6);
      const takenAt = await b.started;
      sampler.stop();
      expect(takenAt).toBeGreaterThan(stoppedAt);
      expect(takenAt).toBeGreaterThanOrEqual(lastRenewal + L);
      expect(sampler.overlaps).toEqual([]);
      const warnings = a.lines.filter((l) => l.msg === "cannot acquire or renew the leader Lease");
      expect(warnings.length).toBeGreaterThan(0);
      if (cut === "refuse") {
        expect(JSON.stringify(warnings[0]?.["err"])).toContain("refused the connection (ECONNREFUSED)");
      }
      expect((await read(lease)).spec?.holderIdentity).toBe("standby");
      if (cut === "partition") await proxy.refuse();
    },
  );
});
