import { describe, it, expect } from "vitest";
import { SIDECAR_NODE_FLAGS, missingSidecarFlags } from "./node-flags.js";

describe("sidecar Node flags", () => {
  it("reports the flags a process was started without", () => {
    expect(missingSidecarFlags([...SIDECAR_NODE_FLAGS, "--enable-source-maps"])).toEqual([]);
    expect(missingSidecarFlags(["--max-old-space-size=48"])).toEqual(
      SIDECAR_NODE_FLAGS.filter((f) => f !== "--max-old-space-size=48"),
    );
  });

  it("are flags this Node accepts on its command line", async () => {
    const { spawnSync } = await import("node:child_process");
    const r = spawnSync(process.execPath, [...SIDECAR_NODE_FLAGS, "-e", "process.exit(0)"], {
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
