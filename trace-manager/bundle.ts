/**
 * Packs the TraceManager as a pod runs it: one minified ES module (`trace-manager/main.js`, with
 * its dependencies) and the trimmed Envoy protos beside it, so the sidecar image needs no
 * `node_modules`. A bundle also loads less: about 2 MB less resident memory than the same
 * code run from `node_modules` (ADR 0009). `npm run bundle` writes it to `dist/sidecar/`; the
 * benchmark runs exactly this, the floor packed the same way.
 *
 * Run it with the sidecar flags: `MALLOC_ARENA_MAX=1 node <SIDECAR_NODE_FLAGS> trace-manager/main.js`.
 */
import { cp, mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const repo = join(import.meta.dirname, "..");

/** Entry points that can be packed, relative to the repository. */
export const SIDECAR_ENTRIES = {
  traceManager: "trace-manager/main.ts",
  /** The benchmark's floor, packed the same way so that packing costs both alike. */
  noopCheckServer: "trace-manager/testing/noop-check-server.ts",
} as const;

/**
 * Writes `<out>/trace-manager/<entry name>.js` for each entry (ES modules for Node 24, minified,
 * dependencies inlined), the protos beside them, where `proto/load.ts` of a bundle looks for
 * them, and a `package.json` marking `.js` as ES modules. Returns the bundles' paths.
 */
export async function bundleSidecar(
  out: string,
  entries: readonly string[] = [SIDECAR_ENTRIES.traceManager],
): Promise<string[]> {
  const outputs: string[] = [];
  for (const entry of entries) {
    const outfile = join(out, "trace-manager", `${basename(entry, ".ts")}.js`);
    await build({
      absWorkingDir: repo,
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node24",
      minify: true,
      legalComments: "none",
      logLevel: "warning",
      // Dependencies that are CommonJS call require(); an ES module has none of its own.
      banner: {
        js: "import { createRequire as __tqRequire } from 'node:module'; const require = __tqRequire(import.meta.url);",
      },
    });
    outputs.push(outfile);
  }
  await mkdir(join(out, "trace-manager"), { recursive: true });
  await cp(join(repo, "trace-manager", "proto"), join(out, "trace-manager"), {
    recursive: true,
    filter: (f) => !f.endsWith(".ts"),
  });
  await writeFile(join(out, "package.json"), JSON.stringify({ type: "module" }));
  return outputs;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = process.argv[2] ?? join(repo, "dist", "sidecar");
  const files = await bundleSidecar(out);
  process.stdout.write(`TraceManager bundle: ${files.join(", ")} (protos beside it)\n`);
}
