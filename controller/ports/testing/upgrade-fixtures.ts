/**
 * Upgrades for store tests: a small spec, and a status deep in Draining in which every instant
 * is set, with milliseconds, so a store that loses or reshapes one is caught.
 */
import { initialStatus } from "../../engine/status.js";
import type { UpgradeRecord } from "../upgrade-store.js";
import {
  ActionKind,
  ConditionType,
  Phase,
  RouteMode,
  Stage,
  type UpgradeSpec,
  type UpgradeStatus,
} from "../../engine/types.js";

/** A one-service spec. */
export const SMALL_SPEC: UpgradeSpec = { services: [{ name: "auth-service", from: "v1", to: "v2" }] };

/** 2026-12-02T19:00:00.123Z: an instant with milliseconds. */
export const BASE_INSTANT = Date.UTC(2026, 11, 2, 19, 0, 0, 123);

/** A status in Draining with every instant set (`base + n` ms, each different) and every list non-empty. */
export function busyStatus(base = BASE_INSTANT): UpgradeStatus {
  const start = initialStatus(base);
  let n = 0;
  const at = (): number => base + 1_001 * ++n;
  return {
    ...start,
    phase: Phase.Draining,
    weight: 100,
    weightVersion: 4,
    step: 2,
    configEpoch: 7,
    confirmed: { ready: 3, total: 4 },
    activeOld: 2,
    oldestActiveAgeSeconds: 12.5,
    pinned: 1,
    dirtyPods: ["auth-service-v1-0"],
    conditions: [
      {
        type: ConditionType.Waiting,
        status: "True",
        reason: "Unconfirmed",
        message: "1 of 4 proxies has not confirmed epoch 7",
        lastTransitionTime: at(),
      },
    ],
    history: [
      ...start.history,
      { at: at(), phase: Phase.Draining, stage: Stage.Pin, message: "pinned 1 transaction" },
    ],
    engine: {
      ...start.engine,
      stage: Stage.Pin,
      stageSince: at(),
      waitingSince: at(),
      confirmedAt: at(),
      pending: [{ kind: ActionKind.SetWeight, key: "weight-4", weight: 100, weightVersion: 4 }],
      acked: ["routes-7"],
      routes: { mode: RouteMode.DoorOpen, sentinel: true, pins: ["tx-1"] },
      confirmedEpoch: 6,
      pins: [{ id: "tx-1", pinnedAt: at(), lastSeenAt: at(), straggler: false }],
      lost: ["tx-0"],
      lastPinWriteAt: at(),
      stragglers: 1,
      waitLog: [
        { reason: "Grace", since: at(), ms: 500 },
        { reason: "Settling", since: at(), ms: 1_000, open: true },
      ],
      instants: {
        preparingAt: at(),
        newStartedAt: at(),
        doorOpenAt: at(),
        stepStartedAt: at(),
        cutoverAt: at(),
        drainStartedAt: at(),
        pinSnapshotAt: at(),
        flipDecidedAt: at(),
        flipAt: at(),
        tranquilAt: at(),
        weightZeroAt: at(),
      },
      newStarted: true,
      newSubsetAdded: true,
      revertDetectedAt: at(),
      handledCommands: ["p-0"],
      eventSeq: 9,
    },
  };
}

/** A stored record `default/auth-v2` of {@link SMALL_SPEC} with `status`, as a store would return it. */
export function recordWith(status: UpgradeStatus): UpgradeRecord {
  return {
    namespace: "default",
    name: "auth-v2",
    id: "auth-v2",
    spec: SMALL_SPEC,
    status,
    commands: [],
    resourceVersion: "1",
    createdAt: 0,
  };
}
