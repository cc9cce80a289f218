/**
 * The three durations of a leader election, with client-go's defaults and its rules: the
 * leader must give up before the Lease can expire for a standby, and must be able to retry
 * within its renew deadline.
 */

/** How long a Lease lasts, how long a leader keeps acting without renewing, how often to try. */
export interface ElectionTimings {
  /** A standby takes over once it has seen no change of the record for this long. */
  readonly leaseDurationMs: number;
  /** The leader stops acting when it has not renewed for this long (< leaseDurationMs). */
  readonly renewDeadlineMs: number;
  /** The interval between attempts to acquire or renew (< renewDeadlineMs). */
  readonly retryPeriodMs: number;
}

/** client-go's defaults (kube-controller-manager's too): 15 s, 10 s, 2 s. */
export const DEFAULT_ELECTION_TIMINGS: ElectionTimings = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** What is wrong with a set of timings, one sentence each; empty when they are sound. */
export function electionTimingProblems(t: ElectionTimings): string[] {
  const problems: string[] = [];
  if (!(t.retryPeriodMs > 0)) problems.push("the retry period must be positive");
  if (!(t.leaseDurationMs >= 1_000))
    problems.push("the lease duration must be at least 1s (the Lease stores whole seconds)");
  if (!(t.renewDeadlineMs < t.leaseDurationMs))
    problems.push(
      "the renew deadline must be shorter than the lease duration, so a leader stops acting before a standby may take over",
    );
  if (!(t.retryPeriodMs < t.renewDeadlineMs))
    problems.push("the retry period must be shorter than the renew deadline, so a leader can retry in time");
  return problems;
}

/** The Lease's `leaseDurationSeconds` for a duration in ms (rounded up: never shorter than promised). */
export function leaseDurationSeconds(leaseDurationMs: number): number {
  return Math.ceil(leaseDurationMs / 1_000);
}
