import { fileURLToPath } from "node:url";
import { Metadata } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRedis, type TestRedis } from "../../../test/support/redis-server.js";
import { echoClient, type EchoReply } from "./echo-app/echo-services.js";
import { startMesh, type MeshHandle } from "./mesh-runtime.js";
import { loadTopology } from "./topology.js";

const waitFor = async (cond: () => Promise<boolean>, ms = 8_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
};

// The same runtime with `storeUrl`: every TraceManager writes to a real redis-server.
describe("local mesh runtime on Redis", () => {
  let redis: TestRedis;
  let mesh: MeshHandle;
  beforeAll(async () => {
    redis = await startTestRedis();
    mesh = await startMesh(
      await loadTopology(fileURLToPath(new URL("./echo.topology.yaml", import.meta.url))),
      {
        storeUrl: redis.url,
        pushDelay: { minMs: 5, maxMs: 20 },
        als: { flushIntervalMs: 100 },
        checkTimeoutMs: 1_000,
        logger: pino({ level: "silent" }),
      },
    );
  });
  afterAll(async () => {
    await mesh.stop();
    await redis.stop();
  });

  it("records calls made through the sidecars in the Redis trace store", async () => {
    const front = mesh.instances().find((i) => i.service === "front");
    const c = echoClient(front?.address ?? "", "front");
    const md = new Metadata();
    md.set("x-request-id", "5f0c7b7e-3b1a-4c47-9a51-0b8c2b2b6d11");
    const res = await new Promise<EchoReply>((resolve, reject) =>
      c.Say({ text: "r", forward: true }, md, (err, r) =>
        err !== null || r === undefined ? reject(err ?? new Error("empty")) : resolve(r),
      ),
    );
    c.close();
    expect(res.served_by).toEqual(["front@v1", "item@v1"]);
    await waitFor(async () => (await mesh.traceStore.versionStats("item", "v1", 0)).requests > 0);
    await waitFor(async () => (await mesh.traceStore.activeAt("item", "v1")).calls === 0);
  });
});
