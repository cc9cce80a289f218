/**
 * The built `tranquil` executable (build-cli.ts: bin.ts bundled to plain JavaScript) in a
 * subprocess run by plain `node`, with no TypeScript loader: `upgrade --watch` against the
 * real API while a test engine moves the upgrade to Succeeded (exit 0), an unreachable
 * controller (exit 3) and bad input (exit 2).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../test/support/redis-server.js";
import { buildCli } from "./build-cli.js";
import { ExitCode } from "./exit-codes.js";
import { SUCCEEDING_RUN, startApiFixture, writeStatus, type ApiFixture } from "./testing/api-fixture.js";

/** Inside the repository (dist/ is ignored), so the bundle finds the packages in node_modules. */
const OUTDIR = fileURLToPath(new URL(`../../dist/cli-test-${process.pid}`, import.meta.url));
let bin = "";

interface Finished {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs the built entry point with plain node (no --import flag, no NODE_OPTIONS); `onOut` sees
 * each stdout chunk and may stop the run (SIGINT, as Ctrl-C would).
 */
function runBin(
  args: string[],
  env: Record<string, string>,
  onOut: (chunk: string, interrupt: () => void) => void = () => undefined,
  cwd?: string,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const { NODE_OPTIONS: _loader, ...inherited } = process.env;
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...inherited, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      ...(cwd === undefined ? {} : { cwd }),
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      onOut(chunk, () => child.kill("SIGINT"));
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, out, err }));
  });
}

describe("the built tranquil executable (subprocess, plain node)", () => {
  let api: ApiFixture;
  beforeAll(async () => {
    api = await startApiFixture();
    bin = await buildCli(OUTDIR);
  }, 60_000);
  afterAll(async () => {
    await api.close();
    await rm(OUTDIR, { recursive: true, force: true });
  });

  it("is plain JavaScript that node runs as it is: a node shebang, no TypeScript", async () => {
    const text = await readFile(bin, "utf8");
    expect(text.split("\n")[0]).toBe("#!/usr/bin/env node");
    expect(text).not.toMatch(/from "[^"]*\.ts"/);
    const help = await runBin(["--help"], {});
    expect(help.code).toBe(ExitCode.Ok);
    expect(help.out).toMatch(/^Usage: tranquil /);
  });

  it("loads the Kubernetes client only for the commands on a cluster", async () => {
    const text = await readFile(bin, "utf8");
    expect(text).not.toContain("@kubernetes/client-node");
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

  it(
    "runs the demo from the bundle: its topology and protos are found beside their sources",
    { timeout: 90_000 },
    async () => {
      // The demo writes its report folder into the working directory.
      const cwd = await mkdtemp(join(tmpdir(), "tranquil-bin-demo-"));
      try {
        let seen = "";
        const result = await runBin(
          ["demo", "--quick"],
          {},
          (chunk, interrupt) => {
            seen += chunk;
            if (seen.includes("Upgrading auth-service")) interrupt();
          },
          cwd,
        );
        expect(result.err).not.toContain("cannot read");
        expect(result.out).toContain("dashboard http://127.0.0.1:");
        expect(result.out).toContain("Upgrading auth-service v1 → v2");
      } finally {
        await rm(cwd, { recursive: true, force: true });
      }
    },
  );

  it("exits 2 on bad input", { timeout: 60_000 }, async () => {
    const result = await runBin(
      ["upgrade", "x-service", "--from", "v1", "--to", "v2", "--steps", "10,x"],
      {},
    );
    expect(result.code).toBe(ExitCode.BadInput);
    expect(result.err).toContain('--steps "10,x" is not a comma list of whole percentages');
  });
});
