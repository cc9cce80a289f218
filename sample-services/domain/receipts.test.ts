import { describe, expect, it } from "vitest";
import { RECEIPT_SCHEMES, ReceiptSigner } from "./receipts.js";

const claims = { orderId: "o-1", signerPhone: "+15552220000", signedAtMs: 5, totalCents: 700 };

describe("ReceiptSigner", () => {
  it.each([
    ["v1", "v2"],
    ["v2", "v1"],
    ["v1", "v1"],
    ["v2", "v2"],
  ] as const)("verifies a receipt signed by %s on %s (receipts are persisted)", (signer, verifier) => {
    const receipt = new ReceiptSigner(signer, "k").sign(claims);
    expect(receipt.scheme).toBe(RECEIPT_SCHEMES[signer]);
    expect(new ReceiptSigner(verifier, "k").verify("o-1", receipt)).toBeNull();
  });

  it("refuses tampered receipts and unknown schemes", () => {
    const signer = new ReceiptSigner("v2", "k");
    const r = signer.sign(claims);
    expect(signer.verify("o-2", r)).toBe("signature does not match");
    expect(signer.verify("o-1", { ...r, totalCents: 1 })).toBe("signature does not match");
    expect(signer.verify("o-1", { ...r, scheme: "rot13" })).toMatch(/unknown receipt scheme/);
    expect(new ReceiptSigner("v1", "other").verify("o-1", r)).toBe("signature does not match");
  });
});
