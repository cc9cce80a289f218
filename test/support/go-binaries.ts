/**
 * Builds Go programs the tests run from the Go module proxy, once per recipe, into a cache
 * outside the work tree. A recipe is the go.mod/go.sum committed beside a build module, the
 * package and the link flags, so a build is reproducible and a changed pin rebuilds. Parallel
 * test workers wait for one build under a lock.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { withLock } from "../cluster/control-plane/lock.js";

/** One program: where it goes, the module it is built in, its package and link flags. */
export interface GoTarget {
  readonly file: string;
  readonly module: string;
  readonly pkg: string;
  readonly ldflags: string;
  /** The version it is built at, for the progress lines. */
  readonly version: string;
}

/** `~/.cache/tranquil/<parts…>` (or under `XDG_CACHE_HOME`). */
export function tranquilCacheDir(...parts: string[]): string {
  const base = process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache");
  return join(base, "tranquil", ...parts);
}

/** A hash of what a binary is built from: its module's go.mod and go.sum, and the flags. */
async function recipe(target: GoTarget): Promise<string> {
  const hash = createHash("sha256");
  for (const f of ["go.mod", "go.sum"]) hash.update(await readFile(join(target.module, f)));
  hash.update(target.pkg).update(target.ldflags);
  return hash.digest("hex");
}

async function upToDate(target: GoTarget): Promise<boolean> {
  if (!existsSync(target.file)) return false;
  try {
    return (await readFile(`${target.file}.recipe`, "utf8")) === (await recipe(target));
  } catch {
    return false;
  }
}

/** Runs `go` with inherited output; rejects with what to do when Go is missing or the build fails. */
export function runGo(args: readonly string[], cwd: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("go", args, { cwd, stdio: ["ignore", "inherit", "inherit"] });
    child.once("error", (err) => {
      reject(
        new Error(
          `cannot run \`go\`: ${what} is built from Go modules; install Go 1.26 or later and put it on PATH`,
          {
            cause: err,
          },
        ),
      );
    });
    child.once("exit", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`go ${args.join(" ")} (in ${cwd}) exited with ${code ?? "a signal"}`));
    });
  });
}

async function build(target: GoTarget, what: string, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  log(`building ${basename(target.file)} ${target.version} from Go modules (first time only; minutes)`);
  const tmp = `${target.file}.tmp-${process.pid}`;
  await runGo(
    ["build", "-mod=readonly", "-ldflags", target.ldflags, "-o", tmp, target.pkg],
    target.module,
    what,
  );
  await writeFile(`${target.file}.recipe`, await recipe(target));
  await rename(tmp, target.file);
  log(`built ${target.file} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * Builds every target of `dir` whose binary is missing or whose recipe changed, under the
 * lock `<dir>.lock`; `what` names them in errors.
 */
export async function ensureGoBinaries(
  dir: string,
  targets: readonly GoTarget[],
  what: string,
  log: (line: string) => void,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const stale = async (): Promise<GoTarget[]> => {
    const out: GoTarget[] = [];
    for (const t of targets) if (!(await upToDate(t))) out.push(t);
    return out;
  };
  if ((await stale()).length === 0) return;
  await withLock(`${dir}.lock`, log, async () => {
    // Another worker may have built them while this one waited for the lock.
    for (const t of await stale()) {
      await rm(`${t.file}.recipe`, { force: true });
      await build(t, what, log);
    }
  });
}
