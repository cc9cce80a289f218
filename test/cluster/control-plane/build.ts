/**
 * Builds the local cluster's real control plane from the Go module proxy, once per version,
 * into a cache outside the work tree: etcd, kube-apiserver and kube-controller-manager. The
 * modules are pinned by the go.mod/go.sum committed beside this file (`../kube-build`,
 * `../etcd-build`), so a build is reproducible. Parallel test workers wait for one build
 * under a lock. Run it directly to build ahead of the tests:
 *
 *   npx tsx test/cluster/control-plane/build.ts
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ensureGoBinaries, tranquilCacheDir, type GoTarget } from "../../support/go-binaries.js";

/** The pinned versions (issue: Kubernetes v1.37.2, etcd v3.5.35). */
export const KUBERNETES_VERSION = "v1.37.2";
export const ETCD_VERSION = "v3.5.35";

const HERE = import.meta.dirname;
const KUBE_MODULE = join(HERE, "..", "kube-build");
const ETCD_MODULE = join(HERE, "..", "etcd-build");

/** Where the binaries of one control plane live. */
export interface ControlPlaneBinaries {
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
}

/** The cache folder, keyed by both versions: `~/.cache/tranquil/kube/<k8s>-etcd-<etcd>/`. */
export function cacheDir(): string {
  return tranquilCacheDir("kube", `${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}`);
}

/** Clients parse the server's version from these; without them `/version` says v0.0.0. */
function versionLdflags(): string {
  const [major = "", minor = ""] = KUBERNETES_VERSION.slice(1).split(".");
  const vars = ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${KUBERNETES_VERSION}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ]);
  return [...vars, "-s", "-w"].join(" ");
}

function targets(dir: string): (GoTarget & { readonly name: keyof ControlPlaneBinaries })[] {
  const kube = versionLdflags();
  return [
    {
      name: "etcd",
      file: join(dir, "etcd"),
      module: ETCD_MODULE,
      pkg: "go.etcd.io/etcd/server/v3",
      ldflags: "-s -w",
      version: ETCD_VERSION,
    },
    {
      name: "kubeApiserver",
      file: join(dir, "kube-apiserver"),
      module: KUBE_MODULE,
      pkg: "k8s.io/kubernetes/cmd/kube-apiserver",
      ldflags: kube,
      version: KUBERNETES_VERSION,
    },
    {
      name: "kubeControllerManager",
      file: join(dir, "kube-controller-manager"),
      module: KUBE_MODULE,
      pkg: "k8s.io/kubernetes/cmd/kube-controller-manager",
      ldflags: kube,
      version: KUBERNETES_VERSION,
    },
  ];
}

/** The binaries, built first when the cache lacks them or their recipe changed. */
export async function ensureControlPlaneBinaries(
  log: (line: string) => void = (l) => process.stderr.write(`tranquil cluster: ${l}\n`),
): Promise<ControlPlaneBinaries> {
  const dir = cacheDir();
  const all = targets(dir);
  await ensureGoBinaries(
    dir,
    all,
    "the local cluster's control plane (kube-apiserver, etcd, kube-controller-manager)",
    log,
  );
  return Object.fromEntries(all.map((t) => [t.name, t.file])) as unknown as ControlPlaneBinaries;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  ensureControlPlaneBinaries().then(
    (bins) => {
      process.stderr.write(
        `tranquil cluster: control plane ready in ${cacheDir()} (${((Date.now() - started) / 1000).toFixed(0)} s): ${Object.values(bins).length} binaries\n`,
      );
    },
    (err: unknown) => {
      process.stderr.write(`tranquil cluster: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
