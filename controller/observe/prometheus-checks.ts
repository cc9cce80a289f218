/**
 * Evaluating the spec's Prometheus checks through the MetricsQuery port, for the analysis
 * between steps: the queries prometheus-plan.ts renders for the upgrade, each run once. A
 * failed query is reported with its error, never as a made-up value.
 */
import { planChecks } from "../upgrade-spec/prometheus-plan.js";
import type { UpgradeSpec } from "../engine/types.js";
import type { MetricsQuery } from "../ports/metrics-query.js";

/** Values by rendered query (null: no sample) and errors by rendered query. */
export interface PrometheusFigures {
  readonly values: Readonly<Record<string, number | null>>;
  readonly errors: Readonly<Record<string, string>>;
}

/** Runs every distinct planned query of `spec` (an upgrade in `namespace`) at `at`; without a provider, every query errs. */
export async function prometheusChecks(
  spec: UpgradeSpec,
  namespace: string,
  provider: MetricsQuery | undefined,
  at: number,
  timeoutMs: number,
): Promise<PrometheusFigures> {
  const queries = [...new Set(planChecks(spec, namespace).map((c) => c.query))];
  const values: Record<string, number | null> = {};
  const errors: Record<string, string> = {};
  await Promise.all(
    queries.map(async (query) => {
      if (provider === undefined) {
        errors[query] = "no Prometheus provider is configured";
        return;
      }
      try {
        const result = await provider.instant(query, at, timeoutMs);
        if (result.ok) values[query] = result.value;
        else errors[query] = result.error;
      } catch (err) {
        errors[query] = err instanceof Error ? err.message : String(err);
      }
    }),
  );
  return { values, errors };
}
