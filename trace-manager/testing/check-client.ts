import { credentials, type Client } from "@grpc/grpc-js";
import type { CheckResponse } from "../proto/types.js";
import { loadFullEnvoyProtos } from "./full-envoy-protos.js";

/** An ext_authz client as Envoy is, encoding with the FULL Envoy protos, on a TraceManager's socket. */
export interface CheckClient {
  check(req: Record<string, unknown>): Promise<CheckResponse>;
  close(): void;
}

/** Opens a Check client on `unix:<socket>`. Close it when done. */
export function openCheckClient(socket: string): CheckClient {
  const full = loadFullEnvoyProtos();
  const client = new full.Authorization(
    `unix:${socket}`,
    credentials.createInsecure(),
  ) as unknown as Client & {
    Check(req: unknown, cb: (err: Error | null, res: CheckResponse) => void): void;
  };
  return {
    check: (req) =>
      new Promise<CheckResponse>((resolve, reject) =>
        client.Check(req, (err, r) => (err ? reject(err) : resolve(r))),
      ),
    close: () => client.close(),
  };
}
