import { describe, expect, it } from "vitest";
import { initialStatus } from "../../engine/status.js";
import { BASE_INSTANT, busyStatus, SMALL_SPEC } from "../../ports/testing/upgrade-fixtures.js";
import { enrolmentId } from "../../upgrade-spec/enrolment-id.js";
import { formatInstant, InvalidInstantError, parseInstant } from "./instant.js";
import { decodeStatus, encodeStatus } from "./status-codec.js";
import {
  commandAnnotation,
  decodeUpgrade,
  encodeCommandPatch,
  encodeNewUpgrade,
  encodeStatusWrite,
  UpgradeDecodeError,
  type UpgradeObject,
} from "./upgrade-codec.js";

/** Every number in `value` with its path. */
function numbers(value: unknown, path = "status"): [string, number][] {
  if (typeof value === "number") return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbers(v, `${path}[${i}]`));
  if (typeof value === "object" && value !== null)
    return Object.entries(value).flatMap(([k, v]) => numbers(v, `${path}.${k}`));
  return [];
}

function object(status?: unknown, annotations?: Record<string, string>): UpgradeObject {
  return {
    apiVersion: "tranquil.dev/v1alpha1",
    kind: "Upgrade",
    metadata: {
      name: "auth-v2",
      namespace: "shop",
      resourceVersion: "42",
      creationTimestamp: "2026-12-02T18:59:58Z",
      ...(annotations === undefined ? {} : { annotations }),
    },
    spec: SMALL_SPEC,
    ...(status === undefined ? {} : { status: status as NonNullable<UpgradeObject["status"]> }),
  };
}

describe("instants", () => {
  it.each([
    [BASE_INSTANT, "2026-12-02T19:00:00.123Z"],
    [0, "1970-01-01T00:00:00.000Z"],
    [Date.UTC(2028, 1, 29, 23, 59, 59, 999), "2028-02-29T23:59:59.999Z"],
  ])("writes %d as %s and reads it back exactly", (ms, text) => {
    expect(formatInstant(ms, "f")).toBe(text);
    expect(parseInstant(text, "f")).toBe(ms);
  });

  it.each([
    ["2026-12-02T20:00:00.123+01:00", BASE_INSTANT],
    ["2026-12-02t19:00:00.123456789z", BASE_INSTANT],
    ["2026-12-02T19:00:00Z", BASE_INSTANT - 123],
    ["2026-12-02T18:30:00.1-00:30", BASE_INSTANT - 23],
  ])("reads any RFC 3339 instant: %s", (text, ms) => {
    expect(parseInstant(text, "f")).toBe(ms);
  });

  it.each([
    "1796238000123",
    "2026-12-02",
    "2026-12-02 19:00:00Z",
    "2026-02-30T19:00:00Z",
    "2026-13-02T19:00:00Z",
    "2026-12-02T24:00:00Z",
    "2026-12-02T19:00:00",
    "yesterday",
  ])("refuses %s, naming the field", (text) => {
    expect(() => parseInstant(text, "status.history[0].at")).toThrow(
      /status\.history\[0\]\.at is not an RFC 3339 instant/,
    );
  });

  it("refuses a number where a string belongs, and an instant RFC 3339 cannot write", () => {
    expect(() => parseInstant(BASE_INSTANT, "f")).toThrow(InvalidInstantError);
    expect(() => formatInstant(Number.NaN, "status.engine.stageSince")).toThrow(/status\.engine\.stageSince/);
    expect(() => formatInstant(Date.UTC(10_000, 0, 1), "f")).toThrow(/years 0000 to 9999/);
  });
});

