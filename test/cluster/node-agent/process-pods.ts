/**
 * Pods of Tranquil's own images, run by the node agent as processes the way a container
 * runtime would run the image: the image's entry point (or the container's `command`) with the
 * container's `args` and `env`, from the source tree. What a container gives for free is made
 * explicit, since the local node has no namespaces:
 *
 * - **Entry point:** `node dist/<path>.js` (the image's build output) runs `<path>.ts` from the
 *   source tree under Node with tsx's loader, with the working directory at the tree's root (the
 *   image's WORKDIR). Any other command is refused (CreateContainerConfigError).
 * - **Files:** each volume mount (`secret`, `configMap`, `emptyDir`, `projected`) is written to a
 *   folder of the pod, and every argument and env value that names a mount path names that
 *   folder instead.
 * - **Network:** each pod has its own loopback address (127.77.x.y), so two replicas listen on
 *   the same port as in two pods; an argument or env value `0.0.0.0` becomes that address.
 * - **Service account:** a token from the TokenRequest API, bound to the pod, handed over as a
 *   kubeconfig (`KUBECONFIG`) for the API server, as there is no path to mount it at.
 * - **Downward API and Secrets:** env `fieldRef` (metadata.name, metadata.namespace,
 *   metadata.uid, spec.nodeName, spec.serviceAccountName, status.podIP) and `secretKeyRef` /
 *   `configMapKeyRef` are resolved from the API server.
 *
 * The process's output goes to `<pod folder>/<container>.log`. Stopping sends SIGTERM and, after
 * the grace period, SIGKILL (by pid).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CoreV1Api,
  KubeConfig,
  type V1Container,
  type V1EnvVar,
  type V1Pod,
  type V1VolumeProjection,
} from "@kubernetes/client-node";

const REPO = join(import.meta.dirname, "..", "..", "..");

/** Tranquil's images the node runs as processes, and each one's entry point (its Dockerfile's). */
export const PROCESS_IMAGES: Readonly<Record<string, readonly string[]>> = {
  "tranquil/controller": ["node", "dist/controller/kubernetes/main.js"],
};

/** The entry point of `image` when the node runs it as a process, else undefined. */
export function processEntryOf(image: string | undefined): readonly string[] | undefined {
  const match = /^([a-z0-9./-]+):[A-Za-z0-9._-]+$/.exec(image ?? "");
  return match?.[1] === undefined ? undefined : PROCESS_IMAGES[match[1]];
}

/** A pod's container the node cannot run as configured (reported as CreateContainerConfigError). */
export class ContainerConfigError extends Error {
  override readonly name = "ContainerConfigError";
}

/** Hands out the pods' loopback addresses: 127.77.0.2, 127.77.0.3, … */
export class LoopbackHosts {
  private next = 2;
  private readonly free: string[] = [];

  /** A loopback address no running pod has. */
  allocate(): string {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const n = this.next++;
    if (n > 65_000) throw new Error("the local node has no loopback address left for a pod");
    return `127.77.${Math.floor(n / 250)}.${(n % 250) + 2}`;
  }

  /** Gives an address back. */
  release(host: string): void {
    this.free.push(host);
  }
}

/** A pod's process. */
export interface ProcessPod {
  /** The pod's loopback address. */
  readonly host: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (null after a signal). */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; true when it exited with 0 within the grace. */
  stop(graceMs: number): Promise<boolean>;
}

/** What {@link startProcessPod} needs. */
export interface ProcessPodOptions {
  /** The node agent's (admin) KubeConfig: reads Secrets and ConfigMaps, requests tokens. */
  readonly kc: KubeConfig;
  readonly pod: V1Pod;
  readonly container: V1Container;
  readonly entry: readonly string[];
  readonly host: string;
  /** The pod IP the API server knows it by. */
  readonly podIp: string;
}

