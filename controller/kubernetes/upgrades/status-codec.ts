/**
 * `Upgrade.status` as the API server stores it: the engine's status with every instant as an
 * RFC 3339 string (Kubernetes conventions) instead of epoch milliseconds. Every field of the
 * engine's state is classified below, so a field added to `EngineState` does not compile until
 * it is said whether it is an instant. Fields this codec does not know (a newer controller's
 * bookkeeping) are kept as they are.
 */
import type {
  Condition,
  EngineState,
  HistoryEntry,
  StepAnalysis,
  Pin,
  UpgradeStatus,
  WaitSegment,
} from "../../engine/types.js";
import { formatInstant, parseInstant } from "./instant.js";

/** A stored field that does not have the shape the engine needs; `field` says which. */
export class MalformedStatusError extends Error {
  constructor(
    readonly field: string,
    what: string,
  ) {
    super(`${field} ${what}`);
    this.name = "MalformedStatusError";
  }
}

type Instant = string;
type InstantNames = keyof EngineState["instants"];

/** How each field of `status.engine` is stored. */
const ENGINE_FIELDS = {
  stage: "data",
  stageSince: "instant",
  waitingSince: "nullableInstant",
  confirmedAt: "nullableInstant",
  pending: "data",
  acked: "data",
  routes: "data",
  confirmedEpoch: "data",
  originals: "data",
  pins: "pins",
  lost: "data",
  lastPinWriteAt: "nullableInstant",
  stragglers: "data",
  instants: "instants",
  waitLog: "waitLog",
  analysisFailures: "data",
  analysisInconclusive: "data",
  newStarted: "data",
  newSubsetAdded: "data",
  userOwnedNewSubsets: "data",
  promoted: "data",
  revertDetectedAt: "nullableInstant",
  handledCommands: "data",
  reason: "data",
  eventSeq: "data",
  forcedBreaks: "data",
  ignoredRequestIdsReported: "data",
  // The gates' answers keep their instants as milliseconds: they are bookkeeping, never shown.
  gates: "data",
} as const satisfies Record<
  keyof EngineState,
  "data" | "instant" | "nullableInstant" | "pins" | "instants" | "waitLog"
>;

/** Every instant under `status.engine.instants` (all nullable). */
const INSTANT_NAMES = Object.keys({
  preparingAt: true,
  newStartedAt: true,
  doorOpenAt: true,
  stepStartedAt: true,
  cutoverAt: true,
  drainStartedAt: true,
  pinSnapshotAt: true,
  flipDecidedAt: true,
  flipAt: true,
  tranquilAt: true,
  weightZeroAt: true,
} satisfies Record<InstantNames, true>) as InstantNames[];

type EngineInstantField = {
  [K in keyof typeof ENGINE_FIELDS]: (typeof ENGINE_FIELDS)[K] extends "instant" | "nullableInstant"
    ? K
    : never;
}[keyof typeof ENGINE_FIELDS];

/** A condition as stored. */
export type StoredCondition = Omit<Condition, "lastTransitionTime"> & {
  readonly lastTransitionTime: Instant;
};
/** A history entry as stored. */
export type StoredHistoryEntry = Omit<HistoryEntry, "at"> & { readonly at: Instant };
/** A step analysis as stored. */
export type StoredStepAnalysis = Omit<StepAnalysis, "at"> & { readonly at: Instant };
/** A pin as stored. */
export type StoredPin = Omit<Pin, "pinnedAt" | "lastSeenAt"> & {
  readonly pinnedAt: Instant;
  readonly lastSeenAt: Instant;
};
/** A wait segment as stored. */
export type StoredWaitSegment = Omit<WaitSegment, "since"> & { readonly since: Instant };
/** The engine's state as stored. */
export type StoredEngineState = Omit<EngineState, EngineInstantField | "pins" | "instants" | "waitLog"> & {
  readonly [K in EngineInstantField]: null extends EngineState[K] ? Instant | null : Instant;
} & {
  readonly pins: readonly StoredPin[];
  readonly instants: { readonly [K in InstantNames]: Instant | null };
  readonly waitLog?: readonly StoredWaitSegment[];
};
/** `Upgrade.status` as stored. */
export type StoredUpgradeStatus = Omit<UpgradeStatus, "conditions" | "history" | "analyses" | "engine"> & {
  readonly conditions: readonly StoredCondition[];
  readonly history: readonly StoredHistoryEntry[];
  readonly analyses?: readonly StoredStepAnalysis[];
  readonly engine: StoredEngineState;
};

