/**
 * `npm start -- --serve` as a real child process (the entry `npm start` runs, in a fresh
 * folder): every startup failure stops what was started and exits 1 promptly, with the real
 * cause on stderr (a busy API port, a refused or locked state file, a short TRANQUIL_TOKEN).
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { initialStatus } from "../../engine/status.js";
import { FileUpgradeStore } from "../file-upgrade-store.js";

const START = fileURLToPath(new URL("../../cli/start.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");

interface Finished {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
  readonly ms: number;
}

/**
 * Runs `start.ts --serve …` in `cwd`; kills it and fails after `timeoutMs`. `onOut` sees the
 * stdout so far after each chunk, with a function that sends the child SIGINT (Ctrl-C).
 */
function serve(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
  onOut: (out: string, interrupt: () => void) => void = () => undefined,
): Promise<Finished> {
  const began = Date.now();
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    if (env.TRANQUIL_TOKEN === undefined) delete childEnv.TRANQUIL_TOKEN;
    const child = spawn(process.execPath, ["--import", TSX, START, "--serve", ...args], {
      cwd,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      onOut(out, () => child.kill("SIGINT"));
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`--serve did not exit within ${timeoutMs} ms; stdout: ${out}; stderr: ${err}`));
    }, timeoutMs);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, ms: Date.now() - began });
    });
  });
}

describe("npm start -- --serve: startup failures", () => {
  let cwd: string;
  let stateDir: string;
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => busy.close(() => resolve()));
  });
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), "tranquil-serve-"));
    stateDir = join(cwd, ".tranquil", "serve");
    return () => rm(cwd, { recursive: true, force: true });
  });

  it("a busy API port: stops the mesh it started and exits 1 with EADDRINUSE and the address", async () => {
    const run = await serve(cwd, ["--api-port", String(busyPort)]);
    expect(run.err).toContain(`demo failed: EADDRINUSE 127.0.0.1:${busyPort}`);
    expect(run.err).not.toContain("Cannot read properties");
    expect(run.code).toBe(1);
    // It had started the mesh, and stopped it: nothing kept the process alive.
    expect(run.out).toContain("Starting the local mesh");
    // The state file's lock was released on the way out.
    expect(await readdir(stateDir)).not.toContain("upgrades.json.lock");
  }, 90_000);

  it("a corrupt state file: exits 1 at once, naming the problem and what to do", async () => {
    await mkdir(stateDir, { recursive: true });
    await writeFile(
      join(stateDir, "upgrades.json"),
      JSON.stringify({ version: 2, revision: "abc", upgrades: [] }),
    );
    const run = await serve(cwd, ["--api-port", "0"]);
    expect(run.code).toBe(1);
    expect(run.err).toContain('revision: must be a whole number ≥ 0, not "abc"');
    expect(run.err).toContain("move the file aside to start afresh");
    // Refused before the mesh started.
    expect(run.out).not.toContain("Starting the local mesh");
    expect(run.ms).toBeLessThan(20_000);
  });

  it("a state file another controller holds: exits 1, naming that controller's pid", async () => {
    const holder = await FileUpgradeStore.open({ path: join(stateDir, "upgrades.json") });
    try {
      const run = await serve(cwd, ["--api-port", "0"]);
      expect(run.code).toBe(1);
      expect(run.err).toContain(`is in use by another controller (pid ${process.pid}`);
      expect(run.out).not.toContain("Starting the local mesh");
    } finally {
      await holder.close();
    }
  });

  it("a short TRANQUIL_TOKEN: exits 1 before starting anything", async () => {
    const run = await serve(cwd, ["--api-port", "0"], { TRANQUIL_TOKEN: "short" });
    expect(run.code).toBe(1);
    expect(run.err).toContain("demo failed: TRANQUIL_TOKEN must be at least 16 characters (it has 5)");
    expect(run.out).not.toContain("Starting the local mesh");
  });
});

describe("npm start -- --serve: a restart", () => {
  it("ends an upgrade left in progress by the previous run as Failed (MeshRestarted), saying the mesh started afresh", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "tranquil-serve-restart-"));
    try {
      const path = join(cwd, ".tranquil", "serve", "upgrades.json");
      const previous = await FileUpgradeStore.open({ path });
      await previous.create({
        namespace: "default",
        name: "auth-v2",
        spec: { services: [{ name: "auth-service", from: "v1", to: "v2" }] },
        status: initialStatus(Date.now()),
        createdAt: Date.now(),
      });
      await previous.close();
      let interrupted = false;
      const run = await serve(cwd, ["--api-port", "0"], {}, 90_000, (out, interrupt) => {
        if (!interrupted && out.includes("Press Ctrl-C to stop.")) {
          interrupted = true;
          interrupt();
        }
      });
      expect(run.out).toContain(
        "Upgrade default/auth-v2 was in progress on the previous mesh: ended because `npm start -- --serve` was restarted",
      );
      expect(interrupted).toBe(true);
      expect(run.err).toBe("");
      const after = await FileUpgradeStore.open({ path });
      const status = (await after.get({ namespace: "default", name: "auth-v2" })).status;
      await after.close();
      expect(status.phase).toBe("Failed");
      expect(status.conditions.find((c) => c.type === "Failed")?.reason).toBe("MeshRestarted");
      expect(status.conditions.some((c) => c.type === "GitOpsRevert")).toBe(false);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  }, 120_000);
});
