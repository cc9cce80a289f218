/**
 * Builds the local cluster's real control plane from the Go module proxy, once per version,
 * into a cache outside the work tree: etcd, kube-apiserver and kube-controller-manager. The
 * modules are pinned by the go.mod/go.sum committed beside this file (`../kube-build`,
 * `../etcd-build`), so a build is reproducible. Parallel test workers wait for one build
 * under a lock. Run it directly to build ahead of the tests:
 *
 *   npx tsx test/cluster/control-plane/build.ts
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { withLock } from "./lock.js";

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

interface Target {
  readonly name: keyof ControlPlaneBinaries;
  readonly file: string;
  readonly module: string;
  readonly pkg: string;
  readonly ldflags: string;
}

/** The cache folder, keyed by both versions: `~/.cache/tranquil/kube/<k8s>-etcd-<etcd>/`. */
export function cacheDir(): string {
  const base = process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache");
  return join(base, "tranquil", "kube", `${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}`);
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

function targets(dir: string): Target[] {
  const kube = versionLdflags();
  return [
    {
      name: "etcd",
      file: join(dir, "etcd"),
      module: ETCD_MODULE,
      pkg: "go.etcd.io/etcd/server/v3",
      ldflags: "-s -w",
    },
    {
      name: "kubeApiserver",
      file: join(dir, "kube-apiserver"),
      module: KUBE_MODULE,
      pkg: "k8s.io/kubernetes/cmd/kube-apiserver",
      ldflags: kube,
    },
    {
      name: "kubeControllerManager",
      file: join(dir, "kube-controller-manager"),
      module: KUBE_MODULE,
      pkg: "k8s.io/kubernetes/cmd/kube-controller-manager",
      ldflags: kube,
    },
  ];
}

/** A hash of what a binary is built from: its module's go.mod and go.sum, and the flags. */
async function recipe(target: Target): Promise<string> {
  const hash = createHash("sha256");
  for (const f of ["go.mod", "go.sum"]) hash.update(await readFile(join(target.module, f)));
  hash.update(target.pkg).update(target.ldflags);
  return hash.digest("hex");
}

async function upToDate(target: Target): Promise<boolean> {
  if (!existsSync(target.file)) return false;
  try {
    return (await readFile(`${target.file}.recipe`, "utf8")) === (await recipe(target));
  } catch {
    return false;
  }
}

/** Runs `go` with inherited output; rejects with what to do when Go is missing or the build fails. */
function go(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("go", args, { cwd, stdio: ["ignore", "inherit", "inherit"] });
    child.once("error", (err) => {
      reject(
        new Error(
          "cannot run `go`: the local cluster builds kube-apiserver, etcd and kube-controller-manager from Go modules; install Go 1.26 or later and put it on PATH",
          { cause: err },
        ),
      );
    });
    child.once("exit", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`go ${args.join(" ")} (in ${cwd}) exited with ${code ?? "a signal"}`));
    });
  });
}

async function build(target: Target, log: (line: string) => void): Promise<void> {
  const version = target.name === "etcd" ? ETCD_VERSION : KUBERNETES_VERSION;
  const started = Date.now();
  log(`building ${basename(target.file)} ${version} from Go modules (first time only; several minutes)`);
  const tmp = `${target.file}.tmp-${process.pid}`;
  await go(["build", "-mod=readonly", "-ldflags", target.ldflags, "-o", tmp, target.pkg], target.module);
  await writeFile(`${target.file}.recipe`, await recipe(target));
  await rename(tmp, target.file);
  log(`built ${target.file} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** The binaries, built first when the cache lacks them or their recipe changed. */
export async function ensureControlPlaneBinaries(
  log: (line: string) => void = (l) => process.stderr.write(`tranquil cluster: ${l}\n`),
): Promise<ControlPlaneBinaries> {
  const dir = cacheDir();
  await mkdir(dir, { recursive: true });
  const all = targets(dir);
  const stale = async (): Promise<Target[]> => {
    const out: Target[] = [];
    for (const t of all) if (!(await upToDate(t))) out.push(t);
    return out;
  };
  if ((await stale()).length > 0) {
    await withLock(`${dir}.lock`, log, async () => {
      // Another worker may have built them while this one waited for the lock.
      for (const t of await stale()) {
        await rm(`${t.file}.recipe`, { force: true });
        await build(t, log);
      }
    });
  }
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
