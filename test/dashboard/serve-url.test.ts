/**
 * `npm start -- --serve` (its entry, as a child process in a fresh folder) prints the
 * dashboard's URL, and the controller serves the page there while it runs.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { buildDashboard } from "../../controller/dashboard-ui/build.js";

const START = fileURLToPath(new URL("../../controller/cli/start.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");

it("npm start -- --serve prints the dashboard's URL, and the page is served there", async () => {
  await buildDashboard();
  const cwd = await mkdtemp(join(tmpdir(), "tranquil-serve-dashboard-"));
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv["TRANQUIL_TOKEN"];
  const child = spawn(process.execPath, ["--import", TSX, START, "--serve", "--api-port", "0"], {
    cwd,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`--serve did not start in time; stdout: ${out}; stderr: ${err}`)),
        60_000,
      );
      child.stdout.setEncoding("utf8").on("data", (c: string) => {
        out += c;
        if (out.includes("Press Ctrl-C to stop.")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("close", () => reject(new Error(`--serve exited early; stdout: ${out}; stderr: ${err}`)));
    });
    const api = /controller API: +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    const url = /dashboard: +(\S+)/.exec(out)?.[1];
    expect(api, out).toBeDefined();
    expect(url).toBe(`${api}/dashboard/`);
    const page = await fetch(url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>Tranquil upgrades</title>");
    // The token is printed for the CLI's export line, never inside the dashboard's URL.
    const token = /TRANQUIL_TOKEN=(\S+)/.exec(out)?.[1];
    expect(token).toBeDefined();
    expect(url).not.toContain(token!);
  } finally {
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
    await rm(cwd, { recursive: true, force: true });
  }
}, 120_000);
