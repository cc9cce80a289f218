/**
 * What the leader-election tests observe with: a sampler that asserts no two electors lead at
 * once, a logger whose lines the test reads, an elector in a child process (to kill it with
 * SIGKILL), and a TCP proxy in front of the API server that can be cut (partitioned: requests
 * hang; or refused: connections fail).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, connect, type Server, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { pino, type Logger } from "pino";
import type { ElectorProcessArgs } from "./elector-process.js";

/** A parsed pino line. */
export type LogLine = Record<string, unknown> & { msg?: string; time?: number };

/** A debug-level logger that keeps its lines, parsed. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: "debug" },
    { write: (line: string) => lines.push(JSON.parse(line) as LogLine) },
  );
  return { logger, lines };
}

/** The `requestStartedAt` of the last acquisition or renewal in `lines` (wall ms). */
export function lastRenewalStart(lines: readonly LogLine[]): number | undefined {
  const renewals = lines.filter((l) => typeof l["requestStartedAt"] === "number");
  return renewals.at(-1)?.["requestStartedAt"] as number | undefined;
}

/** Samples `isLeader` of several electors every few ms, recording any moment two lead. */
export function sampleLeaders(electors: Record<string, () => boolean>, everyMs = 5) {
  const overlaps: { at: number; leaders: string[] }[] = [];
  let samples = 0;
  const timer = setInterval(() => {
    samples++;
    const leaders = Object.entries(electors)
      .filter(([, isLeader]) => isLeader())
      .map(([name]) => name);
    if (leaders.length > 1) overlaps.push({ at: Date.now(), leaders });
  }, everyMs);
  return {
    overlaps,
    samples: () => samples,
    stop: () => clearInterval(timer),
  };
}

/** An elector in a child process, with its log lines as they arrive. */
export interface ElectorProcess {
  readonly pid: number;
  readonly lines: LogLine[];
  /** Resolves with the first line (arrived or arriving) that satisfies `match`. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGKILL, as `kill -9`: no release, no last write. Resolves once it has exited. */
  kill(): Promise<void>;
}

const SCRIPT = new URL("./elector-process.ts", import.meta.url).pathname;

/** Starts `elector-process.ts` on this Node with tsx's loader (its pid is the elector's own). */
export function spawnElector(args: ElectorProcessArgs): ElectorProcess {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", SCRIPT, JSON.stringify(args)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: LogLine[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  if (child.stdout !== null) {
    createInterface({ input: child.stdout }).on("line", (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return;
      }
      lines.push(line);
      for (const w of waiters.filter((x) => x.match(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    });
  }
  return {
    pid: child.pid ?? -1,
    lines,
    waitFor: (match, timeoutMs = 20_000) => {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the elector process logged no such line within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** A TCP proxy to the API server that a test can cut. */
export interface CuttableProxy {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  /** Stops forwarding in both directions and accepts new connections without forwarding them. */
  partition(): void;
  /** Closes every connection and the listener: connections are refused from now on. */
  refuse(): Promise<void>;
}

/** Starts a proxy to `target` (host:port) on a free loopback port. */
export async function startCuttableProxy(targetHost: string, targetPort: number): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  let partitioned = false;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    if (partitioned) return;
    const upstream = connect(targetPort, targetHost);
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("data", (chunk: Buffer) => {
      if (!partitioned) upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!partitioned) client.write(chunk);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `https://127.0.0.1:${port}`,
    partition: () => {
      partitioned = true;
    },
    refuse: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
