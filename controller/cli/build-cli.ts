/**
 * Builds the `tranquil` executable: controller/cli/main.ts and what it imports, bundled into
 * plain JavaScript (ES modules) that `node` runs without a TypeScript loader, so the CLI
 * starts in a fraction of a second instead of compiling TypeScript on every run. Packages
 * stay in node_modules; code loaded only by some commands (the Kubernetes client for
 * `--context`, the demo) goes into chunks of its own that load when those commands run.
 *
 *   npx tsx controller/cli/build-cli.ts [outdir]     default dist/cli; writes <outdir>/tranquil.js
 */
import { chmod, readFile, rm } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

/** Where the executable goes by default (package.json `bin`: ./dist/cli/tranquil.js). */
export const DEFAULT_CLI_OUTDIR = fileURLToPath(new URL("../../dist/cli", import.meta.url));

/** The entry point's file name inside the output directory. */
export const CLI_ENTRY = "tranquil.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Modules that find data beside themselves (`import.meta.url`, `import.meta.dirname`: the demo's
 * topologies, the protos) keep finding it once bundled: each use is replaced by the URL of the
 * module's source file, resolved at run time from where the output file is (the entry in
 * `outdir`, chunks in `outdir/chunks`), so the built CLI reads the repository's files and the
 * build can move with the repository.
 */
function sourceLocations(outdir: string): { plugin: Plugin; banner: string } {
  const fromEntry = `${relative(outdir, REPO_ROOT) || "."}/`;
  const fromChunk = `${relative(join(outdir, "chunks"), REPO_ROOT) || "."}/`;
  const banner = [
    `import { fileURLToPath as __tqPath } from "node:url";`,
    `import { dirname as __tqDirname } from "node:path";`,
    `const __tqRoot = new URL(import.meta.url.includes("/chunks/") ? ${JSON.stringify(fromChunk)} : ${JSON.stringify(fromEntry)}, import.meta.url);`,
    `const __tqSourceUrl = (p) => new URL(p, __tqRoot).href;`,
    `const __tqSourceDir = (p) => __tqDirname(__tqPath(__tqSourceUrl(p)));`,
  ].join("\n");
  const plugin: Plugin = {
    name: "source-locations",
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const text = await readFile(args.path, "utf8");
        if (!text.includes("import.meta.url") && !text.includes("import.meta.dirname")) return undefined;
        const source = JSON.stringify(relative(REPO_ROOT, args.path).split("\\").join("/"));
        return {
          contents: text
            .replaceAll("import.meta.url", `__tqSourceUrl(${source})`)
            .replaceAll("import.meta.dirname", `__tqSourceDir(${source})`),
          loader: "ts",
        };
      });
    },
  };
  return { plugin, banner };
}

/** Bundles the CLI into `outdir`; resolves to the path of the executable entry point. */
export async function buildCli(outdir: string = DEFAULT_CLI_OUTDIR): Promise<string> {
  const locations = sourceLocations(outdir);
  // Chunk names carry a hash: without a clean directory, every build would leave the last ones.
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { tranquil: fileURLToPath(new URL("./main.ts", import.meta.url)) },
    banner: { js: `#!/usr/bin/env node\n${locations.banner}` },
    plugins: [locations.plugin],
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22",
    packages: "external",
    sourcemap: true,
    chunkNames: "chunks/[name]-[hash]",
    logLevel: "warning",
  });
  if (result.errors.length > 0) {
    throw new Error(`building the tranquil CLI failed: ${result.errors.map((e) => e.text).join("; ")}`);
  }
  const entry = join(outdir, CLI_ENTRY);
  // A script's "run me when invoked" check (crd-manifest.ts) compares process.argv[1] with
  // its own import.meta.url; bundled into the entry chunk, it would run on every command.
  if ((await readFile(entry, "utf8")).includes("process.argv[1]")) {
    throw new Error(
      `building the tranquil CLI: a module that runs itself when invoked was bundled into ${CLI_ENTRY}; import it lazily`,
    );
  }
  await chmod(entry, 0o755);
  return entry;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildCli(process.argv[2] === undefined ? undefined : resolve(process.argv[2])).then(
    (entry) => process.stdout.write(`built ${entry}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
