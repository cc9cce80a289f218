/**
 * Builds the dashboard (ADR 0091): browser/main.ts and what it imports bundled and minified
 * into one script, browser/style.css into one stylesheet, and browser/index.html copied, into
 * dist/dashboard/. The page then loads nothing from anywhere but the controller.
 *
 *   npx tsx controller/dashboard-ui/build.ts [outdir]     default dist/dashboard
 */
import { copyFile, mkdir, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import * as specSchema from "../upgrade-spec/schema.js";

/** Where the dashboard goes by default (the API's default dashboardDir, assets.ts). */
export const DEFAULT_DASHBOARD_OUTDIR = fileURLToPath(new URL("../../dist/dashboard", import.meta.url));

/** The largest script the build accepts: a dashboard that outgrows it should say why (ADR 0091). */
export const MAX_SCRIPT_BYTES = 48 * 1024;

const browser = (file: string): string => fileURLToPath(new URL(`./browser/${file}`, import.meta.url));

/**
 * The spec's schema module, as the page gets it: only its string constants (the patterns that
 * format.ts and drain-eta.ts reach through duration.ts), taken from the real module at build
 * time. The schema itself is built with TypeBox, which would triple the script; an import of
 * anything else from it fails the build ("No matching export").
 */
const schemaConstants: Plugin = {
  name: "schema-constants",
  setup(b) {
    const schemaFile = fileURLToPath(new URL("../upgrade-spec/schema.ts", import.meta.url));
    b.onResolve({ filter: /schema\.js$/ }, (args) =>
      resolve(args.resolveDir, args.path.replace(/\.js$/, ".ts")) === schemaFile
        ? { path: schemaFile, namespace: "schema-constants" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "schema-constants" }, () => ({
      loader: "js",
      contents: Object.entries(specSchema as Record<string, unknown>)
        .filter((entry): entry is [string, string] => typeof entry[1] === "string")
        .map(([name, value]) => `export const ${name} = ${JSON.stringify(value)};`)
        .join("\n"),
    }));
  },
};

/** Builds into `outdir`; resolves to the script's size in bytes. */
export async function buildDashboard(outdir: string = DEFAULT_DASHBOARD_OUTDIR): Promise<number> {
  await mkdir(outdir, { recursive: true });
  // Built aside and moved in, so a server reading the files never sees half a build (and two
  // builds at once, as parallel test files run them, never write into one file).
  const aside = (file: string): string => join(outdir, `${file}.${process.pid}.next`);
  const common = { bundle: true, minify: true, logLevel: "warning", legalComments: "none" } as const;
  const script = await build({
    ...common,
    entryPoints: [browser("main.ts")],
    outfile: aside("app.js"),
    format: "iife",
    platform: "browser",
    target: "es2022",
    plugins: [schemaConstants],
  });
  const style = await build({
    ...common,
    entryPoints: [browser("style.css")],
    outfile: aside("app.css"),
    loader: { ".css": "css" },
  });
  const errors = [...script.errors, ...style.errors];
  if (errors.length > 0)
    throw new Error(`building the dashboard failed: ${errors.map((e) => e.text).join("; ")}`);
  const size = (await stat(aside("app.js"))).size;
  if (size > MAX_SCRIPT_BYTES) {
    await Promise.all(["app.js", "app.css"].map((file) => rm(aside(file), { force: true })));
    throw new Error(
      `building the dashboard: app.js is ${size} bytes, over ${MAX_SCRIPT_BYTES}; a module pulled in something large (ADR 0091)`,
    );
  }
  await copyFile(browser("index.html"), aside("index.html"));
  for (const file of ["app.js", "app.css", "index.html"]) {
    await rename(aside(file), join(outdir, file));
  }
  return size;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = process.argv[2] === undefined ? undefined : resolve(process.argv[2]);
  buildDashboard(outdir).then(
    (size) => process.stdout.write(`built ${outdir ?? DEFAULT_DASHBOARD_OUTDIR} (app.js ${size} bytes)\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
