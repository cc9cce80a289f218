/**
 * What Tranquil tells a notification target: one phase change, rollback, abort or long wait
 * of an Upgrade, in terms a person reads (docs/notifications.md). Built from the Events the
 * reconciler records (notification-of-event.ts) and from the long-wait watch (long-waits.ts).
 */

/** The kinds of notification; `--notify-events` picks among them. */
export const NotificationKind = {
  /** The Upgrade entered another phase (Succeeded and Failed included), not a rollback's. */
  Phase: "phase",
  /** A rollback that the user did not ask for started (RollingBack) or finished (RolledBack). */
  Rollback: "rollback",
  /** The user aborted the Upgrade: its rollback started (RollingBack) or finished (RolledBack). */
  Abort: "abort",
  /** The Upgrade has waited on one reason for longer than the long-wait threshold. */
  Wait: "wait",
} as const;
/** One of {@link NotificationKind}. */
export type NotificationKind = (typeof NotificationKind)[keyof typeof NotificationKind];

/** Every kind, in the order the docs list them. */
export const NOTIFICATION_KINDS: readonly NotificationKind[] = Object.values(NotificationKind);

/** One notification about an Upgrade. */
export interface Notification {
  readonly kind: NotificationKind;
  readonly upgrade: string;
  readonly namespace: string;
  /** The phase the Upgrade is in (after the change). */
  readonly phase: string;
  /** The phase it left, for a phase change. */
  readonly previousPhase?: string;
  /** `Warning` for rollbacks, aborts, failures and long waits; else `Normal`. */
  readonly severity: "Normal" | "Warning";
  /** The Event's reason (`PhaseChanged`) or, for a long wait, the Waiting reason (`OldActive`). */
  readonly reason: string;
  readonly message: string;
  /** When it happened (ms since the epoch). */
  readonly at: number;
  /** For a long wait: how long it has waited so far (ms). */
  readonly waitedMs?: number;
}
