/**
 * The behaviour a release runs: v1 or v2 rules for challenges, receipts, tokens and fees.
 * Services without version-specific behaviour ignore it.
 */
export type Behaviour = "v1" | "v2";

/** Default behaviour of a release version: `v2`, `v2.1`, `v2-rc1`… run v2; everything else v1. */
export function behaviourOf(version: string): Behaviour {
  return /^v2($|[.\-_+])/.test(version) ? "v2" : "v1";
}
