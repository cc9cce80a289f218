/**
 * What one upgrade strategy's run measured, graded from outside the component that keeps the
 * guarantees (DESIGN §2): the load generator's `servedBy` per transaction, the old instances' own
 * last-served times, and the VirtualServices as written. Every strategy of
 * `npm run bench -- upgrades` (on the local mesh) and every real peer of `npm run bench -- peers`
 * (on the local cluster) reports one of these, so their rows compare column by column.
 */

/** Failed requests of one run, by cause. */
export interface FailuresByCause {
  /** 503 local replies because no upstream could take the request (response flags UH or NC). */
  readonly noUpstream: number;
  /** Requests that got no response at all (connection reset, refused, timed out). */
  readonly resets: number;
  /** Answers that broke the service's contract (an application error, a malformed answer). */
  readonly contract: number;
}

/** Where a strategy ran. */
export type StrategyVenue = "local mesh" | "local cluster";

/** One strategy's upgrade of the same service under the same load. */
export interface StrategyResult {
  /** Short id, e.g. `tranquil`, `weighted-30s`, `argo-rollouts`. */
  readonly strategy: string;
  /** What it is, in a few words (shown in the report). */
  readonly label: string;
  readonly venue: StrategyVenue;
  /** Transactions the load generator completed or failed during the run. */
  readonly transactions: number;
  /** Failed requests (each failed transaction counts once, by its first failure's cause). */
  readonly failedRequests: number;
  readonly failuresByCause: FailuresByCause;
  /** Transactions served by two versions of one service (from `servedBy`). */
  readonly mixedTransactions: number;
  /** Violations the TraceManagers recorded (a second grader, not the oracle). */
  readonly violations: number;
  /**
   * When the old version was removed, minus when the last transaction that needed it was last
   * served by it (the old instances' last-served time): negative = removed too early; null when
   * the old version was never removed within the run.
   */
  readonly removalMarginMs: number | null;
  /** From the upgrade's start to its end (old version removed, or the strategy's last step). */
  readonly upgradeMs: number;
  /** The largest number of HTTP routes the upgraded service's VirtualService held. */
  readonly maxRoutes: number;
  /** Anything a reader must know to read the row (a peer that could not run, a goal not met). */
  readonly notes: readonly string[];
}
