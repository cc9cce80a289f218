import { createHmac, timingSafeEqual } from "node:crypto";
import type { ReceiptRecord } from "../store/records.js";
import type { Behaviour } from "./behaviour-version.js";
import { deriveKey } from "./keys.js";

/** Receipt signature schemes. v2 also signs the order total. */
export const RECEIPT_SCHEMES = {
  v1: "hmac-sha256/v1",
  v2: "hmac-sha512/v2",
} as const;

/** What a receipt signs. */
export interface ReceiptClaims {
  readonly orderId: string;
  readonly signerPhone: string;
  readonly signedAtMs: number;
  readonly totalCents: number;
}

/**
 * Order receipts are persisted, so both versions verify both schemes (expand), while each
 * signs with its own. Dropping the v1 scheme (contract) is only safe once no running version
 * signs with it and no stored receipt needs it.
 */
export class ReceiptSigner {
  readonly #keys: Record<Behaviour, Buffer>;

  constructor(
    private readonly behaviour: Behaviour,
    secret: string,
  ) {
    this.#keys = { v1: deriveKey(secret, "receipt/v1"), v2: deriveKey(secret, "receipt/v2") };
  }

  /** Signs with this version's scheme. */
  sign(claims: ReceiptClaims): ReceiptRecord {
    const scheme = RECEIPT_SCHEMES[this.behaviour];
    return {
      signerPhone: claims.signerPhone,
      signedAtMs: claims.signedAtMs,
      totalCents: claims.totalCents,
      scheme,
      signature: this.#signature(this.behaviour, claims),
    };
  }

  /** Verifies a receipt of either scheme; returns why not, or null when valid. */
  verify(orderId: string, receipt: ReceiptRecord): string | null {
    const behaviour =
      receipt.scheme === RECEIPT_SCHEMES.v1 ? "v1" : receipt.scheme === RECEIPT_SCHEMES.v2 ? "v2" : null;
    if (behaviour === null) return `unknown receipt scheme "${receipt.scheme}"`;
    const expected = Buffer.from(this.#signature(behaviour, { ...receipt, orderId }));
    const actual = Buffer.from(receipt.signature);
    return expected.length === actual.length && timingSafeEqual(expected, actual)
      ? null
      : "signature does not match";
  }

  #signature(behaviour: Behaviour, c: ReceiptClaims): string {
    if (behaviour === "v1") {
      return createHmac("sha256", this.#keys.v1)
        .update(`${c.orderId}|${c.signerPhone}|${c.signedAtMs}`)
        .digest("hex");
    }
    return createHmac("sha512", this.#keys.v2)
      .update(JSON.stringify([c.orderId, c.signerPhone, c.signedAtMs, c.totalCents]))
      .digest("base64url");
  }
}
