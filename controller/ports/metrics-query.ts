/**
 * The MetricsQuery port: a PromQL instant query with a timeout, for the spec's Prometheus
 * checks. A backend without a provider has none, and Validating refuses specs that need one.
 */

/** The outcome of one instant query. */
export type MetricsQueryResult =
  { readonly ok: true; readonly value: number | null } | { readonly ok: false; readonly error: string };

/** Evaluates PromQL instant queries. */
export interface MetricsQuery {
  /** A short name for messages, e.g. the provider's address. */
  readonly describe: string;
  /**
   * Evaluates `query` at `at` (ms) within `timeoutMs`. The value is the single sample's value,
   * or null when the query returned no sample; several samples or a failure give `ok: false`.
   */
  instant(query: string, at: number, timeoutMs: number): Promise<MetricsQueryResult>;
}
