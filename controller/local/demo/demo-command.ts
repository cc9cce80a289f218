/**
 * The demo's command line, shared by `npm start` and `tranquil demo`:
 *   [--quick] [--duration <s>] [--redis <url>] [--scenario default|bad-release] [--report <path>]
 *   [--serve [--api-port <port>] [--prometheus <url>]]
 *   [--notify-webhook <url>]… [--notify-slack <url>]… [--notify-slack-file <path>]… (docs/notifications.md)
 * It imports no part of the demo itself (start-demo.ts runs it), so `tranquil` can parse these
 * flags without loading the local mesh.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import type { DemoOptions } from "./run-demo.js";
import { HTTP_URL_PATTERN } from "../../upgrade-spec/schema.js";
import { Scenario } from "./scenario.js";
import { addNotifyOptions, notifySettingsOf, type NotifyFlags } from "./notify-flags.js";

const HTTP_URL = new RegExp(HTTP_URL_PATTERN);

/** The demo's parsed flags: a demo run, or (`serve`) the local system kept running for the CLI. */
export type DemoFlags = Omit<DemoOptions, "out" | "signal"> & {
  readonly serve?: { readonly apiPort: number; readonly prometheusAddress?: string };
};

/** The demo's flags as a commander command that calls `onRun` with them parsed and checked. */
export function demoCommand(onRun: (options: DemoFlags) => Promise<void>): Command {
  const command = new Command("demo")
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
    .option(
      "--prometheus <url>",
      "with --serve: the Prometheus the analysis queries, e.g. http://127.0.0.1:9090",
      (v) => {
        if (!HTTP_URL.test(v))
          throw new InvalidArgumentError("give an http(s) URL, e.g. http://127.0.0.1:9090");
        return v;
      },
    );
  return addNotifyOptions(command).action(
    async (
      flags: NotifyFlags & {
        quick: boolean;
        duration?: number;
        redis?: string;
        scenario: Scenario;
        report?: string;
        serve: boolean;
        apiPort: number;
        prometheus?: string;
      },
    ) => {
      const prometheus = flags.prometheus !== undefined ? { prometheusAddress: flags.prometheus } : {};
      const notify = notifySettingsOf(flags);
      await onRun({
        ...(notify !== undefined ? { notify } : {}),
        ...(flags.serve ? { serve: { apiPort: flags.apiPort, ...prometheus } } : {}),
        quick: flags.quick,
        scenario: flags.scenario,
        ...(flags.duration !== undefined ? { durationSeconds: flags.duration } : {}),
        ...(flags.redis !== undefined ? { redisUrl: flags.redis } : {}),
        ...(flags.report !== undefined ? { reportPath: flags.report } : {}),
      });
    },
  );
}
