/**
 * The node agent's readiness prober keeps a kubelet's thresholds: not ready until the probe
 * passes successThreshold times in a row, unready only after failureThreshold failures in a
 * row, the first run after initialDelaySeconds and then one per periodSeconds; and its probes
 * run for real against an HTTP app, a gRPC health service and a TCP port.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { V1Container, V1Probe } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { HealthService } from "../../../sample-services/grpc/health.js";
import { healthDefinition } from "../../../sample-services/grpc/protos.js";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { runProbe, type ProbeResult } from "./probes.js";
import { ReadinessProber, type ProberTimers } from "./readiness-prober.js";

/** Timers that fire only when the test says so, recording each delay asked for. */
class StepTimers implements ProberTimers {
  readonly delays: number[] = [];
  private pending: (() => void) | undefined;
  setTimeout(fn: () => void, ms: number): unknown {
    this.delays.push(ms);
    this.pending = fn;
    return fn;
  }
  clearTimeout(): void {
    this.pending = undefined;
  }
  /** Fires the pending timer and lets the probe's promise settle. */
  async fire(): Promise<void> {
    const fn = this.pending;
    this.pending = undefined;
    fn?.();
    await new Promise((r) => setImmediate(r));
  }
}

function prober(probe: V1Probe, results: boolean[]) {
  const timers = new StepTimers();
  const events: string[] = [];
  let i = 0;
  const run = (): Promise<ProbeResult> =>
    Promise.resolve(results[i++] === true ? { ok: true } : { ok: false, message: `failure ${i}` });
  const p = new ReadinessProber(
    probe,
    run,
    { changed: (ready) => events.push(ready ? "ready" : "unready"), failed: (m) => events.push(m) },
    timers,
  );
  return { p, timers, events };
}

describe("the readiness prober", () => {
  it("waits the initial delay, then probes every period; ready after successThreshold passes", async () => {
    const { p, timers, events } = prober({ initialDelaySeconds: 3, periodSeconds: 2, successThreshold: 2 }, [
      true,
      true,
    ]);
    p.start();
    expect(timers.delays).toEqual([3000]);
    await timers.fire();
    expect(p.isReady()).toBe(false);
    await timers.fire();
    expect(p.isReady()).toBe(true);
    expect(events).toEqual(["ready"]);
    expect(timers.delays).toEqual([3000, 2000, 2000]);
  });

  it("turns unready only after failureThreshold failures in a row, and says why on the first", async () => {
    const { p, timers, events } = prober({ failureThreshold: 3 }, [
      true,
      false,
      false,
      true,
      false,
      false,
      false,
    ]);
    p.start();
    for (let n = 0; n < 7; n++) await timers.fire();
    expect(events).toEqual(["ready", "failure 2", "failure 5", "unready"]);
    expect(p.isReady()).toBe(false);
    expect(timers.delays.slice(1)).toEqual(Array(7).fill(10_000));
  });

  it("counts a probe that throws as a failure and keeps probing", async () => {
    const timers = new StepTimers();
    const events: string[] = [];
    let calls = 0;
    const p = new ReadinessProber(
      { periodSeconds: 1 },
      () => (++calls === 1 ? Promise.reject(new Error("boom")) : Promise.resolve({ ok: true as const })),
      { changed: (ready) => events.push(ready ? "ready" : "unready"), failed: (m) => events.push(m) },
      timers,
    );
    p.start();
    await timers.fire();
    await timers.fire();
    expect(events).toEqual(["boom", "ready"]);
  });

  it("reports nothing after it is stopped", async () => {
    const { p, timers, events } = prober({}, [true]);
    p.start();
    p.stop();
    await timers.fire();
    expect(events).toEqual([]);
  });
});

describe("probes run against the app", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });
  const container: V1Container = { name: "app", ports: [{ name: "http", containerPort: 8080 }] };

  async function httpApp(): Promise<string> {
    const server = http.createServer((req, res) => {
      res.writeHead(req.url === "/healthz" && req.headers["x-fail"] === undefined ? 200 : 503).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanup.push(() => new Promise((r) => server.close(() => r())));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("httpGet: a 2xx passes; a 5xx, a header the app refuses, or a port it does not listen on fails", async () => {
    const target = { container, podPort: 8080, appAddress: await httpApp() };
    expect(await runProbe({ httpGet: { path: "/healthz", port: "http" } }, target)).toEqual({ ok: true });
    expect(await runProbe({ httpGet: { path: "/healthz", port: 8080 } }, target)).toEqual({ ok: true });
    expect(await runProbe({ httpGet: { path: "/other", port: 8080 } }, target)).toEqual({
      ok: false,
      message: "HTTP probe failed with statuscode: 503",
    });
    const header = {
      httpGet: { path: "/healthz", port: 8080, httpHeaders: [{ name: "x-fail", value: "1" }] },
    };
    expect((await runProbe(header, target)).ok).toBe(false);
    expect(await runProbe({ httpGet: { path: "/healthz", port: 9090 } }, target)).toEqual({
      ok: false,
      message: "dial tcp :9090: connect: connection refused",
    });
    expect(await runProbe({ httpGet: { path: "/healthz", port: "admin" } }, target)).toEqual({
      ok: false,
      message: "the container has no port named admin",
    });
    expect((await runProbe({ tcpSocket: { port: 8080 } }, target)).ok).toBe(true);
    expect((await runProbe({ exec: { command: ["true"] } }, target)).ok).toBe(false);
  });

  it("grpc: SERVING passes, NOT_SERVING and an unknown service fail", async () => {
    const health = new HealthService("tranquil.Item");
    const server = new Server();
    server.addService(healthDefinition(), health.implementation());
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    cleanup.push(() => new Promise((r) => server.tryShutdown(() => r())));
    const target = { container: { name: "app" }, podPort: 50051, appAddress: `127.0.0.1:${port}` };
    health.set("SERVING");
    expect(await runProbe({ grpc: { port: 50051 } }, target)).toEqual({ ok: true });
    health.set("NOT_SERVING");
    expect(await runProbe({ grpc: { port: 50051 } }, target)).toEqual({
      ok: false,
      message: 'service unhealthy (responded with "NOT_SERVING")',
    });
    const unknown = await runProbe({ grpc: { port: 50051, service: "no.such.Service" } }, target);
    expect(unknown.ok).toBe(false);
  });
});
