/**
 * The TraceManager's store port: what every TraceManager writes and what the controller reads.
 * Two implementations pass one contract suite: in-memory (the embedded default) and Redis.
 *
 * All times are epoch milliseconds from an injected clock. Every string that reaches a key is
 * validated before it gets here (see `trace-manager/ids.ts`): transaction ids are `TxnId`s, names
 * are DNS labels. Batches are written atomically per item and durably before the promise resolves.
 */

/**
 * A validated transaction id (the `x-request-id` header): 1–128 characters of letters, digits and
 * `_ . ~ : @ / + = -`; UUIDs and 16–64 hex digits lower-cased (`readTxnId`, ADR 0084).
 */
export type TxnId = string & { readonly __brand: "TxnId" };
/** A validated trace id (`x-b3-traceid`): 16 or 32 hex digits. */
export type TraceId = string & { readonly __brand: "TraceId" };

/** "Call started": transaction `txn` entered `service@version` on `pod` (sidecar Check). */
export interface CallStart {
  readonly txn: TxnId;
  readonly traceId?: TraceId;
  readonly service: string;
  readonly version: string;
  readonly pod: string;
  readonly at: number;
}

/** "Call finished": the callee's own inbound ALS entry for a call of `txn`. */
export interface CallEnd {
  readonly txn: TxnId;
  readonly service: string;
  readonly version: string;
  readonly pod: string;
  readonly at: number;
  /** HTTP response code (gRPC over HTTP/2 reports 200 with grpc-status in trailers). */
  readonly status: number;
  readonly durationMs: number;
}

/** One outbound call's outcome, from a caller's outbound ALS entry, for the analysis. */
export interface OutboundSample {
  /** The callee service and the subset (version) the call was routed to. */
  readonly service: string;
  readonly version: string;
  readonly at: number;
  readonly ok: boolean;
  readonly durationMs: number;
}

/** The gateway's decision for one ingress transaction, per active upgrade. */
export interface Enrolment {
  readonly upgrade: string;
  readonly enrolled: boolean;
  /** The weight version the decision was made with. */
  readonly weightVersion: number;
}

/** An ingress transaction started (gateway Check). */
export interface IngressStart {
  readonly txn: TxnId;
  readonly traceId?: TraceId;
  readonly gateway: string;
  readonly at: number;
  readonly enrolments: readonly Enrolment[];
}

/** An ingress transaction completed (gateway ALS; ALS `request_id` is x-request-id). */
export interface IngressEnd {
  readonly txn: TxnId;
  readonly gateway: string;
  readonly at: number;
  readonly status: number;
}

/** An active upgrade as the gateways see it. Written by the controller. */
export interface ActiveUpgrade {
  readonly id: string;
  /** Hosts (services) of the train, for config-epoch confirmation. */
  readonly hosts: readonly string[];
  /** Enrolment weight, 0..100. */
  readonly weight: number;
  /** Bumped on every weight change; gateways report the version they apply. */
  readonly weightVersion: number;
  /** While true, TraceManagers poll their Envoy's config_dump and report epochs for this upgrade. */
  readonly watchEpochs: boolean;
  readonly updatedAt: number;
}

/** Envoy's own figures, read from the admin endpoints of the pod's proxy. */
export interface EnvoyFigures {
  readonly readAt: number;
  readonly extAuthz: {
    readonly ok: number;
    readonly error: number;
    readonly denied: number;
    readonly failureModeAllowed: number;
  };
  readonly accessLogs: { readonly written: number; readonly dropped: number };
  /** Inbound `http.<prefix>.downstream_rq_active`, summed over inbound prefixes. */
  readonly downstreamRqActive: number;
  /** Per outbound subset cluster `outbound|<port>|<subset>|<host>`. */
  readonly upstream: Readonly<
    Record<string, { readonly rqActive: number; readonly rqPendingActive: number }>
  >;
  /** Healthy endpoint count per outbound subset cluster (from /clusters). */
  readonly healthyEndpoints: Readonly<Record<string, number>>;
}

