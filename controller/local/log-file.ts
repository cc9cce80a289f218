/**
 * A log file with a size limit, for pino: the file is written through pino's own destination
 * (asynchronous, buffered) and rotated when it has grown past `maxBytes`: `<path>` becomes
 * `<path>.1`, `<path>.1` becomes `<path>.2` and so on, the oldest beyond `keep` is deleted,
 * and the destination reopens `<path>` afresh. The size is checked on open and then every
 * `checkIntervalMs`, so a file may pass the limit by what is written in one interval.
 */
import { renameSync, rmSync, statSync } from "node:fs";
import pino from "pino";

/** Options of {@link openLogFile}. */
export interface LogFileOptions {
  readonly path: string;
  /** Rotate once the file is this big (default 20 MiB). */
  readonly maxBytes?: number;
  /** Rotated files kept beside it, `<path>.1` the newest (default 3). */
  readonly keep?: number;
  /** How often the size is checked (ms, default 10 s). */
  readonly checkIntervalMs?: number;
}

/** The defaults of {@link LogFileOptions}. */
export const LOG_FILE_DEFAULTS = { maxBytes: 20 * 1024 * 1024, keep: 3, checkIntervalMs: 10_000 } as const;

/** pino's file destination. */
export type LogDestination = ReturnType<typeof pino.destination>;

/** An open log file. */
export interface LogFile {
  /** Give it to `pino(options, destination)`. */
  readonly destination: LogDestination;
  /** Stops checking the size, writes what is buffered and closes the file (nothing may be logged after). */
  close(): Promise<void>;
}

/** Opens (creating its folder) a size-limited log file. */
export function openLogFile(options: LogFileOptions): LogFile {
  const maxBytes = options.maxBytes ?? LOG_FILE_DEFAULTS.maxBytes;
  const keep = options.keep ?? LOG_FILE_DEFAULTS.keep;
  if (!(maxBytes > 0) || !Number.isInteger(keep) || keep < 0) {
    throw new Error(`a log file needs maxBytes > 0 and a whole keep ≥ 0, not ${maxBytes} and ${keep}`);
  }
  const { path } = options;
  // A file left too big by an earlier run is rotated before anything is added to it.
  if (sizeOf(path) >= maxBytes) rotate(path, keep);
  const destination = pino.destination({ dest: path, sync: false, mkdir: true });
  const timer = setInterval(() => {
    if (sizeOf(path) < maxBytes) return;
    try {
      rotate(path, keep);
      destination.reopen();
    } catch {
      // A failed rotation leaves the file growing; the next check tries again.
    }
  }, options.checkIntervalMs ?? LOG_FILE_DEFAULTS.checkIntervalMs);
  timer.unref();
  let closing: Promise<void> | undefined;
  return {
    destination,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(timer);
        destination.once("close", () => resolve());
        destination.once("error", () => resolve());
        // Ends the file once everything buffered (even before it was open) is written.
        destination.end();
      });
      return closing;
    },
  };
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function rotate(path: string, keep: number): void {
  rmSync(`${path}.${keep}`, { force: true });
  for (let i = keep - 1; i >= 1; i--) {
    try {
      renameSync(`${path}.${i}`, `${path}.${i + 1}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
  if (keep === 0) rmSync(path, { force: true });
  else renameSync(path, `${path}.1`);
}
