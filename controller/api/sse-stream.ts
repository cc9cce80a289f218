/**
 * One server-sent-events response with bounded memory (ADR 0088): while the socket has not
 * drained, a newer event replaces the one waiting, so a client that reads slowly (or not at
 * all) costs at most one event beyond the socket's own buffer and gets the latest state once
 * it reads. Heartbeat comments keep proxies from closing a quiet stream; a stream that could
 * deliver nothing for `idleMs` is closed (the CLI reconnects and gets the current state).
 */
import type { ServerResponse } from "node:http";

/** Timing of an {@link SseStream}. */
export interface SseStreamOptions {
  /** How often a `: keep-alive` comment is sent while the socket keeps up. */
  readonly heartbeatMs: number;
  /** The stream is closed when no event reached the socket for this long. */
  readonly idleMs: number;
  /** Called once when the stream ends, whoever ended it. */
  readonly onClose: () => void;
}

const HEARTBEAT = ": keep-alive\n\n";

/** An open event stream over `res` (the caller has written the headers). */
export class SseStream {
  private pending: string | undefined;
  private draining = false;
  private closed = false;
  private ending = false;
  private readonly heartbeat: NodeJS.Timeout;
  private idle: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly options: SseStreamOptions,
  ) {
    this.heartbeat = setInterval(() => {
      // A heartbeat queued behind an undrained socket would only add to its buffer.
      if (!this.draining) this.write(HEARTBEAT);
    }, options.heartbeatMs);
    this.idle = setTimeout(() => this.close(), options.idleMs);
    res.on("close", () => this.close());
  }

  /** Sends `data` as event `event`, or keeps it as the one pending event until the socket drains. */
  send(event: string, data: string): void {
    if (this.closed || this.ending) return;
    const frame = `event: ${event}\ndata: ${data}\n\n`;
    if (this.draining) {
      this.pending = frame;
      return;
    }
    this.deliver(frame);
  }

  /**
   * Ends the response once what is pending has been handed to the socket (the last event of
   * an ended upgrade must arrive); a client that never drains is cut off by the idle timeout.
   */
  end(): void {
    if (this.closed) return;
    if (this.draining) {
      this.ending = true;
      return;
    }
    if (this.pending !== undefined) this.deliver(this.pending);
    this.close();
  }

  /** Ends the response now, dropping what is pending; a socket that is not draining is destroyed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = undefined;
    clearInterval(this.heartbeat);
    clearTimeout(this.idle);
    // end() would wait for a client that does not read, keeping its buffer; cut it off instead.
    if (this.draining) this.res.destroy();
    else this.res.end();
    this.options.onClose();
  }

  private deliver(frame: string): void {
    this.pending = undefined;
    this.idle.refresh();
    this.write(frame);
  }

  private write(chunk: string): void {
    if (this.res.write(chunk)) return;
    this.draining = true;
    this.res.once("drain", () => {
      this.draining = false;
      if (this.closed) return;
      const next = this.pending;
      if (next !== undefined) this.deliver(next);
      if (this.ending && !this.draining) this.close();
    });
  }
}