/** The engine's status → the stored form (instants as RFC 3339 strings). */
export function encodeStatus(status: UpgradeStatus): StoredUpgradeStatus {
  const { analyses: _analyses, ...rest } = status;
  return {
    ...rest,
    conditions: status.conditions.map((c, i) => ({
      ...c,
      lastTransitionTime: formatInstant(c.lastTransitionTime, `status.conditions[${i}].lastTransitionTime`),
    })),
    history: status.history.map((h, i) => ({ ...h, at: formatInstant(h.at, `status.history[${i}].at`) })),
    ...(status.analyses === undefined
      ? {}
      : {
          analyses: status.analyses.map((a, i) => ({
            ...a,
            at: formatInstant(a.at, `status.analyses[${i}].at`),
          })),
        }),
    engine: convertEngine(status.engine, "encode") as unknown as StoredEngineState,
  };
}

/**
 * The stored form (JSON as read from the API server) → the engine's status (epoch ms).
 * Throws `InvalidInstantError` or `MalformedStatusError` naming the field.
 */
export function decodeStatus(stored: unknown): UpgradeStatus {
  const status = object(stored, "status");
  const conditions = array(status.conditions, "status.conditions").map((c, i) => {
    const field = `status.conditions[${i}]`;
    const condition = object(c, field);
    return {
      ...condition,
      lastTransitionTime: parseInstant(condition.lastTransitionTime, `${field}.lastTransitionTime`),
    };
  });
  const history = array(status.history, "status.history").map((h, i) => {
    const entry = object(h, `status.history[${i}]`);
    return { ...entry, at: parseInstant(entry.at, `status.history[${i}].at`) };
  });
  const analyses =
    status.analyses === undefined
      ? undefined
      : array(status.analyses, "status.analyses").map((a, i) => {
          const entry = object(a, `status.analyses[${i}]`);
          return { ...entry, at: parseInstant(entry.at, `status.analyses[${i}].at`) };
        });
  const engine = convertEngine(object(status.engine, "status.engine"), "decode");
  return {
    ...status,
    conditions,
    history,
    ...(analyses === undefined ? {} : { analyses }),
    engine,
  } as unknown as UpgradeStatus;
}

type Direction = "encode" | "decode";

/** Converts every instant of the engine's state one way; other fields are copied. */
function convertEngine(engine: object, direction: Direction): Record<string, unknown> {
  const source = engine as Record<string, unknown>;
  const out: Record<string, unknown> = { ...source };
  const convert = (value: unknown, field: string): unknown =>
    direction === "encode" ? formatInstant(value as number, field) : parseInstant(value, field);
  const nullable = (value: unknown, field: string): unknown =>
    value === null || (direction === "decode" && value === undefined) ? null : convert(value, field);
  for (const [name, kind] of Object.entries(ENGINE_FIELDS)) {
    const field = `status.engine.${name}`;
    const value = source[name];
    if (kind === "instant") out[name] = convert(value, field);
    else if (kind === "nullableInstant") out[name] = nullable(value, field);
    else if (kind === "pins") {
      out[name] = array(value, field).map((p, i) => {
        const pin = object(p, `${field}[${i}]`);
        return {
          ...pin,
          pinnedAt: convert(pin.pinnedAt, `${field}[${i}].pinnedAt`),
          lastSeenAt: convert(pin.lastSeenAt, `${field}[${i}].lastSeenAt`),
        };
      });
    } else if (kind === "waitLog") {
      // Absent in statuses written before the wait log existed.
      if (value !== undefined)
        out[name] = array(value, field).map((w, i) => {
          const segment = object(w, `${field}[${i}]`);
          return { ...segment, since: convert(segment.since, `${field}[${i}].since`) };
        });
    } else if (kind === "instants") {
      const instants = object(value, field);
      const converted: Record<string, unknown> = { ...instants };
      for (const instant of INSTANT_NAMES)
        converted[instant] = nullable(instants[instant], `${field}.${instant}`);
      out[name] = converted;
    }
  }
  return out;
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new MalformedStatusError(field, "is not an object");
  return value as Record<string, unknown>;
}

function array(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new MalformedStatusError(field, "is not a list");
  return value;
}
