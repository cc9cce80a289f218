import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Behaviour } from "./behaviour-version.js";
import { deriveKey } from "./keys.js";

/** How long a challenge stays valid: transactions, even slow ones, last seconds. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

/** Why a challenge failed verification. `mixed` is the cross-version failure of the contract. */
export type ChallengeFailure =
  | { readonly kind: "mixed"; readonly issuer: string; readonly message: string }
  | { readonly kind: "malformed" | "forged" | "other-transaction" | "expired"; readonly message: string };

/**
 * The transaction-scoped challenge of auth-service. It is never persisted: it is an HMAC over a
 * nonce, the issue time, the issuing release and the transaction id. Each behaviour has its own
 * format and key, and a challenge only verifies at the release that issued it, so a transaction
 * whose two auth calls land on different versions fails.
 */
export class ChallengeScheme {
  readonly #key: Buffer;

  constructor(
    private readonly behaviour: Behaviour,
    private readonly version: string,
    secret: string,
    private readonly now: () => number = Date.now,
  ) {
    this.#key = deriveKey(secret, `challenge/${behaviour}`);
  }

  /** Issues a challenge bound to `requestId`. */
  issue(requestId: string): string {
    const nonce = randomBytes(12).toString("base64url");
    const at = this.now();
    if (this.behaviour === "v1") {
      const v = Buffer.from(this.version).toString("base64url");
      const body = `c1.${v}.${nonce}.${at}`;
      return `${body}.${this.#mac("sha256", `${body}|${requestId}`)}`;
    }
    const body = `c2:${Buffer.from(JSON.stringify({ v: this.version, n: nonce, t: at })).toString("base64url")}`;
    return `${body}:${this.#mac("sha512", `${body}|${requestId}`)}`;
  }

  /** Verifies a challenge for `requestId`; null when valid. */
  verify(challenge: string, requestId: string): ChallengeFailure | null {
    const parsed = parseChallenge(challenge);
    if (parsed === null) return { kind: "malformed", message: "challenge is malformed" };
    if (parsed.behaviour !== this.behaviour || parsed.version !== this.version) {
      const issuer = `auth-service@${parsed.version}`;
      return {
        kind: "mixed",
        issuer,
        message:
          `challenge was issued by ${issuer} but verified by auth-service@${this.version}, which cannot verify it: ` +
          `transaction served by two auth-service versions`,
      };
    }
    const expected = this.#mac(
      parsed.behaviour === "v1" ? "sha256" : "sha512",
      `${parsed.body}|${requestId}`,
    );
    if (!sameText(expected, parsed.mac)) {
      // A valid MAC for another request id would be a replay into another transaction.
      return { kind: "other-transaction", message: "challenge is forged or belongs to another transaction" };
    }
    const age = this.now() - parsed.issuedAtMs;
    if (age > CHALLENGE_TTL_MS)
      return { kind: "expired", message: `challenge expired ${age} ms after issue` };
    return null;
  }

  #mac(alg: "sha256" | "sha512", data: string): string {
    return createHmac(alg, this.#key).update(data).digest("base64url");
  }
}

interface ParsedChallenge {
  readonly behaviour: Behaviour;
  readonly version: string;
  readonly issuedAtMs: number;
  readonly body: string;
  readonly mac: string;
}

/** Parses either format far enough to name the issuing release; null when neither. */
export function parseChallenge(challenge: string): ParsedChallenge | null {
  if (challenge.startsWith("c1.")) {
    const parts = challenge.split(".");
    if (parts.length !== 5) return null;
    const [, v, , at, mac] = parts;
    if (v === undefined || at === undefined || mac === undefined || !/^[0-9]+$/.test(at)) return null;
    return {
      behaviour: "v1",
      version: Buffer.from(v, "base64url").toString("utf8"),
      issuedAtMs: Number(at),
      body: parts.slice(0, 4).join("."),
      mac,
    };
  }
  if (challenge.startsWith("c2:")) {
    const parts = challenge.split(":");
    if (parts.length !== 3) return null;
    const [, payload, mac] = parts;
    if (payload === undefined || mac === undefined) return null;
    try {
      const p = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
        v?: unknown;
        t?: unknown;
      };
      if (typeof p.v !== "string" || typeof p.t !== "number") return null;
      return { behaviour: "v2", version: p.v, issuedAtMs: p.t, body: `c2:${payload}`, mac };
    } catch {
      return null;
    }
  }
  return null;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
