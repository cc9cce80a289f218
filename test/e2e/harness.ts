/**
 * The end-to-end harness: boots the local mesh (logistics services at v1), the local controller
 * and simulated users with fast settings, and tears everything down. Tests grade from outside
 * the TraceManager: the load generator's `servedBy`/`mixed` per transaction and the old
 * instances' own `lastServedAt` (DESIGN §2).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pino, { type Logger } from "pino";
import type { DelayDistribution, DelayRange } from "../../istio/local-mesh/control-plane/types.js";
import type { VirtualService } from "../../istio/api/types.js";
import type { PodReport, TraceStore } from "../../trace-manager/store/port.js";
import { startMesh, type MeshHandle } from "../../istio/local-mesh/runtime/mesh-runtime.js";
import { loadTopology } from "../../istio/local-mesh/runtime/topology.js";
import { runLoad, type LoadOptions, type LoadReport } from "../../sample-services/load/index.js";
import type { G3Bound } from "../../controller/local/demo/g3-bound.js";
import { demoTimings } from "../../controller/local/demo/demo-settings.js";
import { waitUntilServing } from "../../controller/local/demo/warm-up.js";
import { watchUpgrade } from "../../controller/local/demo/watch-upgrade.js";
import type { Settings } from "../../controller/engine/settings.js";
import type { UpgradeSpec } from "../../controller/engine/types.js";
import { startLocalController, type LocalController } from "../../controller/local/local-controller.js";
import { KillSwitch } from "../../controller/local/testing/killable.js";
import type { UpgradeRecord } from "../../controller/ports/upgrade-store.js";
import type { NotifySettings } from "../../controller/notify/notify-config.js";

const here = dirname(fileURLToPath(import.meta.url));
const demoDir = join(here, "..", "..", "controller", "local", "demo");

/** Which topology a test boots. */
export const E2eTopology = {
  Demo: "demo",
  BadRelease: "bad-release",
  EntryUpgrade: "entry-upgrade",
} as const;
/** A topology name. */
export type E2eTopology = (typeof E2eTopology)[keyof typeof E2eTopology];

/** Timings every e2e test shares: DESIGN §4.9's defaults shortened, every mechanism in play. */
export interface E2eTimings {
  readonly settings: Settings;
  readonly reconcileIntervalMs: number;
  readonly traceManagerHeartbeatMs: number;
  readonly pushDelay: DelayDistribution;
  readonly workerLag: DelayRange;
  readonly bound: G3Bound;
}

/** Random push delays with a long tail (one push in five takes 0.8–1.5 s). */
export const LONG_TAIL_PUSHES: DelayDistribution = {
  minMs: 50,
  maxMs: 400,
  tail: { probability: 0.2, minMs: 800, maxMs: 1_500 },
};

/** The quick demo's timings with harsher push delays, and the G3 bound computed from them. */
export function e2eTimings(pushDelay: DelayDistribution = LONG_TAIL_PUSHES): E2eTimings {
  return demoTimings(true, pushDelay);
}

/**
 * The strategy the tests use: steps, a 2 s analysis window, a 95% success-rate floor. A busy
 * shared machine may leave a short window without a request to `new` (which fails that
 * analysis), so two such windows are tolerated unless the test says otherwise.
 */
export function strategy(
  steps: readonly number[] = [50, 100],
  failureLimit = 2,
): NonNullable<UpgradeSpec["strategy"]> {
  return { steps: [...steps], stepInterval: "2s", analysis: { successRate: { min: 95 } }, failureLimit };
}

function topologyPath(t: E2eTopology): string {
  if (t === E2eTopology.EntryUpgrade) return join(here, "entry-upgrade.topology.yaml");
  return join(demoDir, t === E2eTopology.BadRelease ? "bad-release.topology.yaml" : "demo.topology.yaml");
}

/** Options of {@link bootE2e}. */
export interface BootOptions {
  readonly topology?: E2eTopology;
  readonly pushDelay?: DelayDistribution;
  /** Start no controller (the control run). */
  readonly withoutController?: boolean;
  /** Keep upgrades in a state file (G5). */
  readonly statePath?: string;
  /** What the controller reads the TraceManagers' data through (G4 fault injection). */
  readonly controllerTraceStore?: (real: TraceStore) => TraceStore;
  /** The controller's Prometheus (its install-wide provider). */
  readonly prometheusAddress?: string;
  /** Where the controller sends its notifications. */
  readonly notify?: NotifySettings;
  /** The controller's secrets directory (webhook gates' bearer tokens). */
  readonly secretsDir?: string;
}

