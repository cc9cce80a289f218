/**
 * Test support: the real HTTP API (createApi) on 127.0.0.1 port 0 over a FileUpgradeStore in
 * a temp directory, plus a stand-in "engine" that moves an upgrade by writing its status to
 * the store, the way the reconciler does. Used by the API's and the CLI's tests.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { createApi } from "../../api/server.js";
import { FileUpgradeStore } from "../../local/file-upgrade-store.js";
import { UpgradeConflictError, type UpgradeRecord, type UpgradeStore } from "../../ports/upgrade-store.js";
import type { UpgradeStatus } from "../../engine/types.js";

/** A running API for one test file. */
export interface ApiFixture {
  readonly url: string;
  readonly token: string;
  readonly store: FileUpgradeStore;
  /** Closes open streams, the server and the store, and removes the temp directory. */
  close(): Promise<void>;
}

/** The token fixtures use (the API requires at least 16 characters). */
export const TEST_TOKEN = "test-token-0123456789abcdef";

/** Starts the API on a free port. */
export async function startApiFixture(
  options: { keepAliveMs?: number; notReady?: () => readonly string[] } = {},
): Promise<ApiFixture> {
  const dir = await mkdtemp(join(tmpdir(), "tranquil-api-"));
  const store = await FileUpgradeStore.open({ path: join(dir, "upgrades.json") });
  const app = createApi({
    store,
    token: TEST_TOKEN,
    logger: pino({ level: "silent" }),
    ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
    ...(options.notReady !== undefined ? { notReady: options.notReady } : {}),
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token: TEST_TOKEN,
    store,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A change to an upgrade's status, as the engine would write it. */
export type StatusPatch = Partial<Omit<UpgradeStatus, "engine">> & {
  readonly stage?: UpgradeStatus["engine"]["stage"];
  /** The history entry's message (default `<phase>/<stage>`), as the engine writes on entering a phase. */
  readonly message?: string;
};

/**
 * Writes `patch` into the stored status of `id` (with the current resourceVersion, retried
 * on conflicts like the reconciler's writes) and appends a history entry.
 */
export async function writeStatus(
  store: UpgradeStore,
  id: string,
  patch: StatusPatch,
  at = Date.now(),
  namespace = "default",
): Promise<UpgradeRecord> {
  for (let attempt = 0; ; attempt++) {
    const current = await store.get({ namespace, name: id });
    const { stage, message, ...fields } = patch;
    const phase = fields.phase ?? current.status.phase;
    const nextStage = stage ?? current.status.engine.stage;
    const status: UpgradeStatus = {
      ...current.status,
      ...fields,
      history: [
        ...current.status.history,
        { at, phase, stage: nextStage, message: message ?? `${phase}/${nextStage}` },
      ],
      engine: { ...current.status.engine, stage: nextStage, stageSince: at },
    };
    try {
      return await store.updateStatus(current, current.resourceVersion, status);
    } catch (err) {
      if (!(err instanceof UpgradeConflictError) || attempt > 5) throw err;
    }
  }
}

/** The status changes of an upgrade that succeeds with steps 10,50,100 (DESIGN §4). */
export const SUCCEEDING_RUN: readonly StatusPatch[] = [
  { phase: "Preparing", stage: "holdOld", confirmed: { ready: 1, total: 3 } },
  { phase: "Preparing", stage: "openDoor", confirmed: { ready: 3, total: 3 } },
  {
    phase: "Shifting",
    stage: "setWeight",
    step: 0,
    weight: 10,
    weightVersion: 1,
    activeOld: 4,
    oldestActiveAgeSeconds: 0.8,
  },
  { phase: "Shifting", stage: "analyse", step: 1, weight: 50, weightVersion: 2 },
  { phase: "Shifting", stage: "analyse", step: 2, weight: 100, weightVersion: 3 },
  {
    phase: "Draining",
    stage: "ingressDrain",
    activeOld: 2,
    oldestActiveAgeSeconds: 3.5,
    conditions: [
      {
        type: "Waiting",
        status: "True",
        reason: "OldTransactionsActive",
        message: "2 non-enrolled transactions still in flight at the gateways",
        lastTransitionTime: 0,
      },
    ],
  },
  { phase: "Draining", stage: "pin", activeOld: 0, oldestActiveAgeSeconds: 0, pinned: 1, conditions: [] },
  { phase: "Draining", stage: "tranquil", pinned: 0 },
  { phase: "Finalizing", stage: "scaleOld" },
  { phase: "Succeeded", stage: "done" },
];

/** The status changes of an upgrade whose analysis fails at 50% and rolls back. */
export const ROLLING_BACK_RUN: readonly StatusPatch[] = [
  { phase: "Preparing", stage: "openDoor", confirmed: { ready: 3, total: 3 } },
  { phase: "Shifting", stage: "setWeight", step: 0, weight: 10, weightVersion: 1 },
  { phase: "Shifting", stage: "analyse", step: 1, weight: 50, weightVersion: 2 },
  {
    phase: "RollingBack",
    stage: "weightZero",
    weight: 0,
    weightVersion: 3,
    message: "rolling back: analysis failed: order-service@v2: success rate 42.857142857142854% < 99%",
  },
  {
    phase: "RolledBack",
    stage: "done",
    conditions: [
      {
        type: "Failed",
        status: "True",
        reason: "AnalysisFailed",
        message: "success rate of v2 was 71% (minimum 99%)",
        lastTransitionTime: 0,
      },
    ],
  },
];
