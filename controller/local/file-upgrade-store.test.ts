import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Phase, Stage } from "../engine/phases.js";
import { initialStatus } from "../engine/status.js";
import {
  pendingCommands,
  UpgradeConflictError,
  UpgradeExistsError,
  UpgradeNotFoundError,
  type UpgradeEvent,
  type UpgradeRecord,
} from "../ports/upgrade-store.js";
import { enrolmentId } from "../upgrade-spec/enrolment-id.js";
import { FileUpgradeStore } from "./file-upgrade-store.js";

const spec = { services: [{ name: "auth-service", from: "v1", to: "v2" }] };
const key = { namespace: "default", name: "auth-v2" };

function fresh(name = key.name, namespace = key.namespace) {
  return { namespace, name, spec, status: initialStatus(1), createdAt: 1 };
}

describe("FileUpgradeStore", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tranquil-upgrades-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes spec, status and commands apart, each with the current resourceVersion; a stale one is refused (409)", async () => {
    const store = await FileUpgradeStore.open();
    const created = await store.create(fresh());
    const status = { ...created.status, weight: 10 };
    const afterStatus = await store.updateStatus(created, created.resourceVersion, status);
    expect(afterStatus.status.weight).toBe(10);
    expect(afterStatus.spec).toEqual(spec);
    expect(afterStatus.resourceVersion).not.toBe(created.resourceVersion);
    // The user's spec write does not touch the status, and the status write cannot clobber it.
    const paused = await store.updateSpec(key, afterStatus.resourceVersion, { ...spec, paused: true });
    expect(paused.status.weight).toBe(10);
    await expect(store.updateStatus(key, afterStatus.resourceVersion, created.status)).rejects.toBeInstanceOf(
      UpgradeConflictError,
    );
    await expect(store.create(fresh())).rejects.toBeInstanceOf(UpgradeExistsError);
    await expect(store.get({ namespace: "default", name: "missing" })).rejects.toBeInstanceOf(
      UpgradeNotFoundError,
    );
  });

  it("keeps one command per kind (the latest token), pending until the status acknowledges it", async () => {
    const store = await FileUpgradeStore.open();
    let u: UpgradeRecord = await store.create(fresh());
    u = await store.setCommand(key, u.resourceVersion, { kind: "promote", token: "p1" });
    u = await store.setCommand(key, u.resourceVersion, { kind: "abort", token: "a1" });
    u = await store.setCommand(key, u.resourceVersion, { kind: "promote", token: "p2" });
    expect(u.commands).toEqual([
      { kind: "abort", token: "a1" },
      { kind: "promote", token: "p2" },
    ]);
    const handled = { ...u.status, engine: { ...u.status.engine, handledCommands: ["p2"] } };
    u = await store.updateStatus(key, u.resourceVersion, handled);
    expect(pendingCommands(u)).toEqual([{ kind: "abort", token: "a1" }]);
  });

  it("keeps names unique per namespace, with a different enrolment id in each", async () => {
    const store = await FileUpgradeStore.open();
    const a = await store.create(fresh("auth-v2", "team-a"));
    const b = await store.create(fresh("auth-v2", "team-b"));
    expect(a.id).not.toBe(b.id);
    expect(a.id).toBe(enrolmentId("team-a", "auth-v2"));
    expect((await store.list("team-b")).map((u) => u.namespace)).toEqual(["team-b"]);
    expect(await store.list()).toHaveLength(2);
  });

  it("survives a restart: a reopened store has the last complete write", async () => {
    const path = join(dir, "state", "upgrades.json");
    const first = await FileUpgradeStore.open({ path });
    const created = await first.create(fresh());
    const updated = await first.updateSpec(key, created.resourceVersion, { ...spec, paused: true });
    await first.close();

    const second = await FileUpgradeStore.open({ path });
    const loaded = await second.get(key);
    expect(loaded).toEqual(updated);
    // Revisions keep increasing after a restart, so stale writers are still caught.
    const again = await second.updateStatus(key, loaded.resourceVersion, loaded.status);
    expect(Number(again.resourceVersion)).toBeGreaterThan(Number(updated.resourceVersion));
  });

  it("reads a version 1 state file: records go to namespace default and keep their enrolment id", async () => {
    const path = join(dir, "upgrades.json");
    const v1 = {
      version: 1,
      revision: 7,
      upgrades: [
        { id: "auth-v2", spec, status: initialStatus(1), commands: [], resourceVersion: "7", createdAt: 1 },
      ],
    };
    await writeFile(path, JSON.stringify(v1));
    const store = await FileUpgradeStore.open({ path });
    const loaded = await store.get(key);
    expect(loaded.id).toBe("auth-v2");
    const next = await store.updateStatus(key, "7", loaded.status);
    expect(next.resourceVersion).toBe("8");
  });

  it("tells watchers every Upgrade first (a resync), then every change in order", async () => {
    const store = await FileUpgradeStore.open();
    await store.create(fresh("before"));
    const events: UpgradeEvent["type"][] = [];
    const resyncs: string[][] = [];
    const stop = store.watch({
      onEvent: (e) => events.push(e.type),
      onResync: (all) => resyncs.push(all.map((u) => u.name)),
    });
    const created = await store.create(fresh("a"));
    await store.updateStatus(created, created.resourceVersion, created.status);
    stop();
    const current = await store.get({ namespace: "default", name: "a" });
    await store.updateStatus(current, current.resourceVersion, current.status);
    expect(events).toEqual(["ADDED", "MODIFIED"]);
    expect(resyncs).toEqual([["before"]]);
  });

  it("refuses a corrupt state file with a message that says what to do", async () => {
    const path = join(dir, "upgrades.json");
    await writeFile(path, "{not json");
    await expect(FileUpgradeStore.open({ path })).rejects.toThrow(/move it aside/);
  });

  it("keeps the newest ended upgrades up to its retention, in memory and in the file, telling watchers of the others", async () => {
    const path = join(dir, "upgrades.json");
    let now = 10_000;
    const store = await FileUpgradeStore.open({ path, endedRetention: { count: 2 }, clock: () => now });
    const end = async (name: string, at: number) => {
      const u = await store.create(fresh(name));
      const history = [
        ...u.status.history,
        { at, phase: Phase.Succeeded, stage: Stage.Done, message: "done" },
      ];
      return store.updateStatus(u, u.resourceVersion, { ...u.status, phase: Phase.Succeeded, history });
    };
    const deleted: string[] = [];
    store.watch({ onEvent: (e) => e.type === "DELETED" && deleted.push(e.upgrade.name) });
    await store.create(fresh("running"));
    await end("first", 1_000);
    await end("second", 2_000);
    await end("third", 3_000);
    expect((await store.list()).map((u) => u.name).sort()).toEqual(["running", "second", "third"]);
    expect(deleted).toEqual(["first"]);
    const state = JSON.parse(await readFile(path, "utf8")) as { upgrades: { name: string }[] };
    expect(state.upgrades.map((u) => u.name).sort()).toEqual(["running", "second", "third"]);
    await store.close();

    // An age limit drops what ended too long ago, on open and on the next write.
    now = 2_000 + 60_000 + 1;
    const aged = await FileUpgradeStore.open({
      path,
      endedRetention: { count: 10, maxAgeMs: 60_000 },
      clock: () => now,
    });
    expect((await aged.list()).map((u) => u.name).sort()).toEqual(["running", "third"]);
    await aged.create(fresh("another"));
    await aged.close();
    const after = JSON.parse(await readFile(path, "utf8")) as { upgrades: { name: string }[] };
    expect(after.upgrades.map((u) => u.name).sort()).toEqual(["another", "running", "third"]);
  });

  it("refuses a retention that is not a whole number", async () => {
    await expect(FileUpgradeStore.open({ endedRetention: { count: -1 } })).rejects.toThrow(
      /endedRetention.count must be a whole number/,
    );
  });
});
