/**
 * `tranquil demo`: the `npm start` demo, run in this process with the demo's own flags (one
 * parser, controller/local/demo/demo-command.ts, serves both commands). The demo is imported
 * only when the command runs, so that the other commands do not load the local mesh.
 */
import type { Command } from "commander";
import { demoCommand, type DemoFlags } from "../local/demo/demo-command.js";

/** What runs the demo; tests replace it. */
export interface DemoDeps {
  /** Runs the demo with the parsed flags; resolves to its exit status. */
  readonly start: (flags: DemoFlags) => Promise<number>;
}

/** The demo itself (controller/local/demo/start-demo.ts), as `npm start` runs it. */
export const realDemoDeps: DemoDeps = {
  start: async (flags) => {
    const { startDemo } = await import("../local/demo/start-demo.js");
    return startDemo(flags);
  },
};

/** The `demo` subcommand of `parent`: the demo's flags, `parent`'s output and error handling. */
export function demoSubcommand(parent: Command, deps: DemoDeps, setExit: (code: number) => void): Command {
  return demoCommand(async (flags) => {
    setExit(await deps.start(flags));
  })
    .description("run the `npm start` demo: the local mesh, the logistics services and an upgrade under load")
    .copyInheritedSettings(parent);
}
