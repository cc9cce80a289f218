import type { LoadSummary, TransactionRecord } from "./types.js";

const EXAMPLES = 5;

/** Nearest-rank percentile of sorted values (0 when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/** Summarises transactions: failures, mixed-version transactions, versions seen and latency. */
export function summarise(transactions: readonly TransactionRecord[]): LoadSummary {
  const failed = transactions.filter((t) => !t.ok);
  const mixed = transactions.filter((t) => Object.keys(t.mixed).length > 0);
  const failuresByStatus: Record<string, number> = {};
  for (const t of failed) failuresByStatus[String(t.status)] = (failuresByStatus[String(t.status)] ?? 0) + 1;
  const versionsSeen: Record<string, Record<string, number>> = {};
  for (const t of transactions) {
    for (const entry of t.servedBy) {
      const at = entry.lastIndexOf("@");
      if (at <= 0) continue;
      const service = entry.slice(0, at);
      const version = entry.slice(at + 1);
      const perService = (versionsSeen[service] ??= {});
      perService[version] = (perService[version] ?? 0) + 1;
    }
  }
  const latencies = transactions.map((t) => t.latencyMs).sort((a, b) => a - b);
  return {
    total: transactions.length,
    succeeded: transactions.length - failed.length,
    failed: failed.length,
    mixed: mixed.length,
    failuresByStatus,
    failureExamples: failed.slice(0, EXAMPLES),
    mixedExamples: mixed.slice(0, EXAMPLES),
    versionsSeen,
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? 0,
    },
  };
}
