/**
 * A real Kubernetes control plane on loopback, for tests and the cluster demo: etcd with a
 * temporary data dir, kube-apiserver on a free 127.0.0.1 port (its own self-signed serving
 * certificate, a service-account key pair, RBAC, a static admin token) and
 * kube-controller-manager with every controller on the same keys. Nothing listens beyond
 * 127.0.0.1. `stop()` ends every process by pid and removes the temporary folder, also when
 * the start failed half-way.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureControlPlaneBinaries } from "./build.js";
import { freePort, startProcess, type RunningProcess } from "./processes.js";
import { httpOk, httpsOk, waitUntil } from "./readiness.js";

/** A running control plane. */
export interface ControlPlane {
  /** `https://127.0.0.1:<port>` of kube-apiserver. */
  readonly server: string;
  /** The static admin token (group system:masters). */
  readonly token: string;
  /** The CA that signed the apiserver's serving certificate (PEM). */
  readonly caPem: string;
  /** A kubeconfig file for the admin, usable by kubectl and client-node. */
  readonly kubeconfigPath: string;
  /** The temporary folder holding data, keys and logs (removed by stop). */
  readonly dir: string;
  /** The pids of etcd, kube-apiserver and kube-controller-manager. */
  readonly pids: readonly number[];
  /** Stops every process, then removes `dir`. */
  stop(): Promise<void>;
}

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** How long to wait for each component to be ready. */
  readonly readyTimeoutMs?: number;
  /** Keep the temporary folder after stop (its logs help after a failure). */
  readonly keepDir?: boolean;
}

const SERVICE_CIDR = "10.96.0.0/16";

/** Starts etcd, kube-apiserver and kube-controller-manager; resolves once all three are ready. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const bins = await ensureControlPlaneBinaries();
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const dir = await mkdtemp(join(tmpdir(), "tranquil-cluster-"));
  const running: RunningProcess[] = [];
  const stop = async (): Promise<void> => {
    // The controller-manager and the apiserver before etcd, so neither logs a lost backend.
    for (const p of [...running].reverse()) await p.stop();
    if (options.keepDir !== true) await rm(dir, { recursive: true, force: true });
  };
  try {
    const [etcdPort, peerPort, apiPort, cmPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    running.push(
      await startProcess(
        "etcd",
        bins.etcd,
        [
          `--data-dir=${join(dir, "etcd")}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
          `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
          // Test data: losing it on a crash of the machine is fine, and fsync costs seconds.
          "--unsafe-no-fsync",
        ],
        join(dir, "etcd.log"),
      ),
    );
    await waitUntil("etcd", running, timeoutMs, join(dir, "etcd.log"), () => httpOk(`${etcdUrl}/health`));

    const token = randomBytes(24).toString("base64url");
    await writeFile(join(dir, "tokens.csv"), `${token},tranquil-admin,tranquil-admin,"system:masters"\n`, {
      mode: 0o600,
    });
    const sa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    await writeFile(join(dir, "sa.key"), sa.privateKey.export({ type: "pkcs1", format: "pem" }), {
      mode: 0o600,
    });
    await writeFile(join(dir, "sa.pub"), sa.publicKey.export({ type: "spki", format: "pem" }));
    const certDir = join(dir, "pki");
    const server = `https://127.0.0.1:${apiPort}`;
    running.push(
      await startProcess(
        "kube-apiserver",
        bins.kubeApiserver,
        [
          `--etcd-servers=${etcdUrl}`,
          "--bind-address=127.0.0.1",
          "--advertise-address=127.0.0.1",
          `--secure-port=${apiPort}`,
          `--cert-dir=${certDir}`,
          `--token-auth-file=${join(dir, "tokens.csv")}`,
          "--authorization-mode=RBAC",
          `--service-cluster-ip-range=${SERVICE_CIDR}`,
          "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
          `--service-account-key-file=${join(dir, "sa.pub")}`,
          `--service-account-signing-key-file=${join(dir, "sa.key")}`,
          // On loopback the apiserver cannot publish itself in the kubernetes Endpoints.
          "--endpoint-reconciler-type=none",
        ],
        join(dir, "kube-apiserver.log"),
      ),
    );
    await waitUntil("kube-apiserver", running, timeoutMs, join(dir, "kube-apiserver.log"), () =>
      httpsOk(`${server}/readyz`, token),
    );
    // The generated bundle is the serving certificate followed by its self-signed CA.
    const bundle = await readFile(join(certDir, "apiserver.crt"), "utf8");
    const blocks = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
    const caPem = blocks.at(-1) ?? "";
    await writeFile(join(dir, "ca.crt"), caPem);
    const kubeconfigPath = join(dir, "kubeconfig");
    await writeFile(kubeconfigPath, kubeconfig(server, caPem, token), { mode: 0o600 });

    running.push(
      await startProcess(
        "kube-controller-manager",
        bins.kubeControllerManager,
        [
          `--kubeconfig=${kubeconfigPath}`,
          `--authentication-kubeconfig=${kubeconfigPath}`,
          `--authorization-kubeconfig=${kubeconfigPath}`,
          "--authentication-skip-lookup=true",
          "--controllers=*",
          "--leader-elect=false",
          "--bind-address=127.0.0.1",
          `--secure-port=${cmPort}`,
          `--cert-dir=${join(dir, "cm-pki")}`,
          `--service-account-private-key-file=${join(dir, "sa.key")}`,
          `--root-ca-file=${join(dir, "ca.crt")}`,
          "--use-service-account-credentials=true",
        ],
        join(dir, "kube-controller-manager.log"),
      ),
    );
    await waitUntil(
      "kube-controller-manager",
      running,
      timeoutMs,
      join(dir, "kube-controller-manager.log"),
      () => httpsOk(`https://127.0.0.1:${cmPort}/healthz`),
    );
    return { server, token, caPem, kubeconfigPath, dir, pids: running.map((p) => p.pid), stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** An admin kubeconfig (YAML is a superset of JSON). */
function kubeconfig(server: string, caPem: string, token: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "local",
        cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") },
      },
    ],
    users: [{ name: "admin", user: { token } }],
    contexts: [{ name: "local", context: { cluster: "local", user: "admin" } }],
    "current-context": "local",
  });
}
