/**
 * The central trace store as the TraceManagers write it and the controller reads it: call
 * records, ingress records, heartbeat reports and analysis samples. It holds only what was
 * recorded (late, lossy), never the ground truth.
 */

/** A recorded call at one pod (sidecar Check → start; callee's inbound ALS → end). */
export interface CallRecord {
  readonly id: number;
  readonly txn: string;
  readonly service: string;
  readonly version: string;
  readonly pod: string;
  readonly startAt: number;
  endAt: number | null;
}

/** A recorded ingress transaction (gateway Check → start; gateway ALS → end). */
export interface IngressRecord {
  readonly txn: string;
  readonly gateway: string;
  readonly startAt: number;
  readonly enrolled: boolean;
  endAt: number | null;
}

/** One heartbeat report of a TraceManager. */
export interface HeartbeatReport {
  readonly pod: string;
  readonly role: "gateway" | "sidecar";
  readonly service: string;
  readonly version: string;
  readonly at: number;
  readonly watermark: number | null;
  readonly dirty: boolean;
  readonly terminating: boolean;
  /** Min config epoch over route configs holding a train host; null = unconfirmed; undefined = none received. */
  readonly configEpoch: number | null | undefined;
  readonly weightVersion: number | null;
  /** `service@version` → endpoints this proxy lists. */
  readonly listed: Readonly<Record<string, number>>;
  /** Envoy's inbound downstream_rq_active. */
  readonly downstreamActive: number;
}

/** One analysis sample (from a caller's outbound ALS entry). */
export interface Sample {
  readonly service: string;
  readonly version: string;
  readonly at: number;
  readonly ok: boolean;
  readonly durationMs: number;
}

/** The store. */
export interface TraceStore {
  readonly calls: Map<number, CallRecord>;
  /** Calls recorded as started and not ended, by `service@version`. */
  readonly activeByVersion: Map<string, Set<CallRecord>>;
  readonly ingress: Map<string, IngressRecord>;
  readonly reports: Map<string, HeartbeatReport>;
  readonly samples: Sample[];
  /** txn → last activity seen anywhere in the train (start or end of a call). */
  readonly lastSeen: Map<string, number>;
  /** txn → first call start. */
  readonly firstSeen: Map<string, number>;
  /** txn → service → versions, from recorded starts (the TraceManager's own G1 detection). */
  readonly seenVersions: Map<string, Map<string, Set<string>>>;
  violations: number;
  /** Ingress transactions recorded as started and not ended, by enrolment. */
  readonly ingressInFlight: { enrolled: number; nonEnrolled: number };
  lastEnrolledStartAt: number | null;
  lastNonEnrolledStartAt: number | null;
  /** Analysis samples by `service@version`, in time order. */
  readonly samplesByVersion: Map<string, Sample[]>;
  /** Transactions the controller declared lost. */
  readonly lost: Set<string>;
  /** The weight the controller published: gateways pick it up after their cache interval. */
  published: { weight: number; weightVersion: number } | null;
}

/** An empty store. */
export function createTraceStore(): TraceStore {
  return {
    calls: new Map(),
    activeByVersion: new Map(),
    ingress: new Map(),
    reports: new Map(),
    samples: [],
    ingressInFlight: { enrolled: 0, nonEnrolled: 0 },
    lastEnrolledStartAt: null,
    lastNonEnrolledStartAt: null,
    samplesByVersion: new Map(),
    lastSeen: new Map(),
    firstSeen: new Map(),
    seenVersions: new Map(),
    violations: 0,
    lost: new Set(),
    published: null,
  };
}

function touch(store: TraceStore, txn: string, at: number): void {
  const prev = store.lastSeen.get(txn);
  if (prev === undefined || at > prev) store.lastSeen.set(txn, at);
  if (!store.firstSeen.has(txn)) store.firstSeen.set(txn, at);
}

/** Records a call start (durable admission). */
export function recordCallStart(store: TraceStore, rec: CallRecord): void {
  store.calls.set(rec.id, rec);
  const key = `${rec.service}@${rec.version}`;
  let set = store.activeByVersion.get(key);
  if (set === undefined) {
    set = new Set();
    store.activeByVersion.set(key, set);
  }
  set.add(rec);
  touch(store, rec.txn, rec.startAt);
  let byService = store.seenVersions.get(rec.txn);
  if (byService === undefined) {
    byService = new Map();
    store.seenVersions.set(rec.txn, byService);
  }
  let versions = byService.get(rec.service);
  if (versions === undefined) {
    versions = new Set();
    byService.set(rec.service, versions);
  }
  const before = versions.size;
  versions.add(rec.version);
  if (before === 1 && versions.size === 2) store.violations += 1;
}

/** Records a call end; unknown ids are ignored (their start was never recorded). */
export function recordCallEnd(store: TraceStore, id: number, at: number): void {
  const rec = store.calls.get(id);
  if (rec === undefined || rec.endAt !== null) return;
  rec.endAt = at;
  store.activeByVersion.get(`${rec.service}@${rec.version}`)?.delete(rec);
  touch(store, rec.txn, at);
}

/** Records an ingress transaction start (gateway Check). */
export function recordIngressStart(store: TraceStore, rec: IngressRecord): void {
  store.ingress.set(rec.txn, rec);
  if (rec.enrolled) {
    store.ingressInFlight.enrolled += 1;
    store.lastEnrolledStartAt = rec.startAt;
  } else {
    store.ingressInFlight.nonEnrolled += 1;
    store.lastNonEnrolledStartAt = rec.startAt;
  }
}

/** Records an ingress transaction end (gateway ALS, or reconciliation); unknown or ended ones are ignored. */
export function recordIngressEnd(store: TraceStore, txn: string, at: number): void {
  const rec = store.ingress.get(txn);
  if (rec === undefined || rec.endAt !== null) return;
  rec.endAt = at;
  if (rec.enrolled) store.ingressInFlight.enrolled -= 1;
  else store.ingressInFlight.nonEnrolled -= 1;
}

/** Records an analysis sample. */
export function recordSample(store: TraceStore, sample: Sample): void {
  store.samples.push(sample);
  const key = `${sample.service}@${sample.version}`;
  let list = store.samplesByVersion.get(key);
  if (list === undefined) {
    list = [];
    store.samplesByVersion.set(key, list);
  }
  list.push(sample);
}
