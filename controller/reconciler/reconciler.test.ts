import pino from "pino";
import { describe, expect, it } from "vitest";
import { initialStatus } from "../engine/status.js";
import type { RoutePlanIntent, UpgradeSpec, UpgradeStatus } from "../engine/types.js";
import { enrolmentId } from "../upgrade-spec/enrolment-id.js";
import { healthyFacts } from "../engine/testing/harness.js";
import { FileUpgradeStore } from "../local/file-upgrade-store.js";
import { pendingCommands, type UpgradeWatcher } from "../ports/upgrade-store.js";
import { delegatingStore } from "../local/testing/delegating-store.js";
import type { Backend, GatheredObservations, UpgradeEventNote, UpgradeRef } from "../ports/index.js";
import { ControllerMetrics } from "../metrics.js";
import { notReadyReasons } from "./readiness.js";
import { Reconciler } from "./reconciler.js";

const spec: UpgradeSpec = { services: [{ name: "auth-service", from: "v1", to: "v2" }] };
const facts = healthyFacts(["auth-service"]);

/** A backend that records every port call, with an observer that reports a healthy v1. */
function recordingBackend(
  calls: string[],
  failEnsureSubset = { times: 0 },
  events: UpgradeEventNote[] = [],
): Backend {
  const observations = (id: string): GatheredObservations => ({
    upgradeId: id,
    validation: facts,
    services: {
      "auth-service": {
        versions: {
          v1: {
            desiredReplicas: 1,
            readyReplicas: 1,
            endpoints: { proxies: 1, healthyAt: 1, listedAt: 1 },
            activeCalls: 0,
            activeTransactions: 0,
            oldestActiveAgeSeconds: 0,
            envoyActive: 0,
            analysis: null,
          },
        },
      },
    },
    pods: [],
    ingress: {
      enrolledInFlight: 0,
      nonEnrolledInFlight: 0,
      lastEnrolledStartAt: null,
      lastNonEnrolledStartAt: null,
    },
    transactions: [],
    prometheus: {},
    violations: 0,
    routes: { epochInTable: null },
  });
  return {
    router: {
      ensureSubset: (_u: UpgradeRef, service: string, version: string) => {
        calls.push(`ensureSubset ${service} ${version}`);
        if (failEnsureSubset.times > 0) {
          failEnsureSubset.times -= 1;
          return Promise.reject(new Error("store unreachable"));
        }
        return Promise.resolve();
      },
      removeSubset: () => Promise.resolve(),
      writeRoutes: (_u: UpgradeRef, epoch: number, intent: RoutePlanIntent) => {
        calls.push(`writeRoutes e${epoch} ${intent.mode}`);
        return Promise.resolve({ recorded: [] });
      },
      epochInTable: () => Promise.resolve(null),
      sentinelGateways: () => Promise.resolve([]),
    },
    workloads: {
      ensureVersion: () => Promise.resolve(),
      scaleVersion: () => Promise.resolve(),
      deleteVersion: () => Promise.resolve(),
      versions: () => Promise.resolve([{ version: "v1", desired: 1, ready: 1 }]),
    },
    observer: {
      observe: (u: UpgradeRef) => Promise.resolve(observations(u.id)),
      declareLost: () => Promise.resolve(),
    },
    enrolment: {
      setWeight: () => Promise.resolve(),
      watch: (id: string) => {
        calls.push(`watch ${id}`);
        return Promise.resolve();
      },
      remove: () => Promise.resolve(),
    },
    events: {
      record: (_key, note) => {
        events.push(note);
        return Promise.resolve();
      },
    },
  };
}

const KEY = { namespace: "default", name: "auth-v2" };
const ID = enrolmentId(KEY.namespace, KEY.name);
const create = (store: FileUpgradeStore) =>
  store.create({ ...KEY, spec, status: initialStatus(0), createdAt: 0 });

const logger = pino({ level: "silent" });

/** Ticks until `done` holds on the stored record (at most `max` ticks). */
async function tickUntil(
  reconciler: Reconciler,
  store: FileUpgradeStore,
  done: (status: UpgradeStatus) => boolean,
  max = 10,
): Promise<UpgradeStatus> {
  for (let i = 0; i < max; i++) {
    const { status } = await store.get({ namespace: "default", name: "auth-v2" });
    if (done(status)) return status;
    await reconciler.trigger(KEY);
  }
  throw new Error("condition not reached");
}

