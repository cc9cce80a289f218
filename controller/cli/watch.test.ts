/**
 * `upgrade --watch` and `watch` against the real API, with a test "engine" that moves the
 * stored upgrade one status at a time (each time the CLI has shown the previous one), the
 * way the reconciler writes statuses: to completion (exit 0), to RolledBack (exit 1), a
 * terminal redraw, a controller that goes away (exit 3) and Ctrl-C (130).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./cli.js";
import { ExitCode } from "./exit-codes.js";
import { captureIo } from "./testing/capture-io.js";
import {
  ROLLING_BACK_RUN,
  SUCCEEDING_RUN,
  startApiFixture,
  writeStatus,
  type ApiFixture,
  type StatusPatch,
} from "./testing/api-fixture.js";
import { WATCH_RECONNECTS } from "./watch.js";

/** Shows progress the CLI writes: a time-stamped line, or a redrawn block on a terminal. */
const isProgress = (text: string): boolean => /^\d\d:\d\d:\d\d /.test(text) || text.includes("\n  phase ");

describe("tranquil watch", () => {
  let api: ApiFixture;
  beforeAll(async () => {
    api = await startApiFixture();
  });
  afterAll(async () => {
    await api.close();
  });

  /**
   * Runs the CLI while an engine applies `run` to upgrade `name`: one patch each time the CLI
   * has shown progress, so every status is seen.
   */
  const runWithEngine = async (argv: string[], name: string, run: readonly StatusPatch[], tty = false) => {
    let next = 0;
    let engine: Promise<unknown> = Promise.resolve();
    const io = captureIo({
      env: { TRANQUIL_URL: api.url, TRANQUIL_TOKEN: api.token },
      tty,
      onStdout: (text) => {
        const patch = run[next];
        if (!isProgress(text) || patch === undefined) return;
        next++;
        engine = engine.then(() => writeStatus(api.store, name, patch));
      },
    });
    const code = await runCli(argv, io);
    await engine;
    return { code, out: io.out(), err: io.err(), applied: next };
  };

  it("`upgrade --watch` follows the upgrade to Succeeded and exits 0", async () => {
    const r = await runWithEngine(
      ["upgrade", "auth-service", "--from", "v1", "--to", "v2", "--watch"],
      "auth-service-v2",
      SUCCEEDING_RUN,
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(ExitCode.Ok);
    expect(r.applied).toBe(SUCCEEDING_RUN.length);
    const lines = r.out.trimEnd().split("\n");
    expect(lines[0]).toBe("upgrade auth-service-v2 created: auth-service v1→v2, steps 10,50,100");
    const progress = lines.slice(1, -1).map((l) => l.replace(/^\d\d:\d\d:\d\d auth-service-v2 /, ""));
    expect(progress).toEqual([
      "Validating/validate · weight 0% step - · confirmed 0/0",
      "Preparing/holdOld · weight 0% step - · confirmed 1/3",
      "Preparing/openDoor · weight 0% step - · confirmed 3/3",
      "Shifting/setWeight · weight 10% step 1/3 · confirmed 3/3 · old active 4 (oldest 800ms)",
      "Shifting/analyse · weight 50% step 2/3 · confirmed 3/3 · old active 4 (oldest 800ms)",
      "Shifting/analyse · weight 100% step 3/3 · confirmed 3/3 · old active 4 (oldest 800ms)",
      "Draining/ingressDrain · weight 100% step 3/3 · confirmed 3/3 · old active 2 (oldest 3.5s) · drain ETA ≤ 9m58s (oldest old transaction 3.5s of max 10m00s, then settle 2s) · waiting: OldTransactionsActive: 2 non-enrolled transactions still in flight at the gateways",
      "Draining/pin · weight 100% step 3/3 · confirmed 3/3 · pinned 1 · drain ETA ~32s (pins end after 30s idle, then settle 2s)",
      "Draining/tranquil · weight 100% step 3/3 · confirmed 3/3 · drain ETA ~2s (settle window)",
      "Finalizing/scaleOld · weight 100% step 3/3 · confirmed 3/3",
      "Succeeded/done · weight 100% step 3/3 · confirmed 3/3",
    ]);
    expect(lines.at(-1)).toMatch(/^upgrade auth-service-v2 Succeeded after \S+$/);
  });

  it("prints a line only when what the upgrade does changes, not when a counter moves", async () => {
    const io0 = captureIo({ env: { TRANQUIL_URL: api.url, TRANQUIL_TOKEN: api.token } });
    expect(await runCli(["upgrade", "quiet-service", "--from", "v1", "--to", "v2", "--no-wait"], io0)).toBe(
      0,
    );
    const analysing = (activeOld: number, oldest: number): StatusPatch => ({
      phase: "Shifting",
      stage: "analyse",
      step: 0,
      weight: 10,
      activeOld,
      oldestActiveAgeSeconds: oldest,
      conditions: [
        {
          type: "Waiting",
          status: "True",
          reason: "Analysing",
          message: "weight 10%: analysing the step window",
          lastTransitionTime: 0,
        },
      ],
    });
    const run: StatusPatch[] = [
      analysing(4, 0.8),
      analysing(5, 1.9),
      analysing(3, 2.7),
      analysing(6, 3.4),
      { ...analysing(0, 0), step: 1, weight: 50 },
      { phase: "Succeeded", stage: "done", conditions: [] },
    ];
    let engine: Promise<unknown> | undefined;
    const io = captureIo({
      env: { TRANQUIL_URL: api.url },
      onStdout: () => {
        engine ??= run.reduce<Promise<unknown>>(
          (p, patch) => p.then(() => writeStatus(api.store, "quiet-service-v2", patch)),
          Promise.resolve(),
        );
      },
    });
    expect(await runCli(["watch", "quiet-service-v2"], io)).toBe(ExitCode.Ok);
    await engine;
    const progress = io
      .out()
      .trimEnd()
      .split("\n")
      .slice(0, -1)
      .map((l) => l.replace(/^\d\d:\d\d:\d\d quiet-service-v2 /, ""));
    expect(progress).toEqual([
      "Validating/validate · weight 0% step - · confirmed 0/0",
      "Shifting/analyse · weight 10% step 1/3 · confirmed 0/0 · old active 4 (oldest 800ms) · waiting: Analysing: weight 10%: analysing the step window",
      "Shifting/analyse · weight 50% step 2/3 · confirmed 0/0 · waiting: Analysing: weight 10%: analysing the step window",
      "Succeeded/done · weight 50% step 2/3 · confirmed 0/0",
    ]);
  });

  it("says why on the line where a rollback starts, with percentages rounded", async () => {
    const r = await runWithEngine(
      ["upgrade", "why-service", "--from", "v1", "--to", "v2", "--watch"],
      "why-service-v2",
      ROLLING_BACK_RUN,
    );
    expect(r.code).toBe(ExitCode.UpgradeFailed);
    expect(r.out).toMatch(
      /RollingBack\/weightZero · weight 0% step 2\/3 · confirmed 3\/3 · why: analysis failed: order-service@v2: success rate 42\.9% < 99%\n/,
    );
    expect(r.out).not.toContain("42.857");
  });

  it("`upgrade --watch` exits 1 when the upgrade rolls back, and says why", async () => {
    const r = await runWithEngine(
      ["upgrade", "order-service", "--from", "v1", "--to", "v2", "--watch"],
      "order-service-v2",
      ROLLING_BACK_RUN,
    );
    expect(r.code).toBe(ExitCode.UpgradeFailed);
    expect(r.out).toMatch(/RollingBack\/weightZero · weight 0%/);
    expect(r.out).toMatch(
      /upgrade order-service-v2 RolledBack after \S+: success rate of v2 was 71% \(minimum 99%\)\n$/,
    );
    expect(r.err).toBe("see `tranquil status order-service-v2` for its conditions and history\n");
  });

  it("`watch` on a terminal redraws one status block in place", async () => {
    expect(
      await runCli(
        ["upgrade", "tty-service", "--from", "v1", "--to", "v2", "--no-wait"],
        captureIo({ env: { TRANQUIL_URL: api.url, TRANQUIL_TOKEN: api.token } }),
      ),
    ).toBe(0);
    const r = await runWithEngine(["watch", "tty-service-v2"], "tty-service-v2", SUCCEEDING_RUN, true);
    expect(r.code).toBe(ExitCode.Ok);
    const first = r.out.split("\x1b[")[0]!;
    expect(first.split("\n")[0]).toMatch(/^tty-service-v2: tty-service v1→v2 {2}\(\S+\)$/);
    expect(first.replace(/^.*\n/, "")).toBe(
      [
        "  phase       Validating (validate)",
        "  weight      0%  step - of [10,50,100]",
        "  confirmed   0/0",
        "  old active  0  pinned 0",
        "  dirty pods  none",
        "  violations  0",
        "",
      ].join("\n"),
    );
    // Each redraw moves up over the previous block (7 lines, 9 with waiting and ETA) and clears it.
    expect(r.out).toContain("\x1b[7A\x1b[0J");
    expect(r.out).toContain(
      "  waiting     OldTransactionsActive: 2 non-enrolled transactions still in flight at the gateways\n  drain ETA   ≤ 9m58s",
    );
    expect(r.out).toContain("\x1b[9A\x1b[0J");
    expect(r.out).toMatch(/upgrade tty-service-v2 Succeeded after \S+\n$/);
  });

  it("cuts the block's lines to a narrow terminal's width, so the redraw stays in place", async () => {
    const env = { TRANQUIL_URL: api.url, TRANQUIL_TOKEN: api.token };
    expect(
      await runCli(
        ["upgrade", "narrow-service", "--from", "v1", "--to", "v2", "--no-wait"],
        captureIo({ env }),
      ),
    ).toBe(0);
    await writeStatus(api.store, "narrow-service-v2", SUCCEEDING_RUN[5]!);
    await writeStatus(api.store, "narrow-service-v2", { phase: "Succeeded", stage: "done" });
    const io = captureIo({ env, tty: true, columns: 40 });
    expect(await runCli(["watch", "narrow-service-v2"], io)).toBe(ExitCode.Ok);
    const block = io.out().split("\nupgrade narrow-service-v2 Succeeded")[0]!.split("\n");
    expect(block).toHaveLength(8); // the Waiting condition stays until the engine clears it
    expect(block[7]).toBe("  waiting     OldTransactionsActive: 2…");
    expect(block.every((l) => l.length <= 39)).toBe(true);
    expect(block[1]).toBe("  phase       Succeeded (done)");
  });

  it("exits 1 at once for an upgrade that already Failed", async () => {
    const io = captureIo({ env: { TRANQUIL_URL: api.url, TRANQUIL_TOKEN: api.token } });
    expect(await runCli(["upgrade", "failed-service", "--from", "v1", "--to", "v2", "--no-wait"], io)).toBe(
      0,
    );
    await writeStatus(api.store, "failed-service-v2", {
      phase: "Failed",
      stage: "done",
      conditions: [
        {
          type: "Failed",
          status: "True",
          reason: "WriteRefused",
          message: "VirtualService failed-service refused the write",
          lastTransitionTime: 0,
        },
      ],
    });
    const r = captureIo({ env: { TRANQUIL_URL: api.url } });
    expect(await runCli(["watch", "failed-service-v2"], r)).toBe(ExitCode.UpgradeFailed);
    expect(r.out()).toMatch(
      /upgrade failed-service-v2 Failed after \S+: VirtualService failed-service refused the write\n$/,
    );
  });

  it("reports a finished upgrade's duration from its status, not its age", async () => {
    const io = captureIo({ env: { TRANQUIL_URL: api.url, TRANQUIL_TOKEN: api.token } });
    expect(await runCli(["upgrade", "aged-service", "--from", "v1", "--to", "v2", "--no-wait"], io)).toBe(0);
    const start = (await api.store.get({ namespace: "default", name: "aged-service-v2" })).createdAt;
    await writeStatus(
      api.store,
      "aged-service-v2",
      { phase: "Finalizing", stage: "scaleOld" },
      start + 60_000,
    );
    await writeStatus(api.store, "aged-service-v2", { phase: "Succeeded", stage: "done" }, start + 68_000);
    const later = captureIo({ env: { TRANQUIL_URL: api.url }, now: () => start + 215_000 });
    expect(await runCli(["watch", "aged-service-v2"], later)).toBe(ExitCode.Ok);
    expect(later.out()).toMatch(/upgrade aged-service-v2 Succeeded after 1m08s\n$/);
  });

  it("exits 2 for an unknown upgrade", async () => {
    const io = captureIo({ env: { TRANQUIL_URL: api.url } });
    expect(await runCli(["watch", "nope"], io)).toBe(ExitCode.BadInput);
    expect(io.err()).toMatch(/Upgrade default\/nope not found/);
  });

  it("reconnects when the stream ends early, and exits 3 when the controller stays away", async () => {
    const gone = await startApiFixture();
    const created = captureIo({ env: { TRANQUIL_URL: gone.url, TRANQUIL_TOKEN: gone.token } });
    expect(
      await runCli(["upgrade", "lost-service", "--from", "v1", "--to", "v2", "--no-wait"], created),
    ).toBe(0);
    let closing: Promise<void> | undefined;
    const io = captureIo({
      env: { TRANQUIL_URL: gone.url },
      onStdout: () => {
        closing ??= gone.close();
      },
    });
    const code = await runCli(["watch", "lost-service-v2"], io);
    await closing;
    expect(code).toBe(ExitCode.Unavailable);
    expect(io.err()).toContain("status stream of lost-service-v2 ended early; reconnecting\n");
    expect(io.err().split("reconnecting").length - 1).toBeLessThanOrEqual(WATCH_RECONNECTS + 1);
    expect(io.err()).toMatch(
      /error: cannot reach the controller at .* \(ECONNREFUSED\): start it with `npm start`/,
    );
  });

  it("stops watching on Ctrl-C without touching the upgrade (exit 130)", async () => {
    const interrupt = new AbortController();
    expect(
      await runCli(
        ["upgrade", "ctrlc-service", "--from", "v1", "--to", "v2", "--no-wait"],
        captureIo({ env: { TRANQUIL_URL: api.url, TRANQUIL_TOKEN: api.token } }),
      ),
    ).toBe(0);
    const io = captureIo({
      env: { TRANQUIL_URL: api.url },
      signal: interrupt.signal,
      onStdout: () => interrupt.abort(),
    });
    expect(await runCli(["watch", "ctrlc-service-v2"], io)).toBe(ExitCode.Interrupted);
    expect(io.err()).toBe(
      "stopped watching; the upgrade goes on. Resume with `tranquil watch ctrlc-service-v2`\n",
    );
    expect((await api.store.get({ namespace: "default", name: "ctrlc-service-v2" })).status.phase).toBe(
      "Validating",
    );
  });
});
