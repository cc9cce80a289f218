/**
 * `npm start`: the demo upgrade on the local mesh (controller/local/demo/run-demo.ts).
 *   npm start [-- --quick] [--duration <s>] [--redis <url>] [--scenario default|bad-release] [--report <path>]
 *   npm start -- --cluster     the demo through the local Kubernetes cluster (test/cluster/demo)
 */
import { demoCommand } from "../local/demo/demo-command.js";
import { startDemo } from "../local/demo/start-demo.js";

const args = process.argv.slice(2);
if (args.includes("--cluster")) {
  if (args.length > 1) {
    process.stderr.write("demo failed: --cluster takes no other option\n");
    process.exitCode = 2;
  } else {
    // The local cluster is development infrastructure: it lives with the tests, outside the build.
    const demo = "../../test/cluster/demo/cluster-demo.js";
    import(demo)
      .then((m: { runClusterDemo(): Promise<number> }) => m.runClusterDemo())
      .then((code) => {
        process.exitCode = code;
        exitSoon();
      }, failed);
  }
} else runLocalDemo();

function runLocalDemo(): void {
  demoCommand(async (options) => {
    process.exitCode = await startDemo(options);
  })
    .name("npm start --")
    .parseAsync(process.argv)
    .then(exitSoon, failed);
}

/** Prints the failure with its causes and exits 1 (what failed to start was stopped already). */
function failed(err: unknown): void {
  process.stderr.write(`demo failed: ${describeFailure(err)}\n`);
  process.exitCode = 1;
  exitSoon();
}

/** The error's message, then each cause's that it does not already contain. */
function describeFailure(err: unknown): string {
  let text = err instanceof Error ? err.message : String(err);
  let cause = err instanceof Error ? err.cause : undefined;
  for (let depth = 0; cause !== undefined && depth < 5; depth++) {
    const message = cause instanceof Error ? cause.message : JSON.stringify(cause);
    if (!text.includes(message)) text += `: ${message}`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return text;
}

/**
 * Exits with the exit status once the output is flushed, even if a handle (a socket, a timer
 * of a component that failed to stop) would keep the process alive: a finished or failed run
 * never hangs.
 */
function exitSoon(): void {
  setTimeout(() => process.exit(), 2_000).unref();
}
