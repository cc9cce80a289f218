/**
 * The UpgradeStore contract: one set of scenarios that every backend must pass (the local
 * state file, the Kubernetes custom resource). It checks what the reconciler, the HTTP API and
 * `kubectl` users rely on: records read back exactly as written (instants to the millisecond),
 * names unique per namespace, the three writes each guarded by the resourceVersion and each
 * touching only its part, commands pending until acknowledged, and watches that start with a
 * resync and then deliver every change in order.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { initialStatus } from "../../engine/status.js";
import type { Command, UpgradeStatus } from "../../engine/types.js";
import { enrolmentId } from "../../upgrade-spec/enrolment-id.js";
import {
  pendingCommands,
  UpgradeConflictError,
  UpgradeExistsError,
  UpgradeNotFoundError,
  type NewUpgrade,
  type UpgradeEvent,
  type UpgradeKey,
  type UpgradeRecord,
  type UpgradeStore,
} from "../upgrade-store.js";
import { busyStatus, SMALL_SPEC } from "./upgrade-fixtures.js";

/** One backend under test. */
export interface UpgradeStoreHarness {
  readonly store: UpgradeStore;
  /** Two namespaces the store serves, with no Upgrade in them yet. */
  readonly namespaces: readonly [string, string];
  /** Deletes an Upgrade as a user would (the port has no delete); needed when the backend deletes. */
  readonly remove?: (key: UpgradeKey) => Promise<void>;
}

/** Polls `check` until it holds (watches deliver asynchronously on some backends). */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A watcher that records what it is told. */
export function recordWatch(store: UpgradeStore): {
  readonly events: UpgradeEvent[];
  readonly resyncs: (readonly UpgradeRecord[])[];
  readonly errors: Error[];
  readonly stop: () => void;
} {
  const events: UpgradeEvent[] = [];
  const resyncs: (readonly UpgradeRecord[])[] = [];
  const errors: Error[] = [];
  const stop = store.watch({
    onEvent: (e) => events.push(e),
    onResync: (all) => resyncs.push(all),
    onError: (err) => errors.push(err),
  });
  return { events, resyncs, errors, stop };
}

async function refusal(call: Promise<unknown>): Promise<Error & { status?: number }> {
  try {
    await call;
  } catch (err) {
    return err as Error & { status?: number };
  }
  throw new Error("the store accepted a write it should have refused");
}

const byKind = (commands: readonly Command[]): Command[] =>
  [...commands].sort((a, b) => a.kind.localeCompare(b.kind));

/** What a backend can do beyond the port. */
export interface ContractOptions {
  /**
   * Whether Upgrades can be deleted (through the harness's `remove`). The port has no delete;
   * a backend that keeps every Upgrade has no DELETED event to deliver. Default true.
   */
  readonly deletes?: boolean;
}

