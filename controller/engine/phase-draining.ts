/**
 * Draining (§4.4): after the cutover, wait for the old ingress transactions, pin the bypass
 * traffic still at `old`, flip the non-enrolled clones to `new`, pin stragglers, and wait
 * until `old` is tranquil over the settle window. Lost transactions and the drain timeout
 * are handled on every tick.
 */
import { busyOld, busyPins, lostCandidates, oldActivity, pinCandidates, refreshPins } from "./activity.js";
import { ignoredRequestIdsNote, reportIgnoredRequestIds } from "./ignored-ids.js";
import { Phase, RouteMode, Stage } from "./phases.js";
import { waitUncertified } from "./certify-wait.js";
import { dirtyOrStale, listNames, lossAdvice, notCleanPast } from "./proxies.js";
import { intent, routesConfirmed } from "./routing.js";
import type { Tick } from "./tick.js";
import { ActionKind, ConditionType } from "./types.js";

/** Declare transactions lost (past maxTransactionAge while old reports no active request). */
export function declareLost(t: Tick): void {
  const e = t.s.engine;
  const ids = lostCandidates(t.spec, t.obs, e, t.now, t.cfg);
  if (ids.length === 0) return;
  t.push({ kind: ActionKind.DeclareLost, key: t.key("lost", e.lost.length), ids });
  e.lost.push(...ids);
  t.s.lostTransactions += ids.length;
  t.event(
    "Warning",
    "TransactionsLost",
    `declared ${ids.length} transaction(s) lost past maxTransactionAge while old reports no active request: ${listNames(ids)}`,
  );
}

/** True when the drain timeout has passed and onTimeout is force; sets the condition either way. */
function drainForced(t: Tick): boolean {
  const e = t.s.engine;
  const since = e.instants.drainStartedAt ?? e.stageSince;
  if (t.now - since < t.cfg.drainTimeoutMs) return false;
  const before = t.s.conditions.find((c) => c.type === ConditionType.DrainTimeout)?.status;
  const message =
    t.cfg.onTimeout === "force"
      ? "drain timeout passed; onTimeout: force skips the remaining waits (routing changes are still confirmed) and counts what it breaks"
      : "drain timeout passed; onTimeout: wait keeps waiting (see the Waiting condition for why)";
  t.setCondition(ConditionType.DrainTimeout, "True", "TimedOut", message);
  if (before !== "True") t.event("Warning", "DrainTimeout", message);
  return t.cfg.onTimeout === "force";
}

/**
 * One pin round under `mode`: confirm what is written, then pin the unpinned transactions
 * active at `old` (cap, rate limit), on records certified complete past the round's snapshot.
 * Before the flip (`snapshotOnly`), only transactions that started by the snapshot count:
 * bypass traffic keeps arriving at `old` until the flip, and chasing it would never end;
 * later arrivals are the stragglers pinned after the flip. True when nothing is left to pin.
 */
function pinRound(
  t: Tick,
  mode: typeof RouteMode.DoorOpen | typeof RouteMode.Flipped,
  forced: boolean,
  snapshotOnly: boolean,
): boolean {
  const e = t.s.engine;
  if (!routesConfirmed(t, drainIntent(mode, e.pins))) return false;
  if (forced) return true;
  const snapshot = e.instants.pinSnapshotAt ?? t.now;
  const unclean = notCleanPast(t.obs.pods, snapshot, t.cfg);
  if (unclean.length > 0) {
    return waitUncertified(
      t,
      unclean,
      "the pin snapshot",
      "DirtyPods",
      `records of ${listNames(unclean)} are not certified complete past the pin snapshot; pins wait${lossAdvice(t.obs.pods, unclean)}`,
    );
  }
  const candidates = pinCandidates(t.obs, e).filter((tx) => !snapshotOnly || tx.startedAt <= snapshot);
  if (candidates.length === 0) return true;
  const room = t.cfg.pinsCap - e.pins.length;
  if (room <= 0) {
    return t.wait(
      "PinsCapped",
      `${candidates.length} transaction(s) at old need pins but the cap of ${t.cfg.pinsCap} is reached; waiting for them to end`,
    );
  }
  if (e.lastPinWriteAt !== null && t.now - e.lastPinWriteAt < t.cfg.pinWriteIntervalMs) {
    return t.wait("PinRateLimit", `${candidates.length} transaction(s) wait for the next pin write`);
  }
  const take = candidates.slice(0, room);
  const stragglers = !snapshotOnly;
  for (const tx of take)
    e.pins.push({ id: tx.id, pinnedAt: t.now, lastSeenAt: tx.lastSeenAt, straggler: stragglers });
  if (stragglers) {
    e.stragglers += take.length;
    e.instants.pinSnapshotAt = t.now;
  }
  e.lastPinWriteAt = t.now;
  t.s.pinned = e.pins.length;
  routesConfirmed(t, drainIntent(mode, e.pins));
  return false;
}

