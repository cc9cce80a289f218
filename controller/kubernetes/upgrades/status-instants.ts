/**
 * Instants in an Upgrade's status: the engine keeps epoch milliseconds, the Upgrade resource
 * RFC 3339 strings with milliseconds (`2026-12-02T19:00:00.123Z`), as Kubernetes conventions
 * ask. Every instant of the status is listed here by path, so the two forms convert exactly
 * and a status read back equals the one written.
 */
import type { UpgradeStatus } from "../../engine/types.js";

/** Paths of every instant in the status: `[]` walks an array, `*` every key of an object. */
export const STATUS_INSTANT_PATHS: readonly string[] = [
  "conditions[].lastTransitionTime",
  "history[].at",
  "engine.stageSince",
  "engine.waitingSince",
  "engine.confirmedAt",
  "engine.lastPinWriteAt",
  "engine.revertDetectedAt",
  "engine.pins[].pinnedAt",
  "engine.pins[].lastSeenAt",
  "engine.instants.*",
];

/** A status instant that is not an RFC 3339 time (or, going out, not a number). */
export class StatusInstantError extends Error {
  constructor(path: string, value: unknown) {
    super(
      `status.${path}: ${JSON.stringify(value)} is not an RFC 3339 time such as 2026-12-02T19:00:00.123Z`,
    );
    this.name = "StatusInstantError";
  }
}

type Convert = (value: unknown, path: string) => unknown;

function walk(node: unknown, steps: readonly string[], at: string, convert: Convert): unknown {
  if (node === null || node === undefined || steps.length === 0) return node;
  const [step = "", ...rest] = steps;
  if (step.endsWith("[]")) {
    const key = step.slice(0, -2);
    const obj = node as Record<string, unknown>;
    const list = obj[key];
    if (!Array.isArray(list)) return node;
    return {
      ...obj,
      [key]: list.map((item: unknown, i) =>
        rest.length === 0
          ? convert(item, `${at}${key}[${i}]`)
          : walk(item, rest, `${at}${key}[${i}].`, convert),
      ),
    };
  }
  const obj = node as Record<string, unknown>;
  if (step === "*") {
    return Object.fromEntries(
      Object.entries(obj).map(([k, v]) => [
        k,
        rest.length === 0 ? convert(v, `${at}${k}`) : walk(v, rest, `${at}${k}.`, convert),
      ]),
    );
  }
  if (!(step in obj)) return node;
  const child = obj[step];
  return {
    ...obj,
    [step]: rest.length === 0 ? convert(child, `${at}${step}`) : walk(child, rest, `${at}${step}.`, convert),
  };
}

function convertAll(status: unknown, convert: Convert): unknown {
  let out = status;
  for (const path of STATUS_INSTANT_PATHS) out = walk(out, path.split("."), "", convert);
  return out;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The engine's status as the resource stores it: every instant an RFC 3339 string (null stays null). */
export function statusToResource(status: UpgradeStatus): Record<string, unknown> {
  return convertAll(status, (value, path) => {
    if (value === null) return null;
    if (typeof value !== "number" || !Number.isFinite(value)) throw new StatusInstantError(path, value);
    return new Date(value).toISOString();
  }) as Record<string, unknown>;
}

/** The resource's status as the engine keeps it: every instant epoch milliseconds. */
export function statusFromResource(status: Record<string, unknown>): UpgradeStatus {
  return convertAll(status, (value, path) => {
    if (value === null) return null;
    const ms = typeof value === "string" && RFC3339.test(value) ? Date.parse(value) : Number.NaN;
    if (!Number.isFinite(ms)) throw new StatusInstantError(path, value);
    return ms;
  }) as UpgradeStatus;
}
