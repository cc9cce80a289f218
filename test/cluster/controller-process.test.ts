/**
 * `tranquil-controller` as a process on the local control plane, with the controller's own
 * ServiceAccount and RBAC: it checks the cluster, serves its probes and API, takes the Lease,
 * and on SIGTERM stops gracefully (exit 0) and releases the Lease; bad configuration exits 2
 * naming the flag.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoordinationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "../../controller/api/testing/raw-request.js";
import { freePort, startTestRedis, type TestRedis } from "../support/redis-server.js";
import { eventually } from "./support/cluster-test-kit.js";
import { startKubeTestEnv, type KubeTestEnv } from "./support/kube-test-env.js";
import { controllerKubeConfig } from "./support/service-account.js";

const MAIN = new URL("../../controller/kubernetes/main.ts", import.meta.url).pathname;

/** Starts the controller (`controller/kubernetes/main.ts`), its output collected. */
function startController(args: readonly string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  // Node itself with tsx's loader, so the pid and the signals are the controller's own.
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env },
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe("tranquil-controller as a process", { timeout: 90_000 }, () => {
  let env: KubeTestEnv;
  let redis: TestRedis;
  let dir: string;
  let kubeconfig: string;
  const running: ChildProcess[] = [];
  beforeAll(async () => {
    env = await startKubeTestEnv();
    redis = await startTestRedis();
    dir = await mkdtemp(join(tmpdir(), "tranquil-controller-"));
    const sa = await controllerKubeConfig(env.kc);
    kubeconfig = join(dir, "kubeconfig");
    await writeFile(kubeconfig, sa.exportConfig());
    await writeFile(join(dir, "token"), "a-token-of-at-least-sixteen-characters\n");
  }, 120_000);
  afterAll(async () => {
    for (const c of running) if (c.exitCode === null) c.kill("SIGKILL");
    await redis?.stop();
    await env?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("checks the cluster, serves probes and the API, leads, and on SIGTERM releases the Lease and exits 0", async () => {
    const port = await freePort();
    const ctl = startController([
      "--kubeconfig",
      kubeconfig,
      "--redis-url",
      redis.url,
      "--api-address",
      "127.0.0.1",
      "--api-port",
      String(port),
      "--api-token-file",
      join(dir, "token"),
      "--api-allowed-hosts",
      "127.0.0.1,tranquil.tranquil-system.svc",
      "--lease-duration",
      "4s",
      "--renew-deadline",
      "3s",
      "--retry-period",
      "1s",
    ]);
    running.push(ctl.child);
    await eventually(
      () => Promise.resolve(ctl.output()),
      (out) => out.includes("tranquil-controller serving") || ctl.child.exitCode !== null,
      60_000,
    );
    expect(
      ctl
        .output()
        .split("\n")
        .filter((l) => !l.startsWith("{"))
        .join("\n"),
    ).toContain(`tranquil-controller serving http://127.0.0.1:${port}`);
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status, await ready.text()).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain("# HELP");
    expect((await fetch(`${base}/v1/upgrades`)).status).toBe(200);
    // The configured Service name is answered; any other name is refused (DNS rebinding).
    const byService = await rawRequest(port, {
      path: "/v1/upgrades",
      headers: { host: "tranquil.tranquil-system.svc:7070" },
    });
    expect(byService.status).toBe(200);
    const other = await rawRequest(port, { path: "/v1/upgrades", headers: { host: "evil.example" } });
    expect(other.status).toBe(421);
    // An Upgrade of a service that does not exist fails validation; the Events recorded about it
    // are read back from the API server for the dashboard.
    await env.namespace("ghosts");
    const created = await fetch(`${base}/v1/upgrades`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer a-token-of-at-least-sixteen-characters",
      },
      body: JSON.stringify({
        name: "ghost-v2",
        namespace: "ghosts",
        spec: { services: [{ name: "ghost", from: "v1", to: "v2" }] },
      }),
    });
    expect(created.status, await created.text()).toBe(201);
    const recent = await eventually(
      async () =>
        (await (await fetch(`${base}/v1/upgrades/ghost-v2/recent-events?namespace=ghosts`)).json()) as {
          kept: boolean;
          events: { reason: string; message: string }[];
        },
      (body) => body.events.some((e) => e.message.includes("Failed")),
      30_000,
    );
    expect(recent.kept).toBe(true);
    expect(recent.events.map((e) => e.message).join("\n")).toContain('service "ghost" not found');
    const leases = env.kc.makeApiClient(CoordinationV1Api);
    const held = await eventually(
      () =>
        leases
          .readNamespacedLease({ name: "tranquil-controller", namespace: "tranquil-system" })
          .catch(() => undefined),
      (l) => (l?.spec?.holderIdentity ?? "") !== "",
      20_000,
    );
    expect(held?.spec?.holderIdentity).not.toBe("");
    ctl.child.kill("SIGTERM");
    expect(await ctl.exited).toBe(0);
    const released = await leases.readNamespacedLease({
      name: "tranquil-controller",
      namespace: "tranquil-system",
    });
    expect(released.spec?.holderIdentity ?? "").toBe("");
  });

  it("exits 2 naming the flag and its variable for bad configuration", async () => {
    const ctl = startController([
      "--kubeconfig",
      kubeconfig,
      "--api-port",
      "99999",
      "--redis-url",
      redis.url,
    ]);
    running.push(ctl.child);
    expect(await ctl.exited).toBe(2);
    expect(ctl.output()).toMatch(/--api-port \(TRANQUIL_API_PORT\)/);
  });
});
