/**
 * The posted bodies: the generic webhook's flat JSON, and Slack's documented incoming-webhook
 * shape (a `text` fallback, a mrkdwn section and a context block), escaped so an Upgrade's
 * message cannot ping a channel, and capped at Slack's section limit.
 */
import { describe, expect, it } from "vitest";
import type { Notification } from "./notification.js";
import { SLACK_SECTION_LIMIT, slackPayload, webhookPayload } from "./payloads.js";

const AT = Date.UTC(2026, 11, 4, 21, 0, 0);
const ABORT: Notification = {
  kind: "abort",
  upgrade: "reviews-v2",
  namespace: "shop",
  phase: "RollingBack",
  previousPhase: "Shifting",
  severity: "Warning",
  reason: "PhaseChanged",
  message: "Shifting → RollingBack: aborted by the user",
  at: AT,
};
const WAIT: Notification = {
  kind: "wait",
  upgrade: "reviews-v2",
  namespace: "shop",
  phase: "Draining",
  severity: "Warning",
  reason: "OldActive",
  message: "calls still active (or unreported) at reviews@v1",
  at: AT,
  waitedMs: 754_321,
};

describe("webhookPayload", () => {
  it("is the notification, flat, with an RFC 3339 time", () => {
    expect(webhookPayload(ABORT)).toEqual({
      source: "tranquil",
      kind: "abort",
      upgrade: "reviews-v2",
      namespace: "shop",
      phase: "RollingBack",
      previousPhase: "Shifting",
      severity: "Warning",
      reason: "PhaseChanged",
      message: "Shifting → RollingBack: aborted by the user",
      time: "2026-12-04T21:00:00.000Z",
    });
  });

  it("gives a long wait's length in whole seconds", () => {
    expect(webhookPayload(WAIT)).toMatchObject({ kind: "wait", reason: "OldActive", waitedSeconds: 754 });
    expect(webhookPayload(WAIT)).not.toHaveProperty("previousPhase");
  });
});

describe("slackPayload", () => {
  it("has a text fallback, a mrkdwn section and a context line", () => {
    expect(slackPayload(ABORT)).toEqual({
      text: "Upgrade aborted, rolling back: shop/reviews-v2: Shifting → RollingBack: aborted by the user",
      blocks: [
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: ":warning: *Upgrade aborted, rolling back:* `shop/reviews-v2`\nShifting → RollingBack: aborted by the user",
          },
        },
        {
          type: "context",
          elements: [
            {
              type: "mrkdwn",
              text: "phase *RollingBack* · from Shifting · reason PhaseChanged · 2026-12-04T21:00:00.000Z",
            },
          ],
        },
      ],
    });
  });

  it.each([
    [{ kind: "phase", phase: "Succeeded", severity: "Normal" }, ":white_check_mark: *Upgrade Succeeded:*"],
    [{ kind: "rollback", phase: "RollingBack" }, ":warning: *Upgrade rolling back:*"],
    [{ kind: "rollback", phase: "RolledBack" }, ":warning: *Upgrade rolled back:*"],
    [{ kind: "abort", phase: "RolledBack" }, ":warning: *Aborted upgrade rolled back:*"],
    [{ kind: "wait", waitedMs: 754_321 }, ":warning: *Upgrade waiting for 12 min:*"],
  ] as const)("headlines %o as %s", (change, headline) => {
    const section = slackPayload({ ...WAIT, ...change }).blocks[0].text.text;
    expect(section.startsWith(headline)).toBe(true);
  });

  it("escapes Slack's markup characters in the message and the fallback", () => {
    const p = slackPayload({ ...ABORT, message: "<!channel> a & b > c" });
    expect(p.text).toContain("&lt;!channel&gt; a &amp; b &gt; c");
    expect(p.blocks[0].text.text).toContain("&lt;!channel&gt; a &amp; b &gt; c");
    expect(JSON.stringify(p)).not.toContain("<!channel>");
  });

  it("caps the section at Slack's limit", () => {
    const text = slackPayload({ ...ABORT, message: "x".repeat(10_000) }).blocks[0].text.text;
    expect(text.length).toBe(SLACK_SECTION_LIMIT);
    expect(text.endsWith("…")).toBe(true);
  });
});