/** What one TraceManager reports at each heartbeat. */
export interface PodReport {
  readonly pod: string;
  readonly role: "sidecar" | "gateway";
  readonly service: string;
  readonly version: string;
  readonly heartbeatAt: number;
  /** Every admission up to this time is durably recorded. Stops advancing while dirty. */
  readonly watermark: number;
  readonly dirty: boolean;
  readonly dirtyReasons: readonly string[];
  /** Gateways: upgrade id → the weight version applied. */
  readonly weightVersions: Readonly<Record<string, number>>;
  /** upgrade id → minimum config epoch over the route configurations holding a host of it; null = unconfirmed. */
  readonly epochs: Readonly<Record<string, number | null>>;
  readonly envoy?: EnvoyFigures;
  /** Admissions not tracked because their `x-request-id` was refused (absent in older reports). */
  readonly ignoredRequestIds?: IgnoredRequestIdsFact;
  /**
   * When the held dirty reasons stop holding if no new fault comes, or null when none is held
   * (a dirty pod with null is dirty for as long as an ongoing condition lasts). Absent in older reports.
   */
  readonly heldUntil?: number | null;
}

/**
 * What a store can tell about its own durability (ADR 0085), read by every TraceManager at each
 * heartbeat: a change of `generation`, a rise of `evictedKeys`, or a change of `serverId` that the
 * pod cannot prove harmless means records may be gone.
 */
export interface StoreIntegrity {
  /**
   * Identifies the store's data set. Written once, when the store is first used; a new value means
   * the data set was lost (a restart without persistence, a flush, the key itself evicted).
   */
  readonly generation: string;
  /** Identifies the server process answering (Redis's `run_id`); changes on a restart or failover. Null when not known. */
  readonly serverId: string | null;
  /** The server's eviction policy (`maxmemory-policy`), or null when the store never evicts. */
  readonly evictionPolicy: string | null;
  /** The server's memory limit in bytes (0 = none), or null when not known. */
  readonly maxMemoryBytes: number | null;
  /** Keys the server evicted since it started, or null when not known. */
  readonly evictedKeys: number | null;
  /**
   * Set by a sharded store only (Redis Cluster, ADR 0092): the generation of each service and
   * gateway the store lists, kept in the hash slot of its records, so a shard that loses its data
   * set loses these too. The other facts then cover every shard: `serverId` names every master
   * (a change of any is a possible loss the pod's report, held by one shard, cannot disprove),
   * `evictedKeys` is their sum, and the eviction facts are those of a shard that may evict.
   */
  readonly tagGenerations?: Readonly<Record<string, string>>;
}

/**
 * Checks whose `x-request-id` the TraceManager refused (missing, empty, too long, unsafe
 * characters), so their transactions are invisible to draining and pinning (ADR 0084).
 */
export interface IgnoredRequestIdsFact {
  /** Refused since the TraceManager started (a restart starts again at 0). */
  readonly total: number;
  /** When the last one was refused, or null when none was. */
  readonly lastAt: number | null;
}

/** A transaction seen at two versions of one service. */
export interface Violation {
  readonly txn: TxnId;
  readonly service: string;
  readonly versions: readonly string[];
  readonly at: number;
}

/** An active record dropped by expiry (older than maxTransactionAge). */
export interface Expiry {
  readonly kind: "call" | "ingress";
  readonly txn: TxnId;
  readonly where: string;
  readonly startedAt: number;
  readonly expiredAt: number;
}

/** Active calls at one service@version (`activeAt`). */
export interface ActiveSummary {
  readonly calls: number;
  readonly transactions: number;
  /** Start time of the oldest active transaction, or null when none. */
  readonly oldestStartAt: number | null;
}

/** One transaction with an active call at a service@version (`activeTransactions`, for pins). */
export interface ActiveTransaction {
  readonly txn: TxnId;
  readonly traceId?: TraceId;
  readonly startedAt: number;
  readonly lastSeenAt: number;
  readonly calls: number;
}

/** In-flight ingress transactions of one upgrade over every gateway (`ingress`). */
export interface IngressSummary {
  readonly enrolledInFlight: number;
  readonly nonEnrolledInFlight: number;
  readonly lastNonEnrolledStartAt: number | null;
  readonly oldestInFlightStartAt: number | null;
}

/** Outbound outcomes of one service@version over a window (`versionStats`). */
export interface VersionStats {
  readonly requests: number;
  readonly successes: number;
  /** successes ÷ requests, or null with no requests. */
  readonly successRate: number | null;
  readonly p99Ms: number | null;
}

