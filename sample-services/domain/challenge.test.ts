import { describe, expect, it } from "vitest";
import { CHALLENGE_TTL_MS, ChallengeScheme, parseChallenge } from "./challenge.js";

const SECRET = "s";

describe("ChallengeScheme", () => {
  it.each(["v1", "v2"] as const)("verifies its own %s challenge for the same transaction only", (b) => {
    const scheme = new ChallengeScheme(b, b, SECRET);
    const c = scheme.issue("req-1");
    expect(scheme.verify(c, "req-1")).toBeNull();
    expect(scheme.verify(c, "req-2")?.kind).toBe("other-transaction");
    // Another instance of the same release verifies it too: nothing is persisted.
    expect(new ChallengeScheme(b, b, SECRET).verify(c, "req-1")).toBeNull();
  });

  it.each([
    ["v1", "v2"],
    ["v2", "v1"],
  ] as const)("refuses a challenge %s issued when verified by %s, naming both", (from, to) => {
    const c = new ChallengeScheme(from, from, SECRET).issue("req-1");
    const failure = new ChallengeScheme(to, to, SECRET).verify(c, "req-1");
    expect(failure).toMatchObject({ kind: "mixed", issuer: `auth-service@${from}` });
    expect(failure?.message).toBe(
      `challenge was issued by auth-service@${from} but verified by auth-service@${to}, which cannot verify it: ` +
        "transaction served by two auth-service versions",
    );
  });

  it("refuses a challenge from another release with the same rules", () => {
    const c = new ChallengeScheme("v1", "v1.0", SECRET).issue("r");
    expect(new ChallengeScheme("v1", "v1.1", SECRET).verify(c, "r")?.kind).toBe("mixed");
  });

  it("refuses forged, malformed and expired challenges", () => {
    const clock = { now: 1_000 };
    const scheme = new ChallengeScheme("v2", "v2", SECRET, () => clock.now);
    const c = scheme.issue("r");
    expect(new ChallengeScheme("v2", "v2", "other-secret").verify(c, "r")?.kind).toBe("other-transaction");
    expect(scheme.verify("garbage", "r")?.kind).toBe("malformed");
    expect(scheme.verify("c2:not-base64-json:x", "r")?.kind).toBe("malformed");
    clock.now += CHALLENGE_TTL_MS + 1;
    expect(scheme.verify(c, "r")?.kind).toBe("expired");
  });

  it("parses both formats far enough to name the issuer", () => {
    expect(parseChallenge(new ChallengeScheme("v1", "v1-rc.2", SECRET).issue("r"))?.version).toBe("v1-rc.2");
    expect(parseChallenge(new ChallengeScheme("v2", "v2", SECRET).issue("r"))).toMatchObject({
      behaviour: "v2",
      version: "v2",
    });
  });
});
