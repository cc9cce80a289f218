/**
 * G1/G2/G3 with one service: auth-service v1 → v2 in steps under load, with a transaction the
 * scenario holds open itself from before the cutover until after it (the flip must wait for
 * it), slow users besides, and foreign routes that must survive.
 */
import { expect } from "vitest";
import type { RouteOriginal } from "../../../controller/engine/types.js";
import { describeWaits, gradeRemovals } from "../../../controller/local/demo/removal-grade.js";
import type { HTTPRoute } from "../../../istio/api/types.js";
import type { TransactionRecord } from "../../../sample-services/load/index.js";
import { sleep, startUsers, strategy } from "../harness.js";
import type { E2eBackend } from "./e2e-backend.js";
import { holdOneServedBy, releaseAll } from "./held-transaction.js";
import {
  createUpgrade,
  grade,
  secondsSince,
  tranquilRoutes,
  virtualServiceSpec,
  waitForEnd,
  waitUntil,
  type Scenario,
} from "./scenario-kit.js";

/** How long the held transaction stays open after the cutover is confirmed (well within the app's 30 s hold limit). */
const HELD_PAST_CUTOVER_MS = 3_000;

/** A user route that only a debugging client would hit (header `x-debug: 1`). */
export function debugRoute(host: string, port: number): HTTPRoute {
  return {
    name: "user-debug",
    match: [{ headers: { "x-debug": { exact: "1" } } }],
    route: [{ destination: { host, subset: "v1", port: { number: port } } }],
    timeout: "7s",
  };
}

/** Puts a user-owned route first in a service's VirtualService, as the user's own apply would. */
export function addUserRoute(b: E2eBackend, service: string, route: HTTPRoute): Promise<unknown> {
  return b.editVirtualService(service, (spec) => ({ ...spec, http: [route, ...(spec.http ?? [])] }), "user");
}

/** What Finalizing records on auth-service once {@link debugRoute} stands first: both routes' subsets v1 → v2. */
export function authOriginals(namespace: string): RouteOriginal[] {
  const edit = (route: string): RouteOriginal => ({
    namespace,
    virtualService: "auth-service",
    route,
    destinationIndex: 0,
    host: "auth-service",
    subset: "v1",
  });
  return [edit("user-debug"), edit("default")];
}

/** Slow transactions in flight at `at` (started before, ended after). */
function spanning(transactions: readonly TransactionRecord[], at: number): TransactionRecord[] {
  return transactions.filter((t) => t.slow && t.startedAt < at && t.startedAt + t.latencyMs > at);
}

