/**
 * The one error type the CLI prints: a message that says what failed and what to do next,
 * optional detail lines (one problem each), and the exit status it maps to.
 */
import type { ExitCode } from "./exit-codes.js";

/** Options of a {@link CliError}. */
export interface CliErrorOptions extends ErrorOptions {
  /** The HTTP status of the controller's (or the cluster's) refusal, when it was one. */
  readonly status?: number;
}

/** An error shown to the user; `details` are printed one per line under the message. */
export class CliError extends Error {
  /** The HTTP status of the refusal behind it, if any (409: a conflict such as a taken name). */
  readonly status: number | undefined;

  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly details: readonly string[] = [],
    options?: CliErrorOptions,
  ) {
    super(message, options);
    this.name = "CliError";
    this.status = options?.status;
  }
}
