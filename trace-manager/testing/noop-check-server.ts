/**
 * The benchmark's floor: a gRPC server on a Unix socket that answers every Check with OK and
 * does nothing else, not even decode the request (same trimmed protos and grpc-js for the
 * service and the reply): what any Check server pays for the transport alone. Run as its own process:
 * `tsx trace-manager/testing/noop-check-server.ts <socket path>`; prints "ready" when serving.
 */
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import { loadEnvoyProtos } from "../proto/load.js";
import { OK_PLAIN } from "../check/responses.js";
import { prepareSocketPath, removeSocket } from "../server/socket-file.js";
import type { CheckResponse } from "../proto/types.js";

const socketPath = process.argv[2];
if (socketPath === undefined) {
  process.stderr.write("usage: noop-check-server.ts <socket path>\n");
  process.exit(2);
}
const server = new Server();
const { Check: check } = loadEnvoyProtos().Authorization.service;
if (check === undefined) throw new Error("trimmed Envoy protos: Authorization/Check is missing");
server.addService(
  { Check: { ...check, requestDeserialize: (bytes: Buffer) => bytes } },
  {
    Check: (_call: ServerUnaryCall<unknown, CheckResponse>, cb: sendUnaryData<CheckResponse>) =>
      cb(null, OK_PLAIN),
  },
);
await prepareSocketPath(socketPath);
server.bindAsync(`unix:${socketPath}`, ServerCredentials.createInsecure(), (err) => {
  if (err) {
    process.stderr.write(`cannot bind ${socketPath}: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write("ready\n");
});
process.on("SIGTERM", () => {
  server.forceShutdown();
  void removeSocket(socketPath).finally(() => process.exit(0));
});
