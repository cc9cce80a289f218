/**
 * `.dockerignore` as Docker reads it: one pattern a line, `#` comments, `!` re-includes, the
 * last matching line wins; `*` and `?` stop at `/`, `**` spans any number of folders; a path is
 * excluded when it or a folder above it is matched.
 */
import { readFileSync } from "node:fs";

interface Rule {
  readonly negated: boolean;
  readonly pattern: RegExp;
}

function toRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === "*" && glob[i + 1] === "*") {
      // `**/` is zero or more folders; a trailing `**` is anything.
      if (glob[i + 2] === "/") {
        out += "(?:.*/)?";
        i += 2;
      } else {
        out += ".*";
        i += 1;
      }
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/** Reads `.dockerignore` text into a predicate over context-relative paths (`a/b.ts`). */
export function dockerIgnore(content: string): (path: string) => boolean {
  const rules: Rule[] = content
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const negated = l.startsWith("!");
      const glob = (negated ? l.slice(1) : l).trim().replace(/^\/+/, "").replace(/\/+$/, "");
      return { negated, pattern: toRegExp(glob) };
    });
  return (path) => {
    const clean = path.replace(/^\.\//, "").replace(/\/+$/, "");
    const parts = clean.split("/");
    // The path itself and each folder above it.
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    let excluded = false;
    for (const rule of rules) if (prefixes.some((p) => rule.pattern.test(p))) excluded = !rule.negated;
    return excluded;
  };
}

/** The predicate of a `.dockerignore` file (nothing is excluded when there is none). */
export function dockerIgnoreFile(file: string): (path: string) => boolean {
  let content = "";
  try {
    content = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  return dockerIgnore(content);
}
