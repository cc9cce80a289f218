/**
 * The state file's single-writer lock (ADR 0087), with a real second process: a live holder
 * refuses every other writer, in this process or another; a holder killed with SIGKILL leaves
 * a stale lock that the next store takes over; a broken lock stops the old holder's writes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { initialStatus } from "../engine/status.js";
import { FileUpgradeStore } from "./file-upgrade-store.js";
import { lockPathOf, StateLockedError } from "./state-lock.js";

const HOLDER = fileURLToPath(new URL("./testing/hold-state-file.ts", import.meta.url));
const spec = { services: [{ name: "auth-service", from: "v1", to: "v2" }] };

function fresh(name: string) {
  return { namespace: "default", name, spec, status: initialStatus(1), createdAt: 1 };
}

interface Holder {
  readonly child: ChildProcess;
  /** Resolves with the first stdout line, or rejects with stderr when the child exits first. */
  readonly ready: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }>;
}

function startHolder(path: string, name: string): Holder {
  const child = spawn(process.execPath, ["--import", "tsx", HOLDER, path, name], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal, err })),
  );
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      if (out.includes("\n")) resolve(out.trim());
    });
    void exited.then((e) => reject(new Error(`holder exited (${String(e.code)}): ${e.err}`)));
  });
  ready.catch(() => undefined);
  return { child, ready, exited };
}

describe("the state file's single-writer lock", () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tranquil-state-lock-"));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a second store in the same process with a message naming the holder, until the first closes", async () => {
    const path = join(dir, "upgrades.json");
    const first = await FileUpgradeStore.open({ path });
    const refused = await FileUpgradeStore.open({ path }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StateLockedError);
    expect((refused as Error).message).toContain(`in use by another controller (pid ${process.pid}`);
    expect((refused as Error).message).toMatch(/stop that one first/);
    await first.create(fresh("a"));
    await first.close();
    const second = await FileUpgradeStore.open({ path });
    expect((await second.list()).map((u) => u.name)).toEqual(["a"]);
    await second.close();
    expect(await readdir(dir)).toEqual(["upgrades.json"]);
  });

  it("refuses a writer while a live process holds the file, and takes over once that process is killed with SIGKILL", async () => {
    const path = join(dir, "upgrades.json");
    const holder = startHolder(path, "from-holder");
    children.push(holder.child);
    expect(await holder.ready).toBe(`holding ${String(holder.child.pid)}`);

    // This process is refused while the holder lives …
    const refused = await FileUpgradeStore.open({ path }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StateLockedError);
    expect((refused as StateLockedError).holder.pid).toBe(holder.child.pid);
    // … and so is another process, which exits 1 with the reason.
    const second = startHolder(path, "from-second");
    children.push(second.child);
    const secondEnd = await second.exited;
    expect(secondEnd.code).toBe(1);
    expect(secondEnd.err).toContain(`in use by another controller (pid ${String(holder.child.pid)}`);

    // A crash leaves the lock file behind; it is stale once its pid is gone.
    holder.child.kill("SIGKILL");
    expect((await holder.exited).signal).toBe("SIGKILL");
    expect(JSON.parse(await readFile(lockPathOf(path), "utf8"))).toMatchObject({ pid: holder.child.pid });
    const next = await FileUpgradeStore.open({ path });
    expect((await next.list()).map((u) => u.name)).toEqual(["from-holder"]);
    expect(JSON.parse(await readFile(lockPathOf(path), "utf8"))).toMatchObject({ pid: process.pid });
    await next.create(fresh("after-takeover"));
    await next.close();
    // The second process's upgrade was never written: one writer at a time.
    const reopened = await FileUpgradeStore.open({ path });
    expect((await reopened.list()).map((u) => u.name).sort()).toEqual(["after-takeover", "from-holder"]);
    await reopened.close();
  }, 30_000);

  it("takes over a lock whose pid now belongs to a process started later (a reused pid)", async () => {
    const path = join(dir, "upgrades.json");
    // This process's pid, with another start time: the holder that wrote it is gone.
    await writeFile(
      lockPathOf(path),
      JSON.stringify({
        pid: process.pid,
        processStart: "1",
        lockedAt: 0,
        host: (await import("node:os")).hostname(),
        nonce: "old",
      }),
    );
    const store = await FileUpgradeStore.open({ path });
    await store.create(fresh("a"));
    await store.close();
  });

  it("stops writing when its lock was taken from it, saying so", async () => {
    const path = join(dir, "upgrades.json");
    const first = await FileUpgradeStore.open({ path });
    await first.create(fresh("a"));
    // Someone removed the lock by hand and started another controller.
    await rm(lockPathOf(path));
    const second = await FileUpgradeStore.open({ path });
    await expect(first.create(fresh("b"))).rejects.toThrow(/its lock .* was taken by another process/);
    await second.close();
    await first.close();
  });

  it("writes through unique temporary files and leaves none behind", async () => {
    const path = join(dir, "upgrades.json");
    // A temporary file left by a writer killed mid-write does not get in the way.
    await writeFile(`${path}.tmp`, "{partial");
    const store = await FileUpgradeStore.open({ path });
    await Promise.all(["a", "b", "c", "d"].map((n) => store.create(fresh(n))));
    await store.close();
    expect((await readdir(dir)).sort()).toEqual(["upgrades.json", "upgrades.json.tmp"]);
    const state = JSON.parse(await readFile(path, "utf8")) as { upgrades: unknown[] };
    expect(state.upgrades).toHaveLength(4);
  });
});
