import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import { makeConfig, type Role } from "../../../../trace-manager/config.js";
import { loadEnvoyProtos } from "../../../../trace-manager/proto/load.js";
import type { CheckRequest, CheckResponse } from "../../../../trace-manager/proto/types.js";
import { startTraceManager, type RunningTraceManager } from "../../../../trace-manager/start.js";
import type { TraceStore } from "../../../../trace-manager/store/port.js";

/** A temp directory for every Unix socket of one test file. */
export async function socketDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "tranquil-mesh-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Starts a real TraceManager on a socket in `dir`, writing to `store`. */
export function startTestTraceManager(
  dir: string,
  store: TraceStore,
  who: { role: Role; service: string; version: string; pod: string },
): Promise<RunningTraceManager> {
  return startTraceManager(
    makeConfig({
      ...who,
      socketPath: join(dir, `${who.pod}.sock`),
      adminHost: "127.0.0.1",
      adminPort: 0,
      logLevel: "silent",
    }),
    { store },
  );
}

/**
 * A bare `envoy.service.auth.v3.Authorization` server that records every CheckRequest and
 * answers with `reply` after `delayMs` — to observe exactly what the proxy sends.
 */
export async function startRecordingAuthz(
  socketPath: string,
  reply: () => CheckResponse,
  delayMs = 0,
): Promise<{ requests: CheckRequest[]; close(): Promise<void> }> {
  const requests: CheckRequest[] = [];
  const server = new Server();
  server.addService(loadEnvoyProtos().Authorization.service, {
    Check: (call: ServerUnaryCall<CheckRequest, CheckResponse>, cb: sendUnaryData<CheckResponse>) => {
      requests.push(call.request);
      setTimeout(() => cb(null, reply()), delayMs);
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${socketPath}`, ServerCredentials.createInsecure(), (err) =>
      err !== null ? reject(err) : resolve(),
    ),
  );
  return { requests, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}