const subsetKey = `${ID}:subset:auth-service:v1`;
const subsetPending = (s: UpgradeStatus): boolean => s.engine.pending.some((a) => a.key === subsetKey);

describe("Reconciler", () => {
  it("persists the status before executing, and acknowledges actions on the next tick", async () => {
    const store = await FileUpgradeStore.open();
    await create(store);
    const calls: string[] = [];
    let now = 1_000;
    const reconciler = new Reconciler({
      store,
      backend: recordingBackend(calls),
      logger,
      clock: () => (now += 100),
    });

    // The tick that issues ensureSubset stores it as pending, then executes it.
    const issued = await tickUntil(reconciler, store, subsetPending);
    expect(issued.phase).toBe("Preparing");
    expect(calls).toEqual([`watch ${ID}`, "ensureSubset auth-service v1"]);

    // The next tick reads the result: acknowledged, and the next routing step (hold old) follows.
    await reconciler.trigger(KEY);
    const acked = await store.get({ namespace: "default", name: "auth-v2" });
    expect(acked.status.engine.acked).toContain(subsetKey);
    expect(subsetPending(acked.status)).toBe(false);
    await tickUntil(reconciler, store, (s) => s.engine.pending.some((a) => a.kind === "writeRoutes"));
    await reconciler.trigger(KEY);
    expect(calls).toContain("writeRoutes e1 held");
    expect(calls.filter((c) => c.startsWith("ensureSubset"))).toHaveLength(1);
  });

  it("re-executes what status lists as pending after a restart, and nothing else", async () => {
    const store = await FileUpgradeStore.open();
    await create(store);
    const calls: string[] = [];
    const backend = recordingBackend(calls);
    await tickUntil(new Reconciler({ store, backend, logger, clock: () => 1_000 }), store, subsetPending);
    // The first process dies before its results are read: a new one starts from the stored status.
    const restarted = new Reconciler({ store, backend, logger, clock: () => 1_500 });
    await restarted.trigger(KEY);
    await restarted.trigger(KEY);
    const subsetCalls = calls.filter((c) => c.startsWith("ensureSubset"));
    // Once by the first process, once more (idempotently) by the restarted one, then acknowledged.
    expect(subsetCalls).toHaveLength(2);
    expect((await store.get({ namespace: "default", name: "auth-v2" })).status.engine.acked).toContain(
      subsetKey,
    );
  });

  it("retries an action that failed transiently, and says why it waits", async () => {
    const store = await FileUpgradeStore.open();
    await create(store);
    const reconciler = new Reconciler({
      store,
      backend: recordingBackend([], { times: 1 }),
      logger,
      clock: () => 1_000,
    });
    const waiting = await tickUntil(reconciler, store, (s) =>
      s.conditions.some((c) => c.type === "Waiting" && c.message.includes("store unreachable")),
    );
    expect(subsetPending(waiting)).toBe(true);
    await tickUntil(reconciler, store, (s) => s.engine.acked.includes(subsetKey));
  });

  it("hands a command annotation to the engine once and acknowledges its token in status", async () => {
    const store = await FileUpgradeStore.open();
    const created = await create(store);
    await store.setCommand(KEY, created.resourceVersion, { kind: "abort", token: "t-1" });
    const events: UpgradeEventNote[] = [];
    const reconciler = new Reconciler({
      store,
      backend: recordingBackend([], { times: 0 }, events),
      logger,
      clock: () => 1_000,
    });
    await reconciler.trigger(KEY);
    const record = await store.get(KEY);
    // The annotation stays (the controller never writes metadata); its token is acknowledged.
    expect(record.commands).toEqual([{ kind: "abort", token: "t-1" }]);
    expect(record.status.engine.handledCommands).toContain("t-1");
    expect(pendingCommands(record)).toEqual([]);
    expect(["RollingBack", "RolledBack"]).toContain(record.status.phase);
    await reconciler.trigger(KEY);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "Warning",
        reason: "PhaseChanged",
        message: expect.stringMatching(/^Validating → Roll(ing|ed)Back: aborted by the user$/) as unknown,
      }),
    );
  });

  it("records phase changes and each new reason to wait as events, not log lines", async () => {
    const store = await FileUpgradeStore.open();
    await create(store);
    const events: UpgradeEventNote[] = [];
    const reconciler = new Reconciler({
      store,
      backend: recordingBackend([], { times: 1 }, events),
      logger,
      clock: () => 1_000,
    });
    await tickUntil(reconciler, store, (s) =>
      s.conditions.some((c) => c.type === "Waiting" && c.message.includes("store unreachable")),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ type: "Normal", reason: "PhaseChanged", message: "Validating → Preparing" }),
    );
    const waits = events.filter((e) => e.reason === "Waiting");
    expect(waits.some((e) => e.message.includes("store unreachable"))).toBe(true);
    // One event per new reason, not one per tick.
    expect(new Set(waits.map((e) => e.message)).size).toBe(waits.length);
  });

  it("reconciles every Upgrade a watch resync lists, without waiting for the interval", async () => {
    const store = await FileUpgradeStore.open();
    await create(store);
    const calls: string[] = [];
    await whileRunning({ store, backend: recordingBackend(calls), intervalMs: 3_600_000 }, async (r) => {
      await eventually(() => calls.includes(`watch ${ID}`));
      expect(r.watchFailure).toBeNull();
    });
  });

  it("reports a failing watch until it resyncs, and keeps ticking on the interval meanwhile", async () => {
    const inner = await FileUpgradeStore.open();
    await create(inner);
    let watcher: UpgradeWatcher | undefined;
    // The file store never fails its watch: this one hands the test the watcher to fail.
    const store = delegatingStore(inner, {
      watch: (w) => {
        watcher = w;
        return () => undefined;
      },
    });
    const calls: string[] = [];
    await whileRunning({ store, backend: recordingBackend(calls), intervalMs: 10 }, async (r) => {
      watcher?.onError?.(new Error("watch closed: 410 Gone"));
      expect(r.watchFailure?.message).toBe("watch closed: 410 Gone");
      await eventually(() => calls.includes(`watch ${ID}`)); // the interval ticked it without the watch
      watcher?.onResync?.(await inner.list());
      expect(r.watchFailure).toBeNull();
    });
  });

  it("keeps an ended upgrade's metric series for the retention, then removes them", async () => {
    const store = await FileUpgradeStore.open();
    const created = await create(store);
    await store.setCommand(KEY, created.resourceVersion, { kind: "abort", token: "t-1" });
    const metrics = new ControllerMetrics();
    let now = 1_000;
    const options = {
      store,
      backend: recordingBackend([]),
      metrics,
      clock: () => now,
      intervalMs: 3_600_000,
      metricsRetentionMs: 60_000,
    };
    await tickUntil(new Reconciler({ ...options, logger }), store, (s) => s.phase === "RolledBack", 20);
    const series = async () =>
      (await metrics.registry.metrics()).split("\n").filter((l) => l.includes('upgrade="auth-v2"'));
    expect((await series()).length).toBeGreaterThan(0);
    now += 61_000;
    // A started reconciler's first pass over the store forgets what ended before the retention.
    await whileRunning(options, () => eventually(async () => (await series()).length === 0));
  });

  it("ends a record without a status as Failed, naming the problem, and goes on with the others", async () => {
    const store = await FileUpgradeStore.open();
    const broken = { namespace: "default", name: "broken" };
    // The record a hand-edited state file or a foreign writer left: no status at all.
    await store.create({ ...broken, spec, status: undefined as unknown as UpgradeStatus, createdAt: 0 });
    await create(store);
    const calls: string[] = [];
    const events: UpgradeEventNote[] = [];
    await whileRunning(
      { store, backend: recordingBackend(calls, { times: 0 }, events), intervalMs: 10 },
      async () => {
        await eventually(async () => (await store.get(broken)).status?.phase === "Failed");
        // The good upgrade is reconciled all the same.
        await eventually(() => calls.includes(`watch ${ID}`));
      },
    );
    const failed = (await store.get(broken)).status;
    const condition = failed.conditions.find((c) => c.type === "Failed");
    expect(condition).toMatchObject({ status: "True", reason: "InvalidRecord" });
    expect(condition?.message).toContain("status: missing");
    expect(failed.engine.pending).toEqual([]);
    // Nothing was executed for the broken record.
    expect(calls).not.toContain(`watch ${enrolmentId("default", "broken")}`);
    expect(events.some((e) => e.reason === "InvalidRecord" && e.message.includes("status: missing"))).toBe(
      true,
    );
    expect((await store.get(KEY)).status.phase).not.toBe("Failed");
  });

  it("ends a record with an unknown phase as Failed, keeping its history", async () => {
    const store = await FileUpgradeStore.open();
    const created = await create(store);
    const odd = { ...created.status, phase: "Sideways" } as unknown as UpgradeStatus;
    await store.updateStatus(KEY, created.resourceVersion, odd);
    await whileRunning({ store, backend: recordingBackend([]), intervalMs: 10 }, async () => {
      await eventually(async () => (await store.get(KEY)).status.phase === "Failed");
    });
    const status = (await store.get(KEY)).status;
    expect(status.history[0]?.message).toBe("upgrade created");
    expect(status.engine.reason).toMatch(/status\.phase: must be one of Validating/);
  });

  it("ends an upgrade whose status is broken while it runs, without stopping the process", async () => {
    const store = await FileUpgradeStore.open();
    await create(store);
    const calls: string[] = [];
    await whileRunning({ store, backend: recordingBackend(calls), intervalMs: 3_600_000 }, async () => {
      await eventually(() => calls.includes(`watch ${ID}`));
      const current = await store.get(KEY);
      // The MODIFIED event carries a record whose status has no engine bookkeeping.
      await store.updateStatus(KEY, current.resourceVersion, {
        phase: "Shifting",
      } as unknown as UpgradeStatus);
      await eventually(async () => (await store.get(KEY)).status.phase === "Failed");
    });
    expect((await store.get(KEY)).status.engine.reason).toMatch(
      /status: must have required property 'weight'/,
    );
  });

  it("retries a failing list of Upgrades with a growing wait, reports it on readiness, and recovers", async () => {
    const inner = await FileUpgradeStore.open();
    await create(inner);
    let failuresLeft = 3;
    const listedAt: number[] = [];
    const store = delegatingStore(inner, {
      list: (namespace) => {
        listedAt.push(Date.now());
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          return Promise.reject(new Error("the state folder is unreadable"));
        }
        return inner.list(namespace);
      },
      // No resync: only the interval's list reaches the upgrade.
      watch: () => () => undefined,
    });
    const calls: string[] = [];
    await whileRunning(
      { store, backend: recordingBackend(calls), intervalMs: 20, maxListBackoffMs: 100 },
      async (r) => {
        await eventually(() => r.listFailure !== null);
        expect(notReadyReasons(r).join()).toMatch(
          /listing Upgrades failed 1 time\(s\) in a row, retrying in .*: the state folder is unreadable/,
        );
        await eventually(() => calls.includes(`watch ${ID}`));
        expect(r.listFailure).toBeNull();
        expect(notReadyReasons(r)).toEqual([]);
      },
    );
    // Waits doubled: 40, 80, then capped at 100 ms (timers fire no earlier than asked).
    const gaps = listedAt.slice(1, 4).map((t, i) => t - (listedAt[i] ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(95);
  });
});

/** Starts a reconciler, runs `body`, and stops it whatever happens. */
async function whileRunning(
  options: Omit<ConstructorParameters<typeof Reconciler>[0], "logger">,
  body: (r: Reconciler) => Promise<void>,
): Promise<void> {
  const reconciler = new Reconciler({ clock: () => 1_000, ...options, logger });
  reconciler.start();
  try {
    await body(reconciler);
  } finally {
    await reconciler.stop();
  }
}

/** Waits until `done` holds (at most a second), then asserts it. */
async function eventually(done: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await done()); i++) await new Promise((r) => setTimeout(r, 10));
  expect(await done()).toBe(true);
}
