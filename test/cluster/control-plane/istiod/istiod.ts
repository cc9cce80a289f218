/**
 * Istio's real control plane on the local cluster: `pilot-discovery` from istio.io/istio's
 * release-1.30 branch, built from Go modules (pinned by `go-module/go.mod` and `go.sum`) into
 * `~/.cache/tranquil/istiod/<version>/` once, and started against a local kube-apiserver with
 * every listener on a free 127.0.0.1 port. Run directly to build ahead of the tests:
 *
 *   npx tsx test/cluster/control-plane/istiod/istiod.ts
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ApiException, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { parse, stringify } from "yaml";
import { ensureGoBinaries, tranquilCacheDir, type GoTarget } from "../../../support/go-binaries.js";
import { freePort, startProcess, type RunningProcess } from "../processes.js";
import { httpOk, waitUntil } from "../readiness.js";

/** The istio.io/istio pseudo-version built: the release-1.30 branch on 2026-08-26. */
export const ISTIO_MODULE_VERSION = "v0.0.0-20260826214018-9739e10eb9d7";
/** What the built istiod reports as its version (the branch's VERSION file, as Istio's own builds say it). */
export const ISTIO_VERSION = "1.30-dev";
/** The namespace istiod runs in and treats as the mesh's root namespace. */
export const ISTIO_NAMESPACE = "istio-system";

const MODULE = join(import.meta.dirname, "go-module");
const REPO = join(import.meta.dirname, "..", "..", "..", "..");
const MESH_CONFIG = join(REPO, "istio", "install", "mesh-config.yaml");

function target(): GoTarget {
  const revision = ISTIO_MODULE_VERSION.split("-").at(-1) ?? "unknown";
  const version = "istio.io/istio/pkg/version";
  return {
    file: join(tranquilCacheDir("istiod", `${ISTIO_VERSION}-${revision}`), "pilot-discovery"),
    module: MODULE,
    pkg: "istio.io/istio/pilot/cmd/pilot-discovery",
    ldflags: [
      "-s -w",
      `-X ${version}.buildVersion=${ISTIO_VERSION}`,
      `-X ${version}.buildGitRevision=${revision}`,
      `-X ${version}.buildStatus=Clean`,
      `-X ${version}.buildTag=${ISTIO_MODULE_VERSION}`,
    ].join(" "),
    version: `${ISTIO_VERSION} (${ISTIO_MODULE_VERSION})`,
  };
}

/** The pilot-discovery binary, built first when the cache lacks it. */
export async function ensureIstiod(
  log: (line: string) => void = (l) => process.stderr.write(`tranquil istiod: ${l}\n`),
): Promise<string> {
  const t = target();
  await ensureGoBinaries(join(t.file, ".."), [t], "istiod", log);
  return t.file;
}

/** A running istiod. */
export interface Istiod {
  /** `http://127.0.0.1:<port>`: `/ready`, `/debug/configz`, `/debug/syncz`, … */
  readonly httpUrl: string;
  /** `127.0.0.1:<port>` of the plaintext xDS server (ADS). */
  readonly xdsAddress: string;
  /** The HTTPS port of the validation and injection webhooks (its certificate names `localhost`). */
  readonly webhookPort: number;
  /** `http://127.0.0.1:<port>` of its own Prometheus metrics (`/metrics`). */
  readonly monitoringUrl: string;
  /** Its log file (in `dir`). */
  readonly logPath: string;
  readonly pid: number;
  /** The temporary folder it runs in (removed by stop). */
  readonly dir: string;
  /** Stops it by pid, then removes `dir`. */
  stop(): Promise<void>;
}

