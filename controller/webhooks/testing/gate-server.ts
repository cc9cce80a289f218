/**
 * A webhook gate for tests: an express server on 127.0.0.1, port 0. `POST /gate/<name>` answers
 * as `answers` says for that name: yes (200 JSON), no (403 with a reason), slow (200 after
 * `slowMs`), garbage (200 that claims JSON and is not), reset (the connection is destroyed),
 * or flaky (503 twice, then 200). Every call is recorded with its body and Authorization.
 */
import type { Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import express from "express";

/** How a gate of the server answers. */
export type GateBehaviour = "yes" | "no" | "slow" | "garbage" | "reset" | "flaky";

/** One call the server received. */
export interface GateCall {
  readonly name: string;
  readonly at: number;
  readonly authorization: string | undefined;
  readonly body: unknown;
}

/** A running gate server. */
export interface GateServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The answer of each gate by name; unnamed gates say yes. */
  readonly answers: Map<string, GateBehaviour>;
  readonly calls: GateCall[];
  /** How long a slow gate takes (default 3 s). */
  slowMs: number;
  /** The calls of one gate. */
  callsOf(name: string): GateCall[];
  stop(): Promise<void>;
}

/** Starts the server. */
export async function startGateServer(): Promise<GateServer> {
  const answers = new Map<string, GateBehaviour>();
  const calls: GateCall[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const flakes = new Map<string, number>();
  const app = express();
  app.use(express.json({ type: () => true }));
  const state = { slowMs: 3_000 };
  app.post("/gate/:name", (req, res) => {
    const name = req.params.name;
    calls.push({ name, at: Date.now(), authorization: req.headers.authorization, body: req.body as unknown });
    switch (answers.get(name) ?? "yes") {
      case "yes":
        res.json({ ok: true });
        return;
      case "no":
        res.status(403).type("text/plain").send(`${name} has not signed off`);
        return;
      case "slow": {
        const timer = setTimeout(() => {
          timers.delete(timer);
          res.json({ ok: true });
        }, state.slowMs);
        timers.add(timer);
        return;
      }
      case "garbage":
        res.status(200).type("application/json").send("<html>not json</html>");
        return;
      case "reset":
        req.socket.destroy();
        return;
      case "flaky": {
        const seen = (flakes.get(name) ?? 0) + 1;
        flakes.set(name, seen);
        if (seen <= 2) res.status(503).send("warming up");
        else res.json({ ok: true });
        return;
      }
    }
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    answers,
    calls,
    get slowMs() {
      return state.slowMs;
    },
    set slowMs(ms: number) {
      state.slowMs = ms;
    },
    callsOf: (name) => calls.filter((c) => c.name === name),
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
