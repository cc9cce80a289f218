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
  /**
   * The store lost records this pod had written: its generation key changed (a restart without
   * persistence, a flush), it evicted keys, or its server changed and the last report cannot prove
   * that every acknowledged write survived (ADR 0085). Held for maxTransactionAge.
   */
  storeLostRecords: "store-lost-records",
  /** The store may evict records silently: Redis has a memory limit and a policy other than `noeviction`. */
  storeMayEvict: "store-may-evict",
  /** The store's integrity has not been read yet (or cannot be), so a loss could go unnoticed. */
  storeUnverified: "store-unverified",
  /**
   * This TraceManager replaced one whose last records it cannot prove durable (killed, or Envoy
   * counted Checks since its last clean report). Held for maxTransactionAge from the start.
   */
  restartUnproven: "restart-unproven",
} as const;
/** One of `DIRTY_REASONS`. */
export type DirtyReason = (typeof DIRTY_REASONS)[keyof typeof DIRTY_REASONS];

/**
 * Tracks a pod's faults. A fault event (`raise`) keeps its reason for `holdMs` (or the hold given
 * with it); an ongoing condition (passed to `evaluate`) keeps it while it lasts. The pod is clean
 * when neither holds.
 */
export class DirtyState {
  /** Reason → the instant its last event stops holding. */
  private readonly until = new Map<DirtyReason, number>();

  constructor(
    private readonly holdMs: number,
    private readonly onRaise: (reason: DirtyReason, firstSinceClean: boolean) => void = () => undefined,
  ) {}

  /** Records a fault event at `now`, held for `holdMs` (default: the state's hold); a longer hold in force is kept. */
  raise(reason: DirtyReason, now: number, holdMs = this.holdMs): void {
    const held = this.until.get(reason);
    this.until.set(reason, Math.max(held ?? 0, now + holdMs));
    this.onRaise(reason, held === undefined);
  }

  /** The reasons in force at `now`, given the conditions that still hold. Expired events are forgotten. */
  evaluate(now: number, ongoing: readonly DirtyReason[]): DirtyReason[] {
    const reasons = new Set<DirtyReason>(ongoing);
    for (const [reason, until] of this.until) {
      if (now < until) reasons.add(reason);
      else this.until.delete(reason);
    }
    return [...reasons].sort();
  }

  /**
   * When the held events in force at `now` stop holding, if no new fault comes (ongoing
   * conditions aside), or null when none is held. Lets an operator see when a pod clears by itself.
   */
  heldUntil(now: number): number | null {
    let latest: number | null = null;
    for (const until of this.until.values())
      if (until > now && (latest === null || until > latest)) latest = until;
    return latest;
  }
}
