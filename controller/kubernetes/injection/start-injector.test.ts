import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { INJECTOR_ENV, injectorConfigFromEnv } from "./injector-config.js";
import { generateCertificates } from "./self-signed-certificates.js";
import { startInjector, type RunningInjector } from "./start-injector.js";

const NAMES = { dnsNames: ["tranquil-injector.tranquil-system.svc"], ips: ["127.0.0.1"] };

function healthz(url: string, caPem: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(`${url}/healthz`, { ca: caPem, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .once("error", reject)
      .end();
  });
}

let injector: RunningInjector | undefined;
let dir: string | undefined;
afterEach(async () => {
  await injector?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  injector = undefined;
  dir = undefined;
});

describe("startInjector with a certificate from files (cert-manager's Secret)", () => {
  it("serves the files' certificate and the rotated one once the files change", async () => {
    dir = await mkdtemp(join(tmpdir(), "tranquil-injector-files-"));
    const certFile = join(dir, "tls.crt");
    const keyFile = join(dir, "tls.key");
    const first = await generateCertificates(NAMES);
    await writeFile(certFile, first.certPem);
    await writeFile(keyFile, first.keyPem);
    const config = injectorConfigFromEnv({
      [INJECTOR_ENV.image]: "tm:1",
      [INJECTOR_ENV.traceStore]: "redis://r:6379",
      [INJECTOR_ENV.certFile]: certFile,
      [INJECTOR_ENV.keyFile]: keyFile,
      [INJECTOR_ENV.host]: "127.0.0.1",
      [INJECTOR_ENV.port]: "0",
    });
    // No API server is called in this mode: cert-manager's CA injector writes the caBundle.
    injector = await startInjector({
      config,
      kc: new KubeConfig(),
      logger: pino({ level: "silent" }),
      version: "t",
      reloadEveryMs: 50,
    });
    const url = injector.server.url;
    expect(await healthz(url, first.caPem)).toBe(200);
    const second = await generateCertificates(NAMES);
    await writeFile(keyFile, second.keyPem);
    await writeFile(certFile, second.certPem);
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && (await healthz(url, second.caPem).catch(() => 0)) !== 200)
      await new Promise((r) => setTimeout(r, 50));
    expect(await healthz(url, second.caPem)).toBe(200);
    await expect(healthz(url, first.caPem)).rejects.toThrow();
  });
});