/** Options of {@link startIstiod}. */
export interface IstiodOptions {
  /** The mesh config (Istio's MeshConfig, as YAML would hold it); default the `meshConfig` of istio/install/mesh-config.yaml. */
  readonly meshConfig?: Record<string, unknown>;
  /** Extra environment (feature flags such as `PILOT_ENABLE_…`). */
  readonly env?: Readonly<Record<string, string>>;
  readonly readyTimeoutMs?: number;
  /** Keep the temporary folder after stop (its log helps after a failure). */
  readonly keepDir?: boolean;
}

/** Tranquil's shipped mesh config: the extension providers and the proxy stats the TraceManager reads. */
export async function shippedMeshConfig(): Promise<Record<string, unknown>> {
  const doc = parse(await readFile(MESH_CONFIG, "utf8")) as { meshConfig?: Record<string, unknown> };
  if (doc.meshConfig === undefined) throw new Error(`${MESH_CONFIG} has no meshConfig`);
  return doc.meshConfig;
}

/** Creates `name` unless it exists. */
async function ensureNamespace(kc: KubeConfig, name: string): Promise<void> {
  try {
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  } catch (err) {
    if (!(err instanceof ApiException && err.code === 409)) throw err;
  }
}

/**
 * Starts istiod against the API server of `kubeconfigPath` (Istio's CRDs installed) and
 * resolves once `/ready` answers. Its own CA signs its serving certificate; nothing listens
 * beyond 127.0.0.1.
 */
export async function startIstiod(kubeconfigPath: string, options: IstiodOptions = {}): Promise<Istiod> {
  const bin = await ensureIstiod();
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  await ensureNamespace(kc, ISTIO_NAMESPACE);
  const dir = await mkdtemp(join(tmpdir(), "tranquil-istiod-"));
  let proc: RunningProcess | undefined;
  const stop = async (): Promise<void> => {
    await proc?.stop();
    if (options.keepDir !== true) await rm(dir, { recursive: true, force: true });
  };
  try {
    const meshPath = join(dir, "mesh.yaml");
    await writeFile(meshPath, stringify(options.meshConfig ?? (await shippedMeshConfig())));
    const [http, grpc, secureGrpc, https, monitoring, ctrlz] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const logPath = join(dir, "istiod.log");
    proc = await startProcess(
      "istiod",
      bin,
      [
        "discovery",
        "--domain=cluster.local",
        `--kubeconfig=${kubeconfigPath}`,
        `--meshConfig=${meshPath}`,
        `--httpAddr=127.0.0.1:${http}`,
        `--grpcAddr=127.0.0.1:${grpc}`,
        `--secureGRPCAddr=127.0.0.1:${secureGrpc}`,
        `--httpsAddr=127.0.0.1:${https}`,
        `--monitoringAddr=127.0.0.1:${monitoring}`,
        // The default 9876 would clash between instances.
        "--ctrlz_address=127.0.0.1",
        `--ctrlz_port=${ctrlz}`,
        "--keepaliveMaxServerConnectionAge=30m",
      ],
      logPath,
      {
        // It writes its DNS certificates under ./var/run/secrets, relative to where it runs.
        cwd: dir,
        env: {
          PATH: process.env["PATH"] ?? "",
          HOME: dir,
          KUBECONFIG: kubeconfigPath,
          POD_NAMESPACE: ISTIO_NAMESPACE,
          POD_NAME: `istiod-${process.pid}`,
          // Its serving certificate names localhost, which the API server can call.
          ISTIOD_CUSTOM_HOST: "localhost",
          ...options.env,
        },
      },
    );
    const httpUrl = `http://127.0.0.1:${http}`;
    await waitUntil("istiod", [proc], options.readyTimeoutMs ?? 60_000, logPath, () =>
      httpOk(`${httpUrl}/ready`),
    );
    const pid = proc.pid;
    return {
      httpUrl,
      xdsAddress: `127.0.0.1:${grpc}`,
      webhookPort: https,
      monitoringUrl: `http://127.0.0.1:${monitoring}`,
      logPath,
      pid,
      dir,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  ensureIstiod()
    .then((file) => process.stdout.write(`${file}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
