/**
 * The demo, again and again, on a loaded machine (G3's honest bound, ADR 0093): runs
 * `npm start` (its entry point, controller/cli/start.ts) `--runs` times in a row with a CPU hog
 * beside it, and reports how many runs passed (exit 0: every guarantee held, every removal
 * within its bound), with each removal's time, bound and what it waited for.
 *
 *   npx tsx test/load/demo-under-load.ts [--runs 10] [--quick] [--hogs 1]
 *
 * Bounded: each run is the demo's own bounded load; a run that takes longer than 5 minutes is
 * killed and counts as failed. The hogs are busy loops in child processes, stopped by pid at
 * the end (also on Ctrl-C). Everything stays on loopback.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { DemoReport } from "../../controller/local/demo/demo-report.js";
import { describeWaits } from "../../controller/local/demo/removal-grade.js";

const START = new URL("../../controller/cli/start.ts", import.meta.url).pathname;
const RUN_LIMIT_MS = 5 * 60_000;

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10" },
    hogs: { type: "string", default: "1" },
    quick: { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
const hogCount = Number(values.hogs);
if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new Error("--runs takes a whole number, 1..100");
if (!Number.isInteger(hogCount) || hogCount < 0 || hogCount > 8) throw new Error("--hogs takes 0..8");

/** A busy loop in its own process: one core's worth of load. */
function startHog(): ChildProcess {
  return spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
}

/** One demo run as `npm start` does it; resolves with its exit code (null when it was killed). */
function runDemo(reportPath: string): Promise<number | null> {
  const args = ["--import", "tsx", START, "--report", reportPath, ...(values.quick ? ["--quick"] : [])];
  const child = spawn(process.execPath, args, { stdio: "ignore" });
  const timer = setTimeout(() => child.kill("SIGKILL"), RUN_LIMIT_MS);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
}

const hogs = Array.from({ length: hogCount }, startHog);
const stopHogs = (): void => {
  for (const h of hogs) if (h.exitCode === null && h.signalCode === null) h.kill("SIGKILL");
};
process.once("SIGINT", () => {
  stopHogs();
  process.exit(130);
});
const dir = await mkdtemp(join(tmpdir(), "tranquil-demo-under-load-"));
let passed = 0;
try {
  console.log(
    `demo under load: ${runs} run(s)${values.quick ? " (--quick)" : ""}, ${hogCount} CPU hog(s) beside it`,
  );
  for (let i = 1; i <= runs; i++) {
    const reportPath = join(dir, `run-${i}.json`);
    const began = Date.now();
    const code = await runDemo(reportPath);
    const report = await readFile(reportPath, "utf8").then(
      (text) => JSON.parse(text) as DemoReport,
      () => undefined,
    );
    if (code === 0) passed += 1;
    console.log(
      `run ${i}: exit ${code ?? "killed"} in ${((Date.now() - began) / 1000).toFixed(0)} s; ` +
        `failed ${report?.failedByUpgrade ?? "?"}, mixed ${report?.mixedVersionTransactions ?? "?"}, violations ${report?.traceManagerViolations ?? "?"}`,
    );
    for (const r of report?.removals ?? [])
      console.log(
        `  ${r.service}@${r.version}: ${r.afterLastNeededMs ?? "?"} ms of ${r.boundMs} ms ${r.withinBound ? "ok" : "OVER"}; waited for ${describeWaits(r.waited)}`,
      );
  }
} finally {
  stopHogs();
  await rm(dir, { recursive: true, force: true });
}
console.log(`${passed} of ${runs} runs passed`);
process.exitCode = passed === runs ? 0 : 1;
