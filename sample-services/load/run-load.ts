import { setTimeout as sleep } from "node:timers/promises";
import { SEED_STAFF } from "../store/seed.js";
import { LoadHttpClient, type LoadRequest, type LoadResponse } from "./http-client.js";
import { runJourney, type JourneyDeps } from "./journey.js";
import { summarise } from "./summarise.js";
import type { LoadOptions, LoadReport, TransactionRecord } from "./types.js";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** Throws unless the options bound the run and target loopback. */
export function validateLoadOptions(o: LoadOptions): void {
  let url: URL;
  try {
    url = new URL(o.baseUrl);
  } catch (err) {
    throw new Error(`load: baseUrl ${o.baseUrl} is not a URL`, { cause: err });
  }
  if (url.protocol !== "http:") throw new Error(`load: baseUrl ${o.baseUrl} must be http://`);
  if (!LOOPBACK.has(url.hostname) && !url.hostname.startsWith("127."))
    throw new Error(
      `load: baseUrl ${o.baseUrl} is not loopback; the load generator only targets this machine`,
    );
  const positive = (v: number, what: string): void => {
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`load: ${what} must be a positive number, not ${v}`);
  };
  positive(o.durationMs, "durationMs");
  positive(o.maxJourneys, "maxJourneys");
  positive(o.ratePerSecond, "ratePerSecond");
  positive(o.concurrency, "concurrency");
  if (o.slowFraction !== undefined && !(o.slowFraction >= 0 && o.slowFraction <= 1))
    throw new Error(`load: slowFraction must be from 0 to 1, not ${o.slowFraction}`);
  for (const [what, r] of [
    ["thinkTimeMs", o.thinkTimeMs],
    ["slowDelayMs", o.slowDelayMs],
    ["stationsPerJourney", o.stationsPerJourney],
  ] as const) {
    if (r !== undefined && !(r.min >= 0 && r.max >= r.min))
      throw new Error(`load: ${what} needs 0 <= min <= max`);
  }
}

/**
 * Runs simulated end users against the logistics system. Each journey: the sender logs in and
 * creates an order; staff scan the parcel in and out at several stations; the receiver logs in
 * and receives it; the sender looks it up. Every step is one transaction, recorded with its
 * outcome, latency and the versions that served it.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  validateLoadOptions(opts);
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const staff = opts.staff ?? { phone: SEED_STAFF.phone, password: SEED_STAFF.password };
  const client = new LoadHttpClient(opts.baseUrl, {
    now,
    timeoutMs: opts.requestTimeoutMs ?? 60_000,
    headers: opts.headers ?? {},
    maxSockets: opts.concurrency * 2,
  });

  // Internal abort: the caller's signal, or the drain timeout.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  if (opts.signal?.aborted) stop.abort();

  const transactions: TransactionRecord[] = [];
  const send = async (req: LoadRequest): Promise<LoadResponse> => {
    const res = await client.send(req, stop.signal);
    transactions.push(res.record);
    opts.onTransaction?.(res.record);
    return res;
  };
  const pause = async (ms: number): Promise<void> => {
    if (ms > 0) await sleep(ms, undefined, { signal: stop.signal }).catch(() => undefined);
  };

  const startedAt = now();
  const journeys = { started: 0, completed: 0, failed: 0, abandoned: 0 };
  const runTag = Math.floor(random() * 1e6)
    .toString()
    .padStart(6, "0");

  // Setup: the staff session and the catalog. If it fails no journey starts, and the report's
  // failures say why.
  const staffLogin = await send({
    journey: -1,
    kind: "login",
    method: "POST",
    path: "/sessions",
    body: staff,
  });
  const stationsRes = await send({ journey: -1, kind: "catalog", method: "GET", path: "/stations" });
  const itemsRes = await send({ journey: -1, kind: "catalog", method: "GET", path: "/items" });
  const staffToken = staffLogin.body?.token;
  const stations = idsOf(stationsRes.body?.stations);
  const items = idsOf(itemsRes.body?.items);

  const deps: JourneyDeps = {
    send,
    pause,
    stopping: () => stop.signal.aborted,
    random,
    runTag,
    stations,
    items,
    staffToken: typeof staffToken === "string" ? staffToken : undefined,
    think: opts.thinkTimeMs ?? { min: 0, max: 50 },
    stationsPerJourney: opts.stationsPerJourney ?? { min: 2, max: 3 },
    slowFraction: opts.slowFraction ?? 0,
    slowDelay: opts.slowDelayMs ?? { min: 1000, max: 3000 },
  };

  const active = new Set<Promise<void>>();
  const deadline = startedAt + opts.durationMs;
  const interval = 1000 / opts.ratePerSecond;
  if (staffLogin.record.ok && stations.length > 0 && items.length > 0) {
    let nextStart = now();
    const starting = (): boolean =>
      !stop.signal.aborted &&
      opts.stopStarting?.aborted !== true &&
      journeys.started < opts.maxJourneys &&
      now() < deadline;
    while (starting()) {
      if (active.size < opts.concurrency && now() >= nextStart) {
        const n = journeys.started++;
        const p: Promise<void> = runJourney(n, deps).then((o) => {
          journeys[o] += 1;
          active.delete(p);
        });
        active.add(p);
        // Pace starts; after a stretch at the concurrency cap, do not burst to catch up.
        nextStart = Math.max(nextStart + interval, now());
        continue;
      }
      await pause(Math.max(1, Math.min(nextStart - now(), deadline - now(), 20)));
    }
  }
  // Let journeys in progress finish, within the drain timeout.
  if (active.size > 0 && !stop.signal.aborted) {
    const timer = new AbortController();
    const drained = Promise.all(active).then(() => "drained" as const);
    const timeout = sleep(opts.drainTimeoutMs ?? 30_000, "timeout" as const, { signal: timer.signal }).catch(
      () => "drained" as const,
    );
    if ((await Promise.race([drained, timeout])) === "timeout") stop.abort();
    timer.abort();
  }
  await Promise.all(active);
  client.close();
  opts.signal?.removeEventListener("abort", onAbort);
  return {
    startedAt,
    finishedAt: now(),
    aborted: opts.signal?.aborted ?? false,
    journeys,
    transactions,
    summary: summarise(transactions),
  };
}

function idsOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list
    .map((x: unknown) => (x as { id?: unknown }).id)
    .filter((id): id is string => typeof id === "string");
}
