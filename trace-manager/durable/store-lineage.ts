import type { PodReport, StoreIntegrity } from "../store/port.js";
import { DIRTY_REASONS, type DirtyReason, type DirtyState } from "./dirty.js";

/** What the lineage watch reads: the store's integrity facts, and (after a server change) the pod's own last report. */
export interface LineageStore {
  integrity(): Promise<StoreIntegrity>;
  pods(): Promise<readonly PodReport[]>;
}

/** The last report this TraceManager got acknowledged, and how many record writes were acknowledged before it was sent. */
interface ReportMark {
  readonly heartbeatAt: number;
  readonly writesBefore: number;
}

/**
 * Watches the store for losses it would otherwise hide (ADR 0085), once per heartbeat:
 * - a new generation: the data set was lost (restart without persistence, flush, the key evicted);
 * - more evicted keys on the same server: records were evicted;
 * - a new server (restart or failover): acknowledged writes may be gone, unless the pod's last
 *   acknowledged report is still there and no record write was acknowledged after it was sent
 *   (Redis applies one connection's commands in order and a replica or a log holds a prefix of
 *   them, so the report's presence proves every write before it);
 * - a memory limit with a policy other than `noeviction`: records can vanish at any moment;
 * - on a sharded store (Redis Cluster, ADR 0092): a service's or gateway's own generation changed
 *   or vanished (its shard lost its data set), and any master change is a loss, unproven.
 * A loss raises `store-lost-records`, held for maxTransactionAge (by then every transaction whose
 * records could be missing is past the age the controller waits for). An unreadable store keeps
 * `store-unverified` while it lasts.
 */
export class StoreLineage {
  private known: StoreIntegrity | null = null;
  private unreadable = true;
  private mayEvict = false;
  private lastReport: ReportMark | null = null;

  constructor(
    private readonly store: LineageStore,
    private readonly pod: string,
    private readonly dirty: DirtyState,
    /** How long a loss keeps the pod dirty: maxTransactionAge. */
    private readonly lossHoldMs: number,
    private readonly onLoss: (why: string) => void = () => undefined,
  ) {}

  /**
   * Reads the integrity facts and compares them with the last ones. `writesAcked` is the number of
   * record writes acknowledged so far. Never throws: a failed read is the ongoing `store-unverified`.
   */
  async check(now: number, writesAcked: number): Promise<void> {
    let facts: StoreIntegrity;
    try {
      facts = await this.store.integrity();
    } catch {
      this.unreadable = true;
      return;
    }
    this.unreadable = false;
    this.mayEvict =
      facts.evictionPolicy !== null &&
      facts.evictionPolicy !== "noeviction" &&
      (facts.maxMemoryBytes ?? 1) > 0;
    const known = this.known;
    this.known = facts;
    if (known === null) return;
    const why = await this.lossSince(known, facts, writesAcked);
    if (why !== null) {
      this.dirty.raise(DIRTY_REASONS.storeLostRecords, now, this.lossHoldMs);
      this.onLoss(why);
    }
  }

  /** Records that a report was acknowledged; `writesBefore` is the acknowledged-write count taken before it was sent. */
  reported(heartbeatAt: number, writesBefore: number): void {
    this.lastReport = { heartbeatAt, writesBefore };
  }

  /** Conditions in force until a later reading shows otherwise. */
  ongoing(): DirtyReason[] {
    const out: DirtyReason[] = [];
    if (this.unreadable) out.push(DIRTY_REASONS.storeUnverified);
    if (this.mayEvict) out.push(DIRTY_REASONS.storeMayEvict);
    return out;
  }

  private async lossSince(
    before: StoreIntegrity,
    now: StoreIntegrity,
    writesAcked: number,
  ): Promise<string | null> {
    if (now.generation !== before.generation)
      return `the store's generation changed (${before.generation} → ${now.generation}): its data set was lost`;
    const shardLoss = lostShard(before, now);
    if (shardLoss !== null) return shardLoss;
    const sameServer = before.serverId === now.serverId;
    if (sameServer) {
      if (before.evictedKeys !== null && now.evictedKeys !== null && now.evictedKeys > before.evictedKeys)
        return `the store evicted ${now.evictedKeys - before.evictedKeys} key(s)`;
      return null;
    }
    // On a sharded store the report lives on one shard and proves nothing about the others.
    if (now.tagGenerations !== undefined)
      return `a shard's server changed (${before.serverId ?? "?"} → ${now.serverId ?? "?"}) and writes acknowledged by the old one cannot be proven kept`;
    if (await this.lastReportSurvived(writesAcked)) return null;
    return `the store's server changed (${before.serverId ?? "?"} → ${now.serverId ?? "?"}) and writes acknowledged by the old one cannot be proven kept`;
  }

  private async lastReportSurvived(writesAcked: number): Promise<boolean> {
    const mark = this.lastReport;
    if (mark === null || writesAcked !== mark.writesBefore) return false;
    try {
      const stored = (await this.store.pods()).find((p) => p.pod === this.pod);
      return stored?.heartbeatAt === mark.heartbeatAt;
    } catch {
      return false;
    }
  }
}

/**
 * On a sharded store, why a shard lost data between two readings, or null: a tag listed before
 * whose generation changed, or that is no longer listed (the sets only grow, so the shard holding
 * them lost its data).
 */
function lostShard(before: StoreIntegrity, now: StoreIntegrity): string | null {
  const was = before.tagGenerations;
  const is = now.tagGenerations;
  if (was === undefined || is === undefined) return null;
  for (const [tag, generation] of Object.entries(was)) {
    const current = is[tag];
    if (current === undefined)
      return `the store no longer lists "${tag}": the shard holding the list lost its data set`;
    if (current !== generation)
      return `the generation of "${tag}" changed (${generation} → ${current}): the shard holding its records lost its data set`;
  }
  return null;
}
