/**
 * Leader election on a `coordination.k8s.io/v1` Lease, after client-go's leaderelection.
 *
 * Safety (two replicas never act at once) rests on two clocks that are never compared:
 * - A standby measures a holder's lease from the moment *it observed* the record change (the
 *   resourceVersion), on its own monotonic clock; the holder's renewTime is never read, so
 *   skew between the replicas' wall clocks cannot shorten anyone's lease.
 * - The leader counts its renew deadline from the moment it *sent* its last successful
 *   renewal, which is before the write, so before any standby could observe it. It stops
 *   leading (`isLeader()` false, its term's AbortSignal aborted, `onStopped`) at that deadline,
 *   a full `leaseDurationMs − renewDeadlineMs` before a standby may take over. A renewal that
 *   fails for any reason (API unreachable, slow, refused) counts as not renewed.
 * A graceful `release()` stops leading first, then clears the holder, so a standby takes over
 * at its next attempt.
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { KubeConfig, V1Lease } from "@kubernetes/client-node";
import { pino, type Logger } from "pino";
import type { Leadership } from "../kube-controller.js";
import {
  DEFAULT_ELECTION_TIMINGS,
  electionTimingProblems,
  leaseDurationSeconds,
  type ElectionTimings,
} from "./election-timings.js";
import { LeaseApi, type LeaseWrite } from "./lease-api.js";
import { claimSpec, holderOf, promisedDurationMs, releasedSpec, transitionsOf } from "./lease-record.js";

/** What the elector tells its user. */
export interface LeadershipHandlers {
  /** This replica leads from now on; `signal` aborts the moment it stops (watch it). */
  onStarted(signal: AbortSignal): void;
  /** This replica does not lead any more (renewal deadline passed, Lease lost, or released). */
  onStopped(): void;
}

/** Options of {@link LeaseElector}. */
export interface LeaseElectorOptions extends Partial<ElectionTimings> {
  readonly kc: KubeConfig;
  /** The Lease's namespace: the controller's own. */
  readonly namespace: string;
  /** The Lease's name. */
  readonly name: string;
  /** This replica's identity in the Lease (default `<hostname>_<random uuid>`, unique per process). */
  readonly identity?: string;
  readonly logger?: Logger;
  /** A monotonic clock in ms for every deadline (default `performance.now`). */
  readonly monotonic?: () => number;
  /** Wall-clock ms for the Lease's timestamps and the logs (default `Date.now`). */
  readonly wallClock?: () => number;
}

/** Thrown by the constructor for timings that could let two replicas lead at once. */
export class ElectionTimingsError extends Error {
  constructor(problems: readonly string[]) {
    super(`unsafe leader election timings: ${problems.join("; ")}`);
    this.name = "ElectionTimingsError";
  }
}

interface Term {
  readonly controller: AbortController;
  /** Monotonic ms at which this term ends unless renewed. */
  deadline: number;
  watchdog: NodeJS.Timeout | undefined;
}

/** One replica's candidacy for the Lease; implements the controller's `Leadership`. */
export class LeaseElector implements Leadership {
  /** This replica's holderIdentity. */
  readonly identity: string;
  private readonly timings: ElectionTimings;
  private readonly api: LeaseApi;
  private readonly log: Logger;
  private readonly monotonic: () => number;
  private readonly wallClock: () => number;
  private readonly stopping = new AbortController();
  private handlers: LeadershipHandlers | undefined;
  private loopDone: Promise<void> | undefined;
  private releasing: Promise<void> | undefined;
  private term: Term | undefined;
  /** The last record seen, and when (monotonic) it was first seen with that resourceVersion. */
  private observed: { lease: V1Lease; at: number } | undefined;

