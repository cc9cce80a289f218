import { createHmac } from "node:crypto";

/** The sample's default shared secret (override with AUTH_SECRET; every version must share it). */
export const DEFAULT_SECRET = "tranquil-sample-secret";

/** Derives a purpose-specific key from the shared secret, so schemes never share a key. */
export function deriveKey(secret: string, purpose: string): Buffer {
  return createHmac("sha256", secret).update(purpose).digest();
}
