/** The steps of a simulated user's journey; each step is one transaction at the ingress. */
export const TRANSACTION_KINDS = [
  "register",
  "login",
  "create-order",
  "scan",
  "receive",
  "get-order",
  "catalog",
] as const;
/** One step kind. */
export type TransactionKind = (typeof TRANSACTION_KINDS)[number];

/** A closed range of milliseconds (or counts), drawn uniformly. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** Options of a load run. Every run is bounded in time and in count. */
export interface LoadOptions {
  /** The ingress or logistics-api, e.g. `http://127.0.0.1:8080`; loopback only. */
  readonly baseUrl: string;
  /** Stop starting journeys after this long. */
  readonly durationMs: number;
  /** Start at most this many journeys. */
  readonly maxJourneys: number;
  /** Journey starts per second, at most. */
  readonly ratePerSecond: number;
  /** Journeys in progress at once, at most (simulated users). */
  readonly concurrency: number;
  /** Pause between a journey's steps (default 0..50 ms). */
  readonly thinkTimeMs?: Range;
  /** Stations each parcel passes through, scanned in and out at each (default 2..3). */
  readonly stationsPerJourney?: Range;
  /** Share (0..1) of order creations held open mid-transaction: the long tail (default 0). */
  readonly slowFraction?: number;
  /** How long a slow order creation is held open (default 1000..3000 ms). */
  readonly slowDelayMs?: Range;
  /** After `durationMs`, how long journeys in progress may finish before they are abandoned (default 30 s). */
  readonly drainTimeoutMs?: number;
  /** Per-request timeout (default 60 s). */
  readonly requestTimeoutMs?: number;
  /** Aborts the run at once; the report still covers what ran. */
  readonly signal?: AbortSignal;
  /** Stops starting journeys (like reaching `durationMs`); journeys in progress finish. */
  readonly stopStarting?: AbortSignal;
  /** Extra headers on every request (e.g. `host` for an ingress that routes by it). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Staff credentials for scans (default: the seeded staff account). */
  readonly staff?: { readonly phone: string; readonly password: string };
  /** Called after every transaction, for live views. */
  readonly onTransaction?: (t: TransactionRecord) => void;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** One transaction as seen by the client. */
export interface TransactionRecord {
  /** Journey number (0-based); -1 for setup transactions. */
  readonly journey: number;
  readonly kind: TransactionKind;
  readonly method: string;
  readonly path: string;
  /** Epoch ms when the request was sent. */
  readonly startedAt: number;
  readonly latencyMs: number;
  /** HTTP status; 0 when no response arrived (network error, timeout, abort). */
  readonly status: number;
  readonly ok: boolean;
  /** What went wrong, from the response's error message or the network error. */
  readonly error?: string;
  readonly requestId?: string;
  /** Versions that served it, as reported (`["logistics-api@v1", "auth-service@v2", …]`). */
  readonly servedBy: readonly string[];
  /** Services seen at two or more versions within this one transaction (empty when consistent). */
  readonly mixed: Readonly<Record<string, readonly string[]>>;
  /** Whether this transaction was deliberately held open (long tail). */
  readonly slow: boolean;
}

/** Totals of a run. */
export interface LoadSummary {
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Transactions served by two versions of one service. */
  readonly mixed: number;
  /** Failed transactions by HTTP status (`"0"` = no response). */
  readonly failuresByStatus: Readonly<Record<string, number>>;
  /** Up to five failed transactions. */
  readonly failureExamples: readonly TransactionRecord[];
  /** Up to five mixed transactions. */
  readonly mixedExamples: readonly TransactionRecord[];
  /** Transactions served per service and version. */
  readonly versionsSeen: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly latencyMs: {
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
    readonly max: number;
  };
}

/** What a run produced. */
export interface LoadReport {
  readonly startedAt: number;
  readonly finishedAt: number;
  /** True when the caller's signal aborted the run. */
  readonly aborted: boolean;
  readonly journeys: {
    readonly started: number;
    readonly completed: number;
    /** Stopped at a failed step. */
    readonly failed: number;
    /** Cut off by the drain timeout or an abort. */
    readonly abandoned: number;
  };
  readonly transactions: readonly TransactionRecord[];
  readonly summary: LoadSummary;
}