/** The single-service upgrade. */
export const singleUpgrade: Scenario = {
  title:
    "auth-service v1 → v2 in steps: no mixed or failed transaction, removal after the last served request, foreign routes intact",
  needs: {},
  run: async (b) => {
    const began = Date.now();
    const gatewayVs = `${b.mesh.topology.gateway.name}-routes`;
    await addUserRoute(b, "station-service", debugRoute("station-service", 50054));
    await addUserRoute(b, "auth-service", debugRoute("auth-service", 50051));
    const stationBefore = await virtualServiceSpec(b, "station-service");
    const gatewayBefore = await virtualServiceSpec(b, gatewayVs);
    await sleep(500);

    const users = startUsers(b.mesh);
    // Users who always hold their order creation open between auth-service calls, so some
    // transaction always spans the cutover and the flip.
    const holders = startUsers(b.mesh, {
      ratePerSecond: 3,
      concurrency: 3,
      slowFraction: 1,
      slowDelayMs: { min: 2_500, max: 4_000 },
      stationsPerJourney: { min: 1, max: 1 },
    });
    await sleep(1_000);
    await createUpgrade(b, "auth-v2", {
      services: [{ name: "auth-service", from: "v1", to: "v2" }],
      strategy: strategy([25, 60, 100]),
    });
    // Deterministic G1 across the cutover: once the door is open (before the cutover), hold a
    // transaction that auth-service v1 served (non-enrolled) open until the cutover is confirmed
    // and a while after, then let it finish. The drain must wait for it: no flip, no removal.
    await waitUntil(b, "auth-v2", (u) => u.status.engine.instants.doorOpenAt !== null);
    const { chosen, all: held } = await holdOneServedBy(b.mesh.ingressUrl, "auth-service@v1");
    try {
      await waitUntil(b, "auth-v2", (u) => u.status.engine.instants.cutoverAt !== null);
      await sleep(HELD_PAST_CUTOVER_MS);
      const now = await b.upgrades().get({ namespace: b.namespace, name: "auth-v2" });
      expect(now.status.engine.instants.flipAt, "flipped while a v1 transaction was open").toBeNull();
      expect(
        await b.versionsOf("auth-service"),
        "v1 removed while a transaction it served was open",
      ).toContain("v1");
    } finally {
      releaseAll(held);
    }
    const heldAnswers = await Promise.all(held.map((t) => t.answer));
    const chosenAnswer = await chosen.answer;
    const final = await waitForEnd(b, "auth-v2");
    const load = await grade([users, holders]);
    const cutoverAt = final.status.engine.instants.cutoverAt;
    const atCutover = cutoverAt === null ? [] : spanning(load.transactions, cutoverAt);
    const grades = gradeRemovals(
      b.removals().filter((r) => r.service === "auth-service"),
      b.timings.bound,
      [final],
    );
    const g3 = grades[0];
    console.log(
      `[${b.name} e2e G1/G2/G3] auth v1→v2 ${final.status.phase} in ${secondsSince(began)} s; ${load.described}; ` +
        `${atCutover.length} slow transactions spanned the cutover; held ${held.length} (one served by v1 from ` +
        `${(final.status.engine.instants.cutoverAt ?? 0) - chosen.sentAt} ms before the cutover to ` +
        `${chosenAnswer.endedAt - (final.status.engine.instants.cutoverAt ?? 0)} ms after it, the flip ` +
        `${(final.status.engine.instants.flipAt ?? 0) - chosenAnswer.endedAt} ms after its end); ` +
        `G3: auth-service@v1 removed ${g3?.afterLastServedMs ?? "?"} ms after its last served request, ${g3?.afterLastNeededMs ?? "?"} ms after it was last needed ` +
        `(bound ${g3?.boundMs ?? "?"} ms = budget ${g3?.bound?.budgetMs ?? "?"} + uncontrolled ${g3?.bound?.uncontrolledMs ?? "?"}; waited for ${describeWaits(g3?.waited ?? {})})`,
    );

    expect(final.status.phase, final.status.engine.reason ?? "").toBe("Succeeded");
    expect(load.failed).toEqual([]);
    expect(load.mixed).toEqual([]);
    // Both versions really served users: the test exercised the shift.
    expect(load.versionsSeen("auth-service")).toEqual(["v1", "v2"]);
    expect(atCutover.every((t) => t.ok)).toBe(true);
    // The held transactions: each on one auth-service version end to end; the chosen one on v1,
    // sent before the cutover, answered after it, and the flip waited for its end.
    expect(heldAnswers.map((a) => a.status)).toEqual(held.map(() => 201));
    for (const a of heldAnswers)
      expect(
        new Set(a.servedBy.filter((x) => x.startsWith("auth-service@"))).size,
        a.servedBy.join(","),
      ).toBe(1);
    expect(chosenAnswer.servedBy).toContain("auth-service@v1");
    expect(chosenAnswer.servedBy.filter((x) => x.endsWith("@v2"))).toEqual([]);
    expect(chosen.sentAt).toBeLessThan(final.status.engine.instants.cutoverAt ?? -Infinity);
    expect(chosenAnswer.endedAt).toBeGreaterThan(final.status.engine.instants.cutoverAt ?? Infinity);
    expect(final.status.engine.instants.flipAt ?? -Infinity).toBeGreaterThan(chosenAnswer.endedAt);
    expect(await b.mesh.traceStore.violations()).toMatchObject({ total: 0 });

    // G3: removed no earlier than the old instances' own last served request, and within the
    // same bound the demo grades against (the controller's budget plus the measured waits it
    // does not control, ADR 0093).
    expect(grades).toHaveLength(1);
    expect(g3?.afterLastServedMs).not.toBeNull();
    expect(g3?.afterLastServedMs ?? -1).toBeGreaterThanOrEqual(0);
    expect(g3?.bound).not.toBeNull();
    expect(g3?.afterLastNeededMs ?? Infinity).toBeLessThanOrEqual(g3?.boundMs ?? 0);
    expect(await b.versionsOf("auth-service")).toEqual(["v2", "v2"]);

    // Foreign routes: untouched; the auth-service one only had its subset rewritten v1 → v2.
    expect(await virtualServiceSpec(b, "station-service")).toBe(stationBefore);
    expect(await virtualServiceSpec(b, gatewayVs)).toBe(gatewayBefore);
    const auth = (await b.virtualServices()).find((vs) => vs.metadata.name === "auth-service");
    expect(auth?.spec.http?.find((r) => r.name === "user-debug")).toEqual({
      ...debugRoute("auth-service", 50051),
      route: [{ destination: { host: "auth-service", subset: "v2", port: { number: 50051 } } }],
    });
    expect(await tranquilRoutes(b)).toEqual([]);
    // The edits are recorded in the status; their copy on the VirtualService is gone.
    expect(final.status.engine.originals).toEqual(authOriginals(b.namespace));
    expect(auth?.metadata.annotations?.[`originals.tranquil.dev/${final.id}`]).toBeUndefined();
  },
};
