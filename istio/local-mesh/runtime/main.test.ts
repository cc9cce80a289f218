import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const ECHO = fileURLToPath(new URL("./echo.topology.yaml", import.meta.url));

describe("tranquil-mesh process", () => {
  it("serves until SIGTERM, then stops everything and exits 0", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, "--topology", ECHO], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const ingress = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ingress line in time: ${out}`)), 25_000);
      child.stdout.on("data", () => {
        const m = /ingress: (http:\/\/\S+)/.exec(out);
        if (m?.[1] !== undefined) {
          clearTimeout(t);
          resolve(m[1]);
        }
      });
    });
    const res = await fetch(`${ingress}/x`);
    expect(res.status).toBe(200);
    const socketDir = /"socketDir":"([^"]+)"/.exec(out)?.[1];
    expect(socketDir !== undefined && existsSync(socketDir)).toBe(true);
    const code = await new Promise<number | null>((resolve) => {
      child.once("exit", (c) => resolve(c));
      child.kill("SIGTERM");
    });
    expect(code).toBe(0);
    expect(existsSync(socketDir ?? "")).toBe(false);
  }, 40_000);
});
