#!/usr/bin/env -S npx tsx
/**
 * The `tranquil` command from the sources, compiled by tsx on each run (slow to start):
 * `npx tsx controller/cli/bin.ts …`. The executable to use is the built one,
 * dist/cli/tranquil.js (build-cli.ts), which plain `node` runs.
 */
import "./main.js";
