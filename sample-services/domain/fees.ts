import type { OrderLine } from "../store/records.js";

/** A priced order: goods, fee and total in cents, and the rule that priced it. */
export interface Quote {
  readonly goodsCents: number;
  readonly feeCents: number;
  readonly totalCents: number;
  readonly feeRule: string;
  /** Only written by v2 (an expand-only field; v1 ignores and preserves it). */
  readonly feeBreakdown?: {
    readonly baseCents: number;
    readonly perUnitCents: number;
    readonly units: number;
  };
}

/** Fee rules by order-service version. */
export const FEE_RULES = {
  v1: "flat/v1",
  v2: "per-unit/v2",
} as const;

const V1_FLAT_FEE_CENTS = 500;
const V2_BASE_CENTS = 200;
const V2_PER_UNIT_CENTS = 75;

/**
 * Prices goods lines. v1 charges a flat fee; v2 a base plus a per-unit fee. The rule is chosen
 * by version at start-up, and the rule that priced an order is stored with it, so either
 * version reads orders priced by the other.
 */
export function priceOrder(version: "v1" | "v2", goods: readonly OrderLine[]): Quote {
  const goodsCents = goods.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
  if (version === "v1") {
    return {
      goodsCents,
      feeCents: V1_FLAT_FEE_CENTS,
      totalCents: goodsCents + V1_FLAT_FEE_CENTS,
      feeRule: FEE_RULES.v1,
    };
  }
  const units = goods.reduce((sum, l) => sum + l.quantity, 0);
  const feeCents = V2_BASE_CENTS + V2_PER_UNIT_CENTS * units;
  return {
    goodsCents,
    feeCents,
    totalCents: goodsCents + feeCents,
    feeRule: FEE_RULES.v2,
    feeBreakdown: { baseCents: V2_BASE_CENTS, perUnitCents: V2_PER_UNIT_CENTS, units },
  };
}
