/**
 * The wait log (G3, ADR 0093): from the cutover on, what the engine waited for and for how
 * long, as consecutive segments. The time between two ticks belongs to the reason the earlier
 * tick waited on (or `Working` when it waited on nothing). A removal's time after its last
 * served request can then be broken down into what the drain really waited for.
 */
import { CERTIFYING } from "./certify-wait.js";
import { Phase, Stage } from "./phases.js";
import type { Tick } from "./tick.js";
import type { WaitSegment } from "./types.js";

/** The reason of a segment in which the engine waited on nothing (it acted, or moved on). */
export const WORKING = "Working";

/** Segments kept at most; later time goes to the last one (a drain has a few dozen). */
export const WAIT_LOG_LIMIT = 200;

/**
 * Extends the log to this tick: the last segment runs until now, and a new one starts when
 * this tick waits on another reason. Logged in Shifting at 100 % (the cutover), Draining and
 * Finalizing until the old version's removal was requested.
 */
export function logWait(t: Tick): void {
  const e = t.s.engine;
  const log = (e.waitLog ??= []);
  const last = log.at(-1);
  if (last?.open === true) last.ms = Math.max(0, t.now - last.since);
  if (!logging(t)) {
    if (last !== undefined) delete last.open;
    return;
  }
  const reason = t.waiting?.reason ?? WORKING;
  if (last?.open === true && (last.reason === reason || log.length >= WAIT_LOG_LIMIT)) {
    // Past the limit, the rest of the drain goes to one last segment.
    if (last.reason !== reason) last.reason = OTHER;
    last.ticks = (last.ticks ?? 1) + 1;
    return;
  }
  if (last !== undefined) delete last.open;
  log.push({ reason, since: t.now, ms: 0, ticks: 1, open: true });
}

/** The reason of the last segment once the log is full. */
export const OTHER = "Other";

function logging(t: Tick): boolean {
  const s = t.s;
  if (s.phase === Phase.Shifting) return s.weight === 100;
  if (s.phase === Phase.Finalizing) return s.engine.stage === Stage.ScaleOld;
  return s.phase === Phase.Draining;
}

/** What a stretch of the drain waited for, in the terms of the G3 bound (DESIGN §2). */
export const WaitTerm = {
  /** Old calls or old ingress transactions still reported active: the ALS flush and observation. */
  OldCalls: "oldCalls",
  Settle: "settle",
  /** Proxies or gateways that had not applied a write yet: the mesh's push delay. */
  Confirmations: "confirmations",
  Grace: "grace",
  /** Pods whose records could not be certified: dirty, stale, or records lost. */
  DirtyPods: "dirtyPods",
  /** Clean pods whose next reports certify an instant (heartbeat and watermark lag). */
  Certifying: "certifying",
  Pins: "pins",
  Paused: "paused",
  /** The scale-down request itself. */
  Removal: "removal",
  /** Ticks in which the engine acted and waited on nothing. */
  Working: "working",
  Other: "other",
} as const;
/** One of {@link WaitTerm}. */
export type WaitTerm = (typeof WaitTerm)[keyof typeof WaitTerm];

const TERM_OF: Readonly<Record<string, WaitTerm>> = {
  OldActive: WaitTerm.OldCalls,
  OldIngressInFlight: WaitTerm.OldCalls,
  Settling: WaitTerm.Settle,
  Unconfirmed: WaitTerm.Confirmations,
  WeightUnconfirmed: WaitTerm.Confirmations,
  NoProxies: WaitTerm.Confirmations,
  NoGateways: WaitTerm.Confirmations,
  WritingRoutes: WaitTerm.Confirmations,
  SettingWeight: WaitTerm.Confirmations,
  Grace: WaitTerm.Grace,
  DirtyPods: WaitTerm.DirtyPods,
  GatewaysNotClean: WaitTerm.DirtyPods,
  [CERTIFYING]: WaitTerm.Certifying,
  PinsActive: WaitTerm.Pins,
  PinsCapped: WaitTerm.Pins,
  PinRateLimit: WaitTerm.Pins,
  Paused: WaitTerm.Paused,
  ScalingOld: WaitTerm.Removal,
  [WORKING]: WaitTerm.Working,
};

/** The term a Waiting reason belongs to. */
export function termOf(reason: string): WaitTerm {
  return TERM_OF[reason] ?? WaitTerm.Other;
}

/** A stretch of the drain broken down by term (ms), with how many segments each term had. */
export interface WaitBreakdown {
  readonly totalMs: number;
  readonly ms: Readonly<Partial<Record<WaitTerm, number>>>;
  readonly segments: Readonly<Partial<Record<WaitTerm, number>>>;
  /** The segments (within the stretch) as they were logged, for measures over ticks. */
  readonly within: readonly WaitSegment[];
}

/**
 * How much later than every `intervalMs` the engine's ticks came within the segments: each
 * segment of n ticks should last about n intervals; the rest is time the machine did not run
 * the controller (a loaded host), which no setting controls. Segments logged before ticks were
 * counted contribute nothing.
 */
export function lateTicksMs(within: readonly WaitSegment[], intervalMs: number): number {
  return within.reduce(
    (sum, s) => sum + (s.ticks === undefined ? 0 : Math.max(0, s.ms - s.ticks * intervalMs)),
    0,
  );
}

/** Breaks [from, to] of the log down by term; time the log does not cover is `other`. */
export function breakDown(log: readonly WaitSegment[], from: number, to: number): WaitBreakdown {
  const ms: Partial<Record<WaitTerm, number>> = {};
  const segments: Partial<Record<WaitTerm, number>> = {};
  const within: WaitSegment[] = [];
  let covered = 0;
  for (const seg of log) {
    const part = Math.min(seg.since + seg.ms, to) - Math.max(seg.since, from);
    if (part <= 0) continue;
    within.push(seg);
    const term = termOf(seg.reason);
    ms[term] = (ms[term] ?? 0) + part;
    segments[term] = (segments[term] ?? 0) + 1;
    covered += part;
  }
  const total = Math.max(0, to - from);
  if (total - covered > 0) ms[WaitTerm.Other] = (ms[WaitTerm.Other] ?? 0) + (total - covered);
  return { totalMs: total, ms, segments, within };
}
