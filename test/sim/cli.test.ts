import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "./cli.js";

describe.skipIf(process.env["SIM_SEED"] !== undefined)("sim cli", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("summarises Tranquil runs and exits 0 when all are clean", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => lines.push(line));
    expect(main(["--seeds", "3", "--from", "11"])).toBe(0);
    expect(lines.join("\n")).toMatch(/^tranquil: 3\/3 runs clean/);
  });

  it("prints failing control seeds with their replay commands", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => lines.push(line));
    expect(main(["--seeds", "3", "--strategy", "control"])).toBe(0);
    expect(lines.join("\n")).toContain("SIM_SEED=1 SIM_STRATEGY=control npx vitest run test/sim");
  });

  it("replays one seed in detail", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => lines.push(line));
    expect(main(["--seed", "7"])).toBe(0);
    expect(lines.join("\n")).toMatch(/seed 7 \(tranquil\) → (Succeeded|RolledBack)/);
  });

  it("refuses an unknown strategy", () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    expect(main(["--strategy", "nope"])).toBe(2);
  });
});
