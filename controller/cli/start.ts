/**
 * `npm start`: the demo upgrade on the local mesh (controller/local/demo/run-demo.ts).
 *   npm start [-- --quick] [--duration <s>] [--redis <url>] [--scenario default|bad-release] [--report <path>]
 */
import { demoCommand } from "../local/demo/demo-command.js";
import { startDemo } from "../local/demo/start-demo.js";

demoCommand(async (options) => {
  process.exitCode = await startDemo(options);
})
  .name("npm start --")
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