describe("the status codec", () => {
  it("stores every instant as an RFC 3339 string and no epoch milliseconds anywhere", () => {
    const stored = encodeStatus(busyStatus());
    // Every other number in the fixture is small; an epoch-ms instant would be above 1e12.
    expect(numbers(stored).filter(([, n]) => n > 1e12)).toEqual([]);
    expect(stored.conditions[0]?.lastTransitionTime).toMatch(/^2026-12-02T19:\d\d:\d\d\.\d{3}Z$/);
    expect(stored.history[0]?.at).toBe("2026-12-02T19:00:00.123Z");
    expect(stored.engine.pins[0]?.pinnedAt).toMatch(/Z$/);
    expect(stored.engine.instants.weightZeroAt).toMatch(/Z$/);
    expect(stored.engine.waitLog?.[1]).toMatchObject({ reason: "Settling", ms: 1_000, open: true });
    expect(stored.engine.waitLog?.[1]?.since).toMatch(/Z$/);
    expect(encodeStatus(initialStatus(BASE_INSTANT)).engine.instants.flipAt).toBeNull();
  });

  it("gives back exactly the status it stored, through JSON as the API server keeps it", () => {
    const inconclusive = { ...busyStatus(), engine: { ...busyStatus().engine, analysisInconclusive: 2 } };
    const analysed = {
      ...busyStatus(),
      analyses: [{ weight: 50, passed: true, message: "step 50% passed", at: BASE_INSTANT + 5_000 }],
      versions: [
        {
          service: "auth-service",
          version: "v2",
          role: "new" as const,
          activeCalls: 2,
          activeTransactions: 1,
          oldestActiveAgeSeconds: 0.4,
          windowRequests: 40,
          windowFailed: 0,
        },
      ],
    };
    // The analyses' instants are stored as RFC 3339 too.
    expect(encodeStatus(analysed).analyses?.[0]?.at).toMatch(/^2026-12-02T19:00:05\.123Z$/);
    for (const status of [busyStatus(), initialStatus(BASE_INSTANT), inconclusive, analysed]) {
      const stored = JSON.parse(JSON.stringify(encodeStatus(status))) as unknown;
      expect(decodeStatus(stored)).toEqual(status);
    }
  });

  it("keeps engine fields it does not know, as a newer controller may write them", () => {
    const stored = encodeStatus(busyStatus());
    const decoded = decodeStatus({ ...stored, engine: { ...stored.engine, future: { at: 1 } } });
    expect((decoded.engine as unknown as Record<string, unknown>).future).toEqual({ at: 1 });
  });

  it.each<[string, (s: Record<string, unknown>) => unknown, RegExp]>([
    [
      "a condition's time",
      (s) => ({ ...s, conditions: [{ ...(s.conditions as object[])[0], lastTransitionTime: "noon" }] }),
      /status\.conditions\[0\]\.lastTransitionTime is not an RFC 3339 instant/,
    ],
    [
      "a pin's last activity",
      (s) => {
        const engine = s.engine as Record<string, unknown>;
        const pins = [{ ...(engine.pins as object[])[0], lastSeenAt: 5 }];
        return { ...s, engine: { ...engine, pins } };
      },
      /status\.engine\.pins\[0\]\.lastSeenAt/,
    ],
    [
      "an instant of the guarantees",
      (s) => {
        const engine = s.engine as Record<string, unknown>;
        return { ...s, engine: { ...engine, instants: { ...(engine.instants as object), flipAt: "" } } };
      },
      /status\.engine\.instants\.flipAt/,
    ],
    ["a missing engine", (s) => ({ ...s, engine: undefined }), /status\.engine is not an object/],
  ])("names the field when %s is not an instant", (_what, breakIt, message) => {
    const stored = JSON.parse(JSON.stringify(encodeStatus(busyStatus()))) as Record<string, unknown>;
    expect(() => decodeStatus(breakIt(stored))).toThrow(message);
  });
});

describe("the Upgrade codec", () => {
  it("reads the record: enrolment id, creation time, status and commands from annotations", () => {
    const record = decodeUpgrade(
      object(encodeStatus(busyStatus()), {
        [commandAnnotation("abort")]: "a-1",
        [commandAnnotation("promote")]: "p-1",
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
      }),
    );
    expect(record).toEqual({
      namespace: "shop",
      name: "auth-v2",
      id: enrolmentId("shop", "auth-v2"),
      spec: SMALL_SPEC,
      status: busyStatus(),
      commands: [
        { kind: "promote", token: "p-1" },
        { kind: "abort", token: "a-1" },
      ],
      resourceVersion: "42",
      createdAt: Date.UTC(2026, 11, 2, 18, 59, 58),
    });
  });

  it("reads an object without a status (kubectl apply) as a new Upgrade created at its creation time", () => {
    const record = decodeUpgrade(object());
    expect(record.status).toEqual(initialStatus(Date.UTC(2026, 11, 2, 18, 59, 58)));
    expect(record.commands).toEqual([]);
  });

  it("refuses a stored object it cannot read, naming the Upgrade and the field", () => {
    const stored = JSON.parse(JSON.stringify(encodeStatus(busyStatus()))) as Record<string, unknown>;
    const bad = object({
      ...stored,
      history: [{ ...(stored.history as object[])[0], at: 1_796_238_000_123 }],
    });
    let caught: unknown;
    try {
      decodeUpgrade(bad);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UpgradeDecodeError);
    expect((caught as UpgradeDecodeError).field).toBe("status.history[0].at");
    expect((caught as Error).message).toMatch(/^Upgrade shop\/auth-v2: status\.history\[0\]\.at is not/);
  });

  it("writes the new object without status, the status write with its guard, and a guarded command patch", () => {
    const created = encodeNewUpgrade({
      namespace: "shop",
      name: "auth-v2",
      spec: SMALL_SPEC,
      status: initialStatus(1),
      createdAt: 1,
    });
    expect(created).toEqual({
      apiVersion: "tranquil.dev/v1alpha1",
      kind: "Upgrade",
      metadata: { name: "auth-v2", namespace: "shop" },
      spec: SMALL_SPEC,
    });
    const write = encodeStatusWrite({ namespace: "shop", name: "auth-v2" }, "7", busyStatus());
    expect(write).toEqual({
      apiVersion: "tranquil.dev/v1alpha1",
      kind: "Upgrade",
      metadata: { name: "auth-v2", namespace: "shop", resourceVersion: "7" },
      status: encodeStatus(busyStatus()),
    });
    expect("spec" in write).toBe(false);
    expect(encodeCommandPatch("7", { kind: "promote", token: "t" })).toEqual({
      metadata: { resourceVersion: "7", annotations: { "commands.tranquil.dev/promote": "t" } },
    });
  });
});
