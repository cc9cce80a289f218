/**
 * The demo's command line, shared by `npm start` and `tranquil demo`:
 *   [--quick] [--duration <s>] [--redis <url>] [--scenario default|bad-release] [--report <path>]
 *   [--serve [--api-port <port>]]
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { resolve } from "node:path";
import { runDemo, Scenario, type DemoOptions } from "./run-demo.js";
import { serveLocal } from "./serve.js";

/** The demo's parsed flags: a demo run, or (`serve`) the local system kept running for the CLI. */
export type DemoFlags = Omit<DemoOptions, "out" | "signal"> & {
  readonly serve?: { readonly apiPort: number };
};

/** Parses the demo's flags; exported for `tranquil demo`. */
export function demoCommand(onRun: (options: DemoFlags) => Promise<void>): Command {
  return new Command("demo")
    .description("run the demo upgrade on the local mesh and print a report")
    .option("--quick", "shorter steps and windows (about 30 s)", false)
    .option("--duration <seconds>", "keep users busy for at least this long", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 86_400)
        throw new InvalidArgumentError("give whole seconds, 1..86400");
      return n;
    })
    .option("--redis <url>", "run the stores on Redis (redis://host:port) instead of memory")
    .addOption(
      new Option("--scenario <name>", "default, or bad-release (a v2 that fails its analysis and rolls back)")
        .choices(Object.values(Scenario))
        .default(Scenario.Default),
    )
    .option("--report <path>", "where to write the JSON report")
    .option("--serve", "keep the local mesh and its controller running for the tranquil CLI", false)
    .option(
      "--api-port <port>",
      "the controller API's port with --serve",
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError("give a port number");
        return n;
      },
      7070,
    )
    .action(
      async (flags: {
        quick: boolean;
        duration?: number;
        redis?: string;
        scenario: Scenario;
        report?: string;
        serve: boolean;
        apiPort: number;
      }) => {
        await onRun({
          ...(flags.serve ? { serve: { apiPort: flags.apiPort } } : {}),
          quick: flags.quick,
          scenario: flags.scenario,
          ...(flags.duration !== undefined ? { durationSeconds: flags.duration } : {}),
          ...(flags.redis !== undefined ? { redisUrl: flags.redis } : {}),
          ...(flags.report !== undefined ? { reportPath: flags.report } : {}),
        });
      },
    );
}

/** Runs the demo (or the served local system) in this process, stopping cleanly on SIGINT/SIGTERM. */
export async function startDemo(options: DemoFlags): Promise<number> {
  const stop = new AbortController();
  let firstSignalAt: number | null = null;
  const onSignal = (): void => {
    // A Ctrl-C reaches both tsx and this process, so one key press can arrive twice: only a
    // second press a moment later forces the exit.
    if (firstSignalAt === null) {
      firstSignalAt = Date.now();
      process.stdout.write("\nStopping: letting what is in flight finish (Ctrl-C again to force) …\n");
      stop.abort();
    } else if (Date.now() - firstSignalAt > 1_000) {
      process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    if (options.serve !== undefined) {
      return await serveLocal({
        apiPort: options.serve.apiPort,
        statePath: resolve(".tranquil", "serve", "upgrades.json"),
        logPath: resolve(".tranquil", "serve", "tranquil.log"),
        out: (line) => process.stdout.write(`${line}\n`),
        signal: stop.signal,
        ...(process.env.TRANQUIL_TOKEN !== undefined ? { token: process.env.TRANQUIL_TOKEN } : {}),
        ...(options.redisUrl !== undefined ? { redisUrl: options.redisUrl } : {}),
      });
    }
    const { exitCode } = await runDemo({
      ...options,
      out: (line) => process.stdout.write(`${line}\n`),
      signal: stop.signal,
    });
    return exitCode;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