/** Starts the pod's process; rejects with a {@link ContainerConfigError} when it cannot be run. */
export async function startProcessPod(options: ProcessPodOptions): Promise<ProcessPod> {
  const { pod, container, host } = options;
  const core = options.kc.makeApiClient(CoreV1Api);
  const dir = await mkdtemp(join(tmpdir(), `tranquil-pod-${pod.metadata?.name ?? "pod"}-`));
  try {
    const mounts = await writeVolumes(core, pod, container, dir);
    const folders = new Map(mounts);
    // One pass, longest mount path first: a path at the start of a value or after `=`, `:` or `,`.
    const paths =
      mounts.length === 0
        ? undefined
        : new RegExp(`(^|[=:,])(${mounts.map(([path]) => escape(path)).join("|")})(?=/|$|[,:])`, "g");
    const translate = (value: string): string => {
      const out = value === "0.0.0.0" ? host : value.replaceAll("=0.0.0.0", `=${host}`);
      return paths === undefined
        ? out
        : out.replace(paths, (_m, lead: string, path: string) => `${lead}${folders.get(path) ?? path}`);
    };
    const env: Record<string, string> = {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      HOME: dir,
      HOSTNAME: pod.metadata?.name ?? "",
      KUBECONFIG: await serviceAccountKubeconfig(options.kc, core, pod, dir),
    };
    for (const e of container.env ?? []) env[e.name] = translate(await envValue(core, pod, options.podIp, e));
    const command = [...(container.command ?? options.entry), ...(container.args ?? [])].map(translate);
    const argv = fromSourceTree(command);
    const log = createWriteStream(join(dir, `${container.name}.log`));
    const child = spawn(argv[0] ?? process.execPath, argv.slice(1), {
      cwd: REPO,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    void exited.then(async () => {
      log.end();
      if (process.env["TRANQUIL_KEEP_POD_LOGS"] === undefined)
        await rm(dir, { recursive: true, force: true });
    });
    return {
      host,
      child,
      exited,
      stop: async (graceMs) => {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode === 0;
        child.kill("SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        const code = await Promise.race([
          exited,
          new Promise<"late">((r) => (timer = setTimeout(() => r("late"), graceMs))),
        ]);
        clearTimeout(timer);
        if (code !== "late") return code === 0;
        child.kill("SIGKILL");
        await exited;
        return false;
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `node dist/<path>.js …` → Node with tsx's loader on `<path>.ts` of the source tree. */
function fromSourceTree(command: readonly string[]): string[] {
  const [program, script, ...rest] = command;
  const built = /^(?:\.\/)?dist\/(.+)\.js$/.exec(script ?? "");
  if (program !== "node" || built?.[1] === undefined)
    throw new ContainerConfigError(
      `the local node runs "node dist/<path>.js" entry points of Tranquil's images, not ${JSON.stringify(command.join(" "))}`,
    );
  return [process.execPath, "--import", "tsx", join(REPO, `${built[1]}.ts`), ...rest];
}

/** Writes each mounted volume into `dir`; returns mount path → folder, longest path first. */
async function writeVolumes(
  core: CoreV1Api,
  pod: V1Pod,
  container: V1Container,
  dir: string,
): Promise<[string, string][]> {
  const namespace = pod.metadata?.namespace ?? "";
  const mounts: [string, string][] = [];
  for (const m of container.volumeMounts ?? []) {
    const volume = pod.spec?.volumes?.find((v) => v.name === m.name);
    if (volume === undefined) throw new ContainerConfigError(`volume ${m.name} is mounted but not defined`);
    const folder = join(dir, "volumes", m.name);
    await mkdir(folder, { recursive: true });
    if (volume.secret !== undefined) {
      const secret = await core.readNamespacedSecret({ name: volume.secret.secretName ?? "", namespace });
      for (const [key, value] of Object.entries(secret.data ?? {}))
        await writeFile(join(folder, key), Buffer.from(value, "base64"));
    } else if (volume.configMap !== undefined) {
      const map = await core.readNamespacedConfigMap({ name: volume.configMap.name ?? "", namespace });
      for (const [key, value] of Object.entries(map.data ?? {})) await writeFile(join(folder, key), value);
    } else if (volume.projected !== undefined) {
      await writeProjected(core, pod, volume.projected.sources ?? [], folder);
    } else if (volume.emptyDir === undefined) {
      throw new ContainerConfigError(
        `volume ${m.name}: the local node mounts secret, configMap, projected and emptyDir volumes only`,
      );
    }
    mounts.push([m.mountPath, folder]);
  }
  return mounts.sort((a, b) => b[0].length - a[0].length);
}

/**
 * A projected volume (the service account's `kube-api-access-*` the API server adds): a bound
 * token, ConfigMap keys (the cluster's CA), downward API fields.
 */
async function writeProjected(
  core: CoreV1Api,
  pod: V1Pod,
  sources: readonly V1VolumeProjection[],
  folder: string,
): Promise<void> {
  const namespace = pod.metadata?.namespace ?? "";
  for (const source of sources) {
    if (source.serviceAccountToken !== undefined) {
      const t = source.serviceAccountToken;
      const token = await boundToken(core, pod, t.expirationSeconds ?? 3_600, t.audience ? [t.audience] : []);
      await writeFile(join(folder, t.path), token, { mode: 0o600 });
    } else if (source.configMap !== undefined) {
      const map = await core.readNamespacedConfigMap({ name: source.configMap.name ?? "", namespace });
      const items = source.configMap.items ?? Object.keys(map.data ?? {}).map((key) => ({ key, path: key }));
      for (const item of items) await writeFile(join(folder, item.path), map.data?.[item.key] ?? "");
    } else if (source.downwardAPI !== undefined) {
      for (const item of source.downwardAPI.items ?? []) {
        const path = item.fieldRef?.fieldPath;
        const value = path === undefined ? undefined : podField(pod, "", path);
        if (value === undefined)
          throw new ContainerConfigError(`downward API field ${path ?? "?"} is not supported`);
        await writeFile(join(folder, item.path), value);
      }
    } else {
      throw new ContainerConfigError(
        "a projected volume source other than a token, a ConfigMap or the downward API",
      );
    }
  }
}

/** A pod's field for the downward API, or undefined when the node does not provide it. */
function podField(pod: V1Pod, podIp: string, path: string): string | undefined {
  const fields: Record<string, string | undefined> = {
    "metadata.name": pod.metadata?.name,
    "metadata.namespace": pod.metadata?.namespace,
    "metadata.uid": pod.metadata?.uid,
    "spec.nodeName": pod.spec?.nodeName,
    "spec.serviceAccountName": pod.spec?.serviceAccountName,
    "status.podIP": podIp,
  };
  return fields[path];
}

/** A token of the pod's ServiceAccount from the TokenRequest API, bound to the pod. */
async function boundToken(
  core: CoreV1Api,
  pod: V1Pod,
  expirationSeconds: number,
  audiences: string[],
): Promise<string> {
  const namespace = pod.metadata?.namespace ?? "";
  const account = pod.spec?.serviceAccountName ?? "default";
  const request = await core.createNamespacedServiceAccountToken({
    namespace,
    name: account,
    body: {
      spec: {
        audiences,
        expirationSeconds,
        boundObjectRef: {
          apiVersion: "v1",
          kind: "Pod",
          name: pod.metadata?.name ?? "",
          uid: pod.metadata?.uid ?? "",
        },
      },
    },
  });
  const token = request.status?.token;
  if (token === undefined || token === "")
    throw new ContainerConfigError(`no token for ServiceAccount ${namespace}/${account}`);
  return token;
}

async function envValue(core: CoreV1Api, pod: V1Pod, podIp: string, e: V1EnvVar): Promise<string> {
  if (e.valueFrom === undefined) return e.value ?? "";
  const namespace = pod.metadata?.namespace ?? "";
  const field = e.valueFrom.fieldRef?.fieldPath;
  if (field !== undefined) {
    const value = podField(pod, podIp, field);
    if (value === undefined)
      throw new ContainerConfigError(`env ${e.name}: fieldRef ${field} is not supported`);
    return value;
  }
  const secretRef = e.valueFrom.secretKeyRef;
  if (secretRef !== undefined) {
    const secret = await core.readNamespacedSecret({ name: secretRef.name ?? "", namespace });
    const value = secret.data?.[secretRef.key];
    if (value === undefined)
      throw new ContainerConfigError(`env ${e.name}: Secret ${secretRef.name} has no ${secretRef.key}`);
    return Buffer.from(value, "base64").toString("utf8");
  }
  const mapRef = e.valueFrom.configMapKeyRef;
  if (mapRef !== undefined) {
    const map = await core.readNamespacedConfigMap({ name: mapRef.name ?? "", namespace });
    const value = map.data?.[mapRef.key];
    if (value === undefined)
      throw new ContainerConfigError(`env ${e.name}: ConfigMap ${mapRef.name} has no ${mapRef.key}`);
    return value;
  }
  throw new ContainerConfigError(`env ${e.name}: this valueFrom is not supported on the local node`);
}

/** A token of the pod's ServiceAccount bound to the pod, as a kubeconfig file in `dir`. */
async function serviceAccountKubeconfig(
  kc: KubeConfig,
  core: CoreV1Api,
  pod: V1Pod,
  dir: string,
): Promise<string> {
  const namespace = pod.metadata?.namespace ?? "";
  const account = pod.spec?.serviceAccountName ?? "default";
  const token = await boundToken(core, pod, 3_600, []);
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new ContainerConfigError("the node's KubeConfig names no cluster");
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: [{ ...cluster, name: "in-cluster" }],
    users: [{ name: account, token }],
    contexts: [{ name: "in-cluster", cluster: "in-cluster", user: account, namespace }],
    currentContext: "in-cluster",
  });
  const file = join(dir, "kubeconfig");
  await writeFile(file, out.exportConfig(), { mode: 0o600 });
  return file;
}
