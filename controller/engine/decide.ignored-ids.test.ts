import { describe, expect, it } from "vitest";
import { decodeStatus, encodeStatus } from "../kubernetes/upgrades/status-codec.js";
import { Harness, specFor } from "./testing/harness.js";
import type { Action, Observations, PodObservation } from "./types.js";

type Fact = NonNullable<PodObservation["ignoredRequestIds"]>;

/** The engine harness, with pods that report the ids their TraceManager refused. */
class RefusingHarness extends Harness {
  readonly refused = new Map<string, Fact>();

  /** The pod's TraceManager refuses `n` more ids now. */
  refuse(pod: string, n = 1): void {
    const total = (this.refused.get(pod)?.total ?? 0) + n;
    this.refused.set(pod, { total, lastAt: this.now });
  }

  override observations(): Observations {
    const obs = super.observations();
    return {
      ...obs,
      pods: obs.pods.map((p) => {
        const fact = this.refused.get(p.name);
        return fact === undefined ? p : { ...p, ignoredRequestIds: fact };
      }),
    };
  }
}

type EventAction = Extract<Action, { kind: "recordEvent" }>;

const refusalEvents = (h: Harness): EventAction[] =>
  h.log.filter((a): a is EventAction => a.kind === "recordEvent" && a.reason === "RequestIdsIgnored");

describe("decide(): pods that refused x-request-ids during the drain are reported (ADR 0084)", () => {
  it("reports nothing for ids refused before the drain", () => {
    const h = new RefusingHarness(specFor());
    h.refuse("reviews-v1-a", 4);
    h.runUntil((x) => x.status.phase === "Finalizing");
    expect(refusalEvents(h)).toEqual([]);
    expect(h.status.history.find((l) => l.phase === "Finalizing")?.message).toBe(
      "old is tranquil; finalizing",
    );
  });

  it("warns once per new count, names the pods, does not hold the drain, and notes them in the history", () => {
    const h = new RefusingHarness(specFor());
    h.refuse("reviews-v1-a", 2);
    h.runUntil((x) => x.status.phase === "Draining");
    h.tick();
    expect(refusalEvents(h)).toEqual([]);

    h.refuse("reviews-v1-a", 1);
    h.refuse("gw-1", 5);
    h.tick();
    h.tick();
    const first = refusalEvents(h);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ type: "Warning" });
    expect(first[0]?.message).toContain("gw-1 (5 since its TraceManager started)");
    expect(first[0]?.message).toContain("reviews-v1-a (3 since its TraceManager started)");
    expect(first[0]?.message).toContain("tranquil_tm_ignored_request_ids_total");
    expect(h.status.engine.ignoredRequestIdsReported).toEqual({ "gw-1": 5, "reviews-v1-a": 3 });

    // A new refusal at one pod: one more event, naming only that pod.
    h.refuse("gw-1", 1);
    h.tick();
    const second = refusalEvents(h).slice(1);
    expect(second).toHaveLength(1);
    expect(second[0]?.message).toContain("gw-1 (6 since");
    expect(second[0]?.message).not.toContain("reviews-v1-a");

    // The drain is not held by it, and the line that ends it names the pods.
    h.runUntil((x) => x.status.phase === "Finalizing");
    expect(refusalEvents(h)).toHaveLength(2);
    expect(h.status.history.find((l) => l.phase === "Finalizing")?.message).toBe(
      "old is tranquil; finalizing; x-request-id values were refused during the drain by gw-1, reviews-v1-a (see the RequestIdsIgnored events and tranquil_tm_ignored_request_ids_total)",
    );
  });

  it("keeps what it reported across a restart (the record is stored in Upgrade.status)", () => {
    const h = new RefusingHarness(specFor());
    h.runUntil((x) => x.status.phase === "Draining");
    h.refuse("gw-1", 1);
    h.tick();
    expect(refusalEvents(h)).toHaveLength(1);
    // A restarted controller decides from the status as the API server stored it: the same count is not reported again.
    h.status = decodeStatus(JSON.parse(JSON.stringify(encodeStatus(h.status))));
    expect(h.status.engine.ignoredRequestIdsReported).toEqual({ "gw-1": 1 });
    for (let i = 0; i < 5; i++) h.tick();
    expect(refusalEvents(h)).toHaveLength(1);
  });
});
