/**
 * What `tranquil status <name>` says about the drain's waits (ADR 0093), from a record's wait log
 * through the API's view.
 */
import { describe, expect, it } from "vitest";
import { toView } from "../api/view.js";
import { initialStatus } from "../engine/status.js";
import { recordWith } from "../ports/testing/upgrade-fixtures.js";
import type { UpgradeRecord } from "../ports/upgrade-store.js";
import { renderUpgradeDetails } from "./status-view.js";

function record(waitLog?: UpgradeRecord["status"]["engine"]["waitLog"]): UpgradeRecord {
  const status = initialStatus(0);
  return recordWith({
    ...status,
    phase: "Draining",
    engine: { ...status.engine, ...(waitLog === undefined ? {} : { waitLog }) },
  });
}

describe("the drain's waits in the status", () => {
  it("are summed by term in the API's view, in seconds, and printed largest first", () => {
    const view = toView(
      record([
        { reason: "Unconfirmed", since: 1_000, ms: 1_400, ticks: 5 },
        { reason: "Grace", since: 2_400, ms: 500, ticks: 2 },
        { reason: "Settling", since: 2_900, ms: 1_000, ticks: 4 },
        { reason: "Certifying", since: 3_900, ms: 260, ticks: 1 },
        { reason: "Settling", since: 4_160, ms: 1_040, ticks: 4, open: true },
      ]),
    );
    expect(view.status.drainWaits).toEqual({ confirmations: 1.4, grace: 0.5, settle: 2, certifying: 0.3 });
    expect(renderUpgradeDetails(view)).toContain(
      "drain:       waited for settle 2s, confirmations 1.4s, grace 500ms, certifying 300ms",
    );
  });

  it("are absent before the cutover", () => {
    const view = toView(record());
    expect(view.status.drainWaits).toBeUndefined();
    expect(renderUpgradeDetails(view).some((l) => l.startsWith("drain:"))).toBe(false);
  });
});

describe("a webhook gate in the status (ADR 0098)", () => {
  it("is printed among the conditions, naming the gate and its answer, with the wait", () => {
    const status = initialStatus(0);
    const message =
      'step 50% passed; holding before weight 100% (the cutover): confirm-promotion "qa-signoff" said no: HTTP 403';
    const view = toView(
      recordWith({
        ...status,
        phase: "Shifting",
        conditions: [
          { type: "Gate", status: "True", reason: "ConfirmPromotion", message, lastTransitionTime: 1_000 },
          { type: "Waiting", status: "True", reason: "Gate", message, lastTransitionTime: 1_000 },
        ],
      }),
    );
    const lines = renderUpgradeDetails(view);
    expect(lines).toContain(`  Gate=True ConfirmPromotion: ${message}`);
    expect(lines).toContain(`waiting:     Gate: ${message}`);
  });
});