/** A booted mesh with its controller. */
export interface E2eEnv {
  readonly mesh: MeshHandle;
  readonly logger: Logger;
  /** Where every component logs (kept after the test when `E2E_KEEP_LOGS` is set). */
  readonly logPath: string;
  readonly timings: E2eTimings;
  /** The current controller; throws when none runs. */
  readonly ctl: () => LocalController;
  /** Stops the current controller (gracefully: the reconciler finishes its tick, the API closes). */
  stopController(): Promise<void>;
  /** Kills the current controller as a crash would (nothing in flight finishes, nothing is flushed). */
  killController(): void;
  /** Starts a (new) controller against the same mesh and state file. */
  startController(): Promise<LocalController>;
  /** Stops the controller and the mesh, and removes the log unless `E2E_KEEP_LOGS` is set. */
  stop(): Promise<void>;
}

/** Boots the mesh, waits until it is warm (see {@link warmUp}), and starts a controller. */
export async function bootE2e(options: BootOptions = {}): Promise<E2eEnv> {
  const timings = e2eTimings(options.pushDelay);
  const dir = await mkdtemp(join(tmpdir(), "tranquil-e2e-"));
  const logPath = join(dir, "e2e.log");
  const logger = pino({ level: "info" }, pino.destination({ dest: logPath, sync: false }));
  const topology = await loadTopology(topologyPath(options.topology ?? E2eTopology.Demo));
  const mesh = await startMesh(topology, {
    logger,
    pushDelay: timings.pushDelay,
    workerLag: timings.workerLag,
    traceManager: { heartbeatMs: timings.traceManagerHeartbeatMs },
  });
  let current: LocalController | undefined;
  let killSwitch: KillSwitch | undefined;
  const startController = async (): Promise<LocalController> => {
    if (current !== undefined) throw new Error("e2e: a controller is running already; stop it first");
    const ks = new KillSwitch();
    killSwitch = ks;
    current = await startLocalController({
      interpose: (port) => ks.wrap(port),
      mesh:
        options.controllerTraceStore === undefined
          ? mesh
          : { ...mesh, traceStore: options.controllerTraceStore(mesh.traceStore) },
      logger,
      settings: timings.settings,
      intervalMs: timings.reconcileIntervalMs,
      ...(options.statePath !== undefined ? { statePath: options.statePath } : {}),
      ...(options.prometheusAddress !== undefined ? { prometheusAddress: options.prometheusAddress } : {}),
      ...(options.notify !== undefined ? { notify: options.notify } : {}),
      ...(options.secretsDir !== undefined ? { secretsDir: options.secretsDir } : {}),
      webhookBackoffMs: 50,
    });
    return current;
  };
  const stopController = async (): Promise<void> => {
    const c = current;
    current = undefined;
    await c?.stop();
  };
  const killController = (): void => {
    const c = current;
    current = undefined;
    killSwitch?.kill();
    c?.halt();
  };
  try {
    await warmUp(mesh, 30_000);
    if (options.withoutController !== true) await startController();
  } catch (err) {
    await mesh.stop().catch(() => undefined);
    throw err;
  }
  return {
    mesh,
    logger,
    logPath,
    timings,
    ctl: () => {
      if (current === undefined) throw new Error("e2e: no controller is running");
      return current;
    },
    stopController,
    killController,
    startController,
    stop: async () => {
      await stopController();
      await mesh.stop();
      logger.flush();
      // The directory holds only the log.
      if (process.env["E2E_KEEP_LOGS"] === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until every proxy holds the store's current config (endpoints included), then until the
 * load generator's setup calls (staff login, stations, items) succeed through the ingress.
 * `startMesh` resolves before pushes have reached every proxy, and the load generator's setup
 * is a single attempt, so starting users on a cold mesh would end the whole run at its first 503.
 */
export async function warmUp(mesh: MeshHandle, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await waitForPushes(mesh, timeoutMs);
  await waitUntilServing(mesh.ingressUrl, Math.max(1, deadline - Date.now()), 1);
}

/** Waits until every proxy (the ingress and each pod's sidecar) holds the store's current epoch. */
export async function waitForPushes(mesh: MeshHandle, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const proxies = (): string[] => ["ingress", ...mesh.instances().map((i) => i.pod)];
  const behind = (): string[] =>
    proxies().filter((p) => (mesh.scheduler.deliveredEpoch(p) ?? -1) < mesh.configStore.epoch);
  while (behind().length > 0) {
    if (Date.now() > deadline)
      throw new Error(`e2e: proxies ${behind().join(", ")} never received epoch ${mesh.configStore.epoch}`);
    await sleep(50);
  }
}

/** Users running in the background. */
export interface Users {
  /** Stops starting journeys, lets those in progress finish, and returns what the users saw. */
  finish(): Promise<LoadReport>;
}

/** Starts simulated users against the ingress (bounded: 90 s, 2,000 journeys at most). */
export function startUsers(mesh: MeshHandle, overrides: Partial<LoadOptions> = {}): Users {
  const stopStarting = new AbortController();
  const report = runLoad({
    baseUrl: mesh.ingressUrl,
    durationMs: 90_000,
    maxJourneys: 2_000,
    ratePerSecond: 6,
    concurrency: 6,
    slowFraction: 0.2,
    slowDelayMs: { min: 1_000, max: 2_500 },
    drainTimeoutMs: 20_000,
    requestTimeoutMs: 30_000,
    ...overrides,
    stopStarting: stopStarting.signal,
  });
  return {
    finish: () => {
      stopStarting.abort();
      return report;
    },
  };
}

/** Answer of the controller's HTTP API. */
export interface ApiAnswer {
  readonly status: number;
  readonly body: { error?: string; problems?: unknown; [k: string]: unknown };
}

/** POSTs to the controller's HTTP API, as the CLI would. */
export async function api(ctl: LocalController, path: string, body?: unknown): Promise<ApiAnswer> {
  const res = await fetch(`${ctl.apiUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ctl.token}` },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as ApiAnswer["body"] };
}

/** Creates an upgrade through the HTTP API; throws unless it is accepted. */
export async function createUpgrade(ctl: LocalController, name: string, spec: UpgradeSpec): Promise<void> {
  const answer = await api(ctl, "/v1/upgrades", { name, spec });
  if (answer.status !== 201)
    throw new Error(`e2e: upgrade ${name} refused: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** Follows an upgrade until it ends; progress lines go to `out` (silent by default). */
export function waitForEnd(
  ctl: LocalController,
  id: string,
  timeoutMs = 90_000,
  out: (line: string) => void = () => undefined,
): Promise<UpgradeRecord> {
  return watchUpgrade(ctl.store, { namespace: "default", name: id }, out, timeoutMs);
}

/** Polls the upgrade until `pred` holds (or throws after `timeoutMs`). */
export async function waitUntil(
  ctl: () => LocalController,
  id: string,
  pred: (u: UpgradeRecord) => boolean,
  timeoutMs = 60_000,
): Promise<UpgradeRecord> {
  const deadline = Date.now() + timeoutMs;
  let last: UpgradeRecord | undefined;
  while (Date.now() < deadline) {
    last = await ctl().store.get({ namespace: "default", name: id });
    if (pred(last)) return last;
    await sleep(50);
  }
  throw new Error(
    `e2e: upgrade ${id} did not reach the awaited state within ${timeoutMs} ms (last ${last?.status.phase}/${last?.status.engine.stage})`,
  );
}

/** Every VirtualService as `name → JSON of its spec` (what user-visible routing is). */
export function virtualServiceSpecs(mesh: MeshHandle): Map<string, string> {
  return new Map(
    mesh.configStore
      .list("VirtualService")
      .map((vs: VirtualService) => [`${vs.metadata.namespace}/${vs.metadata.name}`, JSON.stringify(vs.spec)]),
  );
}

/** Every DestinationRule as `name → JSON of its spec`. */
export function destinationRuleSpecs(mesh: MeshHandle): Map<string, string> {
  return new Map(
    mesh.configStore
      .list("DestinationRule")
      .map((dr) => [`${dr.metadata.namespace}/${dr.metadata.name}`, JSON.stringify(dr.spec)]),
  );
}

/** Versions of a service's running (or terminating) instances, sorted. */
export function versionsOf(mesh: MeshHandle, service: string): string[] {
  return mesh
    .instances()
    .filter((i) => i.service === service)
    .map((i) => i.version)
    .sort();
}

/** Names of Tranquil-owned routes (`tranquil-*`) anywhere in the config store. */
export function tranquilRoutes(mesh: MeshHandle): string[] {
  return mesh.configStore
    .list("VirtualService")
    .flatMap((vs) => (vs.spec.http ?? []).map((r) => r.name ?? ""))
    .filter((n) => n.startsWith("tranquil-"));
}

/** A one-line summary of what the users saw. */
export function describeLoad(r: LoadReport): string {
  const s = r.summary;
  const seen = Object.entries(s.versionsSeen)
    .map(
      ([svc, vs]) =>
        `${svc}{${Object.entries(vs)
          .map(([v, n]) => `${v}:${n}`)
          .join(",")}}`,
    )
    .join(" ");
  return `transactions ${s.total}, failed ${s.failed}, mixed ${s.mixed}; ${seen}`;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** What {@link recordRouteWrites} saw. */
export interface RouteWriteLog {
  /** Route configurations written twice under one sentinel epoch with different contents. */
  conflicts(): string[];
  /** Distinct sentinel epochs written (`<vs>@tranquil-<id>-e<N>`). */
  epochs(): string[];
  stop(): void;
}

/**
 * Watches every VirtualService write and keys it by the sentinel it carries (the config epoch,
 * DESIGN §1): a re-executed action may write the same epoch again, but never different contents.
 */
export function recordRouteWrites(mesh: MeshHandle): RouteWriteLog {
  const seen = new Map<string, string>();
  const conflicts: string[] = [];
  const unwatch = mesh.configStore.watch("VirtualService", (event) => {
    if (event.type === "DELETED") return;
    const vs = event.object;
    for (const name of (vs.spec.http ?? []).map((r) => r.name ?? "")) {
      if (!/^tranquil-.+-e\d+$/.test(name)) continue;
      const key = `${vs.metadata.name}@${name}`;
      const content = JSON.stringify(vs.spec);
      const before = seen.get(key);
      if (before !== undefined && before !== content) conflicts.push(`${key}: ${before} then ${content}`);
      seen.set(key, content);
    }
  });
  return { conflicts: () => [...conflicts], epochs: () => [...seen.keys()], stop: unwatch };
}

/** Collects the pods of `service@version` that ever ran (sampled every 20 ms). */
export function recordPods(
  mesh: MeshHandle,
  service: string,
  version: string,
): { pods(): string[]; stop(): void } {
  const pods = new Set<string>();
  const sample = (): void => {
    for (const i of mesh.instances()) if (i.service === service && i.version === version) pods.add(i.pod);
  };
  const timer = setInterval(sample, 20);
  return {
    pods: () => {
      sample();
      return [...pods];
    },
    stop: () => clearInterval(timer),
  };
}

/** A pod whose reports the controller sees frozen, as if its TraceManager had stopped. */
export interface FreezeSwitch {
  /** Freezes the reports of `pod` from now on (its heartbeat and watermark stop advancing). */
  freeze(pod: string): void;
  /** Lets its live reports through again. */
  thaw(): void;
}

/**
 * Wraps the trace store the controller reads so that one pod's report can be frozen: the
 * controller then sees exactly what a stopped TraceManager leaves behind (a heartbeat that goes
 * stale, a watermark that no longer advances). The TraceManagers keep writing the real store.
 */
export function freezableTraceStore(): { wrap: (real: TraceStore) => TraceStore; control: FreezeSwitch } {
  let frozenPod: string | null = null;
  let frozen: PodReport | undefined;
  const wrap = (real: TraceStore): TraceStore =>
    new Proxy(real, {
      get(target, prop) {
        if (prop === "pods") {
          return async (): Promise<readonly PodReport[]> => {
            const live = await target.pods();
            if (frozenPod === null) return live;
            frozen ??= live.find((p) => p.pod === frozenPod);
            return live.map((p) => (p.pod === frozenPod && frozen !== undefined ? frozen : p));
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  return {
    wrap,
    control: {
      freeze: (pod) => {
        frozenPod = pod;
        frozen = undefined;
      },
      thaw: () => {
        frozenPod = null;
        frozen = undefined;
      },
    },
  };
}
