/**
 * The `tranquil` process: runs the CLI over the real process's io and exits with its status.
 * Ctrl-C stops a watch, not the upgrade. build-cli.ts bundles it into the executable that
 * package.json `bin` names (dist/cli/tranquil.js); bin.ts runs it through tsx, unbuilt.
 */
import { runCli } from "./cli.js";
import { processIo } from "./io.js";

const interrupt = new AbortController();
process.once("SIGINT", () => interrupt.abort());
process.once("SIGTERM", () => interrupt.abort());

process.exitCode = await runCli(process.argv.slice(2), processIo(interrupt.signal));
// Streams and timers must not keep a finished command alive.
process.exit();
