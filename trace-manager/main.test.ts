import { describe, it, expect } from "vitest";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startTestRedis } from "../test/support/redis-server.js";
import { bundleSidecar } from "./bundle.js";
import { SIDECAR_NODE_ENV, SIDECAR_NODE_FLAGS } from "./node-flags.js";
import { openCheckClient } from "./testing/check-client.js";
import { checkRequest } from "./testing/envoy-messages.js";
import { eventually, newTxnId } from "./testing/harness.js";
import type { CheckResponse } from "./proto/types.js";
import { runTraceManager as run } from "./testing/tm-process.js";

/** Waits until the process is ready, then sends one Envoy-encoded Check over its socket. */
async function checkWhenReady(adminPort: number, socket: string): Promise<CheckResponse> {
  await eventually(
    async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`).catch(() => null))?.status === 200,
    30_000,
    100,
  );
  const client = openCheckClient(socket);
  try {
    return await client.check(checkRequest({ requestId: newTxnId() }));
  } finally {
    client.close();
  }
}

describe("trace-manager/main.ts as a process", () => {
  it("serves, and on SIGTERM flushes, removes its socket and exits 0", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tm-main-"));
    const socket = join(dir, "tm.sock");
    const adminPort = await freePort();
    const proc = run({
      TM_ROLE: "sidecar",
      TM_SERVICE: "reviews",
      TM_VERSION: "v1",
      POD_NAME: "reviews-v1-0",
      TM_SOCKET: socket,
      TM_ADMIN_HOST: "127.0.0.1",
      TM_ADMIN_PORT: String(adminPort),
      TM_STORE: "memory",
    });
    try {
      expect((await checkWhenReady(adminPort, socket)).http_response).toBe("ok_response");
      proc.kill("SIGTERM");
      expect(await proc.exit).toBe(0);
      await expect(access(socket)).rejects.toThrow();
      expect(proc.output()).toMatch(/TraceManager stopped/);
    } finally {
      proc.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("refuses a bad environment with a clear message and exit code 2", async () => {
    const proc = run({ TM_ROLE: "proxy", POD_NAME: "", TM_SERVICE: "", TM_VERSION: "" });
    expect(await proc.exit).toBe(2);
    expect(proc.output()).toMatch(/invalid TraceManager configuration: .*TM_ROLE/);
  }, 60_000);

  it("runs from its bundle, with no node_modules, the sidecar flags and Redis", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tm-bundle-"));
    const redis = await startTestRedis();
    const socket = join(dir, "tm.sock");
    const adminPort = await freePort();
    const [bundle] = await bundleSidecar(join(dir, "pod"));
    const proc = run(
      {
        ...SIDECAR_NODE_ENV,
        TM_ROLE: "sidecar",
        TM_SERVICE: "reviews",
        TM_VERSION: "v1",
        POD_NAME: "reviews-v1-0",
        TM_SOCKET: socket,
        TM_ADMIN_HOST: "127.0.0.1",
        TM_ADMIN_PORT: String(adminPort),
        TM_STORE: redis.url,
        TM_LOG_LEVEL: "info",
      },
      { file: process.execPath, args: [...SIDECAR_NODE_FLAGS, bundle ?? ""], cwd: join(dir, "pod") },
    );
    try {
      expect((await checkWhenReady(adminPort, socket)).http_response).toBe("ok_response");
      const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      expect(metrics).toMatch(/tranquil_tm_checks_total\{role="sidecar",outcome="durable"\} 1/);
      proc.kill("SIGTERM");
      expect(await proc.exit).toBe(0);
      expect(proc.output()).not.toMatch(/started without the sidecar Node flags/);
      await expect(access(socket)).rejects.toThrow();
    } finally {
      proc.kill("SIGKILL");
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
