/**
 * The one error type the CLI prints: a message that says what failed and what to do next,
 * optional detail lines (one problem each), and the exit status it maps to.
 */
import type { ExitCode } from "./exit-codes.js";

/** An error shown to the user; `details` are printed one per line under the message. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly details: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "CliError";
  }
}
