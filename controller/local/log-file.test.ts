/**
 * The size-limited log file: pino writes through it, it is rotated past its limit into
 * `<path>.1` … `<path>.<keep>`, the oldest is deleted, and nothing written is lost meanwhile.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openLogFile } from "./log-file.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("openLogFile", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tranquil-log-file-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("rotates past its size, keeps `keep` rotated files, and loses no line of the ones it keeps", async () => {
    const path = join(dir, "logs", "tranquil.log");
    const file = openLogFile({ path, maxBytes: 4_000, keep: 2, checkIntervalMs: 10 });
    const logger = pino({ level: "info" }, file.destination);
    for (let i = 0; i < 60; i++) {
      logger.info({ i, pad: "x".repeat(200) }, "line");
      await sleep(5);
    }
    await sleep(50);
    logger.info({ i: 60 }, "last");
    await file.close();
    const names = (await readdir(join(dir, "logs"))).sort();
    expect(names).toEqual(["tranquil.log", "tranquil.log.1", "tranquil.log.2"]);
    // Each rotated file stopped growing within one check of its limit.
    for (const name of ["tranquil.log.1", "tranquil.log.2"]) {
      expect((await stat(join(dir, "logs", name))).size).toBeLessThan(4_000 + 3 * 300);
    }
    // The three files hold consecutive lines, the newest in the current one.
    const lines = async (name: string) =>
      (await readFile(join(dir, "logs", name), "utf8"))
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => (JSON.parse(l) as { i: number }).i);
    const kept = [
      ...(await lines("tranquil.log.2")),
      ...(await lines("tranquil.log.1")),
      ...(await lines("tranquil.log")),
    ];
    expect(kept.at(-1)).toBe(60);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => 61 - kept.length + k));
    expect(kept.length).toBeLessThan(61); // the oldest lines went with the deleted file
  });

  it("rotates a file an earlier run left past the limit before writing to it", async () => {
    const path = join(dir, "tranquil.log");
    await writeFile(path, "y".repeat(5_000));
    const file = openLogFile({ path, maxBytes: 4_000, keep: 1 });
    const logger = pino({ level: "info" }, file.destination);
    logger.info("fresh");
    await file.close();
    expect((await stat(`${path}.1`)).size).toBe(5_000);
    expect(await readFile(path, "utf8")).toContain('"msg":"fresh"');
  });
});
