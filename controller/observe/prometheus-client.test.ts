import http from "node:http";
import type net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../test/support/redis-server.js";
import { startTestPrometheus, type TestPrometheus } from "../../test/support/prometheus-server.js";
import { PrometheusClient, prometheusProviders } from "./prometheus-client.js";

/** An HTTP server on port 0 whose handler a test sets. */
async function stubServer(
  handler: http.RequestListener,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("PrometheusClient against a real Prometheus", () => {
  let prom: TestPrometheus;
  let exporter: { url: string; close: () => Promise<void> };
  let client: PrometheusClient;

  beforeAll(async () => {
    // Two series of one counter, scraped every second.
    exporter = await stubServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end('# TYPE demo_total counter\ndemo_total{color="red"} 3\ndemo_total{color="blue"} 4\n');
    });
    prom = await startTestPrometheus();
    await prom.setTargets("controller", [{ address: exporter.url.replace("http://", "") }]);
    await prom.waitForTargets("controller", 1);
    client = new PrometheusClient({ address: prom.url });
  }, 30_000);
  afterAll(async () => {
    await prom?.stop();
    await exporter?.close();
  });

  it("returns the one sample of an instant query", async () => {
    expect(await client.instant('sum(demo_total{job="controller"})', Date.now(), 5_000)).toEqual({
      ok: true,
      value: 7,
    });
    expect(await client.instant("scalar(sum(demo_total))", Date.now(), 5_000)).toEqual({
      ok: true,
      value: 7,
    });
  });

  it("reads no series, and NaN (0/0 without traffic), as no sample", async () => {
    expect(await client.instant("sum(absent_metric_total)", Date.now(), 5_000)).toEqual({
      ok: true,
      value: null,
    });
    expect(await client.instant("sum(demo_total) * 0 / 0", Date.now(), 5_000)).toEqual({
      ok: true,
      value: null,
    });
  });

  it("refuses several series, naming them and what to do", async () => {
    const r = await client.instant("demo_total", Date.now(), 5_000);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toMatch(
        /^returned 2 series \(.*"color":".*\); aggregate them to one, e\.g\. with sum\(\)$/,
      );
  });

  it("passes a query Prometheus refuses straight back, without retrying it", async () => {
    const started = Date.now();
    expect(await client.instant("sum(", Date.now(), 5_000)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^bad_data: .*parse error/) as unknown,
    });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe("PrometheusClient when Prometheus misbehaves", () => {
  it("retries a Prometheus that is down a bounded number of times, then names it and the cause", async () => {
    const port = await freePort();
    const client = new PrometheusClient({
      address: `http://127.0.0.1:${port}`,
      retries: 2,
      retryDelayMs: 50,
    });
    const r = await client.instant("up", Date.now(), 2_000);
    expect(r).toEqual({
      ok: false,
      error: `Prometheus at http://127.0.0.1:${port}: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:${port}) (3 attempts within 2000 ms)`,
    });
  });

  it("retries a 503 and returns the answer that follows", async () => {
    let calls = 0;
    const stub = await stubServer((req, res) => {
      calls++;
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        if (calls < 3) {
          res.writeHead(503).end("starting");
          return;
        }
        expect(new URLSearchParams(body).get("query")).toBe("up");
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            status: "success",
            data: { resultType: "vector", result: [{ metric: {}, value: [1, "1"] }] },
          }),
        );
      });
    });
    try {
      const client = new PrometheusClient({ address: `${stub.url}/`, retryDelayMs: 20 });
      expect(await client.instant("up", Date.now(), 2_000)).toEqual({ ok: true, value: 1 });
      expect(calls).toBe(3);
    } finally {
      await stub.close();
    }
  });

  it("gives up within the time budget on a Prometheus that never answers", async () => {
    const stub = await stubServer(() => undefined);
    try {
      const client = new PrometheusClient({ address: stub.url, retries: 5, retryDelayMs: 20 });
      const started = Date.now();
      const r = await client.instant("up", Date.now(), 400);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(r.ok).toBe(false);
      if (!r.ok)
        expect(r.error).toMatch(
          new RegExp(`^Prometheus at ${stub.url}: no answer within \\d+ ms \\(1 attempt within 400 ms\\)$`),
        );
    } finally {
      await stub.close();
    }
  });

  it("says so when the answer is not Prometheus's", async () => {
    const stub = await stubServer((_req, res) => res.writeHead(200).end("<html>a login page</html>"));
    try {
      const r = await new PrometheusClient({ address: stub.url }).instant("up", Date.now(), 1_000);
      expect(r).toEqual({ ok: false, error: `Prometheus at ${stub.url}: not a Prometheus API answer` });
    } finally {
      await stub.close();
    }
  });

  it("makes one provider per address", () => {
    const providers = prometheusProviders({}, 2);
    const a = providers("http://a:9090");
    expect(providers("http://a:9090")).toBe(a);
    expect(a.describe).toBe("http://a:9090");
    providers("http://b:9090");
    providers("http://c:9090");
    expect(providers("http://a:9090")).not.toBe(a);
  });
});
