/**
 * The images' entry points start. Each Dockerfile is acted out without a container engine
 * (image-assembly.ts: its build stage runs the project's npm scripts on a copy of the build
 * context, its final stage keeps only what it copies, with the production packages alone), then
 * the program its ENTRYPOINT names runs in the image's WORKDIR with the ENV it sets, and the
 * HEALTHCHECK it names passes while the program serves and fails once it has stopped. The
 * controller runs against the local control plane with its own ServiceAccount; the injection
 * webhook runs from the controller image with the command its manifest gives.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkServerIdentity } from "node:tls";
import { promisify } from "node:util";
import { AdmissionregistrationV1Api, CoreV1Api, type V1Deployment } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { injectorKubeConfig, injectorManifest, onLoopback } from "../cluster/support/injector-on-loopback.js";
import { startKubeTestEnv, type KubeTestEnv } from "../cluster/support/kube-test-env.js";
import { controllerKubeConfig } from "../cluster/support/service-account.js";
import { freePort, startTestRedis, type TestRedis } from "../support/redis-server.js";
import { dockerIgnoreFile } from "./docker-ignore.js";
import { assembleImage, type AssembledImage } from "./image-assembly.js";
import { runHealthCheck, startImageProgram, until, type ImageProcess } from "./image-process.js";
import { reachablePackages } from "./module-imports.js";
import { DOCKER_IGNORE, IMAGES, REPO_ROOT } from "./images.js";

const run = promisify(execFile);
/** The name the webhook's certificate carries (its Service); the process listens on loopback. */
const SERVICE_NAME = "tranquil-injector.tranquil-system.svc";
const options = {
  context: { dir: REPO_ROOT, ignored: dockerIgnoreFile(DOCKER_IGNORE) },
  nodeModules: join(REPO_ROOT, "node_modules"),
};