  constructor(options: LeaseElectorOptions) {
    this.timings = {
      leaseDurationMs: options.leaseDurationMs ?? DEFAULT_ELECTION_TIMINGS.leaseDurationMs,
      renewDeadlineMs: options.renewDeadlineMs ?? DEFAULT_ELECTION_TIMINGS.renewDeadlineMs,
      retryPeriodMs: options.retryPeriodMs ?? DEFAULT_ELECTION_TIMINGS.retryPeriodMs,
    };
    const problems = electionTimingProblems(this.timings);
    if (problems.length > 0) throw new ElectionTimingsError(problems);
    this.identity = options.identity ?? `${hostname()}_${randomUUID()}`;
    this.api = new LeaseApi(options.kc, options.namespace, options.name);
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.wallClock = options.wallClock ?? Date.now;
    this.log = (options.logger ?? pino({ level: "silent" })).child({
      component: "leader-election",
      lease: `${options.namespace}/${options.name}`,
      identity: this.identity,
    });
  }

  /** Whether this replica leads now: it holds the Lease and its renew deadline has not passed. */
  isLeader(): boolean {
    return this.term !== undefined && this.monotonic() < this.term.deadline;
  }

  /** Starts competing for the Lease, for as long as the process runs or until `release()`. */
  run(handlers: LeadershipHandlers): void {
    if (this.handlers !== undefined) throw new Error("this LeaseElector is already running");
    this.handlers = handlers;
    this.loopDone = this.loop();
  }

  /**
   * Stops competing. A leader first stops leading (onStopped), then clears the Lease's holder
   * so a standby takes over at once. Never throws: if the API cannot be reached the Lease simply
   * expires for the standby (logged).
   */
  release(): Promise<void> {
    return (this.releasing ??= this.doRelease());
  }

  /**
   * Stops competing at once without a word to the API server, as a killed process does: no
   * release and no further renewal, so the Lease expires for the standby. A renewal already
   * in flight may still land, as it may for a process killed mid-request. Tests use it (G5).
   */
  abandon(): void {
    this.stopping.abort();
    this.stopLeading("abandoned");
  }

