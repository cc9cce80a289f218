/**
 * The real `tranquil` executable in a subprocess (node with tsx, as the bin's shebang runs
 * it): `upgrade --watch` against the real API while a test engine moves the upgrade to
 * Succeeded (exit 0), and an unreachable controller (exit 3).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../test/support/redis-server.js";
import { ExitCode } from "./exit-codes.js";
import { SUCCEEDING_RUN, startApiFixture, writeStatus, type ApiFixture } from "./testing/api-fixture.js";

const BIN = fileURLToPath(new URL("./bin.ts", import.meta.url));

interface Finished {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs bin.ts with `args`; `onOut` sees each stdout chunk. */
function runBin(
  args: string[],
  env: Record<string, string>,
  onOut: (chunk: string) => void = () => undefined,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      onOut(chunk);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, out, err }));
  });
}

describe("bin.ts (subprocess)", () => {
  let api: ApiFixture;
  beforeAll(async () => {
    api = await startApiFixture();
  });
  afterAll(async () => {
    await api.close();
  });

  it("starts with a shebang that runs it through tsx", async () => {
    const { readFile } = await import("node:fs/promises");
    expect((await readFile(BIN, "utf8")).split("\n")[0]).toBe("#!/usr/bin/env -S npx tsx");
  });

  it("`upgrade --watch` follows the upgrade to Succeeded and exits 0", { timeout: 60_000 }, async () => {
    let next = 0;
    let engine: Promise<unknown> = Promise.resolve();
    const result = await runBin(
      ["upgrade", "bin-service", "--from", "v1", "--to", "v2", "--steps", "10,50,100", "--watch"],
      { TRANQUIL_URL: api.url, TRANQUIL_TOKEN: api.token },
      (chunk) => {
        // One status per progress line the CLI printed, so each is seen.
        for (const _line of chunk.split("\n").filter((l) => / bin-service-v2 /.test(l))) {
          const patch = SUCCEEDING_RUN[next++];
          if (patch) engine = engine.then(() => writeStatus(api.store, "bin-service-v2", patch));
        }
      },
    );
    await engine;
    expect(result.err.replace(/^npm warn.*\n/gm, "")).toBe("");
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.out).toMatch(/^upgrade bin-service-v2 created/);
    expect(result.out).toMatch(/Draining\/ingressDrain .* drain ETA/);
    expect(result.out).toMatch(/upgrade bin-service-v2 Succeeded after \S+\n$/);
  });

  it("exits 3 with what to do when the controller is unreachable", { timeout: 60_000 }, async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await runBin(["status"], { TRANQUIL_URL: url });
    expect(result.code).toBe(ExitCode.Unavailable);
    expect(result.err).toContain(
      `cannot reach the controller at ${url} (ECONNREFUSED): start it with \`npm start\``,
    );
  });

  it("exits 2 on bad input", { timeout: 60_000 }, async () => {
    const result = await runBin(
      ["upgrade", "x-service", "--from", "v1", "--to", "v2", "--steps", "10,x"],
      {},
    );
    expect(result.code).toBe(ExitCode.BadInput);
    expect(result.err).toContain('--steps "10,x" is not a comma list of whole percentages');
  });
});
