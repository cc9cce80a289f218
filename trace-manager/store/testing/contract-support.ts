import type { TraceStoreOptions } from "../options.js";
import type { CallEnd, CallStart, IngressStart, TraceId, TraceStore, TxnId } from "../port.js";

/** The options every contract store is built with; the clock is the suite's own. */
export type ContractStoreOptions = Required<
  Pick<TraceStoreOptions, "clock" | "maxTransactionAgeMs" | "bucketMs" | "recentLimit" | "statsBucketMs">
>;

/** What a store factory hands the contract suite. */
export interface ContractSubject {
  readonly store: TraceStore;
  /** A second client on the same data, as another pod's TraceManager would hold. */
  twin(): Promise<TraceStore>;
  cleanup(): Promise<void>;
}

/** Builds a fresh, empty store for one test. */
export type MakeContractStore = (options: ContractStoreOptions) => Promise<ContractSubject>;

/** The suite's start time, aligned on a bucket. */
export const T0 = Date.UTC(2026, 10, 22, 3, 0, 0);
/** The suite's maxTransactionAge. */
export const MAX_AGE = 60_000;
/** The suite's bucket width. */
export const BUCKET = 10_000;
/** The suite's recent-list limit. */
export const RECENT = 5;

/** The trace id the builders attach. */
export const trace = "4bf92f3577b34da6a3ce929d0e0e4736" as TraceId;

let seq = 0;
/** A fresh lower-case UUID-shaped transaction id. */
export function txn(): TxnId {
  seq++;
  const hex = (seq + 0x1000).toString(16).padStart(12, "0");
  return `0af7651b-1c4d-4e5f-8a9b-${hex}` as TxnId;
}

/** What each group of contract tests gets: a fake clock, a store factory and record builders. */
export interface ContractHarness {
  /** The fake clock every store of the test reads; tests move `clk.now`. */
  readonly clk: { now: number };
  /** A fresh store (the clock reset to T0) and a way to get a second client on its data. */
  readonly fresh: () => Promise<{ store: TraceStore; twin: () => Promise<TraceStore> }>;
  readonly start: (t: TxnId, version: string, at?: number, service?: string) => CallStart;
  readonly end: (t: TxnId, version: string, at?: number, service?: string) => CallEnd;
  readonly ingressStart: (t: TxnId, enrolled: Record<string, boolean>, gateway?: string) => IngressStart;
}

/** Builds the harness; each fresh store's cleanup goes to `cleanups`, for the suite's afterEach. */
export function makeHarness(
  makeStore: MakeContractStore,
  cleanups: (() => Promise<void>)[],
): ContractHarness {
  const clk = { now: T0 };
  return {
    clk,
    fresh: async () => {
      clk.now = T0;
      const subject = await makeStore({
        clock: () => clk.now,
        maxTransactionAgeMs: MAX_AGE,
        bucketMs: BUCKET,
        recentLimit: RECENT,
        statsBucketMs: 1_000,
      });
      cleanups.push(() => subject.cleanup());
      return { store: subject.store, twin: () => subject.twin() };
    },
    start: (t, version, at = clk.now, service = "auth-service") => ({
      txn: t,
      traceId: trace,
      service,
      version,
      pod: `${service}-${version}-0`,
      at,
    }),
    end: (t, version, at = clk.now, service = "auth-service") => ({
      txn: t,
      service,
      version,
      pod: `${service}-${version}-0`,
      at,
      status: 200,
      durationMs: 3,
    }),
    ingressStart: (t, enrolled, gateway = "gw-a") => ({
      txn: t,
      gateway,
      at: clk.now,
      enrolments: Object.entries(enrolled).map(([upgrade, e]) => ({
        upgrade,
        enrolled: e,
        weightVersion: 1,
      })),
    }),
  };
}