/**
 * Draining's routes: `mode` with the pins and the gateway stamps (ADR 0090). From the cutover
 * every ingress transaction is meant to be enrolled, and the stamps make that true at the
 * gateways themselves: a request whose Check failed open carries the enrolment header all the
 * same, so no flip can split it.
 */
function drainIntent(
  mode: typeof RouteMode.DoorOpen | typeof RouteMode.Flipped,
  pins: readonly { readonly id: string }[],
): ReturnType<typeof intent> {
  return intent(
    mode,
    pins.map((p) => p.id),
    true,
    true,
  );
}

/**
 * Whether the flip (or, rolling back, the flip back) may be written now. Every pod, gateways included, must be clean past the
 * instant the flip was decided, and no non-enrolled ingress transaction may be in flight: a
 * gateway that failed open admitted transactions nobody recorded, and flipping under them
 * would split them. A dirty or stale pod, or one in flight, moves the decision later and
 * the settle window must then pass after it.
 */
export function flipReady(t: Tick): boolean {
  const e = t.s.engine;
  const decided = e.instants.flipDecidedAt ?? t.now;
  e.instants.flipDecidedAt = decided;
  const inFlight = t.obs.ingress.nonEnrolledInFlight;
  const troubled = dirtyOrStale(t.obs.pods, t.cfg);
  if (inFlight > 0 || troubled.length > 0) {
    e.instants.flipDecidedAt = t.now;
    return inFlight > 0
      ? t.wait(
          "OldIngressInFlight",
          `${inFlight} non-enrolled ingress transaction(s) in flight block the flip`,
        )
      : t.wait(
          "DirtyPods",
          `dirty or stale pods block the flip: ${listNames(troubled)}${lossAdvice(t.obs.pods, troubled)}`,
        );
  }
  const behind = notCleanPast(t.obs.pods, decided, t.cfg);
  if (behind.length > 0) {
    return waitUncertified(
      t,
      behind,
      "the flip decision",
      "DirtyPods",
      `records of ${listNames(behind)} are not certified complete past the flip decision${lossAdvice(t.obs.pods, behind)}`,
    );
  }
  const since = e.stageSince;
  if (decided > since && t.now - decided < t.cfg.settleMs) {
    return t.wait("Settling", "pods are clean again; waiting the settle window before the flip");
  }
  return true;
}

/** Move to the next stage and keep going within this tick. */
function next(t: Tick, stage: (typeof Stage)[keyof typeof Stage]): void {
  t.go(stage);
  draining(t);
}

