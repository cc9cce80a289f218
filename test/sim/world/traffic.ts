/**
 * Transactions: ingress ones (gateway enrolment by the TraceManager's hash of the upgrade and
 * transaction ids against the weight the gateway applies, then a chain of nested calls) and
 * bypass ones (calls that start inside the mesh). Each call is routed by the caller's proxy
 * with the config its workers run and the endpoints it lists; the callee's TraceManager
 * records it (or fails open).
 */
import { applyHeaderMutation } from "../../../istio/routing/header-mutation.js";
import { enrolmentBucket } from "../../../trace-manager/gateway/enrolment.js";
import { parseTxnId } from "../../../trace-manager/ids.js";
import { createPrng } from "../prng.js";
import type { TailDelay } from "../scenario.js";
import { recordFailure, recordServe, type TxnTruth } from "./ground-truth.js";
import {
  recordCallEnd,
  recordCallStart,
  recordIngressEnd,
  recordIngressStart,
  recordSample,
} from "./trace-store.js";
import { routeCall } from "./routing.js";
import type { Pod } from "./types.js";
import { BYPASS_SERVICE, ENTRY_SERVICE, type World } from "./world.js";

/** The enrolment header name the simulated gateways set. */
export const ENROLMENT_HEADER = "x-tranquil-release";

/**
 * Whether a gateway applying `weight` enrols transaction `txn` of upgrade `upgradeId`: the
 * gateway TraceManager's own bucket (trace-manager/gateway), which hashes the upgrade id in.
 */
function enrols(txn: string, upgradeId: string, weight: number): boolean {
  const id = parseTxnId(txn);
  if (id === null) throw new Error(`simulated transaction id "${txn}" is not a valid x-request-id`);
  return enrolmentBucket(id, upgradeId) < weight;
}