  private async loop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      let waitMs = this.timings.retryPeriodMs;
      try {
        waitMs = await this.attempt();
      } catch (err) {
        if (!this.stopping.signal.aborted) {
          this.log.warn({ err, leading: this.isLeader() }, "cannot acquire or renew the leader Lease");
        }
      }
      await sleep(waitMs, this.stopping.signal);
    }
  }

  /** One try to acquire or renew; returns how long to wait before the next one. */
  private async attempt(): Promise<number> {
    const started = this.monotonic();
    const startedWall = this.wallClock();
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.requestBudget(started))]);
    const renewing = this.term !== undefined && this.observed !== undefined;
    if (renewing && this.observed !== undefined) {
      // The usual renewal writes over the record it wrote last, without reading it first.
      const current = this.observed.lease;
      const write = await this.api.replace(
        current,
        claimSpec(current, this.identity, this.leaseSeconds(), startedWall),
        signal,
      );
      if (write.ok) return this.succeeded(write, started, startedWall);
    }
    const current = await this.api.get(signal);
    if (current === undefined) {
      const created = await this.api.create(
        claimSpec(undefined, this.identity, this.leaseSeconds(), startedWall),
        signal,
      );
      return created.ok ? this.succeeded(created, started, startedWall) : this.timings.retryPeriodMs;
    }
    this.observe(current);
    const holder = holderOf(current);
    if (holder !== "" && holder !== this.identity) {
      const observedAt = this.observed?.at ?? started;
      const expiresAt = observedAt + promisedDurationMs(current, this.timings.leaseDurationMs);
      const now = this.monotonic();
      if (now < expiresAt) {
        this.stopLeading(`the Lease is held by ${holder}`);
        // Wake up right when it expires, not up to a retry period later.
        return Math.max(1, Math.min(this.timings.retryPeriodMs, expiresAt - now));
      }
      this.log.info(
        { holder, sinceMs: Math.round(now - observedAt) },
        "the leader's Lease expired; taking it over",
      );
    }
    const write = await this.api.replace(
      current,
      claimSpec(current, this.identity, this.leaseSeconds(), startedWall),
      signal,
    );
    return write.ok ? this.succeeded(write, started, startedWall) : this.timings.retryPeriodMs;
  }

  /** A write went through: the record is ours until `started + renewDeadline`. */
  private succeeded(write: LeaseWrite & { ok: true }, started: number, startedWall: number): number {
    this.observed = { lease: write.lease, at: this.monotonic() };
    const deadline = started + this.timings.renewDeadlineMs;
    if (this.stopping.signal.aborted || this.monotonic() >= deadline) return this.timings.retryPeriodMs;
    if (this.term !== undefined) {
      this.term.deadline = deadline;
      this.armWatchdog(this.term);
      this.log.debug({ requestStartedAt: startedWall }, "renewed the leader Lease");
      return this.timings.retryPeriodMs;
    }
    const term: Term = { controller: new AbortController(), deadline, watchdog: undefined };
    this.term = term;
    this.armWatchdog(term);
    this.log.info(
      { requestStartedAt: startedWall, leaseTransitions: transitionsOf(write.lease) },
      "acquired the leader Lease: leading",
    );
    try {
      this.handlers?.onStarted(term.controller.signal);
    } catch (err) {
      this.log.error({ err }, "onStarted failed");
    }
    return this.timings.retryPeriodMs;
  }

  /** Records a record change (by resourceVersion) at the time this replica first saw it. */
  private observe(lease: V1Lease): void {
    const previous = this.observed;
    const unchanged =
      previous !== undefined && previous.lease.metadata?.resourceVersion === lease.metadata?.resourceVersion;
    this.observed = { lease, at: unchanged ? previous.at : this.monotonic() };
  }

  /** Ends the term at its deadline even if a renewal is still hanging. */
  private armWatchdog(term: Term): void {
    clearTimeout(term.watchdog);
    const wait = Math.max(0, term.deadline - this.monotonic());
    term.watchdog = setTimeout(() => {
      if (this.term === term && this.monotonic() >= term.deadline) {
        this.stopLeading(`not renewed within the renew deadline (${this.timings.renewDeadlineMs} ms)`);
      } else if (this.term === term) {
        this.armWatchdog(term);
      }
    }, wait);
    term.watchdog.unref();
  }

  private stopLeading(reason: string): void {
    const term = this.term;
    if (term === undefined) return;
    this.term = undefined;
    clearTimeout(term.watchdog);
    term.controller.abort(new Error(`stopped leading: ${reason}`));
    this.log.warn({ reason, stoppedAt: this.wallClock() }, "stopped leading");
    try {
      this.handlers?.onStopped();
    } catch (err) {
      this.log.error({ err }, "onStopped failed");
    }
  }

  /** A leader's call may not outlive its deadline; a candidate's is bounded by the renew deadline. */
  private requestBudget(now: number): number {
    const remaining = this.term !== undefined ? this.term.deadline - now : this.timings.renewDeadlineMs;
    return Math.max(1, Math.ceil(Math.min(remaining, this.timings.renewDeadlineMs)));
  }

  private leaseSeconds(): number {
    return leaseDurationSeconds(this.timings.leaseDurationMs);
  }

  private async doRelease(): Promise<void> {
    this.stopping.abort();
    await this.loopDone;
    this.stopLeading("released");
    let lease = this.observed?.lease;
    for (let tries = 0; tries < 2 && holderOf(lease) === this.identity && lease !== undefined; tries++) {
      try {
        const signal = AbortSignal.timeout(this.timings.renewDeadlineMs);
        const write = await this.api.replace(lease, releasedSpec(lease, this.wallClock()), signal);
        if (write.ok) {
          this.log.info("released the leader Lease");
          return;
        }
        // Our last renewal may have landed after all: read the record again.
        lease = await this.api.get(signal);
      } catch (err) {
        this.log.warn({ err }, "cannot release the leader Lease; it expires for the standby instead");
        return;
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