/** One Draining tick. */
export function draining(t: Tick): void {
  const e = t.s.engine;
  refreshPins(e.pins, t.obs);
  declareLost(t);
  reportIgnoredRequestIds(t);
  const forced = drainForced(t);
  switch (e.stage) {
    case Stage.IngressDrain: {
      // The stamps are confirmed at every proxy (gateways included, ADR 0090) before the pin
      // snapshot, so the flip never propagates under a gateway that could admit a
      // non-enrolled transaction.
      if (!routesConfirmed(t, drainIntent(RouteMode.DoorOpen, e.pins))) return;
      const cutover = e.instants.cutoverAt ?? e.stageSince;
      const inFlight = t.obs.ingress.nonEnrolledInFlight;
      if (forced) {
        e.forcedBreaks += inFlight;
        e.instants.pinSnapshotAt = t.now;
        next(t, Stage.Pin);
        return;
      }
      const gateways = t.obs.pods.filter((p) => p.role === "gateway");
      const unclean = notCleanPast(gateways, cutover, t.cfg);
      if (!t.heldFor(inFlight === 0 && unclean.length === 0, t.cfg.settleMs)) {
        if (inFlight > 0)
          t.wait("OldIngressInFlight", `${inFlight} non-enrolled ingress transaction(s) still in flight`);
        else if (unclean.length > 0)
          waitUncertified(
            t,
            unclean,
            "the cutover",
            "GatewaysNotClean",
            `gateways not clean past the cutover: ${listNames(unclean)}${lossAdvice(t.obs.pods, unclean)}`,
          );
        else t.wait("Settling", "no old ingress transaction in flight; waiting the settle window");
        return;
      }
      e.instants.pinSnapshotAt = t.now;
      next(t, Stage.Pin);
      return;
    }
    case Stage.Pin:
      if (!pinRound(t, RouteMode.DoorOpen, forced, true)) return;
      next(t, Stage.Flip);
      return;
    case Stage.Flip: {
      const flipWritten = e.routes.mode === RouteMode.Flipped;
      if (!flipWritten && !forced && !flipReady(t)) return;
      if (!routesConfirmed(t, drainIntent(RouteMode.Flipped, e.pins))) return;
      e.instants.flipAt = t.now;
      e.instants.pinSnapshotAt = t.now;
      next(t, Stage.Stragglers);
      return;
    }
    case Stage.Stragglers:
      if (!pinRound(t, RouteMode.Flipped, forced, false)) return;
      next(t, Stage.Tranquil);
      return;
    case Stage.Tranquil: {
      const flipAt = e.instants.flipAt ?? e.stageSince;
      if (!forced && pinCandidates(t.obs, e).length > 0) {
        // A straggler surfaced late (its records were delayed): pin it before judging.
        e.instants.pinSnapshotAt = flipAt;
        next(t, Stage.Stragglers);
        return;
      }
      if (forced) {
        e.forcedBreaks += oldActivity(t.spec, t.obs).calls;
        t.event(
          "Warning",
          "DrainForced",
          `forced past the drain timeout; ${e.forcedBreaks} transaction(s) or call(s) may break`,
        );
        finishDrain(t);
        return;
      }
      const busy = busyOld(t.spec, t.obs);
      const unclean = notCleanPast(t.obs.pods, flipAt, t.cfg);
      const pins = busyPins(e.pins, e, t.obs, t.now, t.cfg);
      if (!t.heldFor(busy.length === 0 && unclean.length === 0 && pins.length === 0, t.cfg.settleMs)) {
        if (busy.length > 0) t.wait("OldActive", `calls still active (or unreported) at ${listNames(busy)}`);
        else if (unclean.length > 0)
          waitUncertified(
            t,
            unclean,
            "the flip",
            "DirtyPods",
            `pods not clean past the flip: ${listNames(unclean)}${lossAdvice(t.obs.pods, unclean)}`,
          );
        else if (pins.length > 0)
          t.wait("PinsActive", `${pins.length} pin(s) active within the pin idle time`);
        else t.wait("Settling", "old is quiet; waiting the settle window");
        return;
      }
      finishDrain(t);
      return;
    }
    default:
      t.wait("UnknownStage", `stage ${e.stage} does not belong to Draining`);
  }
}

function finishDrain(t: Tick): void {
  t.s.engine.instants.tranquilAt = t.now;
  t.enter(Phase.Finalizing, Stage.ScaleOld, `old is tranquil; finalizing${ignoredRequestIdsNote(t)}`);
}
