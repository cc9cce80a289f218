import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { UpstreamPool } from "./grpc/upstreams.js";
import { ServedBy } from "./served-by.js";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

describe("main.ts (standalone service from the environment)", () => {
  it("starts item-service from env, serves, and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
      env: { ...process.env, SERVICE: "item-service", VERSION: "v7", PORT: "0", LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const started = await new Promise<{ address: string; admin: string }>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.on("line", (line) => {
        const rec = JSON.parse(line) as { msg?: string; address?: string; admin?: string };
        if (rec.msg === "started" && rec.address !== undefined && rec.admin !== undefined)
          resolve({ address: rec.address, admin: rec.admin });
      });
      void exited.then((code) => reject(new Error(`main.ts exited early with ${code}`)));
    });
    const pool = new UpstreamPool({ upstreams: { "item-service": started.address } });
    const servedBy = new ServedBy();
    const items = await pool.call<{ items: unknown[] }>("item-service", "ListItems", {}, {}, servedBy);
    pool.close();
    expect(items.items.length).toBeGreaterThan(0);
    expect(servedBy.list()).toEqual(["item-service@v7"]);
    const health = (await (await fetch(`http://${started.admin}/healthz`)).json()) as { version: string };
    expect(health.version).toBe("v7");
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("refuses a bad environment with exit code 2 and says what to fix", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
      env: { ...process.env, SERVICE: "order-service", VERSION: "v1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr).toMatch(/UPSTREAM_ITEM_SERVICE is required: order-service calls item-service/);
  });
});
