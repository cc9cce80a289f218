/**
 * The one contract every UpgradeStore meets (ADR 0074), run against the local state file and
 * the Kubernetes resource alike, so a behaviour cannot hold on one backend and silently not
 * on the other: namespaced keys, the three writes each guarded by the resourceVersion,
 * commands pending until acknowledged, and a watch that delivers events and a resync.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initialStatus } from "../../engine/status.js";
import type { UpgradeStatus } from "../../engine/types.js";
import {
  pendingCommands,
  UpgradeConflictError,
  UpgradeExistsError,
  UpgradeNotFoundError,
  type UpgradeEvent,
  type UpgradeKey,
  type UpgradeRecord,
  type UpgradeStore,
} from "../upgrade-store.js";
import { enrolmentId } from "../../upgrade-spec/enrolment-id.js";

/** What a backend gives the suite. */
export interface UpgradeStoreHarness {
  readonly store: UpgradeStore;
  /** Two namespaces the suite may use (they exist and are empty). */
  readonly namespaces: readonly [string, string];
  /** Deletes an Upgrade as a user would (the port has no delete). */
  remove(key: UpgradeKey): Promise<void>;
  close(): Promise<void>;
}

const spec = (service: string) => ({ services: [{ name: service, from: "v1", to: "v2" }] });
const T0 = Date.UTC(2026, 11, 2, 12, 0, 0, 0);

