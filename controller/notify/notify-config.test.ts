/**
 * The notification settings: URLs inline and from files (one a line, comments skipped), the
 * kinds, the long-wait threshold, and every problem named at once without echoing a URL.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_WAIT_AFTER_MS } from "./long-waits.js";
import { NotifyConfigError, notifiesAnywhere, resolveNotifySettings } from "./notify-config.js";

const files: Record<string, string> = {
  "/etc/tranquil/slack-url": "# the #deploys channel\nhttps://hooks.slack.example/services/T0/B0/secret\n\n",
  "/etc/tranquil/hooks": "http://127.0.0.1:9000/a\nhttp://127.0.0.1:9000/b?token=x\n",
};
const readText = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file ${path}`);
  return text;
};

describe("resolveNotifySettings", () => {
  it("defaults to no target, every kind and a 10 min long wait", () => {
    const s = resolveNotifySettings({}, readText);
    expect(s).toMatchObject({ webhooks: [], slack: [], events: ["phase", "rollback", "abort", "wait"] });
    expect(s.waitAfterMs).toBe(DEFAULT_WAIT_AFTER_MS);
    expect(notifiesAnywhere(s)).toBe(false);
  });

  it("joins inline URLs and URLs read from files", () => {
    const s = resolveNotifySettings(
      {
        webhooks: ["https://ops.example/tranquil"],
        webhookFiles: ["/etc/tranquil/hooks"],
        slackFiles: ["/etc/tranquil/slack-url"],
        events: "abort, rollback",
        waitAfter: "5m",
      },
      readText,
    );
    expect(s.webhooks).toEqual([
      "https://ops.example/tranquil",
      "http://127.0.0.1:9000/a",
      "http://127.0.0.1:9000/b?token=x",
    ]);
    expect(s.slack).toEqual(["https://hooks.slack.example/services/T0/B0/secret"]);
    expect(s.events).toEqual(["abort", "rollback"]);
    expect(s.waitAfterMs).toBe(300_000);
    expect(notifiesAnywhere(s)).toBe(true);
    expect(
      notifiesAnywhere({ ...s, events: resolveNotifySettings({ events: "none" }, readText).events }),
    ).toBe(false);
  });

  it("names every problem, without echoing URLs", () => {
    let error: unknown;
    try {
      resolveNotifySettings(
        {
          webhooks: ["ftp://ops.example/secret-token"],
          slackFiles: ["/missing"],
          events: "phase,everything",
          waitAfter: "soon",
        },
        readText,
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(NotifyConfigError);
    const problems = (error as NotifyConfigError).problems;
    expect(problems).toEqual([
      "cannot read the Slack URL file /missing: ENOENT: no such file /missing",
      "webhook URL #1 is not an http(s) URL",
      'the events "everything" are not among phase, rollback, abort, wait (or all, none)',
      'the long-wait threshold "soon" is not a duration of 1s or more, e.g. 10m',
    ]);
    expect(problems.join(" ")).not.toContain("secret-token");
  });
});
