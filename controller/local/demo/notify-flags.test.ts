/**
 * The local controller's notification flags on the demo command: repeated URL flags, a URL
 * file, the kinds and the threshold reach the controller as settings; no target means no
 * notifier; bad values stop the command before anything starts.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoCommand, type DemoFlags } from "./demo-command.js";

async function parse(args: string[]): Promise<DemoFlags> {
  let flags: DemoFlags | undefined;
  const cmd = demoCommand((f) => {
    flags = f;
    return Promise.resolve();
  }).exitOverride();
  cmd.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  await cmd.parseAsync(args, { from: "user" });
  if (flags === undefined) throw new Error("the command did not run");
  return flags;
}

describe("the demo command's --notify-* flags", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tranquil-notify-flags-"));
    await writeFile(join(dir, "slack-url"), "https://hooks.slack.example/services/T/B/x\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gives the controller every target, the kinds and the threshold", async () => {
    const flags = await parse([
      "--serve",
      "--notify-webhook",
      "http://127.0.0.1:9000/a",
      "--notify-webhook",
      "http://127.0.0.1:9000/b",
      "--notify-slack-file",
      join(dir, "slack-url"),
      "--notify-events",
      "rollback,abort",
      "--notify-wait-after",
      "2m",
    ]);
    expect(flags.notify).toMatchObject({
      webhooks: ["http://127.0.0.1:9000/a", "http://127.0.0.1:9000/b"],
      slack: ["https://hooks.slack.example/services/T/B/x"],
      events: ["rollback", "abort"],
      waitAfterMs: 120_000,
    });
  });

  it("starts no notifier without a target", async () => {
    expect((await parse(["--quick"])).notify).toBeUndefined();
    expect(
      (await parse(["--notify-webhook", "http://127.0.0.1:9000/a", "--notify-events", "none"])).notify,
    ).toBeUndefined();
  });

  it("stops on a bad value, naming it", async () => {
    await expect(parse(["--notify-slack-file", join(dir, "missing")])).rejects.toThrow(
      /notification settings: cannot read the Slack URL file .*missing/,
    );
    await expect(parse(["--notify-webhook", "127.0.0.1:9000"])).rejects.toThrow(
      "webhook URL #1 is not an http(s) URL",
    );
  });
});
