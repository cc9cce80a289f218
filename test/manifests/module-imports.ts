/**
 * The packages a built program can load: its modules followed from an entry point through
 * their relative imports (static, re-exports and `import("…")` of a literal), and the bare
 * specifiers they import, by package name. Node's built-ins are left out. Enough for the
 * JavaScript tsc and esbuild emit, which write one import per statement with quoted paths.
 */
import { existsSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, resolve } from "node:path";

/** A module specifier as written: a package path, a relative path or a `node:` name. */
const SPECIFIER = String.raw`["']((?:(?:\.{1,2}/)+|@|node:)?[\w][\w@./-]*)["']`;

const SPECIFIERS = [
  new RegExp(String.raw`\bimport\s*(?:[\w*{}\s,$]+\s*from\s*)?${SPECIFIER}`, "g"),
  new RegExp(String.raw`\bexport\s*[\w*{}\s,$]+\s*from\s*${SPECIFIER}`, "g"),
  new RegExp(String.raw`\bimport\(\s*${SPECIFIER}\s*\)`, "g"),
];

/** `@scope/name` or `name` of a bare specifier (`pino/file` → `pino`). */
export function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

/** The modules reachable from `entry` and the packages they import (sorted). */
export function reachablePackages(entry: string): { modules: string[]; packages: string[] } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [resolve(entry)];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const pattern of SPECIFIERS)
      for (const match of text.matchAll(pattern)) {
        const specifier = match[1];
        if (specifier === undefined || isBuiltin(specifier)) continue;
        if (!specifier.startsWith(".")) {
          packages.add(packageName(specifier));
          continue;
        }
        const target = resolve(dirname(file), specifier);
        if (!existsSync(target)) throw new Error(`${file} imports ${specifier}, which is not there`);
        queue.push(target);
      }
  }
  return { modules: [...seen].sort(), packages: [...packages].sort() };
}
