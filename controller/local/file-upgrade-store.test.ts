import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { initialStatus } from "../engine/status.js";
import {
  UpgradeConflictError,
  UpgradeExistsError,
  UpgradeNotFoundError,
  type UpgradeEvent,
} from "../ports/upgrade-store.js";
import { FileUpgradeStore } from "./file-upgrade-store.js";

const spec = { services: [{ name: "auth-service", from: "v1", to: "v2" }] };

describe("FileUpgradeStore", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tranquil-upgrades-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates, updates with the current resourceVersion and refuses a stale one (409)", async () => {
    const store = await FileUpgradeStore.open();
    const created = await store.create({
      id: "auth-v2",
      spec,
      status: initialStatus(1),
      commands: [],
      createdAt: 1,
    });
    const updated = await store.update({ ...created, commands: [{ kind: "abort", token: "t1" }] });
    expect(updated.resourceVersion).not.toBe(created.resourceVersion);
    await expect(store.update({ ...created, commands: [] })).rejects.toBeInstanceOf(UpgradeConflictError);
    await expect(store.create({ ...created })).rejects.toBeInstanceOf(UpgradeExistsError);
    await expect(store.get("missing")).rejects.toBeInstanceOf(UpgradeNotFoundError);
  });

  it("survives a restart: a reopened store has the last complete write", async () => {
    const path = join(dir, "state", "upgrades.json");
    const first = await FileUpgradeStore.open({ path });
    const created = await first.create({
      id: "auth-v2",
      spec,
      status: initialStatus(1),
      commands: [],
      createdAt: 1,
    });
    const updated = await first.update({ ...created, spec: { ...spec, paused: true } });
    await first.close();

    const second = await FileUpgradeStore.open({ path });
    const loaded = await second.get("auth-v2");
    expect(loaded).toEqual(updated);
    // Revisions keep increasing after a restart, so stale writers are still caught.
    const again = await second.update(loaded);
    expect(Number(again.resourceVersion)).toBeGreaterThan(Number(updated.resourceVersion));
  });

  it("tells watchers about every change in order", async () => {
    const store = await FileUpgradeStore.open();
    const events: UpgradeEvent["type"][] = [];
    const stop = store.watch((e) => events.push(e.type));
    const created = await store.create({
      id: "a",
      spec,
      status: initialStatus(1),
      commands: [],
      createdAt: 1,
    });
    await store.update(created);
    stop();
    await store.update(await store.get("a"));
    expect(events).toEqual(["ADDED", "MODIFIED"]);
  });

  it("refuses a corrupt state file with a message that says what to do", async () => {
    const path = join(dir, "upgrades.json");
    await writeFile(path, "{not json");
    await expect(FileUpgradeStore.open({ path })).rejects.toThrow(/move it aside/);
  });
});
