import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, type Client, type ClientWritableStream } from "@grpc/grpc-js";
import { pino } from "pino";
import { loadFullEnvoyProtos } from "./full-envoy-protos.js";
import { makeConfig, type TraceManagerConfig } from "../config.js";
import { startTraceManager, type RunningTraceManager, type TraceManagerDeps } from "../start.js";
import type { CheckResponse } from "../proto/types.js";

/** A TraceManager on a temp Unix socket, with Envoy-side clients built from the FULL Envoy protos. */
export interface Harness {
  readonly tm: RunningTraceManager;
  readonly config: TraceManagerConfig;
  readonly dir: string;
  /** Sends a Check encoded with Envoy's full protos; resolves with the decoded reply. */
  check(req: Record<string, unknown>): Promise<CheckResponse>;
  /** Opens an ALS stream as Envoy does; `end()` resolves when the server answered. */
  openAls(): { write(msg: Record<string, unknown>): void; end(): Promise<void>; cancel(): void };
  close(): Promise<void>;
}

/** Starts a TraceManager for a test. `fields` override the config (role, identity, timings). */
export async function startHarness(
  fields: Partial<TraceManagerConfig>,
  deps: TraceManagerDeps,
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "tm-"));
  const config = makeConfig({
    role: "sidecar",
    service: "reviews",
    version: "v1",
    pod: "reviews-v1-0",
    socketPath: join(dir, "tm.sock"),
    adminHost: "127.0.0.1",
    adminPort: 0,
    heartbeatMs: 60_000,
    ...fields,
  });
  const tm = await startTraceManager(config, { logger: pino({ level: "silent" }), ...deps });
  const full = loadFullEnvoyProtos();
  const target = `unix:${config.socketPath}`;
  const auth = new full.Authorization(target, credentials.createInsecure()) as unknown as Client & {
    Check(req: unknown, cb: (err: Error | null, res: CheckResponse) => void): void;
  };
  const als = new full.AccessLogService(target, credentials.createInsecure()) as unknown as Client & {
    StreamAccessLogs(cb: (err: Error | null) => void): ClientWritableStream<unknown>;
  };
  return {
    tm,
    config,
    dir,
    check: (req) =>
      new Promise((resolve, reject) => {
        auth.Check(req, (err, res) => (err ? reject(err) : resolve(res)));
      }),
    openAls: () => {
      let stream!: ClientWritableStream<unknown>;
      const done = new Promise<void>((resolve, reject) => {
        stream = als.StreamAccessLogs((err) => (err ? reject(err) : resolve()));
      });
      return {
        write: (msg) => stream.write(msg),
        end: () => {
          stream.end();
          return done;
        },
        cancel: () => {
          done.catch(() => undefined);
          stream.cancel();
        },
      };
    },
    close: async () => {
      auth.close();
      als.close();
      await tm.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns true (bounded). */
export async function eventually(
  fn: () => Promise<boolean> | boolean,
  timeoutMs = 5000,
  stepMs = 20,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** A fresh random UUID, as Envoy generates for x-request-id. */
export function newTxnId(): string {
  return crypto.randomUUID();
}
