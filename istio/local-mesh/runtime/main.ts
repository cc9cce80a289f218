import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { pino } from "pino";
import { startMesh } from "./mesh-runtime.js";
import { loadTopology } from "./topology.js";

/** The logistics topology shipped with the runtime. */
export const LOGISTICS_TOPOLOGY = fileURLToPath(new URL("./logistics.topology.yaml", import.meta.url));

/**
 * `tsx istio/local-mesh/runtime/main.ts [--topology file] [--store redis://…] [--port n]`: runs the local
 * mesh in this process until SIGINT/SIGTERM, then stops everything and exits 0.
 */
async function main(argv: readonly string[]): Promise<void> {
  const cmd = new Command()
    .name("tranquil-mesh")
    .description("Run the local mesh (ingress, sidecars, TraceManagers, sample services) in one process")
    .option("--topology <file>", "topology YAML", LOGISTICS_TOPOLOGY)
    .option("--store <url>", "redis:// URL for the trace and sample stores (default: in memory)")
    .option("--port <n>", "ingress port (default: a free one)", (v) => Number.parseInt(v, 10))
    .parse(argv);
  const opts = cmd.opts<{ topology: string; store?: string; port?: number }>();
  const logger = pino({ name: "tranquil-mesh" });
  const mesh = await startMesh(await loadTopology(opts.topology), {
    logger,
    ...(opts.store !== undefined ? { storeUrl: opts.store } : {}),
    ...(opts.port !== undefined ? { ingressPort: opts.port } : {}),
  });
  process.stdout.write(`ingress: ${mesh.ingressUrl}\n`);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping the local mesh");
    mesh.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "the local mesh did not stop cleanly");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`tranquil-mesh: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof Error && err.cause !== undefined)
      process.stderr.write(
        `  cause: ${err.cause instanceof Error ? err.cause.message : JSON.stringify(err.cause)}\n`,
      );
    process.exit(1);
  });
}
