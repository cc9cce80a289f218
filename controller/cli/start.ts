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
      .then(
        (code) => {
          process.exitCode = code;
        },
        (err: unknown) => {
          process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
          process.exitCode = 1;
        },
      );
  }
} else runLocalDemo();

function runLocalDemo(): void {
  demoCommand(async (options) => {
    process.exitCode = await startDemo(options);
  })
    .name("npm start --")
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}
