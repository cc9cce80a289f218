/**
 * The demo's progress printing over a real (in-memory) FileUpgradeStore: a line only when what
 * the upgrade does changes, the rollback's reason on the line where it starts (percentages
 * rounded), and on a terminal a live line redrawn in place with the elapsed time.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { initialStatus } from "../../engine/status.js";
import type { UpgradeStatus } from "../../engine/types.js";
import { FileUpgradeStore } from "../file-upgrade-store.js";
import type { UpgradeKey } from "../../ports/upgrade-store.js";
import { terminalLiveLine, watchUpgrade, type LiveLine } from "./watch-upgrade.js";

const KEY: UpgradeKey = { namespace: "default", name: "order-service-v2" };

type Change = Partial<Omit<UpgradeStatus, "engine">> & { stage?: string; reason?: string | null };

describe("the demo's watchUpgrade", () => {
  let store: FileUpgradeStore;
  beforeEach(async () => {
    store = await FileUpgradeStore.open();
    await store.create({
      ...KEY,
      spec: { services: [{ name: "order-service", from: "v1", to: "v2" }] },
      status: initialStatus(Date.now()),
      createdAt: Date.now(),
    });
  });
  afterEach(async () => {
    await store.close();
  });

  const write = async (change: Change): Promise<void> => {
    const current = await store.get(KEY);
    const { stage, reason, ...fields } = change;
    const status = {
      ...current.status,
      ...fields,
      engine: {
        ...current.status.engine,
        ...(stage !== undefined ? { stage } : {}),
        ...(reason !== undefined ? { reason } : {}),
      },
    } as UpgradeStatus;
    await store.updateStatus(current, current.resourceVersion, status);
  };

  const analysing = (activeOld: number, oldest: number): Change => ({
    phase: "Shifting",
    stage: "analyse",
    weight: 50,
    activeOld,
    oldestActiveAgeSeconds: oldest,
    conditions: [
      {
        type: "Waiting",
        status: "True",
        reason: "Analysing",
        message: "weight 50%: analysing the step window",
        lastTransitionTime: 0,
      },
    ],
  });

  /** Watches while `changes` are written one after the other; returns the lines and live updates. */
  const follow = async (changes: readonly Change[], live?: LiveLine) => {
    const lines: string[] = [];
    const watching = watchUpgrade(store, KEY, (l) => lines.push(l), 10_000, live ? { live } : {});
    for (const change of changes) await write(change);
    const final = await watching;
    return { lines, final };
  };

  it("prints a line only when what the upgrade does changes, and says why a rollback starts", async () => {
    const { lines, final } = await follow([
      analysing(4, 0.8),
      analysing(5, 1.9),
      analysing(3, 2.6),
      analysing(7, 3.3),
      {
        phase: "RollingBack",
        stage: "weightZero",
        weight: 0,
        activeOld: 0,
        conditions: [],
        reason: "analysis failed: order-service@v2: success rate 42.857142857142854% < 99%",
      },
      { phase: "RolledBack", stage: "done" },
    ]);
    expect(final.status.phase).toBe("RolledBack");
    expect(lines.map((l) => l.replace(/^ {2}\[ *\d+\.\d s\] order-service-v2: /, ""))).toEqual([
      "Validating/validate weight 0%",
      "Shifting/analyse weight 50% old-active 4 (oldest 0.8 s) — weight 50%: analysing the step window",
      "RollingBack/weightZero weight 0% — why: analysis failed: order-service@v2: success rate 42.9% < 99%",
      "RolledBack/done weight 0% — why: analysis failed: order-service@v2: success rate 42.9% < 99%",
    ]);
  });

  it("on a terminal, redraws one live line in place with the elapsed time and clears it at the end", async () => {
    let screen = "";
    const live = terminalLiveLine({ write: (s: string) => (screen += s), columns: 200 });
    const { lines } = await follow(
      [analysing(4, 0.8), analysing(5, 1.9), { phase: "Succeeded", stage: "done" }],
      live,
    );
    expect(lines).toHaveLength(3);
    const updates = screen.split("\r\x1b[2K").filter((t) => t !== "");
    expect(updates.length).toBeGreaterThanOrEqual(3);
    expect(updates).toContainEqual(
      expect.stringMatching(
        /^ {2}\[ *\d+\.\d s\] order-service-v2: Shifting\/analyse weight 50% old-active 5 \(oldest 1\.9 s\) — weight 50%: analysing/,
      ),
    );
    expect(screen.endsWith("\r\x1b[2K")).toBe(true);
  });

  it("cuts the live line to the terminal's width", () => {
    let screen = "";
    terminalLiveLine({ write: (s: string) => (screen += s), columns: 30 }).update("x".repeat(100));
    expect(screen).toBe(`\r\x1b[2K${"x".repeat(28)}…`);
  });
});
