/**
 * Runs the demo, or the local system kept running for the CLI (`--serve`), in this process:
 * what `npm start` and `tranquil demo` do once demo-command.ts has parsed their flags.
 */
import { resolve } from "node:path";
import type { DemoFlags } from "./demo-command.js";
import { runDemo } from "./run-demo.js";
import { serveLocal } from "./serve.js";
import { terminalLiveLine } from "./watch-upgrade.js";

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
      const token = process.env.TRANQUIL_TOKEN;
      if (token !== undefined) checkToken(token);
      return await serveLocal({
        apiPort: options.serve.apiPort,
        statePath: resolve(".tranquil", "serve", "upgrades.json"),
        logPath: resolve(".tranquil", "serve", "tranquil.log"),
        out: (line) => process.stdout.write(`${line}\n`),
        signal: stop.signal,
        ...(token !== undefined ? { token } : {}),
        ...(options.redisUrl !== undefined ? { redisUrl: options.redisUrl } : {}),
        ...(options.notify !== undefined ? { notify: options.notify } : {}),
        ...(options.serve.prometheusAddress !== undefined
          ? { prometheusAddress: options.serve.prometheusAddress }
          : {}),
      });
    }
    const { exitCode } = await runDemo({
      ...options,
      out: (line) => process.stdout.write(`${line}\n`),
      ...(process.stdout.isTTY ? { live: terminalLiveLine(process.stdout) } : {}),
      signal: stop.signal,
    });
    return exitCode;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** The shortest API token `--serve` accepts from TRANQUIL_TOKEN (the API's own minimum). */
export const MIN_TOKEN_LENGTH = 16;

/** Refuses a TRANQUIL_TOKEN the API would refuse, before anything starts. */
function checkToken(token: string): void {
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new Error(
      `TRANQUIL_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters (it has ${token.length}): ` +
        "set a longer one, or unset it to have one generated",
    );
  }
}
