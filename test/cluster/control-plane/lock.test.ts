import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { withLock } from "./lock.js";

describe("withLock", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tranquil-lock-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("runs holders one after the other", async () => {
    const path = join(dir, "build.lock");
    const order: string[] = [];
    const hold = (name: string) =>
      withLock(
        path,
        () => undefined,
        async () => {
          order.push(`${name} in`);
          await new Promise((r) => setTimeout(r, 200));
          order.push(`${name} out`);
        },
      );
    await Promise.all([hold("a"), hold("b")]);
    expect(order).toEqual(expect.arrayContaining(["a in", "a out", "b in", "b out"]));
    // Never two inside at once.
    expect(order[1]).toMatch(/out$/);
    expect(order[3]).toMatch(/out$/);
  });

  it("takes over the lock of a holder that died, and says so", async () => {
    const path = join(dir, "build.lock");
    // A pid that existed and has exited: a process that is gone.
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
      encoding: "utf8",
    }).stdout;
    await mkdir(path);
    await writeFile(join(path, "pid"), gone);
    const lines: string[] = [];
    const ran = await withLock(
      path,
      (l) => lines.push(l),
      () => Promise.resolve("built"),
    );
    expect(ran).toBe("built");
    expect(lines.join("\n")).toMatch(/taking over the lock .* from a holder that is gone/);
  });
});