/** Starts ingress and bypass traffic; arrivals stop once `stopAt()` has passed. */
export function startTraffic(world: World, stopAt: () => number): void {
  const { queue, prng, scenario: s } = world;
  let seq = 0;
  const nextId = (): number => ++seq;
  const txnId = (): string => {
    let hex = "";
    for (let i = 0; i < 4; i++)
      hex += Math.floor(prng.next() * 0x100000000)
        .toString(16)
        .padStart(8, "0");
    return hex;
  };
  const trainSet = new Set(s.services);
  // Weighted picks draw from a stream of their own: the evaluator draws for every forwarded
  // call, even to a single destination, and sharing the world's stream would make each route
  // change shift every later draw of the run.
  const picks = createPrng(s.seed ^ 0x5eed);

  /** Plans hop start offsets and the transaction's end, nested calls ending in reverse order. */
  const plan = (hops: number, gap: TailDelay, tail: TailDelay): { starts: number[]; end: number } => {
    const starts: number[] = [0];
    for (let i = 1; i < hops; i++) starts.push((starts[i - 1] ?? 0) + world.draw(gap));
    return { starts, end: (starts[hops - 1] ?? 0) + world.draw(tail) + hops };
  };

  const endCall = (pod: Pod, id: number, service: string, startAt: number, ok: boolean): void => {
    if (!world.inFlight.has(id)) return;
    world.inFlight.delete(id);
    pod.activeCalls.delete(id);
    if (pod.state !== "gone") pod.active -= 1;
    if (trainSet.has(service)) {
      const prev = world.truth.lastCallEnd.get(pod.version) ?? 0;
      world.truth.lastCallEnd.set(pod.version, Math.max(prev, queue.now));
    }
    const durationMs = queue.now - startAt;
    // The callee's inbound ALS entry arrives after Envoy's flush, or is dropped.
    queue.after(prng.between(0, s.alsFlushMs), () => {
      if (!pod.tm.up || prng.chance(s.alsLoss)) {
        world.markDirty(pod, "logs_dropped");
        pod.tm.unaccounted.add(id);
        return;
      }
      recordCallEnd(world.store, id, queue.now);
      if (trainSet.has(service)) {
        recordSample(world.store, { service, version: pod.version, at: queue.now, ok, durationMs });
      }
    });
  };

  /** Routes hop `k` of `txn` from `caller`, serves it, and schedules the next hop. */
  const hop = (
    txn: TxnTruth,
    hosts: readonly string[],
    starts: readonly number[],
    end: number,
    k: number,
    caller: Pod,
    headers: Readonly<Record<string, string>>,
  ): void => {
    const host = hosts[k];
    if (host === undefined || txn.failed !== null || txn.appError) return;
    const cfg = world.config.at(caller.proxy.routingVersion);
    const route = routeCall(cfg, host, headers, caller.proxy.binding, () => picks.next());
    if (route.kind === "local") {
      recordFailure(
        world.truth,
        txn,
        route.flag,
        `${route.flag} at ${caller.id} → ${host} (route ${route.routeName}) t=${queue.now}`,
      );
      return;
    }
    const candidates: Pod[] = [];
    for (const ep of caller.proxy.endpoints) {
      if (ep.service === route.host && (route.version === undefined || ep.version === route.version))
        candidates.push(ep);
    }
    if (candidates.length === 0) {
      recordFailure(
        world.truth,
        txn,
        "UH",
        `UH at ${caller.id} → ${host}/${route.subset ?? "*"} t=${queue.now}`,
      );
      return;
    }
    // Istio's default retries go to other hosts of the cluster on connect failure (2 retries).
    let target: Pod | undefined;
    for (let attempt = 0; attempt < 3 && candidates.length > 0; attempt++) {
      const i = Math.floor(prng.next() * candidates.length);
      const pick = candidates[i];
      candidates.splice(i, 1);
      if (pick !== undefined && pick.state !== "gone") {
        target = pick;
        break;
      }
    }
    if (target === undefined) {
      recordFailure(world.truth, txn, "URX", `URX at ${caller.id} → ${host}: endpoints gone t=${queue.now}`);
      return;
    }
    // The route's header operations reach the callee, which propagates them (a gateway stamp's
    // enrolment header travels with the transaction, ADR 0090).
    const sent =
      route.requestHeaders === undefined ? headers : applyHeaderMutation(headers, route.requestHeaders);
    // Calls nest: this call returns just before its caller's, all by the transaction's end.
    serve(txn, target, host, txn.startAt + end - (hosts.length - 1 - k), sent);
    const nextStart = starts[k + 1];
    const callee = target;
    if (nextStart !== undefined) {
      queue.at(txn.startAt + nextStart, () => {
        hop(txn, hosts, starts, end, k + 1, callee, sent);
      });
    }
  };

  const serve = (
    txn: TxnTruth,
    pod: Pod,
    service: string,
    endAt: number,
    headers: Readonly<Record<string, string>>,
  ): void => {
    const id = nextId();
    const t = world.truth;
    t.calls += 1;
    world.inFlight.add(id);
    pod.active += 1;
    pod.activeCalls.add(id);
    const train = trainSet.has(service);
    if (train) {
      recordServe(t, txn, service, pod.version);
      t.lastCallStart.set(pod.version, queue.now);
      if (pod.state === "terminating") t.routedToRemoved += 1;
    }
    // The callee's sidecar Check: a durable record, or fail open and turn dirty.
    if (pod.tm.up) {
      recordCallStart(world.store, {
        id,
        txn: headers["x-request-id"] ?? txn.id,
        service,
        version: pod.version,
        pod: pod.id,
        startAt: queue.now,
        endAt: null,
      });
    } else {
      world.markDirty(pod, "failure_mode_allowed");
      pod.tm.unaccounted.add(id);
    }
    const ok = !(train && s.newFails && pod.version === s.newVersion && prng.chance(s.newErrorRate));
    if (!ok) {
      t.appErrors += 1;
      txn.appError = true;
    }
    const startAt = queue.now;
    // An application error answers fast; the transaction makes no further calls.
    const answerAt = ok ? endAt : Math.min(endAt, queue.now + prng.between(5, 50));
    queue.at(Math.max(answerAt, queue.now + 1), () => {
      endCall(pod, id, service, startAt, ok);
    });
  };

  const ingressArrival = (): void => {
    if (queue.now > stopAt()) return;
    const gateways = world.gateways.filter((g) => g.state !== "gone");
    const gw = prng.pick(gateways);
    const id = txnId();
    const numericId = nextId();
    // A train is upgraded together because its members call each other: every ingress
    // transaction walks the whole train, sometimes calling a member twice.
    const hosts: string[] = s.entryInTrain ? [...s.services] : [ENTRY_SERVICE, ...s.services];
    const extra = prng.int(s.ingress.extraHops.min, s.ingress.extraHops.max);
    for (let i = 0; i < extra; i++) hosts.push(prng.pick(s.services));
    const hops = hosts.length;
    const { starts, end } = plan(hops, s.ingress.gapMs, s.ingress.tail);
    let enrolled = false;
    if (gw.tm.up) {
      enrolled = enrols(id, s.upgradeId, gw.tm.weight);
      recordIngressStart(world.store, { txn: id, gateway: gw.id, startAt: queue.now, enrolled, endAt: null });
    } else {
      // The check fails open: no enrolment header, nothing recorded, the gateway turns dirty.
      world.markDirty(gw, "failure_mode_allowed");
      gw.tm.unaccounted.add(numericId);
    }
    const txn: TxnTruth = {
      id,
      kind: "ingress",
      startAt: queue.now,
      endAt: queue.now + end,
      enrolled,
      versions: new Map(),
      mixed: false,
      failed: null,
      appError: false,
    };
    world.truth.txns.set(id, txn);
    world.inFlight.add(numericId);
    world.inFlightTxns.add(id);
    const headers: Record<string, string> = { "x-request-id": id };
    if (enrolled) headers[ENROLMENT_HEADER] = s.upgradeId;
    gw.active += 1;
    hop(txn, hosts, starts, end, 0, gw, headers);
    queue.at(txn.endAt, () => {
      gw.active -= 1;
      world.inFlight.delete(numericId);
      world.inFlightTxns.delete(id);
      // Old is needed until the last transaction that left the gateway without enrolment ends.
      if (!txn.enrolled) world.truth.lastNonEnrolledEnd = Math.max(world.truth.lastNonEnrolledEnd, queue.now);
      queue.after(prng.between(0, s.alsFlushMs), () => {
        if (!gw.tm.up || prng.chance(s.alsLoss)) {
          world.markDirty(gw, "logs_dropped");
          gw.tm.unaccounted.add(numericId);
          return;
        }
        recordIngressEnd(world.store, id, queue.now);
      });
    });
    queue.after((1000 * -Math.log(1 - prng.next())) / s.ingress.perSecond, ingressArrival);
  };

  const bypassArrival = (): void => {
    if (queue.now > stopAt()) return;
    const callers = world.liveProxies().filter((p) => p.service === BYPASS_SERVICE && p.state === "ready");
    if (callers.length > 0) {
      const caller = prng.pick(callers);
      const id = txnId();
      const hops = prng.int(s.bypass.hops.min, s.bypass.hops.max);
      const hosts: string[] = [];
      for (let i = 0; i < hops; i++) hosts.push(prng.pick(s.services));
      const { starts, end } = plan(hops, s.bypass.gapMs, s.bypass.tail);
      const txn: TxnTruth = {
        id,
        kind: "bypass",
        startAt: queue.now,
        endAt: queue.now + end,
        enrolled: false,
        versions: new Map(),
        mixed: false,
        failed: null,
        appError: false,
      };
      world.truth.txns.set(id, txn);
      hop(txn, hosts, starts, end, 0, caller, { "x-request-id": id });
    }
    queue.after((1000 * -Math.log(1 - prng.next())) / s.bypass.perSecond, bypassArrival);
  };

  queue.after(0, ingressArrival);
  queue.after(prng.between(0, 500), bypassArrival);
}
