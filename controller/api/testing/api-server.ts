/**
 * Test support: the real HTTP API (createApi) with any of its options on 127.0.0.1 port 0,
 * over a FileUpgradeStore in a temp directory, with the server's sockets in view (to measure
 * what the server buffers for a client).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { FileUpgradeStore } from "../../local/file-upgrade-store.js";
import { createApi, type ApiOptions } from "../server.js";

/** The token these servers take. */
export const API_TEST_TOKEN = "api-test-token-0123456789";

/** A running API. */
export interface ApiServer {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly store: FileUpgradeStore;
  /** The server's side of every connection accepted so far. */
  readonly sockets: readonly Socket[];
  /** Creates an Upgrade of one service through the API. */
  create(name: string, service: string): Promise<void>;
  /** Closes every connection, the server and the store, and removes the temp directory. */
  close(): Promise<void>;
}

/** Starts the API with `options` (store, token and logger are the fixture's). */
export async function startApiServer(
  options: Omit<ApiOptions, "store" | "token" | "logger"> = {},
): Promise<ApiServer> {
  const dir = await mkdtemp(join(tmpdir(), "tranquil-api-"));
  const store = await FileUpgradeStore.open({ path: join(dir, "upgrades.json") });
  const app = createApi({ ...options, store, token: API_TEST_TOKEN, logger: pino({ level: "silent" }) });
  const server: Server = createServer(app);
  const sockets: Socket[] = [];
  server.on("connection", (socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    token: API_TEST_TOKEN,
    store,
    sockets,
    async create(name, service) {
      const res = await fetch(`${url}/v1/upgrades`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${API_TEST_TOKEN}` },
        body: JSON.stringify({ name, spec: { services: [{ name: service, from: "v1", to: "v2" }] } }),
      });
      if (res.status !== 201) throw new Error(`creating ${name} answered ${res.status}: ${await res.text()}`);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
