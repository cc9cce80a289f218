import { describe, expect, it } from "vitest";
import { initialStatus } from "../../engine/status.js";
import type { UpgradeStatus } from "../../engine/types.js";
import { StatusInstantError, statusFromResource, statusToResource } from "./status-instants.js";

const T = Date.UTC(2026, 11, 2, 19, 0, 0, 123);

/** A status with every instant set to a distinct millisecond. */
function busyStatus(): UpgradeStatus {
  const s = initialStatus(T);
  const instants = Object.fromEntries(Object.keys(s.engine.instants).map((k, i) => [k, T + 100 + i]));
  return {
    ...s,
    conditions: [
      { type: "Waiting", status: "True", reason: "Unconfirmed", message: "m", lastTransitionTime: T + 1 },
    ] as UpgradeStatus["conditions"],
    engine: {
      ...s.engine,
      waitingSince: T + 2,
      confirmedAt: T + 3,
      lastPinWriteAt: T + 4,
      revertDetectedAt: null,
      pins: [{ id: "tx-1", pinnedAt: T + 5, lastSeenAt: T + 6, straggler: false }],
      instants: instants as unknown as UpgradeStatus["engine"]["instants"],
    },
  };
}

/** Every number in `value` that looks like an epoch-millisecond instant of this century. */
function epochNumbers(value: unknown, at = "status"): string[] {
  if (typeof value === "number") return value > 1e12 ? [at] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => epochNumbers(v, `${at}[${i}]`));
  if (value !== null && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => epochNumbers(v, `${at}.${k}`));
  return [];
}

describe("status instants on the Upgrade resource", () => {
  it("are RFC 3339 strings in the resource, with no epoch number left, and round-trip to the millisecond", () => {
    const status = busyStatus();
    const resource = statusToResource(status);
    expect(epochNumbers(resource)).toEqual([]);
    expect((resource["history"] as { at: string }[])[0]?.at).toBe("2026-12-02T19:00:00.123Z");
    expect((resource["engine"] as { waitingSince: string }).waitingSince).toBe("2026-12-02T19:00:00.125Z");
    expect(statusFromResource(JSON.parse(JSON.stringify(resource)) as Record<string, unknown>)).toEqual(
      status,
    );
  });

  it("refuse a value that is not a time, naming the field", () => {
    const resource = statusToResource(busyStatus());
    (resource["engine"] as Record<string, unknown>)["stageSince"] = "yesterday";
    expect(() => statusFromResource(resource)).toThrow(StatusInstantError);
    expect(() => statusFromResource(resource)).toThrow(
      /status\.engine\.stageSince: "yesterday" is not an RFC 3339 time/,
    );
  });
});
