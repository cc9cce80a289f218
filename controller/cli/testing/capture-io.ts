/**
 * Test support: a CliIo that records what the CLI writes, with a chosen environment, a
 * fixed clock and an instant sleep.
 */
import type { CliIo } from "../io.js";

/** A CliIo plus what was written to it. */
export interface CapturedIo extends CliIo {
  out(): string;
  err(): string;
}

/** Options of {@link captureIo}. */
export interface CaptureOptions {
  readonly env?: Record<string, string | undefined>;
  readonly tty?: boolean;
  /** The terminal's width when `tty` (default 100). */
  readonly columns?: number;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
  /** Called after each write to stdout (a test "engine" reacts to what the CLI shows). */
  readonly onStdout?: (text: string) => void;
  readonly signal?: AbortSignal;
}

/** A recording io. */
export function captureIo(options: CaptureOptions = {}): CapturedIo {
  let out = "";
  let err = "";
  return {
    stdout: {
      write: (s: string) => {
        out += s;
        options.onStdout?.(s);
      },
      ...(options.tty ? { isTTY: true, columns: options.columns ?? 100 } : {}),
    },
    stderr: { write: (s: string) => (err += s) },
    env: options.env ?? {},
    fetch: options.fetch ?? globalThis.fetch,
    now: options.now ?? Date.now,
    sleep: () => Promise.resolve(),
    ...(options.signal ? { signal: options.signal } : {}),
    out: () => out,
    err: () => err,
  };
}
