/**
 * The cluster controller's `--notify-*` options: comma-separated webhooks from a flag, Slack
 * URLs from the environment only and from a mounted file, the kinds and the threshold; bad
 * values are reported with the other problems, without echoing a secret URL.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "./config-problems.js";
import { parseControllerConfig, type ConfigInputs } from "./parse-config.js";

const BASE_ENV = { TRANQUIL_REDIS_URL: "redis://redis:6379", TRANQUIL_API_TOKEN: "s3cret" };
const parse = (argv: string[], env: ConfigInputs["env"] = BASE_ENV) =>
  parseControllerConfig({ argv, env, serviceAccountNamespace: () => undefined });

describe("the cluster controller's notification options", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tranquil-notify-options-"));
    await writeFile(join(dir, "slack-url"), "https://hooks.slack.example/services/T/B/from-file\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads webhooks from the flag, Slack URLs from the environment and a mounted file", () => {
    const config = parse(
      [
        "--notify-webhook",
        "http://hooks.ops:8080/tranquil, https://ops.example/in",
        "--notify-slack-file",
        join(dir, "slack-url"),
        "--notify-events",
        "rollback,abort,wait",
        "--notify-wait-after",
        "15m",
      ],
      { ...BASE_ENV, TRANQUIL_NOTIFY_SLACK: "https://hooks.slack.example/services/T/B/from-env" },
    );
    expect(config.notify).toMatchObject({
      webhooks: ["http://hooks.ops:8080/tranquil", "https://ops.example/in"],
      slack: [
        "https://hooks.slack.example/services/T/B/from-env",
        "https://hooks.slack.example/services/T/B/from-file",
      ],
      events: ["rollback", "abort", "wait"],
      waitAfterMs: 900_000,
    });
  });

  it("keeps Slack URLs off the command line", () => {
    expect(() => parse(["--notify-slack", "https://hooks.slack.example/x"])).toThrow(ConfigError);
  });

  it("reports bad values with the other problems, never echoing a secret URL", () => {
    let error: unknown;
    try {
      parse(["--notify-slack-file", join(dir, "missing"), "--notify-events", "loud"], {
        ...BASE_ENV,
        TRANQUIL_NOTIFY_SLACK: "hooks.slack.example/services/T/B/s3cr3t",
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as ConfigError).problems.map((p) => `${p.option}: ${p.message}`);
    expect(lines).toEqual([
      expect.stringMatching(
        /^--notify-\* \(TRANQUIL_NOTIFY_\*\): cannot read the Slack URL file .*missing: ENOENT/,
      ),
      "--notify-* (TRANQUIL_NOTIFY_*): Slack URL #1 is not an http(s) URL",
      '--notify-* (TRANQUIL_NOTIFY_*): the events "loud" are not among phase, rollback, abort, wait (or all, none)',
    ]);
    expect(lines.join("\n")).not.toContain("s3cr3t");
  });
});
