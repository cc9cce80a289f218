/**
 * `tranquil demo`: calls start.ts's `runDemo(options)` when it exports one, and otherwise
 * launches `npm start` with the same flags, without importing (and so running) start.ts.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./cli.js";
import { exportsRunDemo } from "./demo.js";
import { captureIo } from "./testing/capture-io.js";

describe("tranquil demo", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tranquil-demo-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ["export async function runDemo(options) {}", true],
    ["export function runDemo() {}", true],
    ["export const runDemo = async () => 0;", true],
    ["async function runDemo() {}\nexport { runDemo };", true],
    ["process.stdout.write('demo');", false],
    ["export function runDemoLater() {}", false],
  ])("exportsRunDemo(%j) is %s", (source, expected) => {
    expect(exportsRunDemo(source)).toBe(expected);
  });

  it("calls runDemo with the flags when start.ts exports it, and exits with what it returns", async () => {
    const startFile = join(dir, "with-run-demo.mjs");
    await writeFile(
      startFile,
      "export async function runDemo(options) { globalThis.__demoOptions = options; return 0; }\n",
    );
    const launched: string[][] = [];
    const code = await runCli(["demo", "--quick", "--scenario", "bad-release", "--extra"], captureIo(), {
      demo: { startFile, launch: (cmd, args) => (launched.push([cmd, ...args]), Promise.resolve(9)) },
    });
    expect(code).toBe(0);
    expect(launched).toEqual([]);
    expect((globalThis as { __demoOptions?: unknown }).__demoOptions).toEqual({
      quick: true,
      scenario: "bad-release",
      argv: ["--quick", "--scenario", "bad-release", "--extra"],
    });
  });

  it("launches `npm start -- <flags>` when start.ts has no runDemo, and exits with its status", async () => {
    const startFile = join(dir, "without.mjs");
    await writeFile(startFile, "throw new Error('must not be imported');\n");
    const launched: string[][] = [];
    const code = await runCli(
      ["demo", "--redis", "redis://127.0.0.1:6379", "--duration", "300", "--report", "r.json", "--new-flag"],
      captureIo(),
      {
        demo: { startFile, launch: (cmd, args) => (launched.push([cmd, ...args]), Promise.resolve(1)) },
      },
    );
    expect(code).toBe(1);
    expect(launched).toEqual([
      [
        "npm",
        "start",
        "--",
        "--redis",
        "redis://127.0.0.1:6379",
        "--duration",
        "300",
        "--report",
        "r.json",
        "--new-flag",
      ],
    ]);
  });
});
