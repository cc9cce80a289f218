import http from "node:http";
import http2 from "node:http2";

/**
 * Connections from one proxy to upstream endpoints: one HTTP/2 session per address (reopened
 * after GOAWAY or failure) and a keep-alive HTTP/1.1 agent, as Envoy's per-cluster pools.
 */
export class UpstreamPool {
  private readonly sessions = new Map<string, http2.ClientHttp2Session>();
  /** The HTTP/1.1 agent used for every HTTP/1.1 upstream request of this proxy. */
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  /** An open (or connecting) HTTP/2 session to `address` (`ip:port`). */
  session(address: string): http2.ClientHttp2Session {
    const existing = this.sessions.get(address);
    if (existing !== undefined && !existing.closed && !existing.destroyed) return existing;
    const session = http2.connect(`http://${address}`);
    const forget = (): void => {
      if (this.sessions.get(address) === session) this.sessions.delete(address);
    };
    // A session that got GOAWAY takes no new streams; the next request opens a fresh one.
    session.on("goaway", forget);
    session.on("close", forget);
    session.on("error", forget);
    session.unref();
    this.sessions.set(address, session);
    return session;
  }

  /** Drops a session that can take no new streams, so the next request opens a fresh one. */
  forget(address: string, session: http2.ClientHttp2Session): void {
    if (this.sessions.get(address) === session) this.sessions.delete(address);
  }

  /** Closes every upstream connection. */
  close(): void {
    for (const s of this.sessions.values()) s.destroy();
    this.sessions.clear();
    this.agent.destroy();
  }
}
