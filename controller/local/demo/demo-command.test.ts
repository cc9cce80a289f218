import { describe, expect, it } from "vitest";
import { demoCommand, type DemoFlags } from "./demo-command.js";

async function parse(args: string[]): Promise<{ flags?: DemoFlags; error?: string }> {
  let flags: DemoFlags | undefined;
  const cmd = demoCommand((f) => {
    flags = f;
    return Promise.resolve();
  }).exitOverride();
  let error = "";
  cmd.configureOutput({ writeErr: (s) => (error += s), writeOut: () => undefined });
  try {
    await cmd.parseAsync(args, { from: "user" });
  } catch {
    return { error };
  }
  return flags === undefined ? { error } : { flags };
}

describe("the demo command's --prometheus", () => {
  it("gives --serve the Prometheus the analysis queries", async () => {
    expect((await parse(["--serve", "--prometheus", "http://127.0.0.1:9090"])).flags?.serve).toEqual({
      apiPort: 7070,
      prometheusAddress: "http://127.0.0.1:9090",
    });
    expect((await parse(["--serve"])).flags?.serve).toEqual({ apiPort: 7070 });
  });

  it("refuses what is not an http(s) URL", async () => {
    expect((await parse(["--serve", "--prometheus", "127.0.0.1:9090"])).error).toContain(
      "give an http(s) URL, e.g. http://127.0.0.1:9090",
    );
  });
});
