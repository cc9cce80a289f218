/**
 * The demo's command line, shared by `npm start` and `tranquil demo`:
 *   [--quick] [--duration <s>] [--redis <url>] [--scenario default|bad-release] [--report <path>]
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { runDemo, Scenario, type DemoOptions } from "./run-demo.js";

/** Parses the demo's flags; exported for `tranquil demo`. */
export function demoCommand(onRun: (options: Omit<DemoOptions, "out" | "signal">) => Promise<void>): Command {
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
    .action(
      async (flags: {
        quick: boolean;
        duration?: number;
        redis?: string;
        scenario: Scenario;
        report?: string;
      }) => {
        await onRun({
          quick: flags.quick,
          scenario: flags.scenario,
          ...(flags.duration !== undefined ? { durationSeconds: flags.duration } : {}),
          ...(flags.redis !== undefined ? { redisUrl: flags.redis } : {}),
          ...(flags.report !== undefined ? { reportPath: flags.report } : {}),
        });
      },
    );
}

/** Runs the demo in this process, stopping cleanly on SIGINT/SIGTERM. */
export async function startDemo(options: Omit<DemoOptions, "out" | "signal">): Promise<number> {
  const stop = new AbortController();
  const onSignal = (): void => {
    process.stdout.write("\nStopping: finishing what is in flight and writing the report …\n");
    stop.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
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
