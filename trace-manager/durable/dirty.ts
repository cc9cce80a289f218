/** Why a pod is dirty: one of these tokens appears in `PodReport.dirtyReasons`. */
export const DIRTY_REASONS = {
  /** A Check's record was not durable within the budget. */
  checkLate: "check-late",
  /** A store write failed (it is retried). */
  storeError: "store-error",
  /** The buffer was full and records were dropped. */
  recordsDropped: "records-dropped",
  /** Records are waiting: some admission is older than the budget and still not durable, or a retry is pending. */
  backlog: "backlog",
  /** A decrement would have gone below zero (its increment is missing or late). */
  counterClamped: "counter-clamped",
  /** Envoy's ext_authz `error` counter rose: a Check failed. */
  extAuthzError: "envoy-ext-authz-error",
  /** Envoy's ext_authz `failure_mode_allowed` counter rose: a request passed without a Check. */
  extAuthzFailOpen: "envoy-ext-authz-failure-mode-allowed",
  /** Envoy's ALS `logs_dropped` counter rose: completions were lost. */
  alsLogsDropped: "envoy-als-logs-dropped",
  /** The Envoy admin endpoint could not be read, so its counters cannot be certified. */
  envoyAdminUnreadable: "envoy-admin-unreadable",
  /** Gateway: active upgrades could not be read, so enrolment could not be decided. */
  upgradesUnreadable: "upgrades-unreadable",
} as const;
/** One of `DIRTY_REASONS`. */
export type DirtyReason = (typeof DIRTY_REASONS)[keyof typeof DIRTY_REASONS];

/**
 * Tracks a pod's faults. A fault event (`raise`) keeps its reason for `holdMs`; an ongoing
 * condition (passed to `evaluate`) keeps it while it lasts. The pod is clean when neither holds.
 */
export class DirtyState {
  private readonly lastAt = new Map<DirtyReason, number>();

  constructor(
    private readonly holdMs: number,
    private readonly onRaise: (reason: DirtyReason, firstSinceClean: boolean) => void = () => undefined,
  ) {}

  /** Records a fault event at `now`. */
  raise(reason: DirtyReason, now: number): void {
    const first = !this.lastAt.has(reason);
    this.lastAt.set(reason, now);
    this.onRaise(reason, first);
  }

  /** The reasons in force at `now`, given the conditions that still hold. Expired events are forgotten. */
  evaluate(now: number, ongoing: readonly DirtyReason[]): DirtyReason[] {
    const reasons = new Set<DirtyReason>(ongoing);
    for (const [reason, at] of this.lastAt) {
      if (now - at < this.holdMs) reasons.add(reason);
      else this.lastAt.delete(reason);
    }
    return [...reasons].sort();
  }
}
