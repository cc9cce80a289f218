/**
 * A GitOps writer reverts auth-service's VirtualService to its declared spec mid-upgrade: the
 * controller reports it through its GitOpsRevert condition, stops enrolment and waits for the
 * user, and does not fight the writer (the reverted VirtualService stays as the writer left
 * it). An abort then rolls back to v1 with the routes as declared. Transactions enrolled on v2
 * when the writer struck may break (their routes are gone: DESIGN §4.6 promises a condition,
 * not G1, against an outside writer); none begun once the revert has settled may.
 */
import { expect } from "vitest";
import type { VirtualServiceSpec } from "../../../istio/api/types.js";
import type { TransactionRecord } from "../../../sample-services/load/index.js";
import { sleep, startUsers } from "../harness.js";
import {
  grade,
  virtualServiceSpec,
  virtualServiceSpecs,
  waitForEnd,
  waitUntil,
  startHeldAtHalf,
  type Scenario,
} from "./scenario-kit.js";

/** How long the reverted VirtualService is watched for a write of the controller's. */
const NO_FIGHT_MS = 5_000;

/** The GitOps-revert scenario. */
export const gitOpsRevert: Scenario = {
  title:
    "a GitOps writer reverting a VirtualService mid-upgrade is reported by a condition, not fought; abort rolls back",
  needs: {},
  run: async (b) => {
    const routesBefore = await virtualServiceSpecs(b);
    const declared = routesBefore.get("auth-service");
    if (declared === undefined) throw new Error("e2e: no VirtualService auth-service");
    const users = startUsers(b.mesh);
    await sleep(1_000);
    await startHeldAtHalf(b, "auth-v2");
    const tranquils = await virtualServiceSpec(b, "auth-service");
    // The writer syncs the spec in git over the live one, as a self-healing GitOps tool would.
    const reverted = JSON.stringify(
      await b.editVirtualService(
        "auth-service",
        () => JSON.parse(declared) as VirtualServiceSpec,
        "gitops-writer",
      ),
    );
    const revertedAt = Date.now();
    const reported = await waitUntil(
      b,
      "auth-v2",
      (u) => u.status.conditions.some((c) => c.type === "GitOpsRevert" && c.status === "True"),
      30_000,
    );
    const reportedMs = Date.now() - revertedAt;
    // By then the writer's spec has reached every proxy and weight 0 every gateway.
    const settledAt = Date.now() + b.timings.bound.terms["twoConfirmedPushes"]!;
    const seen = new Set<string>();
    const watchUntil = Date.now() + NO_FIGHT_MS;
    while (Date.now() < watchUntil) {
      seen.add((await virtualServiceSpec(b, "auth-service")) ?? "gone");
      await sleep(200);
    }
    const held = await b.upgrades().get({ namespace: b.namespace, name: "auth-v2" });
    const condition = held.status.conditions.find((c) => c.type === "GitOpsRevert");
    const waiting = held.status.conditions.find((c) => c.type === "Waiting" && c.status === "True");
    const abort = await b.command("auth-v2", "abort");
    const final = await waitForEnd(b, "auth-v2");
    const load = await grade([users]);
    const after = (broken: (t: TransactionRecord) => boolean): string[] =>
      load.transactions
        .filter((t) => t.startedAt >= settledAt && broken(t))
        .map((t) => `${t.kind} ${t.status} ${t.error ?? ""} ${t.servedBy.join(",")}`);
    console.log(
      `[${b.name} e2e GitOps revert] reported after ${reportedMs} ms in ${reported.status.phase}: ${condition?.reason}: ${condition?.message}; ` +
        `${seen.size} distinct spec(s) in ${NO_FIGHT_MS / 1000} s; held ${held.status.phase} weight ${held.status.weight}, waiting ${waiting?.reason}; ` +
        `abort ${abort.status} → ${final.status.phase}; ${load.described}`,
    );

    expect(tranquils).not.toBe(declared);
    expect(reverted).toBe(declared);
    expect(condition?.status).toBe("True");
    expect(condition?.message).toMatch(/GitOps/);
    // Not fought: the writer's spec stood, unchanged, the whole time.
    expect([...seen]).toEqual([declared]);
    expect(held.status.phase).toBe("Shifting");
    expect(held.status.weight).toBe(0);
    expect(waiting?.reason).toBe("GitOpsRevert");
    expect(abort.status).toBe(200);
    expect(final.status.phase).toBe("RolledBack");
    // The writer took away the routes of transactions already enrolled on v2 (Tranquil cannot
    // prevent that); every transaction begun once the revert settled is whole and answered.
    expect(after((t) => !t.ok)).toEqual([]);
    expect(after((t) => Object.keys(t.mixed).length > 0)).toEqual([]);
    expect(await b.versionsOf("auth-service")).toEqual(["v1", "v1"]);
    expect(await virtualServiceSpecs(b)).toEqual(routesBefore);
  },
};
