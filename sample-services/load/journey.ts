import { DELAY_HEADER } from "../api/route-helpers.js";
import type { LoadRequest, LoadResponse } from "./http-client.js";
import type { Range } from "./types.js";

/** What one journey needs from the run. */
export interface JourneyDeps {
  /** Sends one transaction and records it. */
  readonly send: (req: LoadRequest) => Promise<LoadResponse>;
  /** Waits, unless the run is stopping. */
  readonly pause: (ms: number) => Promise<void>;
  /** True once the run is aborted (caller's signal or drain timeout). */
  readonly stopping: () => boolean;
  readonly random: () => number;
  /** Unique to the run, so phones do not collide with other runs on one store. */
  readonly runTag: string;
  readonly stations: readonly string[];
  readonly items: readonly string[];
  readonly staffToken: string | undefined;
  readonly think: Range;
  readonly stationsPerJourney: Range;
  readonly slowFraction: number;
  readonly slowDelay: Range;
}

/** How a journey ended. */
export type JourneyOutcome = "completed" | "failed" | "abandoned";

/**
 * One simulated user's journey: register sender and receiver, the sender logs in and creates an
 * order (sometimes slow), staff scan it in and out at each station of its route, the receiver
 * logs in and receives it, the sender reads it. Stops at the first failed step.
 */
export async function runJourney(n: number, d: JourneyDeps): Promise<JourneyOutcome> {
  const pick = (r: Range): number => Math.round(r.min + d.random() * (r.max - r.min));
  const failed = (r: LoadResponse): "failed" | "abandoned" =>
    d.stopping() && r.record.status === 0 ? "abandoned" : "failed";
  // Phones wrap after 5,000 journeys; a wrapped phone is registered already (409) and logs in.
  const phoneOf = (who: number): string => `+1${d.runTag}${String((n * 2 + who) % 10_000).padStart(4, "0")}`;
  const sender = { phone: phoneOf(0), name: `Sender ${n}`, password: `pw-${phoneOf(0)}` };
  const receiver = { phone: phoneOf(1), name: `Receiver ${n}`, password: `pw-${phoneOf(1)}` };

  for (const u of [sender, receiver]) {
    const r = await d.send({ journey: n, kind: "register", method: "POST", path: "/users", body: u });
    if (!r.record.ok && r.record.status !== 409) return failed(r);
  }
  const login = await d.send({
    journey: n,
    kind: "login",
    method: "POST",
    path: "/sessions",
    body: { phone: sender.phone, password: sender.password },
  });
  const senderToken = login.body?.token;
  if (!login.record.ok || typeof senderToken !== "string") return failed(login);

  await d.pause(pick(d.think));
  const slow = d.random() < d.slowFraction;
  const item = d.items[Math.floor(d.random() * d.items.length)] ?? "";
  const route = shuffle(d.stations, d.random).slice(0, Math.max(1, pick(d.stationsPerJourney)));
  const create = await d.send({
    journey: n,
    kind: "create-order",
    method: "POST",
    path: "/orders",
    token: senderToken,
    slow,
    ...(slow ? { headers: { [DELAY_HEADER]: String(pick(d.slowDelay)) } } : {}),
    body: {
      receiver: { phone: receiver.phone, name: receiver.name },
      goods: [{ itemId: item, quantity: 1 + Math.floor(d.random() * 3) }],
      fromStationId: route[0] ?? "",
      toStationId: route.at(-1) ?? "",
    },
  });
  const orderId = (create.body?.order as { id?: unknown } | undefined)?.id;
  if (!create.record.ok || typeof orderId !== "string") return failed(create);

  for (const stationId of route) {
    for (const direction of ["in", "out"] as const) {
      await d.pause(pick(d.think));
      const s = await d.send({
        journey: n,
        kind: "scan",
        method: "POST",
        path: `/orders/${orderId}/scan`,
        ...(d.staffToken !== undefined ? { token: d.staffToken } : {}),
        body: { stationId, direction },
      });
      if (!s.record.ok) return failed(s);
    }
  }

  await d.pause(pick(d.think));
  const rLogin = await d.send({
    journey: n,
    kind: "login",
    method: "POST",
    path: "/sessions",
    body: { phone: receiver.phone, password: receiver.password },
  });
  const receiverToken = rLogin.body?.token;
  if (!rLogin.record.ok || typeof receiverToken !== "string") return failed(rLogin);
  const rec = await d.send({
    journey: n,
    kind: "receive",
    method: "POST",
    path: `/orders/${orderId}/receive`,
    token: receiverToken,
  });
  if (!rec.record.ok) return failed(rec);

  await d.pause(pick(d.think));
  const get = await d.send({
    journey: n,
    kind: "get-order",
    method: "GET",
    path: `/orders/${orderId}`,
    token: senderToken,
  });
  return get.record.ok ? "completed" : failed(get);
}

function shuffle<T>(xs: readonly T[], random: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}
