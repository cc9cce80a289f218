/**
 * The second half of `npm run build`: tsc emits only JavaScript, and some built modules load
 * files that sit beside their source (the gRPC services' `.proto` files: `sample-services/proto/`,
 * `trace-manager/proto/`). This copies every `.proto` of the folders tsconfig.build.json
 * compiles to the same place under the build's output, so `node dist/<entry>.js` runs from a
 * `dist/` that is alone (a container image copies only `dist/`). `tsx build-assets.ts [outDir]`
 * (default `dist`).
 */
import { existsSync } from "node:fs";
import { cp, readdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The folders `tsconfig.build.json` compiles, relative to the repository. */
export const BUILD_ROOTS = ["controller", "trace-manager", "sample-services", "istio"] as const;

/** Extensions of the files built modules read beside themselves. */
export const BUILD_ASSET_EXTENSIONS = [".proto"] as const;

const repo = import.meta.dirname;

/** Copies the assets of {@link BUILD_ROOTS} into `outDir`; resolves to their paths, relative to the repository. */
export async function copyBuildAssets(outDir: string = join(repo, "dist")): Promise<string[]> {
  const copied: string[] = [];
  // A folder may be absent: an image's build copies only the folders it builds.
  for (const root of BUILD_ROOTS.filter((r) => existsSync(join(repo, r)))) {
    const entries = await readdir(join(repo, root), { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile() || !BUILD_ASSET_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) continue;
      const from = relative(repo, join(entry.parentPath, entry.name));
      await cp(join(repo, from), join(outDir, from));
      copied.push(from);
    }
  }
  return copied.sort();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outDir = resolve(process.argv[2] ?? join(repo, "dist"));
  const copied = await copyBuildAssets(outDir);
  process.stdout.write(`copied ${copied.length} build assets into ${outDir}\n`);
}