/** Registers the contract's scenarios for one backend. */
export function describeUpgradeStoreContract(
  name: string,
  make: () => Promise<UpgradeStoreHarness>,
  cleanup: (harness: UpgradeStoreHarness) => Promise<void>,
  { deletes = true }: ContractOptions = {},
): void {
  const options = { deletes };
  describe(`UpgradeStore contract: ${name}`, () => {
    let h: UpgradeStoreHarness;
    let store: UpgradeStore;
    let ns: string;
    let other: string;
    const fresh = (
      upgradeName: string,
      namespace = ns,
      status: UpgradeStatus = busyStatus(),
    ): NewUpgrade => ({
      namespace,
      name: upgradeName,
      spec: SMALL_SPEC,
      status,
      createdAt: Date.now(),
    });

    beforeEach(async () => {
      h = await make();
      store = h.store;
      [ns, other] = h.namespaces;
    });
    afterEach(async () => {
      await cleanup(h);
    });

    it("creates an Upgrade and reads it back as given: enrolment id, spec, status to the millisecond, no commands", async () => {
      const before = Date.now();
      const created = await store.create(fresh("auth-v2"));
      expect(created).toMatchObject({ namespace: ns, name: "auth-v2", id: enrolmentId(ns, "auth-v2") });
      expect(created.spec).toEqual(SMALL_SPEC);
      expect(created.status).toEqual(busyStatus());
      expect(created.commands).toEqual([]);
      expect(created.resourceVersion).toMatch(/.+/);
      expect(Math.abs(created.createdAt - before)).toBeLessThan(5_000);
      expect(await store.get({ namespace: ns, name: "auth-v2" })).toEqual(created);
    });

    it("refuses a second Upgrade of one name in a namespace (409) but not in another, where its enrolment id differs", async () => {
      const first = await store.create(fresh("auth-v2"));
      const again = await refusal(store.create(fresh("auth-v2")));
      expect(again).toBeInstanceOf(UpgradeExistsError);
      expect(again.status).toBe(409);
      const elsewhere = await store.create(fresh("auth-v2", other));
      expect(elsewhere.id).toBe(enrolmentId(other, "auth-v2"));
      expect(elsewhere.id).not.toBe(first.id);
    });

    it("says an Upgrade that is not there is not found (404), on a read and on each write", async () => {
      const missing = { namespace: ns, name: "missing" };
      const status = initialStatus(1);
      for (const call of [
        () => store.get(missing),
        () => store.updateSpec(missing, "1", SMALL_SPEC),
        () => store.updateStatus(missing, "1", status),
        () => store.setCommand(missing, "1", { kind: "promote", token: "t" }),
      ]) {
        const err = await refusal(call());
        expect(err).toBeInstanceOf(UpgradeNotFoundError);
        expect(err.status).toBe(404);
      }
    });

    it("lists one namespace oldest first, and every namespace without one, right after the writes", async () => {
      await store.create(fresh("a-first"));
      await store.create(fresh("b-second"));
      await store.create(fresh("c-third", other));
      expect((await store.list(ns)).map((u) => u.name)).toEqual(["a-first", "b-second"]);
      expect((await store.list(other)).map((u) => `${u.namespace}/${u.name}`)).toEqual([`${other}/c-third`]);
      const all = await store.list();
      expect(all.map((u) => u.name).sort()).toEqual(["a-first", "b-second", "c-third"]);
      const times = all.map((u) => u.createdAt);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it("writes the spec only with the current resourceVersion, leaving status and commands as they were", async () => {
      const created = await store.create(fresh("auth-v2"));
      const commanded = await store.setCommand(created, created.resourceVersion, {
        kind: "promote",
        token: "p1",
      });
      const paused = await store.updateSpec(created, commanded.resourceVersion, {
        ...SMALL_SPEC,
        paused: true,
      });
      expect(paused.spec).toEqual({ ...SMALL_SPEC, paused: true });
      expect(paused.status).toEqual(busyStatus());
      expect(paused.commands).toEqual([{ kind: "promote", token: "p1" }]);
      expect(paused.resourceVersion).not.toBe(commanded.resourceVersion);
      const stale = await refusal(store.updateSpec(created, commanded.resourceVersion, SMALL_SPEC));
      expect(stale).toBeInstanceOf(UpgradeConflictError);
      expect(stale.status).toBe(409);
      expect(await store.get(created)).toEqual(paused);
    });

    it("writes the status only with the current resourceVersion, leaving the spec as it was", async () => {
      const created = await store.create(fresh("auth-v2", ns, initialStatus(Date.now())));
      const written = await store.updateStatus(created, created.resourceVersion, busyStatus());
      expect(written.status).toEqual(busyStatus());
      expect(written.spec).toEqual(SMALL_SPEC);
      expect(written.resourceVersion).not.toBe(created.resourceVersion);
      const stale = await refusal(store.updateStatus(created, created.resourceVersion, created.status));
      expect(stale).toBeInstanceOf(UpgradeConflictError);
      expect(stale.status).toBe(409);
      expect(await store.get(created)).toEqual(written);
    });

    it("keeps one command per kind (the latest token), pending until the status acknowledges its token", async () => {
      let u = await store.create(fresh("auth-v2", ns, initialStatus(Date.now())));
      const first = u.resourceVersion;
      u = await store.setCommand(u, u.resourceVersion, { kind: "promote", token: "p1" });
      u = await store.setCommand(u, u.resourceVersion, { kind: "abort", token: "a1" });
      u = await store.setCommand(u, u.resourceVersion, { kind: "promote", token: "p2" });
      expect(byKind(u.commands)).toEqual([
        { kind: "abort", token: "a1" },
        { kind: "promote", token: "p2" },
      ]);
      expect(byKind(pendingCommands(u))).toEqual(byKind(u.commands));
      const handled = { ...u.status, engine: { ...u.status.engine, handledCommands: ["p2"] } };
      u = await store.updateStatus(u, u.resourceVersion, handled);
      expect(pendingCommands(u)).toEqual([{ kind: "abort", token: "a1" }]);
      // The acknowledgement does not remove the command: the annotation stays.
      expect(byKind((await store.get(u)).commands)).toHaveLength(2);
      const stale = await refusal(store.setCommand(u, first, { kind: "abort", token: "a2" }));
      expect(stale).toBeInstanceOf(UpgradeConflictError);
    });

    it("tells a new watcher every Upgrade first (a resync), then each change in order, until it stops", async () => {
      await store.create(fresh("before"));
      const watch = recordWatch(store);
      await until(() => watch.resyncs.length > 0, "the first resync");
      expect(watch.resyncs[0]?.map((u) => u.name)).toEqual(["before"]);

      const writes: UpgradeRecord[] = [];
      let u = await store.create(fresh("auth-v2", ns, initialStatus(Date.now())));
      writes.push(u);
      u = await store.updateStatus(u, u.resourceVersion, busyStatus());
      writes.push(u);
      u = await store.setCommand(u, u.resourceVersion, { kind: "abort", token: "a1" });
      writes.push(u);
      u = await store.updateSpec(u, u.resourceVersion, { ...SMALL_SPEC, paused: true });
      writes.push(u);
      const mine = (): UpgradeEvent[] => watch.events.filter((e) => e.upgrade.name === "auth-v2");
      await until(
        () => mine().at(-1)?.upgrade.resourceVersion === u.resourceVersion,
        "the last write's event",
      );
      const events = mine();
      expect(events[0]?.type).toBe("ADDED");
      expect(events.slice(1).every((e) => e.type === "MODIFIED")).toBe(true);
      // Each write is delivered as it was returned, in the order of the writes.
      const delivered = events.map((e) => e.upgrade.resourceVersion);
      const positions = writes.map((w) => delivered.indexOf(w.resourceVersion));
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      for (const w of writes.slice(1))
        expect(events.find((e) => e.upgrade.resourceVersion === w.resourceVersion)?.upgrade).toEqual(w);

      watch.stop();
      const witness = recordWatch(store);
      const last = await store.updateSpec(u, u.resourceVersion, SMALL_SPEC);
      await until(
        () => witness.events.some((e) => e.upgrade.resourceVersion === last.resourceVersion),
        "another watcher sees the write",
      );
      expect(watch.events.some((e) => e.upgrade.resourceVersion === last.resourceVersion)).toBe(false);
      witness.stop();
      expect(watch.errors).toEqual([]);
    });

    if (options.deletes) {
      it("delivers a removed Upgrade as DELETED, and no longer reads or lists it", async () => {
        const remove = h.remove;
        if (remove === undefined) throw new Error(`the ${name} harness must give remove() when it deletes`);
        const watch = recordWatch(store);
        const created = await store.create(fresh("auth-v2"));
        await remove(created);
        const deleted = (): UpgradeEvent[] => watch.events.filter((e) => e.type === "DELETED");
        await until(() => deleted().length > 0, "the DELETED event");
        expect(deleted().map((e) => `${e.upgrade.namespace}/${e.upgrade.name}`)).toEqual([`${ns}/auth-v2`]);
        expect(await refusal(store.get(created))).toBeInstanceOf(UpgradeNotFoundError);
        expect(await store.list(ns)).toEqual([]);
        watch.stop();
      });
    }
  });
}
