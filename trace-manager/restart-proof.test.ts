import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startTestRedis, type TestRedis } from "../test/support/redis-server.js";
import { bundleSidecar } from "./bundle.js";
import { SIDECAR_NODE_ENV, SIDECAR_NODE_FLAGS } from "./node-flags.js";
import { RedisTraceStore } from "./store/redis.js";
import type { PodReport } from "./store/port.js";
import { openCheckClient } from "./testing/check-client.js";
import { checkRequest } from "./testing/envoy-messages.js";
import { eventually, newTxnId } from "./testing/harness.js";
import { fakeEnvoyAdmin, type FakeEnvoyState } from "./testing/fake-envoy-admin.js";
import { runTraceManager } from "./testing/tm-process.js";

const POD = "reviews-v1-0";
const MAX_AGE_MS = 4_000;

/**
 * G4 across a TraceManager's death: one killed with -9 while it buffered during a Redis outage
 * loses what it buffered; its successor must not certify those records. Graded from the store, as
 * the controller reads it, with Envoy's own counters as the only witness of the lost Checks.
 */
describe("a TraceManager that replaces one killed while it buffered", () => {
  let dir: string;
  let bundle: string;
  let redis: TestRedis;
  let store: RedisTraceStore;
  let envoy: Server;
  const counters: FakeEnvoyState = { ok: 0, failOpen: 0, dropped: 0, down: false, epoch: null };
  const running: { kill: (s: NodeJS.Signals) => void }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tm-restart-"));
    [bundle = ""] = await bundleSidecar(join(dir, "pod"));
    // Persistent (every write fsynced), so a Redis restart itself loses nothing.
    redis = await startTestRedis({ args: ["--appendonly", "yes", "--appendfsync", "always"] });
    store = new RedisTraceStore({ redis: redis.url, readyWaitMs: 500 });
    envoy = fakeEnvoyAdmin(counters);
    await new Promise<void>((r) => envoy.listen(0, "127.0.0.1", r));
  }, 60_000);
  afterAll(async () => {
    for (const p of running) p.kill("SIGKILL");
    await store.close();
    await redis.stop();
    await new Promise((r) => envoy.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  async function startTm(): Promise<{
    kill: (s: NodeJS.Signals) => void;
    exit: Promise<number | null>;
    socket: string;
    startedAt: number;
  }> {
    const socket = join(dir, `tm-${running.length}.sock`);
    const adminPort = await freePort();
    const startedAt = Date.now();
    const proc = runTraceManager(
      {
        ...SIDECAR_NODE_ENV,
        TM_ROLE: "sidecar",
        TM_SERVICE: "reviews",
        TM_VERSION: "v1",
        POD_NAME: POD,
        TM_SOCKET: socket,
        TM_ADMIN_HOST: "127.0.0.1",
        TM_ADMIN_PORT: String(adminPort),
        TM_STORE: redis.url,
        TM_ENVOY_ADMIN_URL: `http://127.0.0.1:${(envoy.address() as AddressInfo).port}`,
        TM_HEARTBEAT_MS: "200",
        TM_WATERMARK_LAG_MS: "0",
        TM_DIRTY_HOLD_MS: "200",
        TM_MAX_TRANSACTION_AGE_MS: String(MAX_AGE_MS),
        TM_LOG_LEVEL: "warn",
      },
      { file: process.execPath, args: [...SIDECAR_NODE_FLAGS, bundle], cwd: join(dir, "pod") },
    );
    running.push(proc);
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`).catch(() => null))?.status === 200,
      30_000,
      100,
    );
    return { ...proc, socket, startedAt };
  }

  /** Sends Checks as Envoy would, counting each answered one in Envoy's `ext_authz.ok`. */
  async function checks(socket: string, n: number): Promise<void> {
    const client = openCheckClient(socket);
    try {
      const replies = await Promise.all(
        Array.from({ length: n }, () => client.check(checkRequest({ requestId: newTxnId() }))),
      );
      for (const r of replies) if (r.http_response === "ok_response") counters.ok += 1;
    } finally {
      client.close();
    }
  }

  /** The pod's report in the store once `accept` holds for it. */
  async function reportWhen(accept: (r: PodReport) => boolean, timeoutMs: number): Promise<PodReport> {
    let found: PodReport | undefined;
    await eventually(
      async () => {
        const r = (await store.pods().catch(() => [])).find((p) => p.pod === POD);
        if (r !== undefined && accept(r)) found = r;
        return found !== undefined;
      },
      timeoutMs,
      50,
    );
    if (found === undefined) throw new Error("unreachable");
    return found;
  }

  it("starts dirty for maxTransactionAge, then clean; a graceful successor with no Check between starts clean", async () => {
    const first = await startTm();
    await checks(first.socket, 20);
    await reportWhen((r) => !r.dirty && r.envoy?.extAuthz.ok === 20, 10_000);

    await redis.kill();
    await checks(first.socket, 45); // answered OK after the budget; buffered in the TraceManager
    first.kill("SIGKILL");
    await first.exit;
    await redis.start();
    // The 45 starts died with the process: the store has only the first 20.
    await eventually(
      async () => (await store.activeAt("reviews", "v1").catch(() => null))?.calls === 20,
      10_000,
      100,
    );

    const second = await startTm();
    const dirty = await reportWhen((r) => r.heartbeatAt >= second.startedAt, 15_000);
    expect(dirty.dirty).toBe(true);
    expect(dirty.dirtyReasons).toContain("restart-unproven");
    expect(dirty.heldUntil).toBeGreaterThanOrEqual(second.startedAt + MAX_AGE_MS);
    const clean = await reportWhen((r) => r.heartbeatAt >= second.startedAt && !r.dirty, MAX_AGE_MS + 10_000);
    expect(clean.heartbeatAt - second.startedAt).toBeGreaterThanOrEqual(MAX_AGE_MS);

    // A graceful stop certifies what it flushed; no Check comes before the next start.
    second.kill("SIGTERM");
    expect(await second.exit).toBe(0);
    const third = await startTm();
    const next = await reportWhen((r) => r.heartbeatAt >= third.startedAt, 15_000);
    expect(next.dirtyReasons).toEqual([]);
    third.kill("SIGTERM");
    expect(await third.exit).toBe(0);
  }, 90_000);
});