describe("the images' entry points", { timeout: 120_000 }, () => {
  let dir: string;
  let redis: TestRedis;
  const started: ImageProcess[] = [];
  const images: Partial<Record<keyof typeof IMAGES, AssembledImage>> = {};
  const image = (name: keyof typeof IMAGES): AssembledImage => {
    const found = images[name];
    if (found === undefined) throw new Error(`${name} was not assembled`);
    return found;
  };
  const start = (...args: Parameters<typeof startImageProgram>): ImageProcess => {
    const p = startImageProgram(...args);
    started.push(p);
    return p;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tranquil-images-"));
    redis = await startTestRedis();
    for (const [name, spec] of Object.entries(IMAGES) as [
      keyof typeof IMAGES,
      (typeof IMAGES)[keyof typeof IMAGES],
    ][])
      images[name] = await assembleImage(join(REPO_ROOT, spec.dockerfile), join(dir, name), options);
  }, 300_000);

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop(2000)));
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("the TraceManager image holds the bundle alone, no node_modules, and runs it with the sidecar flags", async () => {
    const tm = image("traceManager");
    expect(tm.workdir).toBe("/app");
    expect(tm.env).toMatchObject({ NODE_ENV: "production", MALLOC_ARENA_MAX: "1" });
    const files = (await run("find", [".", "-type", "f"], { cwd: tm.workdirPath })).stdout.split("\n").sort();
    expect(files).toContain("./trace-manager/main.js");
    expect(files).toContain("./trace-manager/envoy/service/auth/v3/external_auth.proto");
    expect(files.filter((f) => f.includes("node_modules"))).toEqual([]);
    expect(tm.notActedOut).toEqual(["chown 10001:10001 /var/run/tranquil"]);
  });

  it("every package the images' programs can import is in the image's own node_modules, none a dev dependency", () => {
    const scripts = (words: readonly string[]): string[] => words.filter((w) => w.endsWith(".js"));
    const injector = ["dist/controller/kubernetes/injection/main.js"];
    const cases = [
      { name: "controller", files: [...scripts(image("controller").program), ...injector] },
      {
        name: "sampleServices",
        files: [...scripts(image("sampleServices").program), ...scripts(image("sampleServices").healthCheck)],
      },
      { name: "traceManager", files: scripts(image("traceManager").program) },
    ] as const;
    const found: Record<string, string[]> = {};
    for (const c of cases) {
      const img = image(c.name);
      expect(c.files.length).toBeGreaterThan(0);
      const packages = new Set<string>();
      for (const file of c.files) {
        const { modules, packages: imported } = reachablePackages(join(img.workdirPath, file));
        expect(modules.length).toBeGreaterThan(0);
        for (const p of imported) packages.add(p);
      }
      found[c.name] = [...packages].filter((p) => !existsSync(join(img.workdirPath, "node_modules", p)));
      if (c.name !== "traceManager") expect(packages.size).toBeGreaterThan(3);
      else expect([...packages]).toEqual([]);
    }
    expect(found).toEqual({ controller: [], sampleServices: [], traceManager: [] });
    // A module reaching a dev dependency is found, and the image has no such package.
    const probe = join(dir, "imports-probe");
    mkdirSync(probe);
    writeFileSync(
      join(probe, "a.js"),
      'import { x } from "./b.js";\nimport "node:fs";\nexport const y = x;\n',
    );
    writeFileSync(join(probe, "b.js"), 'export { build as x } from "esbuild";\nawait import("tsx/esm");\n');
    expect(reachablePackages(join(probe, "a.js")).packages).toEqual(["esbuild", "tsx"]);
    for (const p of ["esbuild", "tsx", "vitest", "typescript"])
      expect(existsSync(join(image("controller").workdirPath, "node_modules", p)), p).toBe(false);
  });

  it("the TraceManager starts, serves /healthz and /readyz on its admin port, and its health check follows it", async () => {
    const tm = image("traceManager");
    const port = await freePort();
    const env = {
      TM_SERVICE: "reviews",
      TM_VERSION: "v1",
      POD_NAME: "reviews-v1-7d9f8",
      TM_SOCKET: join(dir, "tm.sock"),
      TM_STORE: redis.url,
      TM_ADMIN_HOST: "127.0.0.1",
      TM_ADMIN_PORT: String(port),
    };
    expect((await runHealthCheck(tm, env)).code).not.toBe(0);
    const p = start(tm, env);
    expect(await until(async () => (await runHealthCheck(tm, env)).code === 0, 20_000), p.output()).toBe(
      true,
    );
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain("# HELP");
    // Started with the sidecar flags, it does not say it lacks them.
    expect(p.output()).not.toContain("started without the sidecar Node flags");
    expect(await p.stop()).toBe(0);
    expect((await runHealthCheck(tm, env)).code).not.toBe(0);
  });

  it("the sample services image runs the service SERVICE names; the health check asks its own port", async () => {
    const samples = image("sampleServices");
    expect(samples.env).toMatchObject({ NODE_ENV: "production", HOST: "0.0.0.0" });
    const [authPort, authAdmin, apiPort] = [await freePort(), await freePort(), await freePort()];
    const auth = {
      SERVICE: "auth-service",
      VERSION: "v1",
      HOST: "127.0.0.1",
      PORT: String(authPort),
      ADMIN_PORT: String(authAdmin),
      STORE_URL: redis.url,
    };
    const authProcess = start(samples, auth);
    expect(
      await until(async () => (await runHealthCheck(samples, auth)).code === 0, 20_000),
      authProcess.output(),
    ).toBe(true);
    const upstream = `127.0.0.1:${authPort}`;
    const api = {
      SERVICE: "logistics-api",
      VERSION: "v1",
      HOST: "127.0.0.1",
      PORT: String(apiPort),
      STORE_URL: redis.url,
      UPSTREAM_AUTH_SERVICE: upstream,
      UPSTREAM_ORDER_SERVICE: upstream,
      UPSTREAM_ITEM_SERVICE: upstream,
      UPSTREAM_STATION_SERVICE: upstream,
    };
    expect((await runHealthCheck(samples, api)).code).not.toBe(0);
    const apiProcess = start(samples, api);
    expect(
      await until(async () => (await runHealthCheck(samples, api)).code === 0, 20_000),
      apiProcess.output(),
    ).toBe(true);
    const health = (await (await fetch(`http://127.0.0.1:${apiPort}/healthz`)).json()) as {
      version?: string;
    };
    expect(health.version).toBe("v1");
    expect(await apiProcess.stop()).toBe(0);
    expect(await authProcess.stop()).toBe(0);
    const after = await runHealthCheck(samples, auth);
    expect(after.code).not.toBe(0);
    expect(after.output).toContain(`http://127.0.0.1:${authAdmin}/healthz`);
  });

  describe("on the local control plane", () => {
    let env: KubeTestEnv;
    beforeAll(async () => {
      env = await startKubeTestEnv();
    }, 120_000);
    afterAll(async () => {
      await env?.stop();
    });

    it("the controller image starts the controller with its own ServiceAccount; it serves its probes and dashboard, and its health check follows it", async () => {
      const controller = image("controller");
      expect(controller.env).toMatchObject({ NODE_ENV: "production" });
      expect(controller.notActedOut).toEqual([
        "apt-get update",
        "apt-get install -y --no-install-recommends openssl",
        "rm -rf /var/lib/apt/lists/*",
      ]);
      const kubeconfig = join(dir, "controller.kubeconfig");
      await writeFile(kubeconfig, (await controllerKubeConfig(env.kc)).exportConfig(), { mode: 0o600 });
      const port = await freePort();
      const vars = {
        TRANQUIL_KUBECONFIG: kubeconfig,
        TRANQUIL_REDIS_URL: redis.url,
        TRANQUIL_API_ADDRESS: "127.0.0.1",
        TRANQUIL_API_PORT: String(port),
        TRANQUIL_API_TOKEN: "a-token-of-at-least-sixteen-characters",
        TRANQUIL_LEASE_DURATION: "4s",
        TRANQUIL_RENEW_DEADLINE: "3s",
        TRANQUIL_RETRY_PERIOD: "1s",
      };
      expect((await runHealthCheck(controller, vars)).code).not.toBe(0);
      const p = start(controller, vars);
      const served = await until(
        () =>
          Promise.resolve(p.output().includes("tranquil-controller serving") || p.child.exitCode !== null),
        60_000,
      );
      expect(served && p.child.exitCode === null, p.output()).toBe(true);
      expect((await runHealthCheck(controller, vars)).code).toBe(0);
      const base = `http://127.0.0.1:${port}`;
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status, await ready.text()).toBe(200);
      // The dashboard the build stage built is served from the image's dist/dashboard.
      const page = await fetch(`${base}/dashboard/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<html");
      expect(await p.stop()).toBe(0);
      expect((await runHealthCheck(controller, vars)).code).not.toBe(0);
    });

    it("the controller image runs the injection webhook with its manifest's command: openssl makes its certificate, it serves /healthz over TLS", async () => {
      const controller = image("controller");
      const objects = await injectorManifest();
      const deployment = objects.find((o) => o.kind === "Deployment") as V1Deployment | undefined;
      const container = deployment?.spec?.template.spec?.containers[0];
      const command = container?.command ?? [];
      expect(command).toEqual(["node", "dist/controller/kubernetes/injection/main.js"]);
      const injectorKc = await injectorKubeConfig(env.kc, objects);
      const config = onLoopback(objects, "https://127.0.0.1:9/inject");
      const admission = env.kc.makeApiClient(AdmissionregistrationV1Api);
      await admission.createMutatingWebhookConfiguration({ body: config });
      const kubeconfig = join(dir, "injector.kubeconfig");
      await writeFile(kubeconfig, injectorKc.exportConfig(), { mode: 0o600 });
      const fromManifest = Object.fromEntries(
        (container?.env ?? []).flatMap((e) => (e.value !== undefined ? [[e.name, e.value]] : [])),
      );
      const vars = {
        ...fromManifest,
        KUBECONFIG: kubeconfig,
        POD_NAMESPACE: "tranquil-system",
        TRANQUIL_INJECT_HOST: "127.0.0.1",
        TRANQUIL_INJECT_PORT: "0",
      };
      const p = start(controller, vars, command);
      try {
        await until(
          () =>
            Promise.resolve(p.output().includes("tranquil-injector serving") || p.child.exitCode !== null),
          30_000,
        );
        const url = /tranquil-injector serving (https:\/\/127\.0\.0\.1:\d+)/.exec(p.output())?.[1];
        expect(url, p.output()).toBeDefined();
        const secret = await env.kc
          .makeApiClient(CoreV1Api)
          .readNamespacedSecret({ namespace: "tranquil-system", name: "tranquil-injector-tls" });
        const ca = Buffer.from(secret.data?.["ca.crt"] ?? "", "base64").toString("utf8");
        expect(ca).toContain("BEGIN CERTIFICATE");
        const status = await new Promise<number>((resolve, reject) => {
          httpsGet(
            `${url ?? ""}/healthz`,
            {
              ca,
              servername: SERVICE_NAME,
              checkServerIdentity: (_host, cert) => checkServerIdentity(SERVICE_NAME, cert),
              agent: false,
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          ).once("error", reject);
        });
        expect(status).toBe(200);
        expect(await p.stop()).toBe(0);
      } finally {
        await p.stop(1000);
        await admission.deleteMutatingWebhookConfiguration({ name: config.metadata?.name ?? "" });
      }
    });
  });
});
