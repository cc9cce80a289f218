/**
 * The single-writer lock of a local state file (ADR 0087): `<state file>.lock`, created
 * exclusively (written aside, then hard-linked into place, which fails if it exists) and
 * holding the holder's pid, its start time and a random nonce. A second controller on the
 * same state folder is refused with a message naming the holder. The lock survives a crash
 * (the file stays behind) and is then stale: its pid is gone, or the pid now belongs to a
 * process started at another time. A stale lock is taken over; a live one never is.
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { readFileSync, unlinkSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";

/** What a lock file holds. */
export interface LockHolder {
  readonly pid: number;
  /** The holder's start, as the kernel counts it (Linux `/proc/<pid>/stat` field 22), if known. */
  readonly processStart: string | null;
  /** When the holder took the lock (ms since the epoch), for the messages. */
  readonly lockedAt: number;
  readonly host: string;
  /** Random, so a lock file is never mistaken for another holder's. */
  readonly nonce: string;
}

/** Thrown when another live process holds the state file's lock. */
export class StateLockedError extends Error {
  constructor(
    readonly statePath: string,
    readonly holder: LockHolder,
  ) {
    super(
      `the upgrade state file ${statePath} is in use by another controller (pid ${holder.pid} on ${holder.host}, ` +
        `since ${new Date(holder.lockedAt).toISOString()}): stop that one first (Ctrl-C in its terminal, ` +
        `or kill ${holder.pid}), or run this one from another folder. Only one controller may write a state file.`,
    );
    this.name = "StateLockedError";
  }
}

/** A held lock. */
export interface StateLock {
  /** The lock file. */
  readonly path: string;
  /** True while the lock file still names this holder (nobody broke it). */
  holds(): Promise<boolean>;
  /** Removes the lock file if it is still this holder's. */
  release(): Promise<void>;
  /** As {@link release}, synchronously (for a halt that must not wait). */
  releaseSync(): void;
}

/** The lock file of a state file. */
export function lockPathOf(statePath: string): string {
  return `${statePath}.lock`;
}

/** Takes the lock of `statePath`, taking over a stale one; throws {@link StateLockedError} if it is held. */
export async function acquireStateLock(statePath: string): Promise<StateLock> {
  const path = lockPathOf(statePath);
  await mkdir(dirname(path), { recursive: true });
  const me: LockHolder = {
    pid: process.pid,
    processStart: processStartOf(process.pid),
    lockedAt: Date.now(),
    host: hostname(),
    nonce: randomBytes(12).toString("hex"),
  };
  const text = JSON.stringify(me);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createExclusively(path, text)) return heldLock(path, me);
    const holder = await readHolder(path);
    if (holder === "gone") continue;
    if (holder === "unreadable") {
      // Not a lock this code wrote (locks are linked in complete): nobody holds it.
      await takeOver(path, null);
      continue;
    }
    if (isAlive(holder)) throw new StateLockedError(statePath, holder);
    await takeOver(path, holder);
  }
  throw new Error(
    `cannot take the lock ${path}: other controllers keep taking it; stop them and start this one again`,
  );
}

/**
 * Writes the lock beside its place, then links it in: link() fails if the lock exists, and the
 * lock never exists half-written.
 */
async function createExclusively(path: string, text: string): Promise<boolean> {
  const draft = `${path}.${process.pid}-${randomBytes(6).toString("hex")}.new`;
  const handle = await open(draft, "wx");
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(draft, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new Error(`cannot create the lock ${path}`, { cause: err });
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

async function readHolder(path: string): Promise<LockHolder | "gone" | "unreadable"> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "gone";
    throw new Error(`cannot read the lock ${path}`, { cause: err });
  }
  return parseHolder(text) ?? "unreadable";
}

function parseHolder(text: string): LockHolder | null {
  try {
    const value = JSON.parse(text) as Partial<LockHolder> | null;
    if (
      value !== null &&
      typeof value === "object" &&
      Number.isInteger(value.pid) &&
      typeof value.nonce === "string" &&
      typeof value.lockedAt === "number" &&
      typeof value.host === "string" &&
      (value.processStart === null || typeof value.processStart === "string")
    ) {
      return value as LockHolder;
    }
  } catch {
    // Not JSON: unreadable.
  }
  return null;
}

/**
 * Moves a stale lock aside and removes it. The rename is atomic, so of two processes taking
 * over the same stale lock one moves it and the other finds it gone. If what was moved is not
 * the stale lock that was read (a third process had just taken over), it is put back.
 */
async function takeOver(path: string, stale: LockHolder | null): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(6).toString("hex")}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new Error(`cannot take over the stale lock ${path}`, { cause: err });
  }
  const moved = parseHolder(await readFile(aside, "utf8").catch(() => ""));
  const wasTheStaleOne = stale === null ? moved === null : moved?.nonce === stale.nonce;
  if (!wasTheStaleOne) {
    // A live holder's fresh lock: restore it (link fails if yet another file is there now).
    await link(aside, path).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

/** True while the holder's process runs (a pid reused by a later process does not count). */
function isAlive(holder: LockHolder): boolean {
  // A lock from another host (a shared folder) cannot be checked here: it counts as live.
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    // EPERM: the process exists, under another user.
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (holder.processStart === null) return true;
  const start = processStartOf(holder.pid);
  return start === null || start === holder.processStart;
}

/** A process's start time in clock ticks since boot (Linux), or null where that is not known. */
function processStartOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function heldLock(path: string, me: LockHolder): StateLock {
  let released = false;
  const mine = (text: string): boolean => parseHolder(text)?.nonce === me.nonce;
  return {
    path,
    holds: async () => !released && mine(await readFile(path, "utf8").catch(() => "")),
    release: async () => {
      if (released) return;
      released = true;
      if (mine(await readFile(path, "utf8").catch(() => ""))) await unlink(path).catch(() => undefined);
    },
    releaseSync: () => {
      if (released) return;
      released = true;
      try {
        if (mine(readFileSync(path, "utf8"))) unlinkSync(path);
      } catch {
        // Already gone.
      }
    },
  };
}
