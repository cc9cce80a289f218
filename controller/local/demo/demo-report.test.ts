/**
 * The demo report's terminal rendering: an upgrade's reason is shown with its percentages
 * rounded, as the CLI shows them.
 */
import { describe, expect, it } from "vitest";
import { renderReport, type DemoReport } from "./demo-report.js";

describe("renderReport", () => {
  it("rounds the percentages in an upgrade's reason", () => {
    const report = {
      scenario: "bad-release",
      startedAt: new Date(0).toISOString(),
      durationSeconds: 60,
      store: "memory",
      upgrades: [
        {
          name: "order-service-v2",
          services: ["order-service v1→v2"],
          phase: "RolledBack",
          expectedPhase: "RolledBack",
          durationSeconds: 68.2,
          reason: "analysis failed: order-service@v2: success rate 42.857142857142854% < 99%",
        },
      ],
      transactions: 10,
      failedRequests: 0,
      failedByUpgrade: 0,
      mixedVersionTransactions: 0,
      traceManagerViolations: 0,
      removals: [],
      g3Bound: { totalMs: 1000 },
      load: { latencyMs: { p50: 1, p95: 2, p99: 3, max: 4 } },
      ok: true,
    } as unknown as DemoReport;
    const line = renderReport(report, "/tmp/report.json").find((l) => l.includes("order-service-v2"));
    expect(line).toContain("(analysis failed: order-service@v2: success rate 42.9% < 99%)");
    expect(line).toContain("  68.2 s  ok");
  });
});
