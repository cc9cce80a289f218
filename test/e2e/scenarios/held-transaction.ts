/**
 * Transactions a scenario holds open itself, so one is in flight across the moments it
 * chooses (the cutover and the flip) instead of hoping the load produces one: `POST /orders`
 * through the ingress with the hold header waits after its first auth-service call until the
 * scenario releases it (sample-services/api/transaction-holds.ts; the apps run in the test's
 * process on both backends).
 */
import { randomUUID } from "node:crypto";
import { HOLD_HEADER, transactionHolds } from "../../../sample-services/api/transaction-holds.js";
import { sleep } from "../harness.js";

/** One held transaction: when it was sent, what it touched before the hold, and its answer. */
export interface HeldTransaction {
  readonly name: string;
  readonly sentAt: number;
  /** servedBy when it reached the hold (its first auth-service call included). */
  readonly heldServedBy: readonly string[];
  /** Its HTTP status, final servedBy and when the answer came. */
  readonly answer: Promise<{ status: number; servedBy: string[]; endedAt: number }>;
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A user of the logistics API with a session, registered through the ingress. */
export async function sessionToken(ingressUrl: string): Promise<string> {
  const phone = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
  await postJson(`${ingressUrl}/users`, { phone, name: "Holder", password: "password1" });
  const token = (await postJson(`${ingressUrl}/sessions`, { phone, password: "password1" })).body["token"];
  if (typeof token !== "string") throw new Error("e2e: no session token for the held transaction");
  return token;
}

/** Opens one held order through the ingress and waits until it is held. */
export async function openHeldTransaction(ingressUrl: string, token: string): Promise<HeldTransaction> {
  const name = `held-${randomUUID()}`;
  const sentAt = Date.now();
  const answer = postJson(
    `${ingressUrl}/orders`,
    {
      receiver: { phone: "+15557654300", name: "Receiver" },
      goods: [{ itemId: "item-tea", quantity: 1 }],
      fromStationId: "st-hub",
      toStationId: "st-west",
    },
    { authorization: `Bearer ${token}`, [HOLD_HEADER]: name },
  ).then((a) => ({
    status: a.status,
    servedBy: Array.isArray(a.body["servedBy"]) ? (a.body["servedBy"] as string[]) : [],
    endedAt: Date.now(),
  }));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const heldServedBy = transactionHolds.held(name);
    if (heldServedBy !== undefined) return { name, sentAt, heldServedBy, answer };
    if (Date.now() > deadline) {
      const a = await Promise.race([answer, sleep(1_000).then(() => undefined)]);
      throw new Error(`e2e: the held order never reached its hold (answer ${JSON.stringify(a)})`);
    }
    await sleep(10);
  }
}

/**
 * Opens held transactions until one touched `want` before its hold (a weighted split decides
 * which version a new transaction gets), at most `max`; returns them all (each must be released).
 */
export async function holdOneServedBy(
  ingressUrl: string,
  want: string,
  max = 20,
): Promise<{ chosen: HeldTransaction; all: HeldTransaction[] }> {
  const token = await sessionToken(ingressUrl);
  const all: HeldTransaction[] = [];
  while (all.length < max) {
    const t = await openHeldTransaction(ingressUrl, token);
    all.push(t);
    if (t.heldServedBy.includes(want)) return { chosen: t, all };
  }
  for (const t of all) transactionHolds.release(t.name);
  throw new Error(`e2e: none of ${max} held transactions was served by ${want} before its hold`);
}

/** Releases held transactions (a scenario calls it in `finally`, too). */
export function releaseAll(held: readonly HeldTransaction[]): void {
  for (const t of held) transactionHolds.release(t.name);
}
