import { chmod, lstat, mkdir, unlink } from "node:fs/promises";
import { connect } from "node:net";
import { dirname } from "node:path";

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

/**
 * Makes `path` ready to bind: creates its folder, and removes a stale socket left by a crashed
 * TraceManager. Refuses a socket another process still serves, and anything that is not a socket.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  let stat;
  try {
    stat = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new Error(`cannot inspect socket path ${path}`, { cause: err });
  }
  if (!stat.isSocket())
    throw new Error(`socket path ${path} exists and is not a socket; remove it or choose another TM_SOCKET`);
  if (await answers(path))
    throw new Error(`socket ${path} is served by another process; is a TraceManager already running?`);
  await unlink(path);
}

/** Sets the socket's mode to 0660: Envoy (uid 1337) reaches it through a shared group. */
export async function restrictSocket(path: string): Promise<void> {
  await chmod(path, 0o660);
}

/** Removes the socket file on shutdown; a missing file is fine. */
export async function removeSocket(path: string): Promise<void> {
  await unlink(path).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      throw new Error(`cannot remove socket ${path}`, { cause: err });
  });
}
