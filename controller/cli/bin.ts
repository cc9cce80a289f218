#!/usr/bin/env -S npx tsx
/**
 * The `tranquil` executable (package.json `bin`): `npx tranquil …`, or
 * `npx tsx controller/cli/bin.ts …`. Ctrl-C stops a watch, not the upgrade.
 */
import { runCli } from "./cli.js";
import { processIo } from "./io.js";

const interrupt = new AbortController();
process.once("SIGINT", () => interrupt.abort());
process.once("SIGTERM", () => interrupt.abort());

process.exitCode = await runCli(process.argv.slice(2), processIo(interrupt.signal));
// Streams and timers must not keep a finished command alive.
process.exit();
