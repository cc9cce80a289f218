/**
 * A lock between processes on one machine: a directory created atomically, holding the
 * holder's pid. A holder that died (its pid gone) is detected and its lock taken over, so a
 * build killed half-way does not wedge the next one.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

const POLL_MS = 500;
const SAY_EVERY_MS = 30_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function holder(path: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(join(path, "pid"), "utf8")).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Runs `body` while holding the lock at `path`, waiting (and saying so) while another process holds it. */
export async function withLock<T>(
  path: string,
  log: (line: string) => void,
  body: () => Promise<T>,
): Promise<T> {
  let waitingSince: number | null = null;
  let saidAt = 0;
  for (;;) {
    try {
      await mkdir(path);
      await writeFile(join(path, "pid"), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const pid = await holder(path);
    // No pid yet: the holder is between mkdir and writing it, unless that was long ago.
    if (
      (pid !== null && !alive(pid)) ||
      (pid === null && waitingSince !== null && Date.now() - waitingSince > 10_000)
    ) {
      log(`taking over the lock ${path} from a holder that is gone`);
      await rm(path, { recursive: true, force: true });
      continue;
    }
    const now = Date.now();
    waitingSince ??= now;
    if (now - saidAt >= SAY_EVERY_MS) {
      log(
        `waiting for another build (pid ${pid ?? "?"}) to finish (${Math.round((now - waitingSince) / 1000)} s so far)`,
      );
      saidAt = now;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  try {
    return await body();
  } finally {
    await rm(path, { recursive: true, force: true });
  }
}