/** The trace store: written by every TraceManager, read by the controller. */
export interface TraceStore {
  // ---- writes (TraceManagers) ----
  /** Increments each call's active counter and detects violations atomically. Returns new violations. */
  recordCallStarts(batch: readonly CallStart[]): Promise<{ readonly violations: readonly Violation[] }>;
  /**
   * Decrements each call's active counter. `clamped` counts ends whose start is not recorded (yet):
   * no call of their version is active. Each is kept as an early end, in its transaction's record
   * or the bucket of its time, and expires with it; a later start of the same transaction and
   * version, at most a second after the end, cancels it instead of counting (ADR 0086). So ends
   * that overtake their starts after an outage leave no phantom active call.
   */
  recordCallEnds(batch: readonly CallEnd[]): Promise<{ readonly clamped: number }>;
  recordOutbound(batch: readonly OutboundSample[]): Promise<void>;
  /** Records starts with their decision per upgrade; a repeated start of an in-flight transaction is ignored. */
  recordIngressStarts(batch: readonly IngressStart[]): Promise<void>;
  /**
   * Completes in-flight ingress transactions by id (the store remembers the upgrades each counted in).
   * `clamped` counts completions whose start is unknown (not recorded yet, already completed, or
   * expired). An unknown one is kept as an early end (a repeated one is ignored) in the bucket of
   * its time; a later start of the transaction, at most a second after it, cancels it, so the
   * transaction is never in flight (ADR 0086).
   */
  recordIngressEnds(batch: readonly IngressEnd[]): Promise<{ readonly clamped: number }>;
  reportPod(report: PodReport): Promise<void>;

  // ---- upgrades (controller writes, gateways read) ----
  /**
   * Creates or updates an upgrade. Without `weightVersion`, the version is bumped when the weight
   * changes. With it (the controller's own numbering), the write is stored with exactly that
   * version, and a write older than the stored version is ignored, so a stale retry never
   * reverts a newer weight. Returns the upgrade as stored.
   */
  putUpgrade(upgrade: {
    readonly id: string;
    readonly hosts: readonly string[];
    readonly weight: number;
    readonly weightVersion?: number;
    readonly watchEpochs: boolean;
    readonly at: number;
  }): Promise<ActiveUpgrade>;
  removeUpgrade(id: string): Promise<void>;
  listUpgrades(): Promise<readonly ActiveUpgrade[]>;

  // ---- queries (controller) ----
  /** Live records only: an active record disappears once expired (reported by `sweep`). */
  activeAt(service: string, version: string): Promise<ActiveSummary>;
  /** Transactions with an active call at service@version, oldest start first, at most `limit`. */
  activeTransactions(service: string, version: string, limit: number): Promise<readonly ActiveTransaction[]>;
  ingress(upgrade: string): Promise<IngressSummary>;
  /**
   * Outbound outcomes of calls routed to service@version. `sinceMs` is an epoch-ms time: samples from
   * the stats bucket holding it (default width 10 s) up to now, back to at most the retention
   * (default maxTransactionAge). `p99Ms` is a histogram bin's upper bound: at most 5 % above the truth.
   */
  versionStats(service: string, version: string, sinceMs: number): Promise<VersionStats>;
  /** Every violation ever counted, and the newest ones (bounded), newest first. */
  violations(): Promise<{ readonly total: number; readonly recent: readonly Violation[] }>;
  /** Every expiry ever reported by `sweep`, and the newest ones (bounded), newest first. */
  expiries(): Promise<{ readonly total: number; readonly recent: readonly Expiry[] }>;
  pods(): Promise<readonly PodReport[]>;
  /** Drops pod reports older than `before` (terminated pods). */
  forgetPods(before: number): Promise<number>;

  /**
   * Expires whole time buckets older than maxTransactionAge, reporting active records dropped.
   * Safe to run from several processes at once: each expiry is reported by exactly one of them.
   */
  sweep(now: number): Promise<readonly Expiry[]>;
  /** Reads the store's integrity facts; creates the generation on first use (ADR 0085). */
  integrity(): Promise<StoreIntegrity>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
