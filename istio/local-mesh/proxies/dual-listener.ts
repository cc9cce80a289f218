import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

/** The HTTP/2 connection preface; a connection starting with it speaks h2c with prior knowledge. */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Handlers for the two protocols; a request is never translated from one to the other. */
export interface DualHandlers {
  onHttp1(req: http.IncomingMessage, res: http.ServerResponse): void;
  onHttp2(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void;
}

/** A listener on 127.0.0.1 that serves HTTP/1.1 and h2c on one port. */
export interface DualListener {
  readonly port: number;
  /** Number of open downstream connections. */
  connections(): number;
  /**
   * Stops accepting, sends GOAWAY on every HTTP/2 session and `connection: close` on HTTP/1.1,
   * lets in-flight streams finish, and resolves once every connection is closed (or after
   * `forceAfterMs`, when the rest are destroyed).
   */
  close(forceAfterMs?: number): Promise<void>;
}

/**
 * Starts a listener that sniffs the first bytes of each connection: the h2 preface goes to an
 * HTTP/2 server, anything else to an HTTP/1.1 server (as Envoy's codec `AUTO` does without TLS).
 */
export async function startDualListener(handlers: DualHandlers, port = 0): Promise<DualListener> {
  // HTTP/1.1 sockets with their requests in flight: an idle one is closed at once on shutdown
  // (the server never listens itself, so Node's own idle-connection tracking is not active).
  const h1Busy = new Map<net.Socket, number>();
  // Envoy keeps idle downstream connections for an hour (`idle_timeout`); a short keep-alive
  // here would race with callers reusing pooled connections.
  const h1 = http.createServer({ keepAliveTimeout: 3_600_000 }, (req, res) => {
    const socket = req.socket;
    h1Busy.set(socket, (h1Busy.get(socket) ?? 0) + 1);
    if (closing) res.setHeader("connection", "close");
    res.once("close", () => {
      const left = (h1Busy.get(socket) ?? 1) - 1;
      h1Busy.set(socket, left);
      if (closing && left === 0) socket.destroySoon();
    });
    handlers.onHttp1(req, res);
  });
  const closeIdleH1 = (): void => {
    for (const [socket, busy] of h1Busy) if (busy === 0) socket.destroySoon();
  };
  const h2 = http2.createServer({ settings: { enablePush: false } });
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<net.Socket>();
  let closing = false;
  h2.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    session.on("error", () => undefined);
    if (closing) session.close();
  });
  h2.on("stream", (stream, headers) => {
    stream.on("error", () => undefined);
    handlers.onHttp2(stream, headers);
  });
  h1.on("clientError", (_err, socket) => socket.destroy());
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.once("readable", () => {
      const first = socket.read() as Buffer | null;
      if (first === null) {
        socket.destroy();
        return;
      }
      socket.unshift(first);
      const isH2 = first.subarray(0, H2_PREFACE.length).equals(H2_PREFACE.subarray(0, first.length));
      if (!isH2) {
        h1Busy.set(socket, 0);
        socket.once("close", () => h1Busy.delete(socket));
      }
      (isH2 ? h2 : h1).emit("connection", socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    connections: () => sockets.size,
    close: async (forceAfterMs = 5_000) => {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions) s.close();
      closeIdleH1();
      const force = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, forceAfterMs);
      const drain = async (): Promise<void> => {
        while (sockets.size > 0) {
          closeIdleH1();
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await Promise.all([closed, drain()]);
      clearTimeout(force);
    },
  };
}
