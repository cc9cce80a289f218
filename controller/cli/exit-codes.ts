/**
 * The `tranquil` CLI's exit statuses, so scripts and CI can tell an upgrade that rolled back
 * from a typo and from a controller that is down (docs/cli.md, ADR 0050).
 */

/** Exit statuses of the CLI. */
export const ExitCode = {
  /** The command did what was asked; a watched upgrade Succeeded. */
  Ok: 0,
  /** A watched upgrade ended Failed or RolledBack. */
  UpgradeFailed: 1,
  /** Bad input or usage: refused before any request, or refused by the controller (4xx). */
  BadInput: 2,
  /** The controller is unreachable, or answered with a server error (5xx) or garbage. */
  Unavailable: 3,
  /** The user interrupted a watch (Ctrl-C); the upgrade itself goes on. */
  Interrupted: 130,
} as const;
/** An exit status of the CLI. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
