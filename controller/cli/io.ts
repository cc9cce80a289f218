/**
 * What the CLI touches outside itself, injected so tests run `runCli` in-process against a
 * real HTTP server without a subprocess: the output streams, the environment, fetch, a
 * clock, a sleep and an abort signal (Ctrl-C while watching).
 */

/** A text sink such as `process.stdout`. */
export interface CliOutput {
  write(text: string): unknown;
  /** True on a terminal: `watch` then redraws one status block instead of printing lines. */
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** The CLI's outside world. */
export interface CliIo {
  readonly stdout: CliOutput;
  readonly stderr: CliOutput;
  /** Reads TRANQUIL_URL and TRANQUIL_TOKEN. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch: typeof fetch;
  /** Milliseconds since the epoch (ages, ETAs). */
  readonly now: () => number;
  /** Waits between reconnects of a watch. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Aborted when the user interrupts (Ctrl-C); stops a watch. */
  readonly signal?: AbortSignal;
}

/** The real process's io. */
export function processIo(signal?: AbortSignal): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    fetch: globalThis.fetch,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    ...(signal ? { signal } : {}),
  };
}