async function until<T>(read: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = read();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("not seen in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs the contract against the store `make` returns. */
export function describeUpgradeStoreContract(name: string, make: () => Promise<UpgradeStoreHarness>): void {
  describe(`UpgradeStore contract: ${name}`, () => {
    let h: UpgradeStoreHarness;
    let ns: string;
    let other: string;
    beforeAll(async () => {
      h = await make();
      [ns, other] = h.namespaces;
    });
    afterAll(async () => {
      await h.close();
    });

    const create = (key: UpgradeKey, service = "svc-a"): Promise<UpgradeRecord> =>
      h.store.create({ ...key, spec: spec(service), status: initialStatus(T0), createdAt: T0 });

    it("creates, gets and lists by namespace; names are unique per namespace only", async () => {
      const a = await create({ namespace: ns, name: "same-name" });
      const b = await create({ namespace: other, name: "same-name" });
      expect(a.id).toBe(enrolmentId(ns, "same-name"));
      expect(b.id).not.toBe(a.id);
      expect(a.commands).toEqual([]);
      expect(a.status.phase).toBe("Validating");
      expect((await h.store.get({ namespace: ns, name: "same-name" })).spec).toEqual(spec("svc-a"));
      expect((await h.store.list(ns)).map((r) => r.name)).toContain("same-name");
      expect((await h.store.list(other)).every((r) => r.namespace === other)).toBe(true);
      const all = await h.store.list();
      expect(
        all
          .filter((r) => r.name === "same-name")
          .map((r) => r.namespace)
          .sort(),
      ).toEqual([ns, other].sort());
      await expect(create({ namespace: ns, name: "same-name" })).rejects.toBeInstanceOf(UpgradeExistsError);
      await expect(h.store.get({ namespace: ns, name: "nobody" })).rejects.toBeInstanceOf(
        UpgradeNotFoundError,
      );
    });

    it("keeps spec and status apart and guards each write by the resourceVersion", async () => {
      const key = { namespace: ns, name: "guarded" };
      const r0 = await create(key);
      const status: UpgradeStatus = { ...r0.status, weight: 10, step: 0 };
      const r1 = await h.store.updateStatus(key, r0.resourceVersion, status);
      expect(r1.resourceVersion).not.toBe(r0.resourceVersion);
      expect(r1.status.weight).toBe(10);
      expect(r1.spec).toEqual(r0.spec);
      await expect(h.store.updateStatus(key, r0.resourceVersion, status)).rejects.toBeInstanceOf(
        UpgradeConflictError,
      );
      const paused = { ...r1.spec, paused: true };
      const r2 = await h.store.updateSpec(key, r1.resourceVersion, paused);
      expect(r2.spec).toEqual(paused);
      expect(r2.status.weight).toBe(10);
      await expect(h.store.updateSpec(key, r1.resourceVersion, r1.spec)).rejects.toBeInstanceOf(
        UpgradeConflictError,
      );
      await expect(
        h.store.setCommand(key, r1.resourceVersion, { kind: "promote", token: "t1" }),
      ).rejects.toBeInstanceOf(UpgradeConflictError);
      const stored = await h.store.get(key);
      expect(stored.status).toEqual(r2.status);
    });

    it("keeps one command per kind, pending until its token is acknowledged", async () => {
      const key = { namespace: ns, name: "commanded" };
      const r0 = await create(key);
      const r1 = await h.store.setCommand(key, r0.resourceVersion, { kind: "promote", token: "p1" });
      const r2 = await h.store.setCommand(key, r1.resourceVersion, { kind: "promote", token: "p2" });
      const r3 = await h.store.setCommand(key, r2.resourceVersion, { kind: "abort", token: "a1" });
      expect(
        pendingCommands(r3)
          .map((c) => `${c.kind}:${c.token}`)
          .sort(),
      ).toEqual(["abort:a1", "promote:p2"]);
      const acked = { ...r3.status, engine: { ...r3.status.engine, handledCommands: ["p2"] } };
      const r4 = await h.store.updateStatus(key, r3.resourceVersion, acked);
      expect(pendingCommands(r4)).toEqual([{ kind: "abort", token: "a1" }]);
      expect(pendingCommands(await h.store.get(key))).toEqual([{ kind: "abort", token: "a1" }]);
    });

    it("round-trips every field of the status exactly", async () => {
      const key = { namespace: ns, name: "exact" };
      const r0 = await create(key);
      const status: UpgradeStatus = {
        ...r0.status,
        conditions: [
          {
            type: "Waiting",
            status: "True",
            reason: "Unconfirmed",
            message: "2 of 3 proxies confirmed",
            lastTransitionTime: T0 + 7,
          },
        ] as UpgradeStatus["conditions"],
        engine: {
          ...r0.status.engine,
          waitingSince: T0 + 11,
          pins: [{ id: "tx-1", pinnedAt: T0 + 12, lastSeenAt: T0 + 13, straggler: true }],
          instants: { ...r0.status.engine.instants, preparingAt: T0 + 14 },
        },
      };
      await h.store.updateStatus(key, r0.resourceVersion, status);
      expect((await h.store.get(key)).status).toEqual(status);
    });

    it("watches: a resync with what exists, then ADDED, MODIFIED and DELETED", async () => {
      const seen: UpgradeEvent[] = [];
      let resynced: readonly UpgradeRecord[] | undefined;
      const stop = h.store.watch({
        onEvent: (e) => seen.push(e),
        onResync: (list) => {
          resynced = list;
        },
      });
      try {
        const listed = await until(() => resynced);
        expect(listed.some((r) => r.name === "guarded" && r.namespace === ns)).toBe(true);
        const key = { namespace: ns, name: "watched" };
        const r0 = await create(key);
        await h.store.updateStatus(key, r0.resourceVersion, { ...r0.status, weight: 50 });
        await h.remove(key);
        const types = async (): Promise<string[]> =>
          until(() => {
            const t = seen.filter((e) => e.upgrade.name === "watched").map((e) => e.type);
            return t.includes("DELETED") ? t : undefined;
          });
        const got = await types();
        expect(got[0]).toBe("ADDED");
        expect(got.at(-1)).toBe("DELETED");
        const modified = seen.filter((e) => e.upgrade.name === "watched" && e.type === "MODIFIED");
        expect(modified.some((e) => e.upgrade.status.weight === 50)).toBe(true);
      } finally {
        stop();
      }
    });
  });
}
