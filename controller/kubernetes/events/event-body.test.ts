import { describe, expect, it } from "vitest";
import { eventBody, eventName, NOTE_LIMIT_BYTES, REPORTING_CONTROLLER, truncateNote } from "./event-body.js";

describe("the Event body", () => {
  it.each([
    ["a short message", "rolled back: analysis failed", false],
    ["exactly the limit", "a".repeat(NOTE_LIMIT_BYTES), false],
    ["one byte over", "a".repeat(NOTE_LIMIT_BYTES + 1), true],
    ["multi-byte characters over the limit", "→".repeat(400), true],
  ])("keeps the note within 1 kB: %s", (_name, message, cut) => {
    const note = truncateNote(message);
    expect(Buffer.byteLength(note, "utf8")).toBeLessThanOrEqual(NOTE_LIMIT_BYTES);
    expect(note.endsWith("…")).toBe(cut);
    if (cut) expect(message.startsWith(note.slice(0, -1))).toBe(true);
    else expect(note).toBe(message);
  });

  it("names Events after the Upgrade and the instant, unique per sequence, within 253 characters", () => {
    const at = Date.UTC(2026, 11, 2, 19, 0, 0, 123);
    expect(eventName("auth-v2", at, 0)).toBe(`auth-v2.${(BigInt(at) * 1_000_000n).toString(16)}`);
    expect(eventName("auth-v2", at, 1)).not.toBe(eventName("auth-v2", at, 0));
    expect(eventName("x".repeat(253), at, 7).length).toBe(253);
  });

  it("regards the Upgrade by uid and reports as Tranquil's controller", () => {
    const body = eventBody({
      upgrade: { namespace: "shop", name: "auth-v2" },
      uid: "0b5c",
      name: "auth-v2.1",
      reportingInstance: "tranquil-controller-7d9f-abcde",
      note: { type: "Warning", reason: "GitOpsRevert", message: "routes reverted", at: 1_000 },
    });
    expect(body).toMatchObject({
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: "tranquil-controller-7d9f-abcde",
      action: "GitOpsRevert",
      reason: "GitOpsRevert",
      type: "Warning",
      note: "routes reverted",
      regarding: {
        apiVersion: "tranquil.dev/v1alpha1",
        kind: "Upgrade",
        name: "auth-v2",
        namespace: "shop",
        uid: "0b5c",
      },
    });
    expect(JSON.parse(JSON.stringify(body.eventTime))).toBe("1970-01-01T00:00:01.000000Z");
  });
});
