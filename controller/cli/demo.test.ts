/**
 * `tranquil demo`: the demo's own flags, parsed once and handed to the demo in this process;
 * the exit status is the demo's. A real run is test/demo/quick-demo.test.ts (`npm start`).
 */
import { describe, expect, it } from "vitest";
import type { DemoFlags } from "../local/demo/demo-command.js";
import { runCli } from "./cli.js";
import { ExitCode } from "./exit-codes.js";
import { captureIo } from "./testing/capture-io.js";

/** Runs `tranquil <argv>` with a demo that records its flags and exits with `status`. */
async function demo(argv: readonly string[], status = 0) {
  const started: DemoFlags[] = [];
  const io = captureIo();
  const code = await runCli(argv, io, {
    demo: { start: (flags) => (started.push(flags), Promise.resolve(status)) },
  });
  return { code, started, err: io.err() };
}

describe("tranquil demo", () => {
  it("runs the demo with every flag parsed, and exits with the demo's status", async () => {
    const { code, started } = await demo(
      [
        "demo",
        "--quick",
        "--scenario",
        "bad-release",
        "--redis",
        "redis://127.0.0.1:6379",
        "--duration",
        "300",
        "--report",
        "r.json",
      ],
      1,
    );
    expect(code).toBe(1);
    expect(started).toEqual([
      {
        quick: true,
        scenario: "bad-release",
        redisUrl: "redis://127.0.0.1:6379",
        durationSeconds: 300,
        reportPath: "r.json",
      },
    ]);
  });

  it("uses the demo's defaults, and passes --serve with its API port", async () => {
    expect((await demo(["demo"])).started).toEqual([{ quick: false, scenario: "default" }]);
    const served = await demo(["demo", "--serve", "--api-port", "0"]);
    expect(served.code).toBe(ExitCode.Ok);
    expect(served.started).toEqual([{ serve: { apiPort: 0 }, quick: false, scenario: "default" }]);
  });

  it.each([
    [["--duration", "0"], "give whole seconds"],
    [["--scenario", "worst"], "Allowed choices are default, bad-release"],
    [["--api-port", "70000"], "give a port number"],
    [["--new-flag"], "unknown option '--new-flag'"],
  ])("refuses %j without starting the demo (exit 2)", async (flags, says) => {
    const { code, started, err } = await demo(["demo", ...flags]);
    expect(code).toBe(ExitCode.BadInput);
    expect(started).toEqual([]);
    expect(err).toContain(says);
    expect(err).toContain("tranquil --help");
  });
});
