import { describe, it, expect, afterEach } from "vitest";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareSocketPath } from "./socket-file.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "tm-sock-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Leaves a stale socket file behind, as a crashed (SIGKILLed) TraceManager does. */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ["-e", `require("net").createServer().listen(${JSON.stringify(path)}, () => console.log("up"))`],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  const exited = new Promise((r) => child.on("exit", r));
  child.kill("SIGKILL");
  await exited;
}

describe("prepareSocketPath", () => {
  it("replaces a stale socket file", async () => {
    const path = join(await tempDir(), "tm.sock");
    await staleSocket(path);
    expect((await stat(path)).isSocket()).toBe(true);
    await prepareSocketPath(path);
    await expect(stat(path)).rejects.toThrow();
  });

  it("refuses a socket another process serves", async () => {
    const path = join(await tempDir(), "tm.sock");
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(path, r));
    try {
      await expect(prepareSocketPath(path)).rejects.toThrow(/served by another process/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("refuses a path that is not a socket, and creates missing folders", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "file"), "x");
    await expect(prepareSocketPath(join(dir, "file"))).rejects.toThrow(/not a socket/);
    await prepareSocketPath(join(dir, "a", "b", "tm.sock"));
    expect((await stat(join(dir, "a", "b"))).isDirectory()).toBe(true);
  });
});
