import { request } from "node:https";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { InjectionMetrics } from "./injection-metrics.js";
import { makeReviewHandler } from "./review-handler.js";
import {
  authorityUsable,
  certificatesUsable,
  generateCertificates,
  type CertificateSet,
} from "./self-signed-certificates.js";
import { SIDECAR_DEFAULTS } from "./sidecar-template.js";
import { INJECT_PATH, startWebhookServer, type WebhookServer } from "./webhook-server.js";

const NAMES = { dnsNames: ["tranquil-injector.tranquil-system.svc"], ips: ["127.0.0.1"] };

/** One HTTPS call trusting only `caPem`. */
function call(
  url: string,
  caPem: string,
  method: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, ca: caPem, headers: { "content-type": "application/json" }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.once("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.once("error", reject);
    req.end(body);
  });
}

let certs: CertificateSet;
let server: WebhookServer | undefined;
beforeAll(async () => {
  certs = await generateCertificates(NAMES);
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(maxBodyBytes?: number): Promise<{ server: WebhookServer; metrics: InjectionMetrics }> {
  const metrics = new InjectionMetrics();
  const handle = makeReviewHandler({
    template: { ...SIDECAR_DEFAULTS, image: "tm:1", traceStore: { url: "redis://r:6379" } },
    injectorVersion: "0.1.0",
    metrics,
    logger: pino({ level: "silent" }),
  });
  server = await startWebhookServer({
    host: "127.0.0.1",
    port: 0,
    certPem: certs.certPem,
    keyPem: certs.keyPem,
    handle,
    registry: metrics.registry,
    ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
  });
  return { server, metrics };
}

describe("the self-signed certificates", () => {
  it("name the service and the IP, chain to the CA and last as long as asked", () => {
    expect(certificatesUsable(certs, NAMES, 300 * 86_400_000)).toBe(true);
    expect(certificatesUsable(certs, NAMES, 400 * 86_400_000)).toBe(false);
    expect(certificatesUsable(certs, { dnsNames: ["other.tranquil-system.svc"] }, 0)).toBe(false);
    expect(certificatesUsable(certs, { dnsNames: NAMES.dnsNames, ips: ["10.0.0.1"] }, 0)).toBe(false);
  });

  it("renew with the same CA: a short-lived certificate signed again keeps the caBundle", async () => {
    const short = await generateCertificates({ ...NAMES, days: 1 }, certs);
    expect(short.caPem).toBe(certs.caPem);
    expect(certificatesUsable(short, NAMES, 0)).toBe(true);
    expect(certificatesUsable(short, NAMES, 2 * 86_400_000)).toBe(false);
    expect(authorityUsable(short, 9 * 365 * 86_400_000)).toBe(true);
    expect(authorityUsable({ caPem: certs.certPem, caKeyPem: certs.keyPem }, 0)).toBe(false);
  });

  it("are unusable with another set's key or CA", async () => {
    const other = await generateCertificates(NAMES);
    expect(certificatesUsable({ ...certs, keyPem: other.keyPem }, NAMES, 0)).toBe(false);
    expect(certificatesUsable({ ...certs, caPem: other.caPem }, NAMES, 0)).toBe(false);
  });
});

describe("the webhook server", () => {
  it("answers a review over TLS that a client trusting only the CA accepts", async () => {
    const { server, metrics } = await start();
    const review = {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: {
        uid: "u-7",
        kind: { group: "", version: "v1", kind: "Pod" },
        operation: "CREATE",
        object: { metadata: { labels: { app: "a", version: "v1" } }, spec: { containers: [{ name: "a" }] } },
      },
    };
    const res = await call(`${server.url}${INJECT_PATH}`, certs.caPem, "POST", JSON.stringify(review));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({
      response: { uid: "u-7", allowed: true, patchType: "JSONPatch" },
    });
    expect(await metrics.countOf("injected", "")).toBe(1);
  });

  it("allows a body that is not JSON, serves /healthz and /metrics, and 404s the rest", async () => {
    const { server } = await start();
    const bad = await call(`${server.url}${INJECT_PATH}`, certs.caPem, "POST", "{nope");
    expect([bad.status, JSON.parse(bad.text)]).toEqual([
      200,
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "", allowed: true } },
    ]);
    expect((await call(`${server.url}/healthz`, certs.caPem, "GET")).status).toBe(200);
    const metrics = await call(`${server.url}/metrics`, certs.caPem, "GET");
    expect(metrics.text).toContain('tranquil_injection_reviews_total{result="error",reason="bad-review"} 1');
    expect((await call(`${server.url}/nowhere`, certs.caPem, "GET")).status).toBe(404);
  });

  it("answers 413 to a body over its limit (the API server then ignores the webhook)", async () => {
    const { server } = await start(1024);
    const res = await call(`${server.url}${INJECT_PATH}`, certs.caPem, "POST", "x".repeat(4096));
    expect(res.status).toBe(413);
  });

  it("serves a rotated certificate to new connections", async () => {
    const { server } = await start();
    const rotated = await generateCertificates(NAMES);
    server.setCertificate(rotated.certPem, rotated.keyPem);
    expect((await call(`${server.url}/healthz`, rotated.caPem, "GET")).status).toBe(200);
    await expect(call(`${server.url}/healthz`, certs.caPem, "GET")).rejects.toThrow();
  });
});
