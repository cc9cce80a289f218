import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { loadPackageDefinition, type ServiceClientConstructor, type MethodDefinition } from "@grpc/grpc-js";
import { loadSync, type PackageDefinition } from "@grpc/proto-loader";
import { ENVOY_PROTO_LOADER_OPTIONS } from "../proto/load.js";

/**
 * Envoy's FULL proto tree as shipped by @grpc/grpc-js-xds (a devDependency), for tests and the
 * benchmark only: messages encoded with it are byte-for-byte what Envoy would send.
 */
export interface FullEnvoyProtos {
  readonly Authorization: ServiceClientConstructor;
  readonly AccessLogService: ServiceClientConstructor;
  readonly check: MethodDefinition<unknown, unknown>;
  readonly streamAccessLogs: MethodDefinition<unknown, unknown>;
  readonly packageDefinition: PackageDefinition;
}

let cached: FullEnvoyProtos | undefined;

/** The folders of the full Envoy tree inside @grpc/grpc-js-xds. */
export function fullEnvoyIncludeDirs(): string[] {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("@grpc/grpc-js-xds/package.json"));
  return ["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => join(root, "deps", d));
}

/** Loads Envoy's full ext_authz and ALS protos (slow: once per process). */
export function loadFullEnvoyProtos(): FullEnvoyProtos {
  if (cached !== undefined) return cached;
  const packageDefinition = loadSync(
    ["envoy/service/auth/v3/external_auth.proto", "envoy/service/accesslog/v3/als.proto"],
    { ...ENVOY_PROTO_LOADER_OPTIONS, includeDirs: fullEnvoyIncludeDirs() },
  );
  const root = loadPackageDefinition(packageDefinition) as unknown as {
    envoy: {
      service: {
        auth: { v3: { Authorization: ServiceClientConstructor } };
        accesslog: { v3: { AccessLogService: ServiceClientConstructor } };
      };
    };
  };
  const Authorization = root.envoy.service.auth.v3.Authorization;
  const AccessLogService = root.envoy.service.accesslog.v3.AccessLogService;
  const check = Authorization.service["Check"];
  const streamAccessLogs = AccessLogService.service["StreamAccessLogs"];
  if (check === undefined || streamAccessLogs === undefined)
    throw new Error("full Envoy protos: methods missing");
  cached = { Authorization, AccessLogService, check, streamAccessLogs, packageDefinition };
  return cached;
}
